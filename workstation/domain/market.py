"""A venue's market and its rules: precision, limits, and what an order must satisfy before it is sent.

ccxt does not check limits (see reference/ccxt.md section 3), so every order is checked here,
with a message that names the rule and says what would pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .money import ZERO, ceil_to_step, floor_to_step, is_multiple
from .orders import OrderSpec, OrderType, Side


@dataclass(frozen=True, slots=True)
class Problem:
    """One failed check: ``rule`` is a stable id, ``message`` is for the trader."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


@dataclass(frozen=True, slots=True)
class Market:
    venue: str
    symbol: str
    base: str
    quote: str
    kind: str = "spot"  # "spot" | "swap" | "future"
    settle: str | None = None
    tick: Decimal = Decimal("0.01")
    lot: Decimal = Decimal("0.00001")
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    min_cost: Decimal | None = None
    max_cost: Decimal | None = None
    contract_size: Decimal = Decimal("1")
    maker_fee: Decimal = ZERO
    taker_fee: Decimal = ZERO
    max_leverage: Decimal | None = None
    active: bool = True
    capabilities: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_derivative(self) -> bool:
        return self.kind != "spot"

    def round_price(self, price: Decimal, side: Side) -> Decimal:
        """Side-aware tick rounding: a buy never rounds up past the trader's price, a sell never down."""
        return floor_to_step(price, self.tick) if side is Side.BUY else ceil_to_step(price, self.tick)

    def round_amount(self, amount: Decimal) -> Decimal:
        return floor_to_step(amount, self.lot)

    def price_decimals(self) -> int:
        return max(0, -self.tick.normalize().as_tuple().exponent)

    def amount_decimals(self) -> int:
        return max(0, -self.lot.normalize().as_tuple().exponent)

    def check(self, spec: OrderSpec, reference_price: Decimal | None = None) -> list[Problem]:
        """Every venue rule the spec breaks. ``reference_price`` prices market orders for min notional."""
        problems: list[Problem] = []
        if not self.active:
            problems.append(Problem("market_inactive", f"{self.symbol} is not trading on {self.venue} now"))
        if spec.reduce_only and not self.is_derivative:
            problems.append(Problem("reduce_only_spot", "reduce-only applies to derivatives; on spot just sell what you hold"))
        if not is_multiple(spec.amount, self.lot):
            # plain digits, never "1E-7"; and never "try 0.00000" for an amount below one lot
            rounded = self.round_amount(spec.amount)
            fix = f"try {rounded:f}" if rounded > 0 else f"the smallest is {self.lot:f} {self.base}"
            problems.append(
                Problem("amount_step", f"amount {spec.amount:f} is not a multiple of the lot size {self.lot:f}: {fix}")
            )
        if self.min_amount is not None and spec.amount < self.min_amount:
            problems.append(Problem("amount_min", f"amount {spec.amount:f} is below the minimum {self.min_amount:f} "
                                    f"{self.base}"))
        if self.max_amount is not None and spec.amount > self.max_amount:
            problems.append(Problem("amount_max", f"amount {spec.amount:f} is above the maximum {self.max_amount:f} "
                                    f"{self.base}"))
        for name, price in (("price", spec.price), ("trigger price", spec.trigger_price)):
            if price is None:
                continue
            if not is_multiple(price, self.tick):
                problems.append(
                    Problem("price_tick", f"{name} {price:f} is off the tick {self.tick:f}: try "
                            f"{self.round_price(price, spec.side):f}")
                )
            if self.min_price is not None and price < self.min_price:
                problems.append(Problem("price_min", f"{name} {price} is below the venue's minimum {self.min_price}"))
            if self.max_price is not None and price > self.max_price:
                problems.append(Problem("price_max", f"{name} {price} is above the venue's maximum {self.max_price}"))
        price = spec.price if spec.type is not OrderType.MARKET else None
        price = price or spec.trigger_price or reference_price
        if price is not None:
            cost = spec.amount * price * self.contract_size
            if self.min_cost is not None and cost < self.min_cost:
                problems.append(
                    Problem("cost_min", f"notional {cost.quantize(Decimal('0.01'))} {self.quote} is below the "
                            f"minimum {self.min_cost} {self.quote}: increase the amount")
                )
            if self.max_cost is not None and cost > self.max_cost:
                problems.append(Problem("cost_max", f"notional {cost} {self.quote} is above the maximum {self.max_cost}"))
        return problems
