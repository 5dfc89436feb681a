"""An L2 order book snapshot and the walk that prices a market order against it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .money import BPS, ZERO
from .orders import Side

Level = tuple[Decimal, Decimal]  # (price, amount)


@dataclass(frozen=True, slots=True)
class Walk:
    """What a market order of ``requested`` would do against the book right now."""

    side: Side
    requested: Decimal
    filled: Decimal
    cost: Decimal
    worst_price: Decimal | None
    levels: int
    mid: Decimal | None

    @property
    def complete(self) -> bool:
        return self.filled == self.requested

    @property
    def average(self) -> Decimal | None:
        return self.cost / self.filled if self.filled else None

    @property
    def slippage_bps(self) -> Decimal | None:
        """Expected cost against the mid, positive = worse than mid, for buys and sells alike."""
        if self.average is None or not self.mid:
            return None
        return self.side.sign * (self.average - self.mid) / self.mid * BPS


@dataclass(frozen=True, slots=True)
class Book:
    symbol: str
    bids: tuple[Level, ...]  # best (highest) first
    asks: tuple[Level, ...]  # best (lowest) first
    timestamp_ms: int = 0
    venue: str = ""

    @property
    def best_bid(self) -> Decimal | None:
        return self.bids[0][0] if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        return self.asks[0][0] if self.asks else None

    @property
    def mid(self) -> Decimal | None:
        if not self.bids or not self.asks:
            return None
        return (self.bids[0][0] + self.asks[0][0]) / 2

    @property
    def spread(self) -> Decimal | None:
        if not self.bids or not self.asks:
            return None
        return self.asks[0][0] - self.bids[0][0]

    @property
    def spread_bps(self) -> Decimal | None:
        mid = self.mid
        spread = self.spread
        return spread / mid * BPS if mid and spread is not None else None

    @property
    def crossed(self) -> bool:
        return bool(self.bids and self.asks and self.bids[0][0] >= self.asks[0][0])

    def side_levels(self, taker_side: Side) -> tuple[Level, ...]:
        """The levels a taker on ``taker_side`` trades against."""
        return self.asks if taker_side is Side.BUY else self.bids

    def walk(self, side: Side, amount: Decimal, limit_price: Decimal | None = None) -> Walk:
        """Consume levels best first until ``amount`` is filled, or the book (or the limit) runs out."""
        remaining = amount
        cost = ZERO
        worst: Decimal | None = None
        levels = 0
        for price, size in self.side_levels(side):
            if remaining <= 0:
                break
            if limit_price is not None and (price > limit_price if side is Side.BUY else price < limit_price):
                break
            take = size if size < remaining else remaining
            cost += take * price
            remaining -= take
            worst = price
            levels += 1
        return Walk(side, amount, amount - remaining, cost, worst, levels, self.mid)

    def depth(self, side: Side, levels: int) -> Decimal:
        """Total size on a book side (bids for BUY) over the first ``levels``."""
        book_side = self.bids if side is Side.BUY else self.asks
        return sum((size for _, size in book_side[:levels]), ZERO)
