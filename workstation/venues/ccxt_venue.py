"""One adapter over any exchange that speaks ccxt's unified API: a ccxt.pro instance or the paper exchange.

This is the boundary. Everything that crosses it is converted: floats to Decimal (via str),
ccxt structures to domain types, ccxt exceptions to VenueError with a kind. Above this file
nobody sees a ccxt dict.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import operator
import random
import re
import time
from collections import deque
from decimal import Decimal
from typing import Any, Callable

from ..domain.book import Book
from ..domain.market import Market
from ..domain.money import ZERO, from_venue
from ..domain.orders import Fill, Order, OrderStatus, OrderType, Side, TimeInForce
from ..domain.positions import VenuePositionInfo
from ..domain.reports import Balance, OrderReport
from .errors import ErrorKind, RedactingFilter, VenueError, register_secret

_STATUS = {
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
}

_TYPES = {
    "market": OrderType.MARKET,
    "limit": OrderType.LIMIT,
    "stop_market": OrderType.STOP_MARKET,
    "stop": OrderType.STOP_MARKET,
    "stop_limit": OrderType.STOP_LIMIT,
    "stop_loss": OrderType.STOP_MARKET,
    "stop_loss_limit": OrderType.STOP_LIMIT,
    "take_profit": OrderType.TAKE_PROFIT_MARKET,
    "take_profit_limit": OrderType.TAKE_PROFIT_LIMIT,
    "take_profit_market": OrderType.TAKE_PROFIT_MARKET,
    "trailing_stop": OrderType.TRAILING_STOP,
    "trailing_stop_market": OrderType.TRAILING_STOP,
}

_FINGERPRINT_KEYS = ("status", "filled", "amount", "price", "triggerPrice", "average", "clientOrderId", "symbol")
_FINGERPRINT = operator.itemgetter(*_FINGERPRINT_KEYS)
_ID = operator.itemgetter("id")
_CLIENT_ID = operator.methodcaller("get", "clientOrderId")

ENVIRONMENTS = ("paper", "testnet", "demo", "live")

# Calls that need no keys: they keep working (the book, the chart) while an account's keys are refused.
PUBLIC_OPERATIONS = frozenset({"load_markets", "fetch_order_book", "watch_order_book", "fetch_ticker",
                               "fetch_ohlcv", "fetch_trades", "fetch_time", "fetch_status"})

# Our client order id in each venue's format: (allowed characters, maximum length). Our ids are
# alphanumeric and 18 long (journal.next_client_order_id), which fits every row; the check is here so a
# change on either side fails before sending, with the venue named, rather than as a venue rejection.
CLIENT_ID_RULES: dict[str, tuple[str, int]] = {
    "binance": (r"[.A-Z:/a-z0-9_-]", 36), "binanceusdm": (r"[.A-Z:/a-z0-9_-]", 36),
    "binancecoinm": (r"[.A-Z:/a-z0-9_-]", 36), "bybit": (r"[A-Za-z0-9_-]", 36), "okx": (r"[A-Za-z0-9]", 32),
    "myokx": (r"[A-Za-z0-9]", 32), "kucoin": (r"[A-Za-z0-9_-]", 40), "bitget": (r"[A-Za-z0-9_.:/-]", 50),
    "gate": (r"[A-Za-z0-9_.-]", 28), "deribit": (r"[A-Za-z0-9_-]", 64), "hyperliquid": (r"[0-9a-fx]", 34),
}
DEFAULT_CLIENT_ID_RULE = (r"[A-Za-z0-9]", 32)

# Venues whose editOrder amends in place (same order, total-quantity semantics), by exchange id and market
# kind. Any other venue's modify is a cancel followed by a replacement for what is left.
AMENDS_IN_PLACE = frozenset({
    ("binanceusdm", "contract"), ("binancecoinm", "contract"), ("binance", "contract"),
    ("bybit", "spot"), ("bybit", "contract"), ("okx", "spot"), ("okx", "contract"), ("myokx", "spot"),
    ("myokx", "contract"), ("bitget", "contract"), ("gate", "spot"), ("gate", "contract"), ("paper", "spot"),
    ("paper", "contract"),
})

# The look-up chain for one order (fetch_order, then these, then my trades): ccxt method, its ``has`` and
# ``features`` key.
_LOOKUPS = (("fetch_open_orders", "fetchOpenOrders"), ("fetch_closed_orders", "fetchClosedOrders"))


@dataclasses.dataclass(slots=True)
class OpenOrders:
    """One listing of a venue's open orders, as ``ExchangeVenue.list_open_orders`` gives it."""

    changed: list[OrderReport]  # new or different since the last committed listing
    fingerprints: dict[Any, tuple]  # every listed order: venue id -> what its answer said
    client_ids: set[str]  # every listed order's client id, as the venue gives it
    raw: dict[Any, dict]  # every listed order's answer, by venue id
    parse: Callable[[Any, dict], OrderReport]  # (venue id, answer) -> report, cached by the adapter
    listings: dict[str | None, dict[Any, tuple]]  # what ``commit_listing`` records, per symbol asked

    def has(self, venue_order_id: str | None) -> bool:
        return venue_order_id in self.fingerprints

    def report(self, venue_order_id: str) -> OrderReport | None:
        """The listed order's report (parsed once, when its answer last changed)."""
        answer = self.raw.get(venue_order_id)
        return None if answer is None else self.parse(venue_order_id, answer)

    @classmethod
    def empty(cls) -> "OpenOrders":
        return cls([], {}, set(), {}, lambda key, answer: None, {})  # type: ignore[arg-type,return-value]

    def merge(self, other: "OpenOrders") -> "OpenOrders":
        return OpenOrders(self.changed + other.changed, {**self.fingerprints, **other.fingerprints},
                          self.client_ids | other.client_ids, {**self.raw, **other.raw}, other.parse,
                          {**self.listings, **other.listings})


