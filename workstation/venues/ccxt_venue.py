"""One adapter over any exchange that speaks ccxt's unified API: a ccxt.pro instance or the paper exchange.

This is the boundary. Everything that crosses it is converted: floats to Decimal (via str),
ccxt structures to domain types, ccxt exceptions to VenueError with a kind. Above this file
nobody sees a ccxt dict.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from decimal import Decimal
from typing import Any

from ..domain.book import Book
from ..domain.market import Market
from ..domain.money import ZERO, from_venue
from ..domain.orders import Fill, Order, OrderStatus, OrderType, Side, TimeInForce
from ..domain.positions import VenuePositionInfo
from ..domain.reports import Balance, OrderReport
from .errors import ErrorKind, VenueError

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

ENVIRONMENTS = ("paper", "testnet", "demo", "live")


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
        self._venue_ids: dict[str, str] = {}  # venue order id -> our client order id

    # -- calls -----------------------------------------------------------------------------
    async def _call(self, operation: str, *args: Any, retry: bool = False, **kwargs: Any) -> Any:
        attempts = self.read_retries if retry else 1
        delay = 0.2
        for attempt in range(1, attempts + 1):
            self.budget.spend()
            try:
                result = await getattr(self.exchange, operation)(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - classified right here, once
                err = VenueError.from_exception(self.name, operation, exc)
                self.last_error = err.message
                if attempt < attempts and err.kind in (ErrorKind.TRANSIENT, ErrorKind.RATE_LIMITED):
                    # backoff with jitter, longer after a 429 so we never earn a ban
                    pause = delay * (4 if err.kind is ErrorKind.RATE_LIMITED else 1)
                    await asyncio.sleep(pause * (0.5 + random.random()))
                    delay *= 2
                    continue
                raise err from exc
            self.connected = True
            self.last_error = None
            self.last_ok_ms = int(time.time() * 1000)
            return result
        raise AssertionError("unreachable")

    def rate_budget(self) -> tuple[int, int]:
        own = getattr(self.exchange, "rate_budget", None)
        if callable(own):
            remaining, capacity = own()
            return int(remaining), int(capacity)
        return self.budget.remaining(), self.budget.capacity

    def has(self, feature: str) -> bool:
        return bool(getattr(self.exchange, "has", {}).get(feature))

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
        features = getattr(self.exchange, "features", None) or {}
        section = features.get("spot") if kind == "spot" else (features.get(kind) or features.get("swap") or {})
        if isinstance(section, dict) and ("linear" in section or "inverse" in section):
            section = section.get("linear" if linear else "inverse") or {}
        create = (section or {}).get("createOrder") or {}
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
                 "amount": _d(t.get("amount"))} for t in raw]

    # -- orders ------------------------------------------------------------------------------
    def order_params(self, order: Order) -> tuple[str, str, str, Decimal, Decimal | None, dict[str, Any]]:
        """The unified create_order arguments for an order, our client order id always set."""
        spec = order.spec
        params: dict[str, Any] = {"clientOrderId": order.client_order_id}
        price = spec.price
        ccxt_type = "limit" if spec.type.has_limit_price else "market"
        if spec.type is OrderType.LIMIT:
            if spec.time_in_force is not TimeInForce.GTC:
                params["timeInForce"] = spec.time_in_force.value
            if spec.post_only:
                params["postOnly"] = True
        if spec.type in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT):
            params["triggerPrice"] = spec.trigger_price
        if spec.type in (OrderType.TAKE_PROFIT_MARKET, OrderType.TAKE_PROFIT_LIMIT):
            market = self.markets.get(spec.symbol)
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

    async def create_order(self, order: Order) -> OrderReport:
        symbol, ccxt_type, side, amount, price, params = self.order_params(order)
        raw = await self._call("create_order", symbol, ccxt_type, side, self._num(amount),
                               None if price is None else self._num(price), self._params(params))
        report = self.order_report(raw, fallback_client_id=order.client_order_id)
        if report.venue_order_id:
            self._venue_ids[report.venue_order_id] = order.client_order_id
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
        return self.order_report(raw, fallback_client_id=order.client_order_id)

    async def edit_order(self, order: Order, amount: Decimal | None, price: Decimal | None) -> OrderReport:
        symbol, ccxt_type, side, old_amount, old_price, params = self.order_params(order)
        params.pop("clientOrderId", None)
        raw = await self._call("edit_order", order.venue_order_id, symbol, ccxt_type, side,
                               self._num(amount if amount is not None else old_amount),
                               None if (price or old_price) is None else self._num(price or old_price),
                               self._params(params))
        return self.order_report(raw, fallback_client_id=order.client_order_id)

    async def find_order(self, client_order_id: str, symbol: str, venue_order_id: str | None = None) -> OrderReport | None:
        """Look an order up by our id: fetch_order, then open orders, then closed orders. None = not found now."""
        if self.has("fetchOrder"):
            try:
                params = {} if venue_order_id else {"clientOrderId": client_order_id}
                raw = await self._call("fetch_order", venue_order_id, symbol, params, retry=True)
                return self.order_report(raw, fallback_client_id=client_order_id)
            except VenueError as err:
                if err.kind not in (ErrorKind.NOT_FOUND, ErrorKind.PARAMETER):
                    raise
        for method in ("fetch_open_orders", "fetch_closed_orders"):
            if not self.has("fetchOpenOrders" if method == "fetch_open_orders" else "fetchClosedOrders"):
                continue
            for report in self._reports(await self._call(method, symbol, None, None, {}, retry=True)):
                if report.client_order_id == client_order_id or (venue_order_id and report.venue_order_id == venue_order_id):
                    return report
        return None

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

    async def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        await self._call("set_leverage", int(leverage), symbol)

    async def close(self) -> None:
        closer = getattr(self.exchange, "close", None)
        if closer is not None:
            await closer()

    # -- parsing -----------------------------------------------------------------------------
    def _reports(self, raw: list[dict]) -> list[OrderReport]:
        return [self.order_report(o) for o in raw or []]

    def order_report(self, raw: dict, fallback_client_id: str | None = None) -> OrderReport:
        filled = _d(raw.get("filled"))
        raw_status = raw.get("status")
        status = _STATUS.get(raw_status or "", OrderStatus.OPEN)
        if status is OrderStatus.OPEN and filled:
            status = OrderStatus.PARTIALLY_FILLED
        venue_id = None if raw.get("id") is None else str(raw["id"])
        client_id = raw.get("clientOrderId") or (self._venue_ids.get(venue_id) if venue_id else None) or fallback_client_id
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
        client_id = t.get("clientOrderId") or info.get("clientOrderId") or (
            self._venue_ids.get(venue_order_id, "") if venue_order_id else "")
        return Fill(
            venue=self.name, trade_id=str(t["id"]), client_order_id=client_id or "", venue_order_id=venue_order_id,
            symbol=t["symbol"], side=Side(t["side"]), price=Decimal(str(t["price"])), amount=Decimal(str(t["amount"])),
            fee=_d(fee.get("cost")) or ZERO, fee_currency=fee.get("currency") or "",
            liquidity=t.get("takerOrMaker"), timestamp_ms=int(t.get("timestamp") or 0),
        )

    def remember(self, venue_order_id: str, client_order_id: str) -> None:
        self._venue_ids[venue_order_id] = client_order_id
