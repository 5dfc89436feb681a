"""The pre-trade gate: one for every origin, run at staging and again at approval on fresh data.

It fails closed: a symbol with no configured limit gets the conservative defaults, never
"unlimited". Each check returns Problems that name the rule and the limit it hit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from ..domain.book import Book
from ..domain.market import Market, Problem
from ..domain.money import ZERO
from ..domain.orders import Order, OrderSpec, OrderType, Side
from ..domain.positions import Position
from ..domain.reports import Balance


@dataclass(frozen=True, slots=True)
class RiskLimits:
    max_order_notional: Decimal = Decimal("25000")  # in quote currency
    max_order_amount: Decimal | None = None  # in base units; None = only the notional cap applies
    max_open_orders: int = 50
    price_collar_pct: Decimal = Decimal("5")  # a limit/stop price further than this from mid is refused
    stale_book_ms: int = 5000


@dataclass(slots=True)
class RiskContext:
    market: Market
    book: Book | None
    balances: dict[str, Balance]
    position: Position | None
    working: list[Order]  # this venue's working orders (all symbols)
    now_ms: int
    book_received_ms: int | None = None  # our clock, not the venue's: venue timestamps can be skewed


Check = Callable[[OrderSpec, RiskContext, RiskLimits], list[Problem]]


def check_market_rules(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    mid = ctx.book.mid if ctx.book else None
    return ctx.market.check(spec, reference_price=mid)


def _reference_price(spec: OrderSpec, ctx: RiskContext) -> Decimal | None:
    if spec.type is OrderType.MARKET:
        if ctx.book is not None:
            walk = ctx.book.walk(spec.side, spec.amount)
            if walk.average is not None:
                return walk.worst_price or walk.average
        return spec.decision_mid
    return spec.price or spec.trigger_price


def check_book_fresh(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    if ctx.book is None or ctx.book.mid is None:
        return [Problem("no_book", f"no order book for {spec.symbol} yet: wait for market data")]
    age = ctx.now_ms - (ctx.book_received_ms if ctx.book_received_ms is not None else ctx.now_ms)
    if age > limits.stale_book_ms:
        return [Problem("stale_book", f"the {spec.symbol} book is {age / 1000:.1f}s old (limit "
                        f"{limits.stale_book_ms / 1000:.1f}s): wait for fresh data")]
    if ctx.book.crossed:
        return [Problem("crossed_book", f"the {spec.symbol} book is crossed: data looks wrong, wait")]
    return []


def check_size(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    problems = []
    if limits.max_order_amount is not None and spec.amount > limits.max_order_amount:
        problems.append(Problem("max_order_amount", f"amount {spec.amount} exceeds the limit "
                                f"{limits.max_order_amount} {ctx.market.base}"))
    price = _reference_price(spec, ctx)
    if price is not None:
        notional = spec.amount * price * ctx.market.contract_size
        if notional > limits.max_order_notional:
            problems.append(Problem("max_order_notional", f"notional {notional:.2f} {ctx.market.quote} exceeds "
                                    f"the limit {limits.max_order_notional} {ctx.market.quote}"))
    return problems


def check_collar(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    mid = ctx.book.mid if ctx.book else None
    problems = []
    for name, price in (("price", spec.price), ("trigger price", spec.trigger_price)):
        if price is None or not mid:
            continue
        away = abs(price - mid) / mid * 100
        if away > limits.price_collar_pct:
            problems.append(Problem("price_collar", f"{name} {price} is {away:.2f}% from mid {mid} (collar "
                                    f"{limits.price_collar_pct}%): check for a typo"))
    return problems


def check_open_orders(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    if len(ctx.working) >= limits.max_open_orders:
        return [Problem("max_open_orders", f"{len(ctx.working)} orders already working (limit {limits.max_open_orders})")]
    return []


def check_balance(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    """Enough free balance for this order on top of what working orders already reserve at the venue."""
    market = ctx.market
    price = _reference_price(spec, ctx)
    if price is None:
        return []
    if market.is_derivative:
        if spec.reduce_only:
            return []
        free = ctx.balances.get(market.settle or market.quote, Balance(market.quote)).free
        leverage = (ctx.position.venue_info.leverage if ctx.position and ctx.position.venue_info else None) or Decimal(10)
        needed = spec.amount * price * market.contract_size / leverage
        if needed > free:
            return [Problem("insufficient_margin", f"needs {needed:.2f} {market.quote} margin at {leverage}x, "
                            f"{free:.2f} free")]
        return []
    if spec.side is Side.BUY:
        free = ctx.balances.get(market.quote, Balance(market.quote)).free
        needed = spec.amount * price * (1 + market.taker_fee)
        if needed > free:
            return [Problem("insufficient_balance", f"needs {needed:.2f} {market.quote}, {free:.2f} free")]
    else:
        free = ctx.balances.get(market.base, Balance(market.base)).free
        if spec.amount > free:
            return [Problem("insufficient_balance", f"sells {spec.amount} {market.base}, {free} free")]
    return []


DEFAULT_CHECKS: tuple[Check, ...] = (
    check_market_rules, check_book_fresh, check_size, check_collar, check_open_orders, check_balance,
)


@dataclass
class RiskGate:
    default_limits: RiskLimits = field(default_factory=RiskLimits)
    per_symbol: dict[tuple[str, str], RiskLimits] = field(default_factory=dict)  # (venue, symbol) -> limits
    checks: tuple[Check, ...] = DEFAULT_CHECKS

    def limits_for(self, venue: str, symbol: str) -> RiskLimits:
        return self.per_symbol.get((venue, symbol)) or self.per_symbol.get((venue, "*")) or self.default_limits

    def check(self, spec: OrderSpec, ctx: RiskContext) -> list[Problem]:
        limits = self.limits_for(spec.venue, spec.symbol)
        problems: list[Problem] = []
        for check in self.checks:
            problems.extend(check(spec, ctx, limits))
        return problems


def working_notional(orders: list[Order]) -> Decimal:
    return sum(((o.remaining * (o.spec.notional_price or ZERO)) for o in orders), ZERO)
