"""The execution record: one ended (or ending) order as the log shows it and as export writes it.

Sign convention (reference/risk-tca.md section 3): s = +1 for a buy, -1 for a sell, and
slippage = s * (P - B) / B * 10^4 bps, so a positive number is always a cost.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from .money import BPS
from .orders import LEGS, Order, OrderType, Side


def slippage_bps(side: Side, price: Decimal | None, benchmark: Decimal | None) -> Decimal | None:
    if price is None or not benchmark:
        return None
    return side.sign * (price - benchmark) / benchmark * BPS


def leg_ms(order: Order, start: str, end: str) -> float | None:
    """Milliseconds between two legs from the monotonic clock; None when either leg is missing.

    A float here is a duration for display and export, never money.
    """
    a, b = order.mono_ns.get(start), order.mono_ns.get(end)
    if a is None or b is None:
        return None
    return round((b - a) / 1_000_000, 3)


def _q(value: Decimal | None, places: str = "0.01") -> Decimal | None:
    return None if value is None else value.quantize(Decimal(places), rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class Execution:
    client_order_id: str
    venue: str
    symbol: str
    side: Side
    order_type: OrderType
    origin: str
    status: str
    amount: Decimal
    filled: Decimal
    intended_price: Decimal | None
    decision_mid: Decimal | None
    approval_mid: Decimal | None
    arrival_mid: Decimal | None
    average_price: Decimal | None
    fees: Decimal
    fee_currency: str
    slippage_bps: Decimal | None  # against the intended price
    slippage_decision_bps: Decimal | None
    slippage_approval_bps: Decimal | None
    slippage_arrival_bps: Decimal | None
    partial_fill: bool
    fill_ratio: Decimal
    latency_ms: float | None  # sent -> acked: the venue round trip
    time_to_first_fill_ms: float | None
    time_to_complete_ms: float | None
    approval_wait_ms: float | None  # staged -> approved: the human's part
    legs_wall_ms: dict[str, int]
    legs_ms: dict[str, float | None]  # each leg from "decided"
    errors: tuple[str, ...]
    reason: str

    @classmethod
    def from_order(cls, order: Order) -> "Execution":
        spec = order.spec
        avg = order.average
        if order.intended_price is not None:  # a stop released here: the level it fired at
            intended = order.intended_price
        elif spec.type is OrderType.MARKET:
            intended = spec.decision_mid
        elif spec.type.has_limit_price:
            intended = spec.price
        else:  # a stop / take-profit / trailing stop at the venue: its trigger, not a mid
            intended = spec.trigger_price
        if intended is None:
            intended = order.arrival_mid
        ratio = order.filled / spec.amount if spec.amount else Decimal(0)
        start = "decided" if "decided" in order.mono_ns else "staged"
        return cls(
            client_order_id=order.client_order_id,
            venue=spec.venue,
            symbol=spec.symbol,
            side=spec.side,
            order_type=spec.type,
            origin=spec.origin.value,
            status=order.status.value,
            amount=spec.amount,
            filled=order.filled,
            intended_price=intended,
            decision_mid=spec.decision_mid,
            approval_mid=order.approval_mid,
            arrival_mid=order.arrival_mid,
            average_price=avg,
            fees=order.fee,
            fee_currency=order.fee_currency,
            slippage_bps=_q(slippage_bps(spec.side, avg, intended)),
            slippage_decision_bps=_q(slippage_bps(spec.side, avg, spec.decision_mid)),
            slippage_approval_bps=_q(slippage_bps(spec.side, avg, order.approval_mid)),
            slippage_arrival_bps=_q(slippage_bps(spec.side, avg, order.arrival_mid)),
            partial_fill=Decimal(0) < order.filled < spec.amount,
            fill_ratio=_q(ratio, "0.0001") or Decimal(0),
            latency_ms=leg_ms(order, "sent", "acked"),
            time_to_first_fill_ms=leg_ms(order, "sent", "first_fill"),
            time_to_complete_ms=leg_ms(order, "sent", "done") if order.filled == spec.amount else None,
            approval_wait_ms=leg_ms(order, "staged", "approved"),
            legs_wall_ms=dict(order.wall_ms),
            legs_ms={leg: leg_ms(order, start, leg) for leg in LEGS if leg in order.mono_ns},
            errors=tuple(order.errors),
            reason="" if order.status.value == "filled" else order.reason,  # a cancel that lost the race
        )

    def as_record(self) -> dict:
        """A flat, JSON-friendly dict: Decimals as strings so no precision is lost on the way out."""
        out = {}
        for key, value in asdict(self).items():
            if isinstance(value, Decimal):
                out[key] = str(value)
            elif isinstance(value, (Side, OrderType)):
                out[key] = value.value
            elif isinstance(value, tuple):
                out[key] = list(value)
            else:
                out[key] = value
        return out
