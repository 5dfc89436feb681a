"""The ``stage_schedule`` tool: "scale into 0.5 ETH below 3,000 over the next hour" as one proposal.

The copilot proposes a schedule's bounds (total, price limit, end time, slices); the trader approves
it once; the Desk releases it slice by slice, each slice through the risk gate (desk/schedule.py).
Like every act tool it can only propose: the schedule waits for a human, and the trader can cancel it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..domain.orders import OrderSpec, OrderType, Origin, Side, TimeInForce
from ..domain.reports import Balance
from .proposals import Proposal, take_snapshot
from .acts import problem_error, publish
from .results import ToolResult
from .schema import FieldError
from .view import ProposalRefused

SCHEDULE_DESCRIPTION = ("Propose a time-sliced schedule: buy or sell a total amount over the next minutes or hours, one "
               "slice per interval, never beyond a price limit (a buy at or below it, a sell at or above it). One "
               "approval covers every slice; each slice still passes the risk gate; the trader can cancel the whole "
               "schedule. Use it for 'scale into ... over the next hour'.")


_PRECISION = {"off the tick": ("price_limit", "price_tick"), "multiple of the lot": ("total_amount", "amount_step"),
              "amount_min": ("total_amount", "amount_min"), "cost_min": ("total_amount", "cost_min")}


async def stage_schedule(session: Any, args: dict[str, Any]) -> ToolResult:
    """The schedule proposed (waiting for the trader), or the errors that stopped it."""
    errors, proposal = await _schedule(session, args)
    return publish(session, "stage_schedule", proposal) if proposal else ToolResult("stage_schedule", False,
                                                                                  errors=errors)


async def _schedule(session: Any, args: dict[str, Any]) -> tuple[list[FieldError], Proposal | None]:
    m = session.resolve(args.get("venue"), args["symbol"])
    side = Side(args["side"])
    total, limit, minutes = args["total_amount"], args["price_limit"], args["duration_minutes"]
    slices = args.get("slices") or max(1, min(12, minutes // 5 or 1))
    slice_amount = m.round_amount(total / slices)
    probe = OrderSpec(venue=m.venue, symbol=m.symbol, side=side, type=OrderType.LIMIT, amount=slice_amount or total,
                      price=limit, time_in_force=TimeInForce.IOC, origin=Origin.COPILOT)
    errors: list[FieldError] = []
    # a slice is priced at the touch when the touch is inside the limit: the collar applies then, not now
    for problem in session.view.check(probe):
        if problem.rule not in ("price_collar", "duplicate_order", "insufficient_balance", "insufficient_margin"):
            error = problem_error(session, problem, probe, m)
            errors.append(FieldError("total_amount" if error.field == "amount" else error.field, error.problem,
                                     error.fix, error.scenario))
    balances = session.view.balances(m.venue)
    if not m.is_derivative:
        need, ccy = (total * limit * (1 + m.taker_fee), m.quote) if side is Side.BUY else (total, m.base)
        free = balances.get(ccy, Balance(ccy)).free
        if need > free:
            errors.append(FieldError("total_amount", f"insufficient_balance: the whole schedule needs {need:.8f} "
                                     f"{ccy}, {free} {ccy} is free", "use a smaller total_amount",
                                     "insufficient_balance"))
    if errors:
        return errors, None
    try:
        schedule = session.view.propose_schedule(m.venue, m.symbol, side.value, total, limit, minutes * 60, slices,
                                                 session.origin, args["rationale"])
    except ProposalRefused as exc:
        field, rule = next(((f, r) for key, (f, r) in _PRECISION.items() if key in str(exc)), (None, "invalid_value"))
        return [FieldError(field, str(exc), "", rule)], None
    book = session.view.book(m.venue, m.symbol)
    now = session.view.now_ms()
    p = Proposal(id=schedule.id, kind="schedule", origin=session.origin, venue=m.venue, symbol=m.symbol,
                 rationale=args["rationale"], decision_mid=book.mid if book else None, decided_at_ms=now,
                 expires_at_ms=schedule.end_ms, prompt=session.prompt, schedule_id=schedule.id,
                 new_amount=total, new_price=limit)
    p.snapshot = take_snapshot(now, book, balances, sorted({m.base, m.quote}))
    p.costs["schedule"] = {"total": total, "price_limit": limit, "slices": schedule.slices, "end_ms": schedule.end_ms,
                           "notional_at_limit": (total * limit * m.contract_size).quantize(Decimal("0.01"))}
    return [], p
