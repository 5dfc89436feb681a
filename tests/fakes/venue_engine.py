"""A venue-neutral account and matching core for the fake Bybit and OKX (the fake Binance has its own).

Deterministic, like the fake Binance: resting orders fill only when a test calls ``fill()`` (a maker trade);
market, IOC/FOK and marketable limit orders take from the scripted book at placement (taker trades, the book
is a backdrop and is not depleted). Trigger orders rest untriggered (there is no trigger engine). Spot trades
move coin balances; perpetual trades move a signed one-way position and the settle coin's wallet.

Money is Decimal. Quantities are in the venue's unit: base for spot, contracts for perpetuals
(``Market.contract_size`` base per contract). Each state change is appended to ``events`` for the venue's
renderer to push on its private stream.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)


def now_ms() -> int:
    return int(time.time() * 1000)


def dec(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


class Reject(Exception):
    """A refusal; ``reason`` is a venue-neutral key the renderer turns into the venue's own code."""

    def __init__(self, reason: str, message: str):
        super().__init__(f"{reason}: {message}")
        self.reason, self.message = reason, message


@dataclass(frozen=True)
class Market:
    symbol: str  # ccxt's unified symbol: the tests' handle
    id: str  # the venue's id
    kind: str  # spot | swap
    base: str
    quote: str
    tick: Decimal
    lot: Decimal
    min_qty: Decimal
    min_notional: Decimal = ZERO
    contract_size: Decimal = Decimal(1)
    maker_fee: Decimal = Decimal("0.0002")
    taker_fee: Decimal = Decimal("0.00055")

    @property
    def settle(self) -> str:
        return self.quote


@dataclass
class Order:
    order_id: str
    client_id: str
    market: Market
    side: str  # buy | sell
    type: str  # limit | market
    qty: Decimal
    price: Decimal | None
    tif: str = "GTC"  # GTC | IOC | FOK | PostOnly
    reduce_only: bool = False
    trigger_price: Decimal | None = None
    trigger_direction: int = 0  # 1 rises to, 2 falls to
    trigger_by: str = ""
    status: str = "new"  # new | partially_filled | filled | canceled | rejected | untriggered
    filled: Decimal = ZERO
    cost: Decimal = ZERO  # quote value filled (base x price x contract size)
    fee: Decimal = ZERO
    reject_reason: str = ""
    created_ms: int = field(default_factory=now_ms)
    updated_ms: int = field(default_factory=now_ms)

    @property
    def remaining(self) -> Decimal:
        return self.qty - self.filled

    @property
    def is_open(self) -> bool:
        return self.status in ("new", "partially_filled", "untriggered")

    @property
    def average(self) -> Decimal | None:
        return self.cost / (self.filled * self.market.contract_size) if self.filled else None


@dataclass
class Trade:
    trade_id: str
    order: Order
    price: Decimal
    qty: Decimal
    fee: Decimal
    fee_currency: str
    maker: bool
    ts: int = field(default_factory=now_ms)


@dataclass
class Position:
    size: Decimal = ZERO  # signed contracts: > 0 long
    entry: Decimal = ZERO
    realized: Decimal = ZERO
    leverage: Decimal = Decimal(5)  # the account's setting (the risk gate refuses one above its limit)
    updated_ms: int = 0


class Book:
    def __init__(self):
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.seq = 1

    def replace(self, bids, asks) -> None:
        self.bids = {dec(p): dec(q) for p, q in bids if dec(q) > 0}
        self.asks = {dec(p): dec(q) for p, q in asks if dec(q) > 0}
        self.seq += 1

    def apply(self, bids=(), asks=()) -> None:
        for side, levels in ((self.bids, bids), (self.asks, asks)):
            for p, q in levels:
                if dec(q) == 0:
                    side.pop(dec(p), None)
                else:
                    side[dec(p)] = dec(q)
        self.seq += 1

    def levels(self, side: str) -> list[tuple[Decimal, Decimal]]:
        """The side an order of ``side`` trades against, best first."""
        if side == "buy":
            return sorted(self.asks.items())
        return sorted(self.bids.items(), key=lambda lv: -lv[0])

    def sorted_bids(self):
        return sorted(self.bids.items(), key=lambda lv: -lv[0])

    def sorted_asks(self):
        return sorted(self.asks.items())


