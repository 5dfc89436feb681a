"""What an order would do right now: walked against the current book. Pure reads of the Desk."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..domain.book import Walk
from ..domain.market import Problem
from ..desk.account import holding
from ..domain.orders import OrderSpec, OrderType


@dataclass(frozen=True)
class Preview:
    spec: OrderSpec
    walk: Walk | None
    expected_average: Decimal | None
    slippage_bps: Decimal | None
    notional: Decimal | None
    marketable: Decimal  # how much would trade on arrival
    rests: Decimal  # how much would rest (limits)
    position_before: Decimal
    position_after: Decimal
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def preview(desk, spec: OrderSpec, *, check: bool = True, order=None) -> Preview:
    book = desk.book(spec.venue, spec.symbol)
    limit = spec.price if spec.type is OrderType.LIMIT else None
    walk = None
    marketable = Decimal(0)
    average = None
    slippage = None
    if book is not None and spec.type in (OrderType.MARKET, OrderType.LIMIT):
        walk = book.walk(spec.side, spec.amount, limit)
        marketable = walk.filled
        if spec.type is OrderType.MARKET:
            average, slippage = walk.average, walk.slippage_bps
        elif walk.filled:
            rest_cost = (spec.amount - walk.filled) * (spec.price or 0)
            average = (walk.cost + rest_cost) / spec.amount
            slippage = _slip(spec, average, book.mid)
        else:
            average = spec.price
            slippage = _slip(spec, average, book.mid)
    elif spec.type.has_trigger:
        average = spec.price or spec.trigger_price
        slippage = _slip(spec, average, book.mid if book else None)
    try:
        contract = desk.market(spec.venue, spec.symbol).contract_size
    except Exception:
        contract = Decimal(1)
    reference = average or spec.price or spec.trigger_price or (book.mid if book else None)
    notional = spec.amount * reference * contract if reference is not None else None
    before = holding(desk, spec.venue, spec.symbol)  # on spot, what is held
    after = before + spec.side.sign * spec.amount
    problems = (desk.check(spec, order) if order is not None else desk.check(spec)) if check else []
    rests = spec.amount - marketable if spec.type is OrderType.LIMIT else Decimal(0)
    return Preview(spec, walk, average, slippage, notional, marketable, rests, before, after, problems)


def _slip(spec: OrderSpec, price: Decimal | None, mid: Decimal | None) -> Decimal | None:
    if price is None or not mid:
        return None
    return spec.side.sign * (price - mid) / mid * Decimal(10000)
