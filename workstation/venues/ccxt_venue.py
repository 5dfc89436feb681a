"""One adapter over any exchange that speaks ccxt's unified API: a ccxt.pro instance or the paper exchange.

This is the boundary. Everything that crosses it is converted: floats to Decimal (via str),
ccxt structures to domain types, ccxt exceptions to VenueError with a kind. Above this file
nobody sees a ccxt dict.
"""

from __future__ import annotations

import asyncio
import contextvars
import decimal
import logging
import random
import time
from decimal import Decimal
from typing import Any

from ..domain.book import Book
from ..domain.market import Market
from ..domain.money import ZERO, from_venue
from ..domain.orders import Fill, Order, OrderStatus
from ..domain.positions import VenuePositionInfo
from ..domain.reports import Balance, OrderReport
from .ccxt_markets import MarketRules
from .ccxt_orders import OrderBuilding
from .ccxt_account import AccountReads
from .ccxt_parse import _FINGERPRINT, _FINGERPRINT_KEYS, _CLIENT_ID, _ID, OpenOrders, ReportParsing
from .errors import ErrorKind, RedactingFilter, VenueError, register_secret
from .rate import RateBudget
from .venue_rules import AMEND, apply_error_codes, apply_options, rules_for

__all__ = ["ENVIRONMENTS", "PUBLIC_OPERATIONS", "ExchangeVenue", "OpenOrders", "RateBudget"]

ENVIRONMENTS = ("paper", "testnet", "demo", "live")

# Calls that need no keys: they keep working (the book, the chart) while an account's keys are refused.
PUBLIC_OPERATIONS = frozenset({"load_markets", "fetch_order_book", "watch_order_book", "fetch_ticker",
                               "fetch_ohlcv", "fetch_trades", "fetch_time", "fetch_status"})

# The look-up chain for one order (fetch_order, then these, then my trades): ccxt method, its ``has`` and
# ``features`` key.
_LOOKUPS = (("fetch_open_orders", "fetchOpenOrders"), ("fetch_closed_orders", "fetchClosedOrders"))


_METERED: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("metered", default=None)


def _d(value: Any) -> Decimal | None:
    return from_venue(value)