class Engine:
    def __init__(self, markets: list[Market], balances: dict[str, str] | None = None, id_prefix: str = ""):
        self.markets = {m.symbol: m for m in markets}
        self.books = {m.symbol: Book() for m in markets}
        self.orders: dict[str, Order] = {}
        self.trades: list[Trade] = []
        self.balances: dict[str, list[Decimal]] = {c: [dec(v), ZERO] for c, v in (balances or {}).items()}  # [total, locked]
        self.positions: dict[str, Position] = {m.symbol: Position() for m in markets if m.kind == "swap"}
        self.marks: dict[str, Decimal] = {}
        self.events: list[tuple[str, object]] = []  # ("order", Order) | ("trade", Trade) | ("position", symbol) ...
        self._ids = itertools.count(1)
        self._trade_ids = itertools.count(1)
        self.id_prefix = id_prefix

    # -- look-ups -------------------------------------------------------------------------------
    def market(self, symbol: str) -> Market:
        try:
            return self.markets[symbol]
        except KeyError:
            raise KeyError(f"no fake market {symbol!r}; markets: {', '.join(self.markets)}") from None

    def by_venue_id(self, kind: str, market_id: str) -> Market | None:
        return next((m for m in self.markets.values() if m.id == market_id and m.kind == kind), None)

    def find(self, ref: str) -> Order | None:
        if ref in self.orders:
            return self.orders[ref]
        return next((o for o in self.orders.values() if o.client_id and o.client_id == ref), None)

    def open_orders(self, kind: str | None = None) -> list[Order]:
        return [o for o in self.orders.values() if o.is_open and (kind is None or o.market.kind == kind)]

    def free(self, coin: str) -> Decimal:
        total, locked = self.balances.get(coin, [ZERO, ZERO])
        return total - locked

    # -- orders ---------------------------------------------------------------------------------
    def place(self, market: Market, side: str, type_: str, qty, price=None, client_id: str = "", tif: str = "GTC",
              reduce_only: bool = False, trigger_price=None, trigger_direction: int = 0, trigger_by: str = "") -> Order:
        qty, price = dec(qty), (None if price in (None, "") else dec(price))
        if client_id and any(o.client_id == client_id for o in self.orders.values()):
            raise Reject("duplicate_client_id", f"client order id {client_id} is duplicated")
        if qty <= 0 or qty % market.lot or qty < market.min_qty:
            raise Reject("bad_qty", f"quantity {qty} breaks lot {market.lot} / minimum {market.min_qty}")
        if type_ == "limit" and (price is None or price <= 0 or price % market.tick):
            raise Reject("bad_price", f"price {price} is not a multiple of the tick {market.tick}")
        reference = price if price is not None else (self.levels_price(market, side) or ZERO)
        if market.min_notional and qty * reference * market.contract_size < market.min_notional:
            raise Reject("min_notional", f"order value below {market.min_notional} {market.quote}")
        if reduce_only:
            pos = self.positions.get(market.symbol)
            closing = pos is not None and ((pos.size > 0 and side == "sell") or (pos.size < 0 and side == "buy"))
            if not closing or qty > abs(pos.size):
                raise Reject("reduce_only", "reduce-only order would not reduce the position")
        order = Order(f"{self.id_prefix}{next(self._ids)}", client_id, market, side, type_, qty, price, tif,
                      reduce_only, None if trigger_price in (None, "") else dec(trigger_price), trigger_direction,
                      trigger_by)
        self._lock_funds(order)
        self.orders[order.order_id] = order
        if order.trigger_price is not None:
            order.status = "untriggered"
            self.events.append(("order", order))
            return order
        self._match_on_entry(order)
        self.events.append(("order", order))
        return order

    def levels_price(self, market: Market, side: str) -> Decimal | None:
        levels = self.books[market.symbol].levels(side)
        return levels[0][0] if levels else None

    def _lock_funds(self, order: Order) -> None:
        market = order.market
        if market.kind != "spot":
            return
        if order.side == "buy":
            price = order.price or self.levels_price(market, "buy") or ZERO
            coin, need = market.quote, order.qty * price
        else:
            coin, need = market.base, order.qty
        if self.free(coin) < need:
            del_needed = need - self.free(coin)
            raise Reject("insufficient", f"insufficient {coin}: short by {del_needed}")
        self.balances.setdefault(coin, [ZERO, ZERO])[1] += need

    def _unlock(self, order: Order) -> None:
        market = order.market
        if market.kind != "spot" or not order.remaining:
            return
        if order.side == "buy":
            coin, amount = market.quote, order.remaining * (order.price or self.levels_price(market, "buy") or ZERO)
        else:
            coin, amount = market.base, order.remaining
        row = self.balances.setdefault(coin, [ZERO, ZERO])
        row[1] = max(row[1] - amount, ZERO)

    def _match_on_entry(self, order: Order) -> None:
        book = self.books[order.market.symbol]
        crossing = [(p, q) for p, q in book.levels(order.side)
                    if order.price is None or (p <= order.price if order.side == "buy" else p >= order.price)]
        if order.tif == "PostOnly" and crossing:
            order.status, order.reject_reason = "canceled", "EC_PostOnlyWillTakeLiquidity"
            self._unlock(order)
            return
        available = sum((q for _, q in crossing), ZERO)
        if order.tif == "FOK" and available < order.qty:
            order.status, order.reject_reason = "canceled", "EC_FOKNotEnoughLiquidity"
            self._unlock(order)
            return
        for price, qty in crossing:
            if not order.remaining:
                break
            self._trade(order, min(qty, order.remaining), price, maker=False)
        if order.remaining and (order.type == "market" or order.tif in ("IOC", "FOK")):
            self._unlock(order)
            order.status = "canceled" if order.filled < order.qty else order.status

    def fill(self, ref: str, qty, price=None) -> Trade:
        """Someone trades against a resting order of ours: a maker fill."""
        order = self.find(ref)
        if order is None or not order.is_open:
            raise ValueError(f"order {ref} is not open at the fake venue")
        qty = dec(qty)
        if qty > order.remaining:
            raise ValueError(f"fill of {qty} exceeds the remaining {order.remaining}")
        trade = self._trade(order, qty, dec(price) if price is not None else order.price, maker=True)
        self.events.append(("order", order))
        return trade

    def _trade(self, order: Order, qty: Decimal, price: Decimal, maker: bool) -> Trade:
        market = order.market
        value = qty * price * market.contract_size
        rate = market.maker_fee if maker else market.taker_fee
        if market.kind == "spot":
            # buys pay the fee in base, sells in quote (Bybit's and OKX's spot rule)
            fee, fee_ccy = (qty * rate, market.base) if order.side == "buy" else (value * rate, market.quote)
            self._settle_spot(order, qty, price, value, fee)
        else:
            fee, fee_ccy = value * rate, market.settle
            self._settle_perp(order, qty, price, fee)
        order.filled += qty
        order.cost += value
        order.fee += fee
        order.updated_ms = now_ms()
        order.status = "filled" if order.filled == order.qty else "partially_filled"
        trade = Trade(f"{next(self._trade_ids)}", order, price, qty, fee, fee_ccy, maker)
        self.trades.append(trade)
        self.events.append(("trade", trade))
        return trade

    def _settle_spot(self, order: Order, qty, price, value, fee) -> None:
        m = order.market
        base, quote = self.balances.setdefault(m.base, [ZERO, ZERO]), self.balances.setdefault(m.quote, [ZERO, ZERO])
        if order.side == "buy":
            quote[0] -= value
            quote[1] = max(quote[1] - qty * (order.price or price), ZERO)
            base[0] += qty - fee
        else:
            base[0] -= qty
            base[1] = max(base[1] - qty, ZERO)
            quote[0] += value - fee
        self.events.append(("balance", m.quote))

    def _settle_perp(self, order: Order, qty, price, fee) -> None:
        m = order.market
        pos = self.positions[m.symbol]
        signed = qty if order.side == "buy" else -qty
        wallet = self.balances.setdefault(m.settle, [ZERO, ZERO])
        if pos.size == 0 or (pos.size > 0) == (signed > 0):
            total = pos.size + signed
            pos.entry = (pos.entry * abs(pos.size) + price * qty) / abs(total)
            pos.size = total
        else:
            closed = min(qty, abs(pos.size))
            pnl = (price - pos.entry) * closed * m.contract_size * (1 if pos.size > 0 else -1)
            pos.realized += pnl
            wallet[0] += pnl
            pos.size += signed
            if pos.size == 0:
                pos.entry = ZERO
            elif (pos.size > 0) == (signed > 0):  # flipped: the rest opened at this price
                pos.entry = price
        wallet[0] -= fee
        pos.updated_ms = now_ms()
        self.events.append(("position", m.symbol))
        self.events.append(("balance", m.settle))

    def cancel(self, ref: str) -> Order:
        order = self.find(ref)
        if order is None or not order.is_open:
            raise Reject("not_found", f"order {ref} does not exist or is no longer open")
        self._unlock(order)
        order.status, order.updated_ms = "canceled", now_ms()
        self.events.append(("order", order))
        return order

    def amend(self, ref: str, qty=None, price=None) -> Order:
        """In place: ``qty`` is the new total (including what filled), as Bybit and OKX amend."""
        order = self.find(ref)
        if order is None or not order.is_open:
            raise Reject("not_found", f"order {ref} does not exist or is no longer open")
        new_qty = order.qty if qty in (None, "") else dec(qty)
        if new_qty <= order.filled:
            raise Reject("bad_qty", f"new quantity {new_qty} is not above the {order.filled} filled")
        self._unlock(order)
        order.qty = new_qty
        if price not in (None, ""):
            order.price = dec(price)
        self._lock_funds(order)
        order.updated_ms = now_ms()
        self.events.append(("order", order))
        return order

    def expire(self, ref: str) -> Order:
        order = self.find(ref)
        self._unlock(order)
        order.status = "canceled"
        order.updated_ms = now_ms()
        self.events.append(("order", order))
        return order

    def take_events(self) -> list[tuple[str, object]]:
        events, self.events = self.events, []
        return events


class EngineControls:
    """What a test does to a fake venue built on an Engine (the fake's ``flush`` pushes the events)."""

    name: str
    engine: Engine

    async def flush(self) -> None:
        raise NotImplementedError

    def set_book(self, symbol: str, bids, asks) -> None:
        self.engine.books[symbol].replace(bids, asks)

    def set_mark_price(self, symbol: str, price) -> None:
        self.engine.marks[symbol] = dec(price)

    def order(self, ref: str) -> Order:
        found = self.engine.find(ref)
        if found is None:
            raise KeyError(f"no order {ref!r} at the {self.name}")
        return found

    def orders(self, symbol: str | None = None) -> list[Order]:
        return [o for o in self.engine.orders.values() if symbol is None or o.market.symbol == symbol]

    def position(self, symbol: str) -> Position:
        return self.engine.positions[symbol]

    def balance(self, coin: str) -> Decimal:
        return self.engine.balances.get(coin, [ZERO, ZERO])[0]

    async def fill(self, ref: str, qty, price=None) -> Trade:
        """Someone trades against a resting order of ours; the private streams hear of it."""
        trade = self.engine.fill(ref, qty, price)
        await self.flush()
        return trade
