"""Order matching against the synthetic book and other traders' flow.

Our resting orders are kept apart from the synthetic makers' levels and merged by price
when flow arrives. Queue position is the makers' size ahead of us at our price when we
joined (makers who arrive later queue behind us); flow eats that first, then us.

Self-trade: our own takers skip our own resting orders (they only hit synthetic makers).
Accounting, ids and events belong to the Sink (the exchange); this module only decides
who trades with whom, how much, and at what price.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from .market import FLOW_MAX_LEVELS, SyntheticMarket

ZERO = Decimal(0)


@dataclass(slots=True, eq=False)
class Order:
    id: str
    client_id: str
    symbol: str
    type: str  # 'market' | 'limit'
    side: str  # 'buy' | 'sell'
    amount: int  # lots
    price: int | None  # ticks
    timestamp: int
    tif: str = "GTC"
    post_only: bool = False
    reduce_only: bool = False
    trigger: int | None = None  # ticks
    trigger_up: bool = True  # fires when last >= trigger (else last <= trigger)
    triggered: bool = True
    status: str = "open"
    filled: int = 0
    cost: Decimal = ZERO
    fee: Decimal = ZERO
    fee_currency: str | None = None
    last_trade_ts: int | None = None
    updated_ts: int | None = None
    triggered_ts: int | None = None
    queue_ahead: int = 0
    resting: bool = False
    seq: int = 0
    reserved: Decimal = ZERO
    reserve_ccy: str = ""
    trades: list[Trade] = field(default_factory=list)
    reason: str | None = None

    @property
    def remaining(self) -> int:
        return self.amount - self.filled

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(slots=True)
class Trade:
    id: str
    order_id: str
    client_id: str
    symbol: str
    side: str
    price: int  # ticks
    lots: int
    cost: Decimal
    fee: Decimal
    fee_currency: str
    fee_rate: Decimal
    maker: bool
    timestamp: int
    realized_pnl: Decimal | None = None
    liquidation: bool = False


class Sink(Protocol):
    def on_fill(self, order: Order, lots: int, price: int, maker: bool) -> None:
        """Account for a fill (order.filled/status already updated) and print it publicly."""
    def on_change(self, order: Order) -> None: ...
    def fill_cap(self, order: Order) -> int: ...
    def activate(self, order: Order) -> bool: ...
    def record_public(self, symbol: str, price: int, lots: int, taker_side: str) -> None: ...


def _book_side(side: str) -> str:
    return "bids" if side == "buy" else "asks"


def _opposite(side: str) -> str:
    return "asks" if side == "buy" else "bids"


def _better_or_equal(side: str, price: int, limit: int | None) -> bool:
    """Whether a taker on `side` with `limit` may trade at `price`."""
    return limit is None or (price <= limit if side == "buy" else price >= limit)


class MatchingEngine:
    def __init__(self, markets: dict[str, SyntheticMarket], sink: Sink) -> None:
        self.markets = markets
        self.sink = sink
        self.resting: dict[str, dict[str, dict[int, list[Order]]]] = {
            s: {"bids": {}, "asks": {}} for s in markets}
        self.stops: dict[str, list[Order]] = {s: [] for s in markets}
        self._seq = 0

    # ---- queries ---------------------------------------------------------------------
    def plan(self, symbol: str, side: str, lots: int, limit: int | None) -> list[tuple[int, int]]:
        """(price, lots) a taker would get from the synthetic book now, without trading."""
        out: list[tuple[int, int]] = []
        for price, level in self.markets[symbol].iter_side(_opposite(side)):
            if lots <= 0 or not _better_or_equal(side, price, limit):
                break
            if level.size:
                q = min(lots, level.size)
                out.append((price, q))
                lots -= q
        return out

    def would_cross(self, symbol: str, side: str, price: int) -> bool:
        best = self.markets[symbol].best(_opposite(side))
        return best is not None and _better_or_equal(side, best, price)

    # ---- intake ----------------------------------------------------------------------
    def submit(self, order: Order) -> None:
        """Run a validated, funded order: park a stop, or take what crosses then rest/cancel."""
        if not order.triggered:
            self.stops[order.symbol].append(order)
            return
        self._run(order)

    def _run(self, order: Order) -> None:
        if order.type == "market":
            self._take(order, None)
            if order.is_open:
                self.finish(order, "expired", "book exhausted")
            return
        if order.post_only and self.would_cross(order.symbol, order.side, order.price or 0):
            self.finish(order, "canceled", "post-only would take liquidity")
            return
        if order.tif == "FOK":
            want = min(order.remaining, self.sink.fill_cap(order))
            got = sum(q for _, q in self.plan(order.symbol, order.side, order.remaining, order.price))
            if got < order.remaining or want < order.remaining:
                self.finish(order, "expired", "fill-or-kill could not fill in full")
                return
        self._take(order, order.price)
        if not order.is_open:
            return
        if order.tif in ("IOC", "FOK"):
            self.finish(order, "canceled", "immediate-or-cancel remainder")
            return
        self._rest(order)

    def _take(self, order: Order, limit: int | None) -> None:
        market = self.markets[order.symbol]
        want = min(order.remaining, self.sink.fill_cap(order))
        opp = _opposite(order.side)
        for price, level in market.iter_side(opp):
            if want <= 0 or not _better_or_equal(order.side, price, limit):
                break
            if level.size:
                q = min(want, level.size)
                level.size -= q
                self._queue_eaten(order.symbol, opp, price, q)
                want -= q
                self.fill(order, q, price, maker=False)
        if order.is_open and order.reduce_only and self.sink.fill_cap(order) <= 0:
            self.finish(order, "canceled", "reduce-only: no position left to reduce")

    def _rest(self, order: Order) -> None:
        side = _book_side(order.side)
        assert order.price is not None
        self._seq += 1
        order.seq = self._seq
        order.resting = True
        order.queue_ahead = self.markets[order.symbol].size_at(side, order.price)
        self.resting[order.symbol][side].setdefault(order.price, []).append(order)

    def _unrest(self, order: Order) -> None:
        if not order.resting:
            return
        order.resting = False
        book = self.resting[order.symbol][_book_side(order.side)]
        queue = book.get(order.price or 0)
        if queue is not None:
            queue.remove(order)
            if not queue:
                del book[order.price or 0]

    def fill(self, order: Order, lots: int, price: int, maker: bool) -> None:
        order.filled += lots
        if order.filled >= order.amount:
            order.status = "closed"
            self._unrest(order)
        self.sink.on_fill(order, lots, price, maker)

    def finish(self, order: Order, status: str, reason: str | None = None) -> None:
        """Take an open order off the book with a final status and tell the sink."""
        self._unrest(order)
        if not order.triggered and order in self.stops[order.symbol]:
            self.stops[order.symbol].remove(order)
        order.status = status
        order.reason = reason
        self.sink.on_change(order)

    def requeue(self, order: Order, keep_queue: bool) -> None:
        """After an amend: keep the place in line, or go to the back at the (new) price."""
        if keep_queue:
            return
        self._unrest(order)
        if order.is_open and order.triggered:
            self._run_amended(order)

    def _run_amended(self, order: Order) -> None:
        self._take(order, order.price)
        if order.is_open:
            self._rest(order)

    # ---- the market moves ------------------------------------------------------------
    def on_step(self, symbol: str, flows: list[tuple[str, int]]) -> None:
        self._cross(symbol)
        self._clamp_queues(symbol)
        for side, lots in flows:
            self.apply_flow(symbol, side, lots)
        self.check_triggers(symbol)

    def _queue_eaten(self, symbol: str, side: str, price: int, lots: int) -> None:
        for o in self.resting[symbol][side].get(price, ()):
            o.queue_ahead = max(0, o.queue_ahead - lots)

    def _clamp_queues(self, symbol: str) -> None:
        market = self.markets[symbol]
        for side, book in self.resting[symbol].items():
            for price, queue in book.items():
                size = market.size_at(side, price)
                for o in queue:
                    if o.queue_ahead > size:
                        o.queue_ahead = size

    def _cross(self, symbol: str) -> None:
        """Makers re-quoted through our resting price: they traded with us at our price."""
        market = self.markets[symbol]
        for our_side, opp, order_side in (("bids", "asks", "buy"), ("asks", "bids", "sell")):
            book = self.resting[symbol][our_side]
            if not book:
                continue
            best = market.best(opp)
            if best is None:
                continue
            prices = sorted(book, reverse=(our_side == "bids"))
            for price in prices:
                if not _better_or_equal(order_side, best, price):
                    break
                for order in list(book.get(price, ())):
                    want = min(order.remaining, self.sink.fill_cap(order))
                    got = 0
                    for lp, level in market.iter_side(opp):
                        if got >= want or not _better_or_equal(order_side, lp, price):
                            break
                        q = min(want - got, level.size)
                        level.size -= q
                        got += q
                    if got:
                        self.fill(order, got, price, maker=True)
                    if order.is_open and order.reduce_only and self.sink.fill_cap(order) <= 0:
                        self.finish(order, "canceled", "reduce-only: no position left to reduce")
                best = market.best(opp)
                if best is None:
                    break

    def apply_flow(self, symbol: str, side: str, lots: int, max_levels: int = FLOW_MAX_LEVELS) -> int:
        """Another trader's market order; returns the lots it traded."""
        market = self.markets[symbol]
        opp = _opposite(side)
        sign = 1 if side == "buy" else -1
        ours = self.resting[symbol][opp]
        our_prices = sorted(ours, key=lambda p: sign * p)
        synth = [(p, lv) for p, lv in market.iter_side(opp) if lv.size]
        candidates = sorted({p for p, _ in synth} | set(our_prices), key=lambda p: sign * p)
        levels = dict(synth)
        if not candidates:
            return 0
        limit = candidates[0] + sign * max_levels * market.spec.level_ticks
        left = lots
        for price in candidates:
            if left <= 0 or sign * (price - limit) > 0:
                break
            level = levels.get(price)
            others = level.size if level is not None else 0
            eaten = 0
            for order in list(ours.get(price, ())):
                ahead = order.queue_ahead - eaten
                if ahead > 0:
                    t = min(left, ahead, others - eaten)
                    eaten += t
                    left -= t
                    if left <= 0:
                        break
                cap = min(order.remaining, self.sink.fill_cap(order))
                if cap <= 0:
                    if order.reduce_only:
                        self.finish(order, "canceled", "reduce-only: no position left to reduce")
                    continue
                q = min(left, cap)
                left -= q
                self.fill(order, q, price, maker=True)
                if left <= 0:
                    break
            t = min(left, others - eaten)
            if t > 0:
                eaten += t
                left -= t
            if eaten:
                assert level is not None
                level.size -= eaten
                self._queue_eaten(symbol, opp, price, eaten)
                self.sink.record_public(symbol, price, eaten, side)
        return lots - left

    def check_triggers(self, symbol: str) -> None:
        market = self.markets[symbol]
        for _ in range(len(self.stops[symbol]) + 1):  # a fired stop may fire others
            last = market.last
            fired = [o for o in self.stops[symbol]
                     if (last >= o.trigger if o.trigger_up else last <= o.trigger)]  # type: ignore[operator]
            if not fired:
                return
            for order in fired:
                self.stops[symbol].remove(order)
                order.triggered = True
                if not order.is_open:
                    continue
                if self.sink.activate(order):
                    self._run(order)
                else:
                    self.finish(order, "canceled", order.reason or "insufficient funds at trigger")
