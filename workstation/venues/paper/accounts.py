"""Balances, reservations and the perpetual's isolated-margin positions.

One wallet per currency (a unified account, like Bybit UTA): spot and the perp share
USDT. `used` is kept incrementally (reservations of open orders plus isolated position
margins) so a funds check costs O(1) however many orders rest. Fees are charged in the
quote/settle currency. All amounts are exact Decimals; only divisions are quantized.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from .market import MarketSpec
from .matching import Order

ZERO = Decimal(0)
ONE = Decimal(1)
Q8 = Decimal("0.00000001")


def q8(x: Decimal) -> Decimal:
    return x.quantize(Q8, rounding=ROUND_HALF_EVEN)


@dataclass(slots=True)
class Position:
    symbol: str
    lots: int  # signed: >0 long, <0 short
    entry: Decimal
    margin: Decimal
    leverage: int
    timestamp: int
    realized: Decimal = ZERO


def liquidation_price(pos: Position, spec: MarketSpec) -> Decimal:
    """Isolated linear: the mark at which margin + uPnL equals maintenance margin.

    long:  (entry - margin/Q) / (1 - mmr)      short: (entry + margin/Q) / (1 + mmr)
    """
    qty = abs(pos.lots) * spec.lot * spec.contract_size
    if pos.lots > 0:
        return max(ZERO, q8((pos.entry - pos.margin / qty) / (ONE - spec.mmr)))
    return q8((pos.entry + pos.margin / qty) / (ONE + spec.mmr))


class Accounts:
    def __init__(self, balances: dict[str, Decimal]) -> None:
        self.total: dict[str, Decimal] = dict(balances)
        self.used: dict[str, Decimal] = dict.fromkeys(balances, ZERO)
        self.positions: dict[str, Position] = {}
        self.leverage: dict[str, int] = {}

    def free(self, ccy: str) -> Decimal:
        return self.total.get(ccy, ZERO) - self.used.get(ccy, ZERO)

    def _adjust_used(self, ccy: str, delta: Decimal) -> None:
        self.used[ccy] = self.used.get(ccy, ZERO) + delta
        self.total.setdefault(ccy, ZERO)

    def set_reserved(self, order: Order, ccy: str, amount: Decimal) -> None:
        if order.reserve_ccy:
            self._adjust_used(order.reserve_ccy, -order.reserved)
        order.reserve_ccy, order.reserved = ccy, amount
        self._adjust_used(ccy, amount)

    def release(self, order: Order, amount: Decimal | None = None) -> None:
        """Give back part (or, with None, all) of an order's reservation."""
        if not order.reserve_ccy:
            return
        give = order.reserved if amount is None else min(order.reserved, amount)
        order.reserved -= give
        self._adjust_used(order.reserve_ccy, -give)

    # ---- what an order must set aside -----------------------------------------------------
    def opening_lots(self, spec: MarketSpec, side: str, lots: int) -> int:
        pos = self.positions.get(spec.symbol)
        held = pos.lots if pos else 0
        signed = lots if side == "buy" else -lots
        if held == 0 or (held > 0) == (signed > 0):
            return lots
        return max(0, lots - abs(held))

    def requirement(self, spec: MarketSpec, side: str, lots: int, price: Decimal,
                    reduce_only: bool = False) -> tuple[str, Decimal]:
        """(currency, amount) to set aside for `lots` at `price` (limit, trigger or walk avg)."""
        qty = lots * spec.lot
        if spec.is_swap:
            if reduce_only:
                return spec.settle or spec.quote, ZERO
            lev = self.leverage_for(spec)
            opening = self.opening_lots(spec, side, lots) * spec.lot * spec.contract_size
            return spec.settle or spec.quote, q8(opening * price / lev) + qty * price * spec.taker
        if side == "buy":
            return spec.quote, qty * price * (ONE + spec.taker)
        return spec.base, qty

    def leverage_for(self, spec: MarketSpec) -> int:
        return self.leverage.get(spec.symbol, spec.default_leverage)

    # ---- fills -----------------------------------------------------------------------------
    def apply_fill(self, spec: MarketSpec, order: Order, lots: int, price: Decimal,
                   rate: Decimal, now: int) -> tuple[Decimal, str, Decimal | None]:
        """Move money for one fill; returns (fee, fee currency, realized pnl or None)."""
        qty = lots * spec.lot
        notional = qty * price * spec.contract_size
        fee = notional * rate
        ref = price if order.price is None else Decimal(order.price) * spec.tick
        if spec.is_swap:
            settle = spec.settle or spec.quote
            self.release(order, q8(qty * ref / self.leverage_for(spec)) + qty * ref * spec.taker)
            realized = self._position_fill(spec, order.side, lots, price, now)
            self.total[settle] = self.total.get(settle, ZERO) - fee + realized
            return fee, settle, realized
        if order.side == "buy":
            self.release(order, qty * ref * (ONE + spec.taker))
            self.total[spec.quote] = self.total.get(spec.quote, ZERO) - notional - fee
            self.total[spec.base] = self.total.get(spec.base, ZERO) + qty
        else:
            self.release(order, qty)
            self.total[spec.base] = self.total.get(spec.base, ZERO) - qty
            self.total[spec.quote] = self.total.get(spec.quote, ZERO) + notional - fee
        return fee, spec.quote, None

    def _position_fill(self, spec: MarketSpec, side: str, lots: int, price: Decimal,
                       now: int) -> Decimal:
        settle = spec.settle or spec.quote
        pos = self.positions.get(spec.symbol)
        if pos is None:
            pos = Position(spec.symbol, 0, ZERO, ZERO, self.leverage_for(spec), now)
            self.positions[spec.symbol] = pos
        unit = spec.lot * spec.contract_size
        signed = lots if side == "buy" else -lots
        realized = ZERO
        if pos.lots and (pos.lots > 0) != (signed > 0):
            closing = min(lots, abs(pos.lots))
            direction = 1 if pos.lots > 0 else -1
            realized = (price - pos.entry) * closing * unit * direction
            freed = pos.margin if closing == abs(pos.lots) else q8(pos.margin * closing / abs(pos.lots))
            pos.margin -= freed
            self._adjust_used(settle, -freed)
            pos.lots -= direction * closing
            pos.realized += realized
            lots -= closing
        if lots:
            held = abs(pos.lots)
            pos.entry = price if held == 0 else q8((pos.entry * held + price * lots) / (held + lots))
            if held == 0:
                pos.timestamp = now
                pos.leverage = self.leverage_for(spec)
            add = q8(lots * unit * price / self.leverage_for(spec))
            pos.margin += add
            self._adjust_used(settle, add)
            pos.lots += lots if side == "buy" else -lots
        if pos.lots == 0:
            del self.positions[spec.symbol]
        return realized

    def liquidate(self, spec: MarketSpec) -> Position | None:
        """Close the position at mark with its whole isolated margin lost."""
        pos = self.positions.pop(spec.symbol, None)
        if pos is None:
            return None
        settle = spec.settle or spec.quote
        self._adjust_used(settle, -pos.margin)
        self.total[settle] = self.total.get(settle, ZERO) - pos.margin
        return pos
