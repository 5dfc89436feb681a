"""Venue-independent core of the fake Binance: books, orders, trades, matching.

SpotVenue and UsdmVenue subclass Venue and supply money movement (balances,
positions) and the JSON shapes of their REST answers and user-data events.

Matching model, chosen so tests stay deterministic:
- resting orders only fill when a test calls `fill()` (someone else trades
  against them), which records a maker trade;
- MARKET, IOC/FOK and marketable LIMIT orders take liquidity from the fake
  book at placement as taker trades; the book itself is a scripted backdrop
  and is not depleted by those trades;
- stop orders rest untriggered (there is no trigger engine).
"""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from .binance_markets import MarketSpec

ZERO = Decimal('0')


class BinanceError(Exception):
    """A rejection rendered as Binance's `{"code": ..., "msg": ...}` body."""

    def __init__(self, code: int, msg: str, http_status: int = 400, data: dict | None = None):
        super().__init__(f'{code} {msg}')
        self.code = code
        self.msg = msg
        self.http_status = http_status
        self.data = data  # cancelReplace's report of which half failed

    def body(self) -> dict:
        body = {'code': self.code, 'msg': self.msg}
        if self.data is not None:
            body['data'] = self.data
        return body


def now_ms() -> int:
    return int(time.time() * 1000)


