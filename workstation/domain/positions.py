"""Positions derived from fills, average-cost method.

A position is never set from outside; it is the fold of its fills. The venue's own view
(leverage, margin, liquidation price) is attached for derivatives, and the reconciler
compares the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Iterable

from .money import ZERO
from .orders import Fill


@dataclass(frozen=True, slots=True)
class VenuePositionInfo:
    """What the venue reports for a derivatives position. Informational: fills stay the truth here."""

    size: Decimal  # signed, in the market's order unit: contracts on a contract market (as fills and orders)
    entry_price: Decimal | None = None
    mark_price: Decimal | None = None
    leverage: Decimal | None = None
    margin: Decimal | None = None
    liquidation_price: Decimal | None = None
    unrealized_pnl: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Position:
    venue: str
    symbol: str
    size: Decimal = ZERO  # signed: long > 0, short < 0
    average_entry: Decimal = ZERO
    realized_pnl: Decimal = ZERO  # before fees
    fees: Decimal = ZERO
    fill_count: int = 0
    venue_info: VenuePositionInfo | None = field(default=None, compare=False)
    stop_loss: Decimal | None = field(default=None, compare=False)
    take_profit: Decimal | None = field(default=None, compare=False)

    @property
    def side(self) -> str:
        return "long" if self.size > 0 else "short" if self.size < 0 else "flat"

    def unrealized_pnl(self, mark: Decimal | None) -> Decimal:
        if mark is None or not self.size:
            return ZERO
        return self.size * (mark - self.average_entry)

    def notional(self, mark: Decimal | None) -> Decimal:
        return abs(self.size) * (mark if mark is not None else self.average_entry)

    def apply(self, fill: Fill) -> "Position":
        qty = fill.amount * fill.side.sign  # signed change
        size, avg, realized = self.size, self.average_entry, self.realized_pnl
        if size == 0 or (size > 0) == (qty > 0):
            new_size = size + qty
            avg = (abs(size) * avg + abs(qty) * fill.price) / abs(new_size)
            size = new_size
        else:
            closing = min(abs(qty), abs(size))
            direction = 1 if size > 0 else -1
            realized += closing * (fill.price - avg) * direction
            size = size + qty
            if size == 0:
                avg = ZERO
            elif (size > 0) != (direction > 0):
                avg = fill.price  # flipped: the remainder opened at this fill's price
        return replace(
            self,
            size=size,
            average_entry=avg,
            realized_pnl=realized,
            fees=self.fees + fee_in_quote(fill),
            fill_count=self.fill_count + 1,
        )


def fee_in_quote(fill: Fill) -> Decimal:
    """Fees are summed in the quote currency; a fee charged in the base asset is valued at the fill price."""
    base = fill.symbol.split("/")[0]
    return fill.fee * fill.price if fill.fee_currency == base else fill.fee


def position_from_fills(venue: str, symbol: str, fills: Iterable[Fill]) -> Position:
    pos = Position(venue, symbol)
    for fill in sorted(fills, key=lambda f: (f.timestamp_ms, f.trade_id)):
        pos = pos.apply(fill)
    return pos