class ExchangeVenue(MarketRules, OrderBuilding, ReportParsing, AccountReads):
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
        self._venue_ids: dict[str, str] = {}  # venue order id -> our client order id
        self._report_cache: dict[Any, tuple[tuple, OrderReport]] = {}  # venue order id -> (raw fingerprint, report)
        self._open_listing: dict[str | None, dict[Any, tuple]] = {}  # symbol -> last committed listing's fingerprints
        self.rules = rules_for(str(getattr(exchange, "id", "")))
        self.client_ids = self.rules.client_id
        apply_error_codes(exchange, self.rules)
        apply_options(exchange, self.rules)
        self.auth_error: VenueError | None = None  # keys refused: private calls fail fast until reset_auth()
        self._auth_reported = False
        self._cooldown_until = 0.0  # monotonic: after a 429 every call waits, so nothing hammers the venue
        self.rate_limited_count = 0
        # what each call costs in ccxt's rate-limit units, as measured on its last run: (operation, with a
        # symbol) -> cost. The refresh planner prices a refresh with it (desk/refresh_plan.py).
        self.call_costs: dict[tuple[str, bool], float] = {}
        self._secure_exchange()
        self._meter_requests()

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

    def _meter_requests(self) -> None:
        """Every HTTP request spends its ccxt cost (the weight ccxt's own limiter charges) from the budget."""
        ex = self.exchange
        fetch2, cost_of = getattr(ex, "fetch2", None), getattr(ex, "calculate_rate_limiter_cost", None)
        if fetch2 is None or cost_of is None:
            return

        async def metered_fetch2(path, api="public", method="GET", params=None, config=None, *rest, **kw):
            try:
                cost = float(cost_of(api, method, path, params or {}, config or {}) or 1)
            except Exception:  # noqa: BLE001 - an odd config must not stop the request
                cost = 1.0
            self.budget.spend(cost)
            metered = _METERED.get()
            if metered is not None:
                metered.append(cost)
            return await fetch2(path, api, method, params or {}, config or {}, *rest, **kw)

        ex.fetch2 = metered_fetch2

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
        args = self.venue_args(operation, args)
        delay = 0.25
        for attempt in range(1, attempts + 1):
            wait = self._cooldown_until - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            metered: list[float] | None = [] if hasattr(self.exchange, "fetch2") else None
            _METERED.set(metered)  # per task: concurrent calls each count their own requests
            if metered is None:
                self.budget.spend()  # the paper exchange: one unit a call
            try:
                # ccxt's decimal_to_precision sets the decimal context's rounding to half-up and leaves it
                # there: a context of the call's own keeps that from reaching every Decimal in the process
                with decimal.localcontext():
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
            if metered:
                self.call_costs[(operation, bool(args and isinstance(args[0], str)))] = sum(metered)
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

    # -- markets -----------------------------------------------------------------------------
    async def connect(self) -> dict[str, Market]:
        raw = await self._call("load_markets", retry=True)
        mode = getattr(self.exchange, "precisionMode", 4)
        self.markets = {symbol: self._market(m, mode) for symbol, m in raw.items()}
        return self.markets

    # -- market data -------------------------------------------------------------------------
    def _book(self, symbol: str, raw: dict) -> Book:
        def side(levels: list) -> tuple[tuple[Decimal, Decimal], ...]:
            return tuple((Decimal(str(level[0])), Decimal(str(level[1]))) for level in levels)

        return Book(symbol, side(raw.get("bids") or []), side(raw.get("asks") or []),
                    int(raw.get("timestamp") or 0), self.name)

    async def fetch_book(self, symbol: str, depth: int = 25) -> Book:
        return self._book(symbol, await self._call("fetch_order_book", symbol, depth, retry=True))

    async def watch_book(self, symbol: str, depth: int = 25) -> Book:
        """The streamed book, ``depth`` levels a side. A venue that streams fixed depths only (Bybit: 1, 50, 200,
        1000) is asked for the next one up and the book is cut to ``depth``: asking for 25 there is refused, and
        the book would fall back to polling for good."""
        allowed = self.rules.watch_depths
        asked = min((d for d in allowed if d >= depth), default=max(allowed)) if allowed else depth
        book = self._book(symbol, await self._call("watch_order_book", symbol, asked))
        if asked == depth:
            return book
        return Book(book.symbol, book.bids[:depth], book.asks[:depth], book.timestamp_ms, book.venue)

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
    async def create_order(self, order: Order) -> OrderReport:
        problems = self.check_order(order)
        if problems:
            raise VenueError(self.name, "create_order", ErrorKind.PARAMETER,
                             "refused before sending: " + "; ".join(problems))
        symbol, ccxt_type, side, amount, price, params = self.order_params(order)
        self.venue_client_id(order.client_order_id)  # refused here if the venue's format cannot hold it
        raw = await self._call("create_order", symbol, ccxt_type, side, self._num(amount),
                               None if price is None else self._num(price), self._params(params))
        report = self.order_report(raw, fallback_client_id=order.client_order_id, client_id=order.client_order_id)
        if report.venue_order_id:
            self.remember(report.venue_order_id, order.client_order_id)
        return report

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
        try:
            raw = await self._call("cancel_all_orders", symbol)
        except VenueError as err:
            if err.kind is ErrorKind.NOT_FOUND:
                return []  # Binance answers "Unknown order sent." (-2011) when nothing is open: nothing to cancel
            raise
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
        exchange_id = str(getattr(self.exchange, "id", ""))
        market = self.markets.get(symbol) if symbol else None
        kind = market.kind if market is not None else self._default_kind()[0]
        if exchange_id == "binance" and kind != "spot":
            return True  # Binance's futures amend in place (PUT /fapi/v1/order); its spot replaces
        return rules_for(exchange_id).amend == AMEND

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

    async def order_by_venue_id(self, venue_order_id: str, symbol: str) -> OrderReport | None:
        """The venue's order with this id, its client id as the venue gives it (whose order is this?); None
        when the venue cannot look an order up by id or does not know it."""
        if not self.has("fetchOrder"):
            return None
        try:
            raw = await self._call("fetch_order", venue_order_id, symbol, {}, retry=True)
        except VenueError as err:
            if err.kind in (ErrorKind.NOT_FOUND, ErrorKind.PARAMETER):
                return None
            raise
        return self.order_report(raw) if raw else None

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

    async def list_open_orders(self, symbol: str | None = None) -> "OpenOrders":
        """The venue's open orders as a difference from the last listing the caller committed: reports only
        for the orders that are new or changed since, and the ids of every order listed. Reconciling 10,000
        resting orders then parses nothing for the ones that did not change (their fingerprints are taken
        and compared in bulk). Call ``commit_listing`` once the listing has been
        acted on; until then the same changes are reported again (a refresh that failed half way must not
        lose them)."""
        raw: list[dict] = []
        for params in self._kind_params("fetch_open_orders", symbol):  # Bybit, Gate: one market kind a call
            raw += await self._call("fetch_open_orders", symbol, None, None, params, retry=True) or []
        try:
            ids = list(map(_ID, raw))
            fingerprints = dict(zip(ids, map(_FINGERPRINT, raw)))
            client_ids = {fingerprint[-1] for fingerprint in fingerprints.values()}  # the client id is the last
        except KeyError:  # not every key present: the slow, tolerant way
            ids = [o.get("id") for o in raw]
            fingerprints = {o.get("id"): tuple(o.get(k) for k in _FINGERPRINT_KEYS) for o in raw}
            client_ids = set(map(_CLIENT_ID, raw))
        answers = dict(zip(ids, raw))
        before = (self._open_listing.get(symbol) or {}).get
        changed = [self._parsed(key, answers[key], fingerprint)
                   for key, fingerprint in fingerprints.items() if before(key) != fingerprint]
        if len(self._report_cache) > max(100_000, 2 * len(fingerprints)):
            self._report_cache = {k: v for k, v in self._report_cache.items() if k in fingerprints}
        client_ids.discard(None)
        return OpenOrders(changed, fingerprints, client_ids, answers, self._parsed, {symbol: fingerprints})

    def commit_listing(self, listing: "OpenOrders") -> None:
        """The caller acted on this listing: the next one reports what changed since."""
        self._open_listing.update(listing.listings)

    def _kind_params(self, operation: str, symbol: str | None) -> list[dict[str, Any]]:
        """One params dict per call a "without symbol" listing needs: one per market kind where the venue lists
        one kind per call (``list_per_kind``), else a single call."""
        if symbol is not None or operation not in self.rules.list_per_kind:
            return [{}]
        kinds = sorted({m.kind for m in self.markets.values()})
        return [{"type": kind} for kind in kinds] if len(kinds) > 1 else [{}]

    async def fetch_open_orders(self, symbol: str | None = None) -> list[OrderReport]:
        raw: list[dict] = []
        for params in self._kind_params("fetch_open_orders", symbol):
            raw += await self._call("fetch_open_orders", symbol, None, None, params, retry=True)
        return self._reports(raw)

    async def fetch_my_trades(self, symbol: str | None = None, since_ms: int | None = None) -> list[Fill]:
        raw: list[dict] = []
        for params in self._kind_params("fetch_my_trades", symbol):
            raw += await self._call("fetch_my_trades", symbol, since_ms, None, params, retry=True)
        return [self.fill(t) for t in raw]

    async def watch_orders(self) -> list[OrderReport]:
        return self._reports(await self._call("watch_orders"))

    async def watch_my_trades(self) -> list[Fill]:
        return [self.fill(t) for t in await self._call("watch_my_trades")]

    async def fetch_balance(self) -> dict[str, Balance]:
        return self.balances(await self._call("fetch_balance", retry=True))

    async def fetch_positions(self) -> dict[str, VenuePositionInfo]:
        """Open derivatives positions by symbol (see ``ReportParsing.positions``)."""
        if not self.has("fetchPositions"):
            return {}
        return self.positions(await self._call("fetch_positions", None, retry=True))

    async def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        await self._call("set_leverage", int(leverage), symbol)

    async def close(self) -> None:
        closer = getattr(self.exchange, "close", None)
        if closer is not None:
            await closer()
