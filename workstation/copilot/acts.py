"""The act tools: each can only stage orders at the Desk (PENDING_APPROVAL, origin copilot) or record a
cancel / modify suggestion; either way the result is a Proposal that waits for the trader.

Before anything is staged the orders are checked as the Desk would (the market's rules and the risk
gate, a dry run through ``CopilotView.check``) plus a few checks of our own (a stop on the right
side of the market, a type the venue supports). Every problem comes back as a FieldError naming the
field and what would pass. Handlers are registered in catalogue.py.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..domain.market import Market, Problem
from ..domain.money import ZERO
from ..domain.orders import InvalidSpec, OrderSpec, OrderStatus, OrderType, Origin, Side, TimeInForce
from ..domain.reports import Balance
from .proposals import Proposal, expected_cost, impact, new_proposal_id, take_snapshot
from .results import ToolResult, _ceil, _floor, text
from .schema import FieldError

ORDER_TYPES = [t.value for t in OrderType]


def _spec(session: Any, m: Market, args: dict[str, Any], errors: list[FieldError], label: str = "",
          **fields: Any) -> OrderSpec | None:
    try:
        return OrderSpec(venue=m.venue, symbol=m.symbol, origin=Origin.COPILOT,
                         decision_mid=session.view.mark(m.venue, m.symbol), decided_at_ms=session.view.now_ms(),
                         rationale=args.get("rationale", ""), **fields)
    except InvalidSpec as exc:
        errors.append(FieldError(_field_of_invalid(str(exc)), label + str(exc), "", "invalid_order"))
        return None


async def stage_order(session: Any, args: dict[str, Any]) -> ToolResult:
    m = session.resolve(args.get("venue"), args["symbol"])
    errors: list[FieldError] = []
    fields = {k: args[k] for k in ("amount", "price", "trigger_price", "trailing_amount", "trailing_percent",
                                   "post_only", "reduce_only") if k in args}
    spec = _spec(session, m, args, errors, side=Side(args["side"]), type=OrderType(args["type"]),
                      time_in_force=TimeInForce(args.get("time_in_force", "GTC")), **fields)
    if spec is None:
        return ToolResult("stage_order", False, errors=errors)
    return await _propose(session, "stage_order", m, [("", spec)], args["rationale"])


async def stage_bracket(session: Any, args: dict[str, Any]) -> ToolResult:
    m = session.resolve(args.get("venue"), args["symbol"])
    side = Side(args["side"])
    errors: list[FieldError] = []
    entry_type = OrderType(args["entry_type"])
    if entry_type is OrderType.LIMIT and "price" not in args:
        errors.append(FieldError("price", "is required for a limit entry", 'add price, e.g. "3000.50", or use '
                                 'entry_type "market"', "missing_field"))
    if entry_type is OrderType.MARKET and "price" in args:
        errors.append(FieldError("price", "a market entry takes no price", 'remove price or use entry_type '
                                 '"limit"', "extra_field"))
    if errors:
        return ToolResult("stage_bracket", False, errors=errors)
    entry_ref = args.get("price") or session.view.mark(m.venue, m.symbol)
    stop, take = args["stop_loss"], args["take_profit"]
    if entry_ref is not None:
        if side is Side.BUY and not stop < entry_ref < take:
            errors.append(FieldError("stop_loss" if stop >= entry_ref else "take_profit",
                                     f"a buy bracket needs stop_loss < entry ({entry_ref}) < take_profit; got "
                                     f"stop_loss {stop}, take_profit {take}",
                                     "put the stop below the entry and the take-profit above it", "wrong_side"))
        if side is Side.SELL and not take < entry_ref < stop:
            errors.append(FieldError("stop_loss" if stop <= entry_ref else "take_profit",
                                     f"a sell bracket needs take_profit < entry ({entry_ref}) < stop_loss; got "
                                     f"stop_loss {stop}, take_profit {take}",
                                     "put the stop above the entry and the take-profit below it", "wrong_side"))
    if errors:
        return ToolResult("stage_bracket", False, errors=errors)
    exit_side = side.opposite
    reduce = m.is_derivative
    oco = f"oco{new_proposal_id()}"
    entry = _spec(session, m, args, errors, "entry: ", side=side, type=entry_type, amount=args["amount"],
                       price=args.get("price"))
    stop_leg = _spec(session, m, args, errors, "stop_loss: ", side=exit_side, type=OrderType.STOP_MARKET,
                          amount=args["amount"], trigger_price=stop, reduce_only=reduce, oco_group=oco)
    tp_leg = _spec(session, m, args, errors, "take_profit: ", side=exit_side, type=OrderType.LIMIT,
                        amount=args["amount"], price=take, reduce_only=reduce, oco_group=oco)
    if errors or entry is None or stop_leg is None or tp_leg is None:
        return ToolResult("stage_bracket", False, errors=errors)
    return await _propose(session, "stage_bracket", m, [("entry", entry), ("stop_loss", stop_leg),
                                                    ("take_profit", tp_leg)], args["rationale"], bracket=True)


async def stage_scaled(session: Any, args: dict[str, Any]) -> ToolResult:
    m = session.resolve(args.get("venue"), args["symbol"])
    side, count = Side(args["side"]), args["orders"]
    total, first, last = args["total_amount"], args["from_price"], args["to_price"]
    errors: list[FieldError] = []
    each = _floor(total / count, m.lot)
    if each <= 0 or (m.min_amount is not None and each < m.min_amount):
        smallest = max(m.min_amount or m.lot, m.lot) * count
        errors.append(FieldError("total_amount", f"{total} split over {count} orders is {total / count} each, "
                                 f"below the minimum {m.min_amount or m.lot} {m.base}",
                                 f"use total_amount of at least {smallest} or fewer orders", "amount_min"))
        return ToolResult("stage_scaled", False, errors=errors)
    step = (last - first) / (count - 1)
    legs = []
    allocated = ZERO
    for i in range(count):
        amount = each if i < count - 1 else total - allocated
        allocated += amount
        raw = first + step * i
        price = m.round_price(raw, side)
        spec = _spec(session, m, args, errors, f"order {i + 1} of {count}: ", side=side, type=OrderType.LIMIT,
                          amount=amount, price=price)
        if spec is not None:
            legs.append((f"order {i + 1} of {count}", spec))
    if errors:
        return ToolResult("stage_scaled", False, errors=errors)
    return await _propose(session, "stage_scaled", m, legs, args["rationale"])


async def propose_cancel(session: Any, args: dict[str, Any]) -> ToolResult:
    order, error = _working(session, args["client_order_id"])
    if error:
        return ToolResult("propose_cancel", False, errors=[error])
    return _action(session, "propose_cancel", "cancel", order, args["rationale"])


async def propose_modify(session: Any, args: dict[str, Any]) -> ToolResult:
    order, error = _working(session, args["client_order_id"], modify=True)
    if error:
        return ToolResult("propose_modify", False, errors=[error])
    if "amount" not in args and "price" not in args:
        return ToolResult("propose_modify", False, errors=[FieldError(
            "amount", "nothing to change", "give a new amount, a new price, or both", "missing_field")])
    errors: list[FieldError] = []
    m = session.view.market(order.venue, order.symbol)
    new_amount, new_price = args.get("amount"), args.get("price")
    if new_amount is not None and new_amount <= order.filled:
        errors.append(FieldError("amount", f"{new_amount} is not above the {order.filled} already filled",
                                 f"use more than {order.filled}", "impossible_value"))
    if new_price is not None and not order.spec.type.has_limit_price:
        errors.append(FieldError("price", f"a {order.spec.type.value} order has no limit price to change",
                                 "change the amount, or propose a cancel and a new order", "invalid_value"))
    if errors:
        return ToolResult("propose_modify", False, errors=errors)
    new_spec = order.spec.with_changes(amount=new_amount or order.spec.amount, price=new_price or order.spec.price)
    # the order's own reservation is already counted: skip balance and open-order count, as the Desk does
    problems = [p for p in session.view.check(new_spec) if p.rule not in ("max_open_orders", "insufficient_balance")]
    errors = [problem_error(session, p, new_spec, m) for p in problems]
    if errors:
        return ToolResult("propose_modify", False, errors=errors)
    return _action(session, "propose_modify", "modify", order, args["rationale"], new_amount, new_price, new_spec)


def _working(session: Any, cid: str, modify: bool = False):
    order = session.view.order(cid)
    if order is None:
        return None, FieldError("client_order_id", f"no order {text(cid, 64)!r}",
                                "use a client_order_id from get_orders", "unknown_order")
    allowed = (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED) if modify else (
        OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED, OrderStatus.NEW, OrderStatus.EMULATED)
    if order.status not in allowed:
        return None, FieldError("client_order_id", f"order {cid} is {order.status.value}",
                                "only open orders can be " + ("modified" if modify else "canceled") +
                                ("; an order waiting for approval is simply rejected by the trader"
                                 if order.status is OrderStatus.PENDING_APPROVAL else ""), "invalid_state")
    return order, None


def _action(session: Any, tool: str, kind: str, order, rationale: str, new_amount=None, new_price=None,
            new_spec: OrderSpec | None = None) -> ToolResult:
    m = session.view.market(order.venue, order.symbol)
    book = session.view.book(order.venue, order.symbol)
    now = session.view.now_ms()
    p = Proposal(id=new_proposal_id(), kind=kind, origin=session.origin, venue=order.venue, symbol=order.symbol,
                 rationale=rationale, decision_mid=book.mid if book else None, decided_at_ms=now,
                 expires_at_ms=now + int(session.expiry_s * 1000), specs=[new_spec or order.spec],
                 target_order_id=order.client_order_id, new_amount=new_amount, new_price=new_price,
                 prompt=session.prompt)
    if new_spec is not None:
        p.costs["target"] = expected_cost(new_spec, book, m)
    p.snapshot = take_snapshot(now, book, session.view.balances(m.venue), _currencies(m))
    return publish(session, tool, p)


async def _propose(session: Any, tool: str, m: Market, legs: list[tuple[str, OrderSpec]], rationale: str,
                   bracket: bool = False) -> ToolResult:
    book = session.view.book(m.venue, m.symbol)
    mid = book.mid if book else None
    errors: list[FieldError] = []
    for label, spec in legs:
        prefix = f"{label}: " if label else ""
        for e in _order_errors(session, spec, m, mid, contingent=bracket and spec.oco_group is not None):
            errors.append(FieldError(e.field, prefix + e.problem, e.fix, e.scenario))
    if errors:
        return ToolResult(tool, False, errors=errors)
    now = session.view.now_ms()
    balances = session.view.balances(m.venue)
    p = Proposal(id=new_proposal_id(), kind="stage", origin=session.origin, venue=m.venue, symbol=m.symbol,
                 rationale=rationale, decision_mid=mid, decided_at_ms=now,
                 expires_at_ms=now + int(session.expiry_s * 1000), prompt=session.prompt)
    p.snapshot = take_snapshot(now, book, balances, _currencies(m))
    p.impact = impact([s for _, s in legs], m, session.view.position(m.venue, m.symbol), balances, mid)
    parent: str | None = None
    denied: list[str] = []
    for label, spec in legs:
        cost = expected_cost(spec, book, m)
        spec = spec.with_changes(rationale=_with_cost(rationale, label, cost, m),
                                 parent_id=parent if bracket and spec.oco_group else None)
        order = session.view.stage(spec, session.origin)
        if bracket and parent is None:
            parent = order.client_order_id
        p.specs.append(order.spec)
        p.client_order_ids.append(order.client_order_id)
        p.costs[order.client_order_id] = cost | {"leg": label or "order"}
        if order.status is OrderStatus.DENIED:
            denied.append(f"{label or 'order'} ({order.client_order_id}) denied at staging: {order.reason}")
    if denied:  # the market moved between the dry run and staging
        publish(session, tool, p)
        return ToolResult(tool, False, {"proposal_id": p.id}, errors=[
            FieldError(None, d, "call get_book and propose again", "denied_at_staging") for d in denied],
            proposal=p)
    return publish(session, tool, p)


def publish(session: Any, tool: str, p: Proposal) -> ToolResult:
    session.proposals.append(p)
    session.view.record("proposal", p.as_dict(), actor=session.origin)
    if session.on_proposal is not None:
        session.on_proposal(p)
    return ToolResult(tool, True, {"proposal_id": p.id, "kind": p.kind, "orders": p.client_order_ids,
                                   "status": "waiting for the trader's approval", "summary": p.summary(),
                                   "expected_cost": p.costs}, proposal=p)

# -- checks ------------------------------------------------------------------------------------------------------
def _order_errors(session: Any, spec: OrderSpec, m: Market, mid: Decimal | None, contingent: bool) -> list[FieldError]:
    errors: list[FieldError] = []
    if spec.type.value not in m.capabilities and spec.type is not OrderType.LIMIT:
        errors.append(FieldError("type", f"{m.venue} does not support {spec.type.value} orders on {m.symbol}",
                                 "use one of " + ", ".join(sorted(c for c in m.capabilities if c in ORDER_TYPES)),
                                 "unsupported_type"))
    if spec.reduce_only and not m.is_derivative:
        errors.append(FieldError("reduce_only", "applies to derivatives only",
                                 "remove it; on spot just sell what you hold", "invalid_value"))
    side_error = _trigger_side_error(spec, mid)
    if side_error is not None:
        errors.append(side_error)
    for problem in session.view.check(spec):
        if problem.rule == "reduce_only_spot":
            continue  # reported above
        if contingent and problem.rule in ("insufficient_balance", "insufficient_margin", "max_open_orders",
                                           "reduce_only_adds"):
            continue  # an exit leg uses what its entry buys; the Desk decides when it may rest
        errors.append(problem_error(session, problem, spec, m))
    return errors


def problem_error(session: Any, p: Problem, spec: OrderSpec, m: Market) -> FieldError:
    """A gate or market Problem as a FieldError naming the field and what would pass."""
    rule, msg = p.rule, p.message
    price = spec.price or spec.trigger_price or session.view.mark(m.venue, m.symbol)
    field_name: str | None = None
    fix = ""
    if rule in ("price_tick", "price_min", "price_max", "price_collar"):
        field_name = "trigger_price" if msg.startswith("trigger price") else "price"
        if rule == "price_collar":
            mid = session.view.mark(m.venue, m.symbol)
            pct = session.view.limits(m.venue, m.symbol).price_collar_pct
            if mid:
                lo, hi = m.round_price(mid * (1 - pct / 100), Side.SELL), m.round_price(mid * (1 + pct / 100), Side.BUY)
                fix = f"keep {field_name} between {lo} and {hi}"
    elif rule in ("amount_step", "amount_min", "amount_max", "cost_min", "cost_max", "max_order_amount",
                  "max_order_notional", "insufficient_balance", "insufficient_margin", "max_exposure",
                  "max_margin", "max_leverage"):
        field_name = "amount"
        if rule == "amount_min" and m.min_amount is not None:
            fix = f"use at least {m.min_amount} {m.base}"
        elif rule == "cost_min" and price and m.min_cost is not None:
            fix = f"use at least {_ceil(m.min_cost / (price * m.contract_size), m.lot)} {m.base} at {price}"
        elif rule in SIZE_RULES and price:
            # one answer for every size rule: the largest amount that passes all of them now
            most = _most_that_passes(session, spec, m, price)
            fix = f"the most that passes every check now is {most} {m.base}" if most > 0 else \
                f"there is no free {m.base if spec.side is Side.SELL and not m.is_derivative else m.quote} for this" \
                if rule in ("insufficient_balance", "insufficient_margin") else "no size passes now"
    elif rule == "duplicate_order":
        fix = "an identical order was just proposed or sent: do not repeat it"
    elif rule in ("halted", "reducing_only"):
        fix = "the trader has stopped new risk: propose nothing that adds to a position"
    elif rule in ("unknown_symbol", "market_inactive"):
        field_name = "symbol"
    elif rule == "unknown_venue":
        field_name = "venue"
    return FieldError(field_name, f"{rule}: {msg}", fix, rule)


def _with_cost(rationale: str, label: str, cost: dict[str, Any], m: Market) -> str:
    if cost.get("expected_price") is None:
        return rationale
    parts = [f"expected ~{cost['expected_price']}"]
    if cost.get("slippage_bps") is not None:
        parts.append(f"{cost['slippage_bps']} bps vs mid" if "trigger" not in cost["basis"]
                     else f"{cost['slippage_bps']} bps vs trigger")
    if cost.get("fee") is not None:
        parts.append(f"fee {cost['fee']} {cost['fee_currency']}")
    leg = f"[{label}] " if label else ""
    return f"{rationale} {leg}(cost: {', '.join(parts)})"


def _currencies(m: Market) -> list[str]:
    return sorted({m.base, m.quote} if not m.is_derivative else {m.settle or m.quote})


SIZE_RULES = ("max_order_notional", "max_order_amount", "insufficient_balance", "insufficient_margin", "max_exposure",
              "max_margin", "max_leverage", "amount_max", "cost_max")


def _most_that_passes(session: Any, spec: OrderSpec, m: Market, price: Decimal) -> Decimal:
    """The largest amount (in lots) that no size rule refuses now, found with the gate itself."""
    limits = session.view.limits(m.venue, m.symbol)
    high = min(spec.amount, _max_affordable(spec, m, session.view.balances(m.venue), price),
               _floor(limits.max_order_notional / (price * m.contract_size), m.lot))
    if limits.max_order_amount is not None:
        high = min(high, limits.max_order_amount)

    def passes(amount: Decimal) -> bool:
        return not any(p.rule in SIZE_RULES for p in session.view.check(spec.with_changes(amount=amount)))

    lo, hi = 0, int(high / m.lot) if m.lot > 0 else 0  # in lots: the answer is a multiple of the lot
    if hi > 0 and passes(hi * m.lot):
        return hi * m.lot
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if passes(mid * m.lot):
            lo = mid
        else:
            hi = mid
    return lo * m.lot


def _max_affordable(spec: OrderSpec, m: Market, balances: dict[str, Balance], price: Decimal) -> Decimal:
    if m.is_derivative:
        free = balances.get(m.settle or m.quote, Balance(m.quote)).free
        return _floor(free * 10 / (price * m.contract_size), m.lot)  # the gate assumes 10x without a position
    if spec.side is Side.BUY:
        free = balances.get(m.quote, Balance(m.quote)).free
        return _floor(free / (price * (1 + m.taker_fee)), m.lot)
    return _floor(balances.get(m.base, Balance(m.base)).free, m.lot)


def _field_of_invalid(message: str) -> str | None:
    for name in ("trigger price", "trailing", "post-only", "amount", "price"):
        if name in message:
            return {"trigger price": "trigger_price", "trailing": "trailing_amount", "post-only": "post_only"}.get(
                name, name)
    return None


def _trigger_side_error(spec: OrderSpec, mid: Decimal | None) -> FieldError | None:
    """A stop must be beyond the market in the direction it protects; a take-profit the other way."""
    if spec.trigger_price is None or mid is None or spec.type is OrderType.TRAILING_STOP:
        return None
    trigger = spec.trigger_price
    stop = spec.type in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT)
    must_be_above = (spec.side is Side.BUY) == stop
    if must_be_above and trigger <= mid:
        what = "a buy stop triggers as the price rises" if stop else "a sell take-profit triggers as the price rises"
        return FieldError("trigger_price", f"{trigger} is at or below the market (mid {mid}); {what}, so it must "
                          f"be above the market", f"use a trigger_price above {mid}" + (
                              ", or a limit order to buy below the market" if stop else ""), "stop_wrong_side")
    if not must_be_above and trigger >= mid:
        what = "a sell stop triggers as the price falls" if stop else "a buy take-profit triggers as the price falls"
        return FieldError("trigger_price", f"{trigger} is at or above the market (mid {mid}); {what}, so it must "
                          f"be below the market", f"use a trigger_price below {mid}" + (
                              ", or a limit order to sell above the market" if stop else ""), "stop_wrong_side")
    return None