def to_dec(value, name: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise BinanceError(-1100, f"Illegal characters found in parameter '{name}'; legal range is '^([0-9]{{1,20}})(\\.[0-9]{{1,20}})?$'.")
    if not result.is_finite():
        raise BinanceError(-1100, f"Illegal characters found in parameter '{name}'.")
    return result


def plain(value: Decimal) -> str:
    """Futures-style number: no exponent, no trailing zeros ("0.001", "25000")."""
    text = format(value.normalize(), 'f')
    return '0' if text in ('-0', '') else text


def s8(value: Decimal) -> str:
    """Spot-style number: always eight decimals ("0.00100000")."""
    return f'{value.quantize(Decimal("1e-8"), rounding=ROUND_DOWN):.8f}'


def to_int(params: dict, name: str, default=None):
    value = params.get(name)
    if value in (None, ''):
        return default
    try:
        return int(value)
    except ValueError:
        raise BinanceError(-1100, f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.")


def random_client_id() -> str:
    # Binance makes up a 22-character id when the client sends none.
    return secrets.token_urlsafe(16)[:22]


def mandatory(params: dict, name: str) -> str:
    value = params.get(name)
    if value in (None, ''):
        raise BinanceError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")
    return value


class Book:
    """Price levels plus the update id that REST snapshots and ws diffs share."""

    def __init__(self):
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.last_update_id = 1

    def replace(self, bids, asks, last_update_id: int | None = None):
        self.bids = {Decimal(str(p)): Decimal(str(q)) for p, q in bids if Decimal(str(q)) > 0}
        self.asks = {Decimal(str(p)): Decimal(str(q)) for p, q in asks if Decimal(str(q)) > 0}
        if last_update_id is not None:
            self.last_update_id = last_update_id

    def apply(self, bids, asks):
        for side, levels in ((self.bids, bids), (self.asks, asks)):
            for p, q in levels:
                price, qty = Decimal(str(p)), Decimal(str(q))
                if qty == 0:
                    side.pop(price, None)
                else:
                    side[price] = qty

    def sorted_bids(self):
        return sorted(self.bids.items(), key=lambda level: -level[0])

    def sorted_asks(self):
        return sorted(self.asks.items())

    def best(self, side: str):
        levels = self.sorted_bids() if side == 'BUY' else self.sorted_asks()
        return levels[0][0] if levels else None

    def mid(self):
        bid, ask = self.best('BUY'), self.best('SELL')
        if bid is None or ask is None:
            return None
        return (bid + ask) / 2

    def takeable(self, taker_side: str, limit_price: Decimal | None):
        """Levels a taker on `taker_side` may trade against, best first."""
        if taker_side == 'BUY':
            return [(p, q) for p, q in self.sorted_asks() if limit_price is None or p <= limit_price]
        return [(p, q) for p, q in self.sorted_bids() if limit_price is None or p >= limit_price]

    def snapshot(self, fmt, limit: int) -> dict:
        return {
            'lastUpdateId': self.last_update_id,
            'bids': [[fmt(p), fmt(q)] for p, q in self.sorted_bids()[:limit]],
            'asks': [[fmt(p), fmt(q)] for p, q in self.sorted_asks()[:limit]],
        }


@dataclass
class Trade:
    id: int
    order_id: int
    side: str
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    is_maker: bool
    time: int
    realized_pnl: Decimal = ZERO

    @property
    def quote_qty(self) -> Decimal:
        return self.price * self.qty


@dataclass
class Order:
    market: MarketSpec
    order_id: int
    client_order_id: str
    side: str
    type: str
    time_in_force: str | None
    qty: Decimal
    price: Decimal
    stop_price: Decimal
    time: int
    quote_order_qty: Decimal = ZERO
    reduce_only: bool = False
    status: str = 'NEW'
    executed: Decimal = ZERO
    cum_quote: Decimal = ZERO
    update_time: int = 0
    locked: Decimal = ZERO  # spot: funds reserved for the unfilled part
    cancel_client_order_id: str = ''  # spot echoes the cancel request's own id
    trades: list[Trade] = field(default_factory=list)

    @property
    def remaining(self) -> Decimal:
        return self.qty - self.executed

    @property
    def is_open(self) -> bool:
        return self.status in ('NEW', 'PARTIALLY_FILLED')

    @property
    def avg_price(self) -> Decimal:
        return self.cum_quote / self.executed if self.executed else ZERO


class Venue:
    """Order lifecycle shared by spot and USD-M; subclasses move the money."""

    kind = ''
    id_start = 1
    duplicate_error = (-2010, 'Duplicate order sent.')
    limit_types: tuple[str, ...] = ('LIMIT',)
    maker_fee = Decimal('0.001')
    taker_fee = Decimal('0.001')

    def __init__(self, markets):
        self.markets = {m.id: m for m in markets}
        self.books = {m.id: Book() for m in markets}
        self.orders: dict[int, Order] = {}
        self.trades: list[Trade] = []
        self.events: list[dict] = []  # user-data payloads waiting for the server to push
        self._order_ids = itertools.count(self.id_start)
        self._trade_ids = itertools.count(self.id_start)

    # -- lookups ---------------------------------------------------------

    def market(self, symbol_id) -> MarketSpec:
        if not symbol_id:
            raise BinanceError(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
        market = self.markets.get(symbol_id)
        if market is None:
            raise BinanceError(-1121, 'Invalid symbol.')
        return market

    def find(self, ref) -> Order | None:
        """Test-side lookup by order id or client order id, newest first."""
        if str(ref).isdigit() and int(ref) in self.orders:
            return self.orders[int(ref)]
        for order in reversed(list(self.orders.values())):
            if order.client_order_id == ref:
                return order
        return None

    def query(self, params: dict) -> Order:
        """Resolve orderId/origClientOrderId as Binance does; -2013 when unknown."""
        market = self.market(params.get('symbol'))
        order = None
        if params.get('orderId'):
            order = self.orders.get(to_int(params, 'orderId'))
        elif params.get('origClientOrderId'):
            order = next((o for o in reversed(list(self.orders.values()))
                          if o.client_order_id == params['origClientOrderId'] and o.market.id == market.id), None)
        else:
            raise BinanceError(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
        if order is None or order.market.id != market.id:
            raise BinanceError(-2013, 'Order does not exist.')
        return order

    def open_orders(self, symbol_id=None) -> list[Order]:
        if symbol_id:
            self.market(symbol_id)
        return [o for o in self.orders.values() if o.is_open and (not symbol_id or o.market.id == symbol_id)]

    # -- placement -------------------------------------------------------

    def place(self, params: dict) -> Order:
        return self.submit(self.prepare(params))

    def prepare(self, params: dict) -> Order:
        """The new order as the request describes it, filters checked; nothing placed yet."""
        market = self.market(params.get('symbol'))
        side = mandatory(params, 'side')
        if side not in ('BUY', 'SELL'):
            raise BinanceError(-1117, 'Invalid side.')
        order_type = mandatory(params, 'type')
        cid = params.get('newClientOrderId') or random_client_id()
        return self.build_order(market, side, order_type, cid, params)

    def submit(self, order: Order) -> Order:
        """The matching engine takes a prepared order: duplicate id and funds checks, then it trades or rests."""
        market, side, cid = order.market, order.side, order.client_order_id
        if any(o.client_order_id == cid and o.is_open and o.market.id == market.id
               for o in self.orders.values()):
            # Binance only refuses a client id while an order carrying it is still open.
            raise BinanceError(*self.duplicate_error)
        levels = []
        if order.type == 'MARKET' or order.type in self.limit_types:
            limit = None if order.type == 'MARKET' else order.price
            levels = self.books[market.id].takeable(side, limit)
        if self.is_post_only(order) and levels:
            self.reject_post_only()
        planned = self.plan_fills(order, levels)
        if order.time_in_force == 'FOK' and sum(q for _, q in planned) < order.qty:
            planned = []  # all-or-nothing: expires below without touching the book
        self.reserve(order, planned)
        self.orders[order.order_id] = order
        self.emit_order(order, 'NEW')
        for price, qty in planned:
            self.execute(order, qty, price, is_maker=False)
        if order.is_open and (order.type == 'MARKET' or order.time_in_force in ('IOC', 'FOK')):
            self.finish(order, 'EXPIRED')
        return order

    def plan_fills(self, order: Order, levels) -> list[tuple[Decimal, Decimal]]:
        planned, left = [], order.qty
        for price, available in levels:
            if left <= 0:
                break
            qty = min(left, available)
            planned.append((price, qty))
            left -= qty
        return planned

    def cancel(self, params: dict, cancel_client_order_id: str = '') -> Order:
        try:
            order = self.query(params)
        except BinanceError as exc:
            if exc.code == -2013:
                raise BinanceError(-2011, 'Unknown order sent.')
            raise
        if not order.is_open:
            raise BinanceError(-2011, 'Unknown order sent.')
        order.cancel_client_order_id = cancel_client_order_id
        self.finish(order, 'CANCELED')
        return order

    # -- fills and terminal states ---------------------------------------

    def execute(self, order: Order, qty: Decimal, price: Decimal, is_maker: bool) -> Trade:
        fee_rate = self.maker_fee if is_maker else self.taker_fee
        trade = Trade(next(self._trade_ids), order.order_id, order.side, price, qty,
                      ZERO, '', is_maker, now_ms())
        self.settle(order, trade, fee_rate)
        order.executed += qty
        order.cum_quote += price * qty
        order.update_time = trade.time
        order.trades.append(trade)
        order.status = 'FILLED' if order.remaining == 0 else 'PARTIALLY_FILLED'
        self.trades.append(trade)
        if order.status == 'FILLED':
            self.release(order)
        self.emit_order(order, 'TRADE', trade)
        self.emit_account(order, trade)
        return trade

    def fill(self, order: Order, qty, price=None) -> Trade:
        if not order.is_open:
            raise ValueError(f'order {order.order_id} is {order.status}, cannot fill')
        qty = Decimal(str(qty))
        if qty <= 0 or qty > order.remaining:
            raise ValueError(f'fill amount {qty} outside (0, {order.remaining}]')
        price = order.price if price is None else Decimal(str(price))
        if price <= 0:
            raise ValueError('a fill needs a price; MARKET orders have none of their own')
        return self.execute(order, qty, price, is_maker=True)

    def finish(self, order: Order, status: str):
        order.status = status
        order.update_time = now_ms()
        self.release(order)
        self.emit_order(order, status)
        self.emit_account(order)

    # -- subclass hooks --------------------------------------------------

    def build_order(self, market, side, order_type, cid, params) -> Order:
        raise NotImplementedError

    def is_post_only(self, order: Order) -> bool:
        raise NotImplementedError

    def reject_post_only(self):
        raise NotImplementedError

    def reserve(self, order: Order, planned):
        """Check funds/margin and lock them; raise BinanceError to refuse."""

    def settle(self, order: Order, trade: Trade, fee_rate: Decimal):
        raise NotImplementedError

    def release(self, order: Order):
        """Give back whatever `reserve` still holds for an order that stopped working."""

    def emit_order(self, order: Order, exec_type: str, trade: Trade | None = None):
        raise NotImplementedError

    def emit_account(self, order: Order, trade: Trade | None = None):
        raise NotImplementedError

    # -- shared validation -----------------------------------------------

    @staticmethod
    def is_multiple(value: Decimal, step: Decimal) -> bool:
        return (value % step) == 0

    def filter_trades(self, params: dict, trades) -> list[Trade]:
        order_id, from_id = to_int(params, 'orderId'), to_int(params, 'fromId')
        start, end = to_int(params, 'startTime'), to_int(params, 'endTime')
        trades = [t for t in trades
                  if (order_id is None or t.order_id == order_id) and (from_id is None or t.id >= from_id)
                  and (start is None or t.time >= start) and (end is None or t.time <= end)]
        return trades[-min(to_int(params, 'limit', 500), 1000):]

    def filter_orders(self, params: dict, orders) -> list[Order]:
        from_id = to_int(params, 'orderId')  # allOrders: orderId means "this id and newer"
        start, end = to_int(params, 'startTime'), to_int(params, 'endTime')
        orders = [o for o in orders
                  if (from_id is None or o.order_id >= from_id)
                  and (start is None or o.time >= start) and (end is None or o.time <= end)]
        return orders[-min(to_int(params, 'limit', 500), 1000):]
