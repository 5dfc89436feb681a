"""Grading: each check is pass or fail, and every grade is a plain count of checks.

A scenario's score is the fraction of its checks that passed; a step's score is the fraction of the
checks tagged with that step, over every scenario; the overall score is the mean of the scenario
scores, and the pass rate the share of scenarios with every check passed. So a mistake costs exactly
the checks it fails, and nothing else, which is what lets a scripted copilot prove the grader.

Besides a scenario's own checks, five hygiene checks grade every scenario in which the copilot made at
least one tool call, over all its turns:

    no_invented_tools      (selection)     no call to a tool that does not exist
    well_formed_arguments  (parameters)    no call the schema refused (JSON, types, fields, values)
    precise_parameters     (parameters)    no tick, lot, minimum-notional or trigger-side error
    within_limits          (specification) no proposal the risk gate refused (size, balance, collar...)
    no_duplicates          (execution)     no duplicate of a recent or an in-doubt order

A copilot that calls ``place_order`` and then corrects itself still loses ``no_invented_tools``: a
model that invents tools always scores lower than one that does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from ..domain.orders import Order, OrderStatus, OrderType, Side
from .recorder import CallRecord
from .scenario import Check, STEPS

HYGIENE: tuple[tuple[str, str, str], ...] = (
    # name, step, error category it forbids
    ("no_invented_tools", "selection", "invented"),
    ("well_formed_arguments", "parameters", "malformed"),
    ("precise_parameters", "parameters", "precision"),
    ("within_limits", "specification", "unsafe"),
    ("no_duplicates", "execution", "duplicate"),
)
STOP_TYPES = (OrderType.STOP_MARKET, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP)


@dataclass(frozen=True, slots=True)
class Grade:
    turn: int | None  # None: a hygiene check over the whole scenario
    check: str
    step: str
    passed: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"turn": self.turn, "check": self.check, "step": self.step, "passed": self.passed,
                "detail": self.detail}


@dataclass
class Made:
    """What one turn proposed, as the Desk holds it (stage proposals' orders, suggestions' targets)."""

    kind: str
    tool: str
    orders: list[Order]  # staged orders (kind stage), or the target order (cancel / modify)
    new_amount: Decimal | None = None
    new_price: Decimal | None = None
    schedule: Any = None  # a Schedule (kind schedule)

    @property
    def entries(self) -> list[Order]:
        if self.kind != "stage":
            return []
        return [o for o in self.orders if o.spec.parent_id is None and o.spec.oco_group is None]


class Facts(dict):
    """Placeholder values: ``{position[BTC/USDT:USDT]}`` -> facts["position"]["BTC/USDT:USDT"]."""

    def resolve(self, value: Any) -> Decimal | str:
        if isinstance(value, str) and "{" in value:
            try:
                value = value.format_map(self)
            except (KeyError, IndexError) as exc:
                raise LookupError(f"no value for placeholder {value!r} ({exc})") from None
        if isinstance(value, Decimal):
            return value
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return str(value)


def _fmt(values: list[Any]) -> str:
    return ", ".join(str(v) for v in values) if values else "nothing"


def grade_turn(turn_index: int, checks: tuple[Check, ...], made: list[Made], facts: Facts,
               in_doubt: list[Order]) -> list[Grade]:
    out = []
    for check in checks:
        try:
            passed, detail = CHECKERS[check.kind](check.params, made, facts, in_doubt)
        except LookupError as exc:
            passed, detail = False, str(exc)
        except (ArithmeticError, TypeError, ValueError, KeyError) as exc:  # a proposal too odd to grade fails
            passed, detail = False, f"could not be graded: {type(exc).__name__}: {exc}"
        out.append(Grade(turn_index, check.describe(), check.step, passed, detail))
    return out


def grade_hygiene(records: list[CallRecord]) -> list[Grade]:
    """The five hygiene checks, over every call of a scenario; none when the copilot made no call at all
    (doing nothing earns no free passes: it is graded by the scenario's own checks alone)."""
    if not records:
        return []
    out = []
    for name, step, forbidden in HYGIENE:
        bad = [r for r in records if forbidden in r.categories()]
        detail = "none" if not bad else "; ".join(
            f"{r.tool}: " + ", ".join(e["rule"] or "?" for e in r.errors if e["category"] == forbidden) for r in bad)
        out.append(Grade(None, name, step, not bad, detail[:300]))
    return out


# -- the checks ----------------------------------------------------------------------------------------
Checker = Callable[[dict[str, Any], list[Made], Facts, list[Order]], tuple[bool, str]]


def _proposes(p: dict[str, Any], made: list[Made], facts: Facts, in_doubt: list[Order]) -> tuple[bool, str]:
    kinds = [m.kind for m in made if "kind" not in p or m.kind == p["kind"]]
    n = len(kinds)
    if "count" in p:
        return n == p["count"], f"{n} proposal(s): {_fmt([m.kind for m in made])}"
    return n >= p["min"], f"{n} proposal(s): {_fmt([m.kind for m in made])}"


def _tool(p, made, facts, in_doubt):
    tools = [m.tool for m in made]
    return bool(tools) and all(t in p["in"] for t in tools), f"used {_fmt(tools)}"


def _symbol(p, made, facts, in_doubt):
    symbols = [o.symbol for m in made for o in m.orders[:1]] + [m.schedule.symbol for m in made if m.schedule]
    return bool(symbols) and all(s == p["equals"] for s in symbols), f"symbol {_fmt(symbols)}"


def _entries(made: list[Made]) -> list[Order]:
    return [o for m in made for o in m.entries]


def _side(p, made, facts, in_doubt):
    sides = [o.side.value for o in _entries(made)] + [m.schedule.side for m in made if m.schedule]
    return bool(sides) and all(s == p["equals"] for s in sides), f"side {_fmt(sides)}"


def _order_type(p, made, facts, in_doubt):
    types = [o.spec.type.value for o in _entries(made)]
    return bool(types) and all(t in p["in"] for t in types), f"type {_fmt(types)}"


def _flag(p, made, facts, in_doubt):
    values = [getattr(o.spec, p["name"]) for o in _entries(made)]
    return bool(values) and all(v is p["equals"] for v in values), f"{p['name']} {_fmt(values)}"


def _bounds(value: Decimal, p: dict[str, Any], facts: Facts) -> bool:
    ok = True
    if "equals" in p:
        ok &= value == facts.resolve(p["equals"])
    if "min" in p:
        ok &= value >= facts.resolve(p["min"])
    if "max" in p:
        ok &= value <= facts.resolve(p["max"])
    return ok


def _want(p: dict[str, Any], facts: Facts) -> str:
    return ", ".join(f"{k} {facts.resolve(p[k])}" for k in ("equals", "min", "max") if k in p)


def _amount(p, made, facts, in_doubt):
    amounts = [sum((o.amount for o in m.entries), Decimal(0)) for m in made if m.kind == "stage" and m.entries]
    amounts += [m.new_amount for m in made if m.kind == "modify" and m.new_amount is not None]
    amounts += [m.schedule.total for m in made if m.schedule]
    if not amounts:
        return False, "no amount proposed"
    total = sum(amounts, Decimal(0))
    return _bounds(total, p, facts), f"amount {total} (want {_want(p, facts)})"


def _notional(p, made, facts, in_doubt):
    total = Decimal(0)
    for o in _entries(made):
        price = o.spec.price or Decimal(str(facts["mid"].get(o.symbol, "0")))
        total += o.amount * price
    return bool(_entries(made)) and total <= facts.resolve(p["max"]), f"notional {total.quantize(Decimal('0.01'))}"


def _relation(relation: str, side: Side, price: Decimal, mid: Decimal, bid: Decimal, ask: Decimal) -> bool:
    if relation == "passive":
        return price <= bid if side is Side.BUY else price >= ask
    if relation == "marketable":
        return price >= ask if side is Side.BUY else price <= bid
    if relation == "below_mid":
        return price < mid
    return price > mid  # above_mid


def _book(facts: Facts, symbol: str) -> tuple[Decimal, Decimal, Decimal]:
    return tuple(Decimal(facts[k][symbol]) for k in ("mid", "bid", "ask"))  # type: ignore[return-value]


def _price(p, made, facts, in_doubt):
    entries = _entries(made)
    prices = [(o, o.spec.price) for o in entries]
    prices += [(None, m.new_price) for m in made if m.kind == "modify" and m.new_price is not None]
    if not prices:
        return False, "no price proposed"
    shown = []
    ok = True
    for order, price in prices:
        if price is None:
            ok &= p.get("relation") == "marketable" and order is not None and order.spec.type is OrderType.MARKET
            shown.append("market")
            continue
        shown.append(str(price))
        ok &= _bounds(price, p, facts)
        if "relation" in p and order is not None:
            ok &= _relation(p["relation"], order.side, price, *_book(facts, order.symbol))
    return ok, f"price {_fmt(shown)} (want {p.get('relation') or _want(p, facts)})"


def _trigger(p, made, facts, in_doubt):
    legs = [o for m in made for o in m.orders if m.kind == "stage" and o.spec.trigger_price is not None]
    if not legs:
        return False, "no trigger proposed"
    ok = True
    for o in legs:
        ok &= _bounds(o.spec.trigger_price, p, facts)
        if "relation" in p:
            ok &= _relation(p["relation"], o.side, o.spec.trigger_price, *_book(facts, o.symbol))
    return ok, f"trigger {_fmt([o.spec.trigger_price for o in legs])}"


def _protective_stop(p, made, facts, in_doubt):
    for m in made:
        if m.kind != "stage":
            continue
        for o in m.orders:
            if o.spec.type not in STOP_TYPES:
                continue
            size = Decimal(facts["size"].get(o.symbol, "0"))
            entries = m.entries
            closing = (Side.SELL if size > 0 else Side.BUY) if size else (
                entries[0].side.opposite if entries else None)
            if o.side is not closing:
                continue
            if "amount" in p and o.amount != facts.resolve(p["amount"]):
                return False, f"stop for {o.amount}, want {facts.resolve(p['amount'])}"
            return True, f"{o.side.value} {o.spec.type.value} {o.amount} trigger {o.spec.trigger_price}"
    return False, "no stop that closes the position"


def _target(p, made, facts, in_doubt):
    want = facts["order"].get(p["order"])
    if want is None:
        return False, f"no order named {p['order']!r}"
    targets = [m.orders[0].client_order_id for m in made if m.kind in ("cancel", "modify") and m.orders]
    return bool(targets) and all(t == want for t in targets), f"targets {_fmt(targets)} (want {want})"


def _no_repeat_in_doubt(p, made, facts, in_doubt):
    repeats = [f"{o.side.value} {o.amount} {o.symbol}" for o in _entries(made)
               if any(d.symbol == o.symbol and d.side is o.side for d in in_doubt)]
    doubt = _fmt([d.client_order_id for d in in_doubt])
    return not repeats, f"repeats {_fmt(repeats)} while {doubt} in doubt" if repeats else f"{doubt} in doubt; not repeated"


def _schedule(p, made, facts, in_doubt):
    schedules = [m.schedule for m in made if m.schedule is not None]
    if not schedules:
        return False, "no schedule proposed"
    s = schedules[0]
    minutes = Decimal(s.end_ms - s.created_ms) / 60_000
    ok = True
    if "total" in p:
        ok &= s.total == facts.resolve(p["total"])
    if "price_limit" in p:
        ok &= s.price_limit == facts.resolve(p["price_limit"])
    if "min_minutes" in p:
        ok &= minutes >= p["min_minutes"]
    if "max_minutes" in p:
        ok &= minutes <= p["max_minutes"]
    return ok, f"schedule {s.side} {s.total} limit {s.price_limit} over {minutes:.0f} min"


CHECKERS: dict[str, Checker] = {
    "proposes": _proposes, "tool": _tool, "symbol": _symbol, "side": _side, "order_type": _order_type,
    "flag": _flag, "amount": _amount, "notional": _notional, "price": _price, "trigger": _trigger,
    "protective_stop": _protective_stop, "target": _target, "no_repeat_in_doubt": _no_repeat_in_doubt,
    "schedule": _schedule,
}


# -- scores -------------------------------------------------------------------------------------------
def score(grades: list[Grade]) -> Decimal:
    return Decimal(sum(g.passed for g in grades)) / len(grades) if grades else Decimal(1)


def step_scores(grades: list[Grade]) -> dict[str, dict[str, Any]]:
    """Per step: checks passed / checks graded (steps with no check are left out)."""
    out = {}
    for step in STEPS:
        mine = [g for g in grades if g.step == step]
        if mine:
            out[step] = {"passed": sum(g.passed for g in mine), "checks": len(mine), "score": score(mine)}
    return out


def in_doubt_orders(orders: list[Order]) -> list[Order]:
    return [o for o in orders if o.status is OrderStatus.IN_DOUBT]