class RateBudget:
    """Calls in the last minute against a capacity. Polling slows down as it runs low."""

    def __init__(self, capacity_per_minute: int):
        self.capacity = capacity_per_minute
        self._calls: deque[float] = deque()

    def spend(self, weight: int = 1) -> None:
        now = time.monotonic()
        for _ in range(weight):
            self._calls.append(now)

    def remaining(self) -> int:
        cutoff = time.monotonic() - 60.0
        while self._calls and self._calls[0] < cutoff:
            self._calls.popleft()
        return max(self.capacity - len(self._calls), 0)

    @property
    def fraction_left(self) -> float:
        return self.remaining() / self.capacity if self.capacity else 1.0

    def exhaust(self, seconds: float) -> None:
        """A 429: the venue says we spent it all. Count the budget as gone for ``seconds`` so polling slows."""
        now = time.monotonic() - 60.0 + seconds
        for _ in range(max(self.remaining(), 0)):
            self._calls.append(now)


def _d(value: Any) -> Decimal | None:
    return from_venue(value)


def _step(precision: Any, mode: int | None) -> Decimal:
    """A precision value as a step size. ccxt's TICK_SIZE mode (4) gives steps; DECIMAL_PLACES (2) gives digits."""
    value = _d(precision)
    if value is None:
        return Decimal("0.00000001")
    if mode == 2 or (value >= 1 and value == value.to_integral_value() and mode != 4):
        return Decimal(1).scaleb(-int(value))
    return value


class ExchangeVenue:
    """The workstation's view of one account on one exchange."""

    def __init__(self, name: str, exchange: Any, environment: str = "paper", account: str = "main",
                 rate_capacity: int = 1200, read_retries: int = 3):
        if environment not in ENVIRONMENTS:
            raise ValueError(f"environment {environment!r} is not one of {', '.join(ENVIRONMENTS)}")
        self.name = name
        self.exchange = exchange
        self.environment = environment
        self.account = account
        self.markets: dict[str, Market] = {}
        self.budget = RateBudget(rate_capacity)
        self.read_retries = read_retries
        self.connected = False
        self.last_error: str | None = None
        self.last_ok_ms: int | None = None
        self._venue_ids: dict[str, str] = {}
        self._report_cache: dict[Any, tuple[tuple, OrderReport]] = {}  # venue order id -> (raw fingerprint, report)
        self._open_listing: dict[str | None, dict[Any, tuple]] = {}  # symbol -> last committed listing's fingerprints
        self.auth_error: VenueError | None = None  # keys refused: private calls fail fast until reset_auth()
        self._auth_reported = False
        self._cooldown_until = 0.0  # monotonic: after a 429 every call waits, so nothing hammers the venue
        self.rate_limited_count = 0
        self._secure_exchange()

    def _secure_exchange(self) -> None:
        """Keys never reach a log; calls ccxt guards with a warning are acknowledged once, here."""
        ex = self.exchange
        for field in ("apiKey", "secret", "password", "uid", "privateKey", "walletAddress"):
            register_secret(getattr(ex, field, None))
        if hasattr(ex, "logger"):
            # ccxt logs every request at DEBUG with the signed URL and the key header; its logger is
            # per instance, so this account's gets a filter that scrubs both before any handler sees them.
            logger = logging.getLogger(f"workstation.venues.wire.{self.name}")
            if not any(isinstance(f, RedactingFilter) for f in logger.filters):
                logger.addFilter(RedactingFilter())
            ex.logger = logger
        options = getattr(ex, "options", None)
        if isinstance(options, dict) and isinstance(options.get("fetchOpenOrders"), dict):
            # binance refuses fetch_open_orders() without a symbol unless told we know it weighs more;
            # the reconciler makes one such call per refresh instead of one per symbol.
            options["fetchOpenOrders"]["warnWithoutSymbol"] = False

    # -- calls -----------------------------------------------------------------------------
    async def _call(self, operation: str, *args: Any, retry: bool = False, **kwargs: Any) -> Any:
        """One ccxt call, classified once. Reads (``retry``) are retried on transient errors and 429s with
        backoff and jitter; writes never are (the Desk decides, knowing whether the outcome is known).

        After a 429 every call on this account waits out a cool-off first, and the rate budget counts as
        spent, so the refresh loop slows down instead of earning a ban. Once the keys are refused, private
        calls fail at once with that error: no request, no retry loop, until ``reset_auth()``."""
        if self.auth_error is not None and operation not in PUBLIC_OPERATIONS:
            raise self.auth_error
        attempts = self.read_retries if retry else 1
        delay = 0.25
        for attempt in range(1, attempts + 1):
            wait = self._cooldown_until - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self.budget.spend()
            try:
                result = await getattr(self.exchange, operation)(*args, **kwargs)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - classified right here, once
                err = VenueError.from_exception(self.name, operation, exc)
                self.last_error = err.message
                if err.kind is ErrorKind.RATE_LIMITED:
                    self.rate_limited_count += 1
                    cool = min(delay * 4 * (2 ** (self.rate_limited_count - 1)), 30.0)
                    self._cooldown_until = max(self._cooldown_until, time.monotonic() + cool)
                    self.budget.exhaust(cool)
                elif err.kind is ErrorKind.AUTH and operation not in PUBLIC_OPERATIONS:
                    self.auth_error = err
                if attempt < attempts and err.kind in (ErrorKind.TRANSIENT, ErrorKind.RATE_LIMITED):
                    # backoff with jitter (a 429 also set the cool-off above, which the next try waits out)
                    await asyncio.sleep(delay * (0.5 + random.random()))
                    delay *= 2
                    continue
                # "from None": the original's text (a signed URL) must not come back through a traceback
                raise err from None
            self.connected = True
            self.last_error = None if self.auth_error is None else self.auth_error.message  # refused keys stay shown
            self.last_ok_ms = int(time.time() * 1000)
            if self.rate_limited_count and time.monotonic() > self._cooldown_until:
                self.rate_limited_count = 0
            return result
        raise AssertionError("unreachable")

    def take_auth_alert(self) -> VenueError | None:
        """The authentication failure, once: the Desk shows it to the trader a single time."""
        if self.auth_error is None or self._auth_reported:
            return None
        self._auth_reported = True
        return self.auth_error

    def reset_auth(self) -> None:
        """New keys were set: private calls may be tried again."""
        self.auth_error, self._auth_reported = None, False

    @property
    def status(self) -> str:
        """One word for the status bar: ok | auth_failed | rate_limited | error | connecting."""
        if self.auth_error is not None:
            return "auth_failed"
        if time.monotonic() < self._cooldown_until:
            return "rate_limited"
        if self.last_error:
            return "error"
        return "ok" if self.connected else "connecting"

    def rate_budget(self) -> tuple[int, int]:
        own = getattr(self.exchange, "rate_budget", None)
        if callable(own):
            remaining, capacity = own()
            return int(remaining), int(capacity)
        return self.budget.remaining(), self.budget.capacity

    def has(self, feature: str) -> bool:
        """ccxt's ``has`` (True or "emulated"), narrowed to this account: no positions without derivatives."""
        if feature in ("fetchPositions", "watchPositions") and self.markets and \
                not any(m.is_derivative for m in self.markets.values()):
            return False
        return bool(getattr(self.exchange, "has", {}).get(feature))

    # -- what the venue can do, per market type (exchange.features) ---------------------------------
    def _default_kind(self) -> tuple[str, bool]:
        """The market type this account mostly trades: its loaded markets, else ccxt's defaultType."""
        kinds = {(m.kind, m.settle is None or m.settle == m.quote) for m in self.markets.values()}
        if len(kinds) == 1:
            return next(iter(kinds))
        default = str((getattr(self.exchange, "options", None) or {}).get("defaultType") or "spot")
        return ("spot", True) if default in ("spot", "margin") else ("swap", default != "inverse")

    def features_for(self, kind: str | None = None, linear: bool = True) -> dict[str, Any]:
        """``exchange.features`` for one market type (spot, swap linear/inverse, future ...), or {}."""
        if kind is None:
            kind, linear = self._default_kind()
        features = getattr(self.exchange, "features", None) or {}
        section = features.get("spot") if kind == "spot" else (features.get(kind) or features.get("swap") or {})
        if isinstance(section, dict) and ("linear" in section or "inverse" in section):
            section = section.get("linear" if linear else "inverse") or {}
        return section if isinstance(section, dict) else {}

    def feature(self, method: str, key: str, symbol: str | None = None) -> Any:
        """One ``features`` value (e.g. ``feature("fetchClosedOrders", "daysBack")``) for a symbol's market type."""
        market = self.markets.get(symbol) if symbol else None
        section = self.features_for(market.kind, market.settle is None or market.settle == market.quote) \
            if market else self.features_for()
        entry = section.get(method)
        return entry.get(key) if isinstance(entry, dict) else None

    def symbol_required(self, method: str) -> bool:
        """Whether ``method`` (fetchOpenOrders, fetchMyTrades, ...) needs a symbol on this account."""
        return bool(self.feature(method, "symbolRequired"))

    def client_id_rule(self) -> tuple[str, int]:
        return CLIENT_ID_RULES.get(str(getattr(self.exchange, "id", "")), DEFAULT_CLIENT_ID_RULE)

    def venue_client_id(self, client_order_id: str) -> str:
        """Our client order id as the venue will see it; refused (parameter error) if the venue's format cannot hold it."""
        if self._trigger_only():
            return client_order_id
        chars, limit = self.client_id_rule()
        if not client_order_id or len(client_order_id) > limit or not re.fullmatch(f"{chars}+", client_order_id):
            raise VenueError(self.name, "create_order", ErrorKind.PARAMETER,
                             f"client order id {client_order_id!r} does not fit {self.exchange.id}'s format "
                             f"({chars} characters, at most {limit}); nothing was sent")
        return client_order_id

    # -- markets -----------------------------------------------------------------------------
    async def connect(self) -> dict[str, Market]:
        raw = await self._call("load_markets", retry=True)
        mode = getattr(self.exchange, "precisionMode", 4)
        self.markets = {symbol: self._market(m, mode) for symbol, m in raw.items()}
        return self.markets

    def _market(self, m: dict, mode: int | None) -> Market:
        limits = m.get("limits") or {}

        def lim(kind: str, end: str) -> Decimal | None:
            return _d((limits.get(kind) or {}).get(end))

        kind = "spot" if m.get("spot") else (m.get("type") or "swap")
        if kind == "margin":
            kind = "spot"
        return Market(
            venue=self.name,
            symbol=m["symbol"],
            base=m.get("base", ""),
            quote=m.get("quote", ""),
            kind=kind,
            settle=m.get("settle"),
            tick=_step((m.get("precision") or {}).get("price"), mode),
            lot=_step((m.get("precision") or {}).get("amount"), mode),
            min_amount=lim("amount", "min"),
            max_amount=lim("amount", "max"),
            min_price=lim("price", "min") or None,
            max_price=lim("price", "max") or None,
            min_cost=lim("cost", "min"),
            max_cost=lim("cost", "max"),
            contract_size=_d(m.get("contractSize")) or Decimal(1),
            maker_fee=_d(m.get("maker")) or ZERO,
            taker_fee=_d(m.get("taker")) or ZERO,
            max_leverage=lim("leverage", "max"),
            active=m.get("active") is not False,
            capabilities=self.capabilities(kind, bool(m.get("linear", True))),
        )

    def capabilities(self, kind: str = "spot", linear: bool = True) -> frozenset[str]:
        """What the venue can do natively for this market type, from ``features`` and ``has``."""
        create = self.features_for(kind, linear).get("createOrder") or {}
        caps = {"market", "limit"}
        tif = create.get("timeInForce") or {}
        caps.update(name for name in ("IOC", "FOK") if tif.get(name))
        if tif.get("PO") or create.get("postOnly"):
            caps.add("post_only")
        if create.get("triggerPrice"):
            caps.update({"stop_market", "stop_limit"})
        if create.get("takeProfitPrice") or create.get("triggerPrice"):
            caps.update({"take_profit_market", "take_profit_limit"})
        if create.get("trailing"):
            caps.add("trailing_stop")
        if kind != "spot":
            caps.add("reduce_only")
        if create.get("marketBuyRequiresPrice"):
            caps.add("market_buy_requires_price")
        for flag, cap in (("editOrder", "edit_order"), ("watchOrderBook", "watch_order_book"),
                          ("watchOrders", "watch_orders"), ("watchMyTrades", "watch_my_trades"),
                          ("cancelAllOrders", "cancel_all_orders")):
            if self.has(flag):
                caps.add(cap)
        return frozenset(caps)

    # -- market data -------------------------------------------------------------------------
    def _book(self, symbol: str, raw: dict) -> Book:
        def side(levels: list) -> tuple[tuple[Decimal, Decimal], ...]:
            return tuple((Decimal(str(level[0])), Decimal(str(level[1]))) for level in levels)

        return Book(symbol, side(raw.get("bids") or []), side(raw.get("asks") or []),
                    int(raw.get("timestamp") or 0), self.name)

    async def fetch_book(self, symbol: str, depth: int = 25) -> Book:
        return self._book(symbol, await self._call("fetch_order_book", symbol, depth, retry=True))

    async def watch_book(self, symbol: str, depth: int = 25) -> Book:
        return self._book(symbol, await self._call("watch_order_book", symbol, depth))

    def stream_heard_ms(self) -> int | None:
        """When any websocket of this account last heard from the venue (a message or a pong), epoch ms;
        None when the venue's client does not say (a calm book is then confirmed by a REST snapshot)."""
        clients = getattr(self.exchange, "clients", None)
        if not isinstance(clients, dict):
            return None
        heard = [t for client in clients.values()
                 for t in (getattr(client, "last_message_at", None), getattr(client, "lastPong", None))
                 if isinstance(t, (int, float))]
        return int(max(heard)) if heard else None

    async def fetch_ticker(self, symbol: str) -> dict[str, Decimal | None]:
        raw = await self._call("fetch_ticker", symbol, retry=True)
        info = raw.get("info") or {}
        return {key: _d(raw.get(key)) for key in ("last", "bid", "ask", "high", "low", "baseVolume")} | {
            "mark": _d(raw.get("markPrice") or (info.get("markPrice") if isinstance(info, dict) else None))}

    async def fetch_candles(self, symbol: str, timeframe: str = "1m", limit: int = 120) -> list[tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal]]:
        raw = await self._call("fetch_ohlcv", symbol, timeframe, None, limit, retry=True)
        return [(int(c[0]), *(Decimal(str(v)) for v in c[1:6])) for c in raw]

    async def fetch_trades(self, symbol: str, limit: int = 50) -> list[dict[str, Any]]:
        raw = await self._call("fetch_trades", symbol, None, limit, retry=True)
        return [{"time_ms": int(t.get("timestamp") or 0), "side": t.get("side"), "price": _d(t.get("price")),
                 "amount": _d(t.get("amount")), "id": t.get("id")} for t in raw]

    # -- orders ------------------------------------------------------------------------------
    def order_params(self, order: Order) -> tuple[str, str, str, Decimal, Decimal | None, dict[str, Any]]:
        """The unified create_order arguments for an order, our client order id always set."""
        spec = order.spec
        params: dict[str, Any] = {"clientOrderId": order.client_order_id}
        price = spec.price
        market = self.markets.get(spec.symbol)
        if price is not None and market is not None and not self._trigger_only():
            # ccxt's price_to_precision ROUNDs (25000.005 goes out as 25000.01): round to the tick first,
            # towards the trader (a buy never up past their price, a sell never down).
            price = market.round_price(price, spec.side)
        ccxt_type = "limit" if spec.type.has_limit_price else "market"
        if spec.type is OrderType.LIMIT:
            if spec.time_in_force is not TimeInForce.GTC:
                params["timeInForce"] = spec.time_in_force.value
            if spec.post_only:
                params["postOnly"] = True
        if spec.type in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT):
            params["triggerPrice"] = spec.trigger_price
        if spec.type in (OrderType.TAKE_PROFIT_MARKET, OrderType.TAKE_PROFIT_LIMIT):
            native_tp = market is not None and "take_profit_market" in market.capabilities
            params["takeProfitPrice" if native_tp and not self._trigger_only() else "triggerPrice"] = spec.trigger_price
        if spec.type is OrderType.TRAILING_STOP:
            if spec.trailing_percent is not None:
                params["trailingPercent"] = spec.trailing_percent
            else:
                params["trailingAmount"] = spec.trailing_amount
            if spec.trigger_price is not None:
                params["trailingTriggerPrice"] = spec.trigger_price
        if spec.reduce_only:
            params["reduceOnly"] = True
        return spec.symbol, ccxt_type, spec.side.value, spec.amount, price, params

    def _trigger_only(self) -> bool:
        return getattr(self.exchange, "id", "") == "paper"

    def check_order(self, order: Order) -> list[str]:
        """Everything that stops this order before it is sent: the market's precision and limits (ccxt
        checks none of them), the market being active, and flags the venue cannot do. Empty = send."""
        spec = order.spec
        market = self.markets.get(spec.symbol)
        if market is None:
            return [f"{spec.symbol} is not a market on {self.name} (markets not loaded, or a wrong symbol)"]
        problems = [str(p) for p in market.check(spec)]
        caps = market.capabilities
        if caps and not self._trigger_only():
            wants = [(spec.time_in_force.value in ("IOC", "FOK"), spec.time_in_force.value),
                     (spec.post_only, "post_only"), (spec.reduce_only, "reduce_only")]
            problems += [f"unsupported: {self.name} has no {flag.replace('_', '-')} for {spec.symbol}"
                         for wanted, flag in wants if wanted and flag not in caps]
            if spec.type.has_trigger and spec.type.value not in caps:
                problems.append(f"unsupported: {self.name} has no native {spec.type.value.replace('_', '-')} "
                                f"for {spec.symbol}; it must be held locally (emulated)")
            if spec.type is OrderType.MARKET and spec.side is Side.BUY and "market_buy_requires_price" in caps \
                    and spec.price is None:
                problems.append(f"{self.name} needs a price for a market buy (to size its cost)")
        return problems

    async def create_order(self, order: Order) -> OrderReport:
        problems = self.check_order(order)
        if problems:
            raise VenueError(self.name, "create_order", ErrorKind.PARAMETER,
                             "refused before sending: " + "; ".join(problems))
        symbol, ccxt_type, side, amount, price, params = self.order_params(order)
        params["clientOrderId"] = self.venue_client_id(order.client_order_id)
        raw = await self._call("create_order", symbol, ccxt_type, side, self._num(amount),
                               None if price is None else self._num(price), self._params(params))
        report = self.order_report(raw, fallback_client_id=order.client_order_id, client_id=order.client_order_id)
        if report.venue_order_id:
            self.remember(report.venue_order_id, order.client_order_id)
        return report

    def _num(self, value: Decimal) -> Any:
        """Paper takes Decimal; ccxt takes floats or numeric strings. A string keeps every digit."""
        return value if self._trigger_only() else str(value)

    def _params(self, params: dict[str, Any]) -> dict[str, Any]:
        return {k: (self._num(v) if isinstance(v, Decimal) else v) for k, v in params.items()}

    async def cancel_order(self, order: Order) -> OrderReport | None:
        params = {} if order.venue_order_id else {"clientOrderId": order.client_order_id}
        raw = await self._call("cancel_order", order.venue_order_id, order.symbol, params)
        if not raw or not raw.get("status"):
            return None  # some venues answer a cancel with an empty body: poll for the truth
        # Binance answers a cancel with the *cancel request's* own clientOrderId (the order's is only in
        # info.origClientOrderId): the order we asked to cancel is ours, whatever the answer says.
        return self.order_report(raw, fallback_client_id=order.client_order_id, client_id=order.client_order_id)

    async def cancel_unknown(self, report: OrderReport) -> None:
        """Cancel an open order that is not ours (found by the kill switch's last look at the venue)."""
        await self._call("cancel_order", report.venue_order_id, report.symbol, {})

    async def cancel_all_orders(self, symbol: str | None = None) -> list[OrderReport]:
        """Every open order (on one symbol, or all where the venue allows none): the kill switch's first call."""
        raw = await self._call("cancel_all_orders", symbol)
        return self._reports(raw if isinstance(raw, list) else [])

    def modifies_in_place(self, symbol: str | None = None) -> bool:
        """True where the venue amends an order in place: same venue id, same client id, the amount is the
        order's total (already filled included), and the venue refuses an amount below what filled. Elsewhere
        (Binance spot's cancelReplace creates a new order for the quantity sent; ccxt's emulated edit is a
        cancel then a create) the Desk cancels, reads the final filled amount, and replaces the rest itself."""
        if not self.has("editOrder") or getattr(self.exchange, "has", {}).get("editOrder") == "emulated":
            return False
        declared = getattr(self.exchange, "modify_semantics", None)
        if declared is not None:
            return declared == "amend"
        market = self.markets.get(symbol) if symbol else None
        kind = market.kind if market is not None else self._default_kind()[0]
        return (str(getattr(self.exchange, "id", "")), "spot" if kind == "spot" else "contract") in AMENDS_IN_PLACE

    async def edit_order(self, order: Order, amount: Decimal | None, price: Decimal | None) -> OrderReport:
        """Amend in place (see ``modifies_in_place``): ``amount`` is the order's new total."""
        symbol, ccxt_type, side, old_amount, old_price, params = self.order_params(order)
        params.pop("clientOrderId", None)
        raw = await self._call("edit_order", order.venue_order_id, symbol, ccxt_type, side,
                               self._num(amount if amount is not None else old_amount),
                               None if (price or old_price) is None else self._num(price or old_price),
                               self._params(params))
        report = self.order_report(raw, fallback_client_id=order.client_order_id, client_id=order.client_order_id)
        if report.venue_order_id:  # an amend may give the order a new venue id (binance cancelReplace)
            self.remember(report.venue_order_id, order.client_order_id)
        return report

    async def find_order(self, client_order_id: str, symbol: str, venue_order_id: str | None = None,
                         amount: Decimal | None = None) -> OrderReport | None:
        """Look an order up by our id, cheapest first: fetch_order, open orders, closed orders, my trades.

        Each step only where ``has`` says the venue can and ``features`` allows it (a symbol where one is
        required; closed orders within ``daysBack``). None = not found now (never a reason to re-send).
        A step that is not possible is skipped; a step that fails with anything but "not found" raises,
        because a failing look-up proves nothing."""
        if self.has("fetchOrder"):
            try:
                params = {} if venue_order_id else {"clientOrderId": client_order_id}
                raw = await self._call("fetch_order", venue_order_id, symbol, params, retry=True)
                if raw:
                    return self.order_report(raw, fallback_client_id=client_order_id, client_id=client_order_id)
            except VenueError as err:
                if err.kind not in (ErrorKind.NOT_FOUND, ErrorKind.PARAMETER):
                    raise
        for method, flag in _LOOKUPS:
            if not self.has(flag) or (symbol is None and self.symbol_required(flag)):
                continue
            since = None
            days = self.feature(flag, "daysBack", symbol) if flag == "fetchClosedOrders" else None
            if days:
                since = int(time.time() * 1000) - int(days) * 86_400_000
            for report in self._reports(await self._call(method, symbol, since, None, {}, retry=True)):
                if report.client_order_id == client_order_id or (venue_order_id and report.venue_order_id == venue_order_id):
                    return self.order_report_for(report, client_order_id)
        if self.has("fetchMyTrades") and not (symbol is None and self.symbol_required("fetchMyTrades")):
            fills = [f for f in await self.fetch_my_trades(symbol)
                     if f.client_order_id == client_order_id or (venue_order_id and f.venue_order_id == venue_order_id)]
            if fills:
                filled = sum((f.amount for f in fills), ZERO)
                value = sum((f.amount * f.price for f in fills), ZERO)
                done = amount is not None and filled >= amount
                return OrderReport(
                    venue=self.name, symbol=fills[0].symbol, venue_order_id=fills[0].venue_order_id,
                    client_order_id=client_order_id, side=fills[0].side, type=None,
                    status=OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED, amount=amount,
                    filled=filled, price=None, trigger_price=None, average=value / filled if filled else None,
                    timestamp_ms=min(f.timestamp_ms for f in fills), raw_status="from_trades")
        return None

    def order_report_for(self, report: OrderReport, client_order_id: str) -> OrderReport:
        """A report found by our id carries our id (whatever the venue put in its clientOrderId field)."""
        if report.client_order_id == client_order_id:
            return report
        return dataclasses.replace(report, client_order_id=client_order_id)

    async def list_open_orders(self, symbol: str | None = None) -> "OpenOrders":
        """The venue's open orders as a difference from the last listing the caller committed: reports only
        for the orders that are new or changed since, and the ids of every order listed. Reconciling 10,000
        resting orders then parses nothing for the ones that did not change (their fingerprints are taken
        and compared in bulk). Call ``commit_listing`` once the listing has been
        acted on; until then the same changes are reported again (a refresh that failed half way must not
        lose them)."""
        raw = await self._call("fetch_open_orders", symbol, None, None, {}, retry=True) or []
        try:
            ids = list(map(_ID, raw))
            fingerprints = dict(zip(ids, map(_FINGERPRINT, raw)))
        except KeyError:  # not every key present: the slow, tolerant way
            ids = [o.get("id") for o in raw]
            fingerprints = {o.get("id"): tuple(o.get(k) for k in _FINGERPRINT_KEYS) for o in raw}
        answers = dict(zip(ids, raw))
        before = (self._open_listing.get(symbol) or {}).get
        changed = [self._parsed(key, answers[key], fingerprint)
                   for key, fingerprint in fingerprints.items() if before(key) != fingerprint]
        if len(self._report_cache) > max(100_000, 2 * len(fingerprints)):
            self._report_cache = {k: v for k, v in self._report_cache.items() if k in fingerprints}
        client_ids = set(map(_CLIENT_ID, raw))
        client_ids.discard(None)
        return OpenOrders(changed, fingerprints, client_ids, answers, self._parsed, {symbol: fingerprints})

    def _parsed(self, key: Any, answer: dict, fingerprint: tuple | None = None) -> OrderReport:
        """An order answer as a report, parsed again only when its fingerprint changed."""
        if fingerprint is None:
            try:
                fingerprint = _FINGERPRINT(answer)
            except KeyError:
                fingerprint = tuple(answer.get(k) for k in _FINGERPRINT_KEYS)
        hit = self._report_cache.get(key)
        if hit is None or hit[0] != fingerprint:
            hit = self._report_cache[key] = (fingerprint, self.order_report(answer))
        return hit[1]

    def commit_listing(self, listing: "OpenOrders") -> None:
        """The caller acted on this listing: the next one reports what changed since."""
        self._open_listing.update(listing.listings)

    async def fetch_open_orders(self, symbol: str | None = None) -> list[OrderReport]:
        return self._reports(await self._call("fetch_open_orders", symbol, None, None, {}, retry=True))

    async def fetch_my_trades(self, symbol: str | None = None, since_ms: int | None = None) -> list[Fill]:
        return [self.fill(t) for t in await self._call("fetch_my_trades", symbol, since_ms, None, {}, retry=True)]

    async def watch_orders(self) -> list[OrderReport]:
        return self._reports(await self._call("watch_orders"))

    async def watch_my_trades(self) -> list[Fill]:
        return [self.fill(t) for t in await self._call("watch_my_trades")]

    async def fetch_balance(self) -> dict[str, Balance]:
        raw = await self._call("fetch_balance", retry=True)
        out: dict[str, Balance] = {}
        for currency, total in (raw.get("total") or {}).items():
            free, used = (raw.get("free") or {}).get(currency), (raw.get("used") or {}).get(currency)
            out[currency] = Balance(currency, _d(free) or ZERO, _d(used) or ZERO, _d(total) or ZERO)
        return out

    async def fetch_positions(self) -> dict[str, VenuePositionInfo]:
        """Open derivatives positions by symbol. Size in base units (contracts x contract size), short < 0.

        Binance's v3 positionRisk no longer reports leverage (v2 did): leverage stays None there unless
        the position carries it; the risk gate then uses its own leverage limit."""
        if not self.has("fetchPositions"):
            return {}
        out: dict[str, VenuePositionInfo] = {}
        for p in await self._call("fetch_positions", None, retry=True):
            contracts = _d(p.get("contracts")) or ZERO
            if not contracts:
                continue
            size = contracts * (_d(p.get("contractSize")) or Decimal(1))
            if p.get("side") == "short":
                size = -abs(size)
            out[p["symbol"]] = VenuePositionInfo(
                size=size, entry_price=_d(p.get("entryPrice")), mark_price=_d(p.get("markPrice")),
                leverage=_d(p.get("leverage")), margin=_d(p.get("initialMargin") or p.get("collateral")),
                liquidation_price=_d(p.get("liquidationPrice")), unrealized_pnl=_d(p.get("unrealizedPnl")))
        return out

    async def fetch_leverages(self, symbols: list[str]) -> dict[str, Decimal]:
        """The account's leverage setting per derivatives symbol, as the venue holds it now (the higher of the
        long and short settings). Symbols the venue cannot tell about are left out."""
        symbols = [s for s in symbols if s in self.markets and self.markets[s].is_derivative]
        if not symbols:
            return {}
        raw: dict[str, Any] = {}
        if self.has("fetchLeverages"):
            raw = await self._call("fetch_leverages", symbols, retry=True) or {}
        elif self.has("fetchLeverage"):
            for symbol in symbols:
                raw[symbol] = await self._call("fetch_leverage", symbol, retry=True)
        out = {}
        for symbol, entry in raw.items():
            if not isinstance(entry, dict):
                continue
            values = [v for v in (_d(entry.get("longLeverage")), _d(entry.get("shortLeverage")),
                                  _d(entry.get("leverage"))) if v is not None]
            if values:
                out[entry.get("symbol") or symbol] = max(values)
        return out

    async def fetch_position_mode(self, symbol: str) -> str | None:
        """"hedged" (separate long and short positions) or "one-way"; None where the venue cannot say."""
        if not self.has("fetchPositionMode"):
            return None
        raw = await self._call("fetch_position_mode", symbol, retry=True) or {}
        hedged = raw.get("hedged")
        return None if hedged is None else "hedged" if hedged else "one-way"

    async def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        await self._call("set_leverage", int(leverage), symbol)

    async def close(self) -> None:
        closer = getattr(self.exchange, "close", None)
        if closer is not None:
            await closer()

    # -- parsing -----------------------------------------------------------------------------
    def _reports(self, raw: list[dict]) -> list[OrderReport]:
        """Parse a list of ccxt orders, reusing the last report for an order whose answer has not changed."""
        return [self._parsed(o["id"], o) if o.get("id") is not None else self.order_report(o) for o in raw or []]

    def order_report(self, raw: dict, fallback_client_id: str | None = None, client_id: str | None = None) -> OrderReport:
        """A ccxt order as an OrderReport. ``client_id`` (we know whose order this is) beats anything in
        the answer; then the id we sent for this venue id; then ``info.origClientOrderId`` (Binance's cancel
        answers carry the cancel's own id as clientOrderId); then the answer's clientOrderId."""
        filled = _d(raw.get("filled"))
        raw_status = raw.get("status")
        status = _STATUS.get(raw_status or "", OrderStatus.OPEN)
        if status is OrderStatus.OPEN and filled:
            status = OrderStatus.PARTIALLY_FILLED
        venue_id = None if raw.get("id") is None else str(raw["id"])
        info = raw.get("info") if isinstance(raw.get("info"), dict) else {}
        client_id = (client_id or (self._venue_ids.get(venue_id) if venue_id else None)
                     or info.get("origClientOrderId") or raw.get("clientOrderId") or fallback_client_id)
        side = raw.get("side")
        return OrderReport(
            venue=self.name, symbol=raw.get("symbol") or "", venue_order_id=venue_id, client_order_id=client_id,
            side=Side(side) if side in ("buy", "sell") else None,
            type=_TYPES.get(str(raw.get("type") or "").lower()),
            status=status, amount=_d(raw.get("amount")), filled=filled, price=_d(raw.get("price")),
            trigger_price=_d(raw.get("triggerPrice")), average=_d(raw.get("average")),
            timestamp_ms=raw.get("timestamp"), raw_status=raw_status,
        )

    def fill(self, t: dict) -> Fill:
        fee = t.get("fee") or {}
        venue_order_id = None if t.get("order") is None else str(t["order"])
        info = t.get("info") if isinstance(t.get("info"), dict) else {}
        client_id = (self._venue_ids.get(venue_order_id, "") if venue_order_id else "") or \
            t.get("clientOrderId") or info.get("clientOrderId") or info.get("c")
        return Fill(
            venue=self.name, trade_id=str(t["id"]), client_order_id=client_id or "", venue_order_id=venue_order_id,
            symbol=t["symbol"], side=Side(t["side"]), price=Decimal(str(t["price"])), amount=Decimal(str(t["amount"])),
            fee=_d(fee.get("cost")) or ZERO, fee_currency=fee.get("currency") or "",
            liquidity=t.get("takerOrMaker"), timestamp_ms=int(t.get("timestamp") or 0),
        )

    def remember(self, venue_order_id: str, client_order_id: str) -> None:
        self._venue_ids[venue_order_id] = client_order_id
        self._report_cache.pop(venue_order_id, None)  # a cached report may carry the id we knew before
