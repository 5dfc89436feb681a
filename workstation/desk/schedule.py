"""Time-sliced schedules: "scale into 0.5 ETH below 3,000 over the next hour", approved once.

A schedule is proposed with its bounds (venue, symbol, side, total, price limit, end time, number of
slices) and waits for one human approval. From then on it releases one slice per time slot, each a
limit order at the better of the touch and the price limit, immediate-or-cancel, so nothing rests
and nothing is ever bought above the limit (or sold below it). Each slice is staged and passes the
risk gate like any other order; a slice the gate refuses is journaled and skipped. A slot whose touch
is beyond the limit releases nothing. What a slot did not fill is spread over the slots left, so the
schedule never releases more than its total, and it ends at its end time whatever is left.

Everything is journaled (``schedule_proposed``, ``schedule_approved``, ``schedule_rejected``,
``schedule_slice``, ``schedule_canceled``, ``schedule_done``) and rebuilt from the journal at start,
so a schedule survives a restart: slots missed while the workstation was down are skipped, never
sent in a burst. ``cancel`` stops it as a whole.

Sending goes through a narrow interface, ``Release.send(order, actor)``: send an order that is staged,
gate-checked and approved under the schedule's standing approval (journal the intent, then the venue).
The Desk's ``OrderRouter`` is one; the scheduler sees the Desk only through ``SchedulerDesk``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Protocol

from ..domain.book import Book
from ..domain.orders import Order, OrderSpec, OrderStatus, OrderType, Origin, Side, TimeInForce
from .events import RiskAlert
from .control import approver_allowed
from .ports import DeskPort

log = logging.getLogger(__name__)

KINDS = ("schedule_proposed", "schedule_approved", "schedule_rejected", "schedule_slice", "schedule_canceled",
         "schedule_done")
MIN_SLOT_MS = 10_000  # slices further apart than the duplicate guard's window (identical slices are legal)
MAX_SLICES = 120
_ids = itertools.count(1)
_TAG = secrets.token_hex(2)


class ScheduleError(Exception):
    """A schedule that cannot be proposed, approved or canceled; the message says why and what would do."""


class Release(Protocol):
    async def send_approved(self, order: Order, approver: str, payload: dict[str, Any]) -> None:
        """Send an order that is staged (PENDING_APPROVAL), gate-checked and approved under a standing
        approval: journal the intent, then send, exactly as an approved order is sent (the OrderRouter)."""


class SchedulerDesk(DeskPort, Protocol):
    """What the scheduler uses of the Desk: its public face, typed here so that this module never imports
    desk.py."""

    def book(self, venue: str, symbol: str) -> Book | None: ...

    def order(self, client_order_id: str) -> Order: ...

    def stage(self, spec: OrderSpec, actor: str | None = None, *, confirm_duplicate: bool = False) -> Order: ...

    def reject(self, client_order_id: str, reason: str = "", actor: str = "human") -> Order: ...

    async def cancel(self, client_order_id: str, actor: str = "human") -> Order: ...


@dataclass
class Schedule:
    id: str
    venue: str
    symbol: str
    side: str
    total: Decimal
    price_limit: Decimal
    slices: int
    created_ms: int
    end_ms: int
    proposed_by: str
    rationale: str = ""
    decision_mid: Decimal | None = None
    status: str = "proposed"  # proposed | running | done | canceled | rejected
    start_ms: int | None = None
    approved_by: str | None = None
    slots: dict[int, str] = field(default_factory=dict)  # slot -> "sent:<cid>" | "skipped: why" | "denied: why"
    orders: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def slot_ms(self) -> int:
        begin = self.start_ms if self.start_ms is not None else self.created_ms
        return max((self.end_ms - begin) // self.slices, 1)

    def slot_at(self, now_ms: int) -> int:
        begin = self.start_ms if self.start_ms is not None else self.created_ms
        return (now_ms - begin) // self.slot_ms

    def terms(self) -> dict[str, Any]:
        return {"schedule_id": self.id, "venue": self.venue, "symbol": self.symbol, "side": self.side,
                "total": self.total, "price_limit": self.price_limit, "slices": self.slices,
                "created_ms": self.created_ms, "end_ms": self.end_ms, "rationale": self.rationale,
                "decision_mid": self.decision_mid, "proposed_by": self.proposed_by}

    def summary(self) -> str:
        rel = "at or below" if self.side == "buy" else "at or above"
        minutes = (self.end_ms - (self.start_ms or self.created_ms)) / 60_000
        return (f"{self.side} {self.total} {self.symbol} {rel} {self.price_limit} in {self.slices} slices over "
                f"{minutes:.0f} min")


class Scheduler:
    def __init__(self, desk: SchedulerDesk, release: Release):
        self.desk = desk
        self.releaser = release
        self.schedules: dict[str, Schedule] = {}
        self._busy = asyncio.Lock()
        self._load()

    # -- journal ---------------------------------------------------------------------------------
    def _journal(self, kind: str, actor: str, s: Schedule, **payload: Any) -> None:
        self.desk.journal.append(kind, actor=actor, venue=s.venue,
                                 payload={"schedule_id": s.id, **payload})

    def _load(self) -> None:
        for e in self.desk.journal.events(kinds=KINDS):
            p = e.payload
            if e.kind == "schedule_proposed":
                self.schedules[p["schedule_id"]] = Schedule(
                    p["schedule_id"], p["venue"], p["symbol"], p["side"], Decimal(p["total"]),
                    Decimal(p["price_limit"]), int(p["slices"]), int(p["created_ms"]), int(p["end_ms"]),
                    p.get("proposed_by", ""), p.get("rationale", ""),
                    Decimal(p["decision_mid"]) if p.get("decision_mid") else None)
                continue
            s = self.schedules.get(p.get("schedule_id", ""))
            if s is None:
                continue
            if e.kind == "schedule_approved":
                s.status, s.start_ms, s.approved_by = "running", int(p["start_ms"]), e.actor
            elif e.kind == "schedule_slice":
                s.slots[int(p["slot"])] = p["outcome"]
                if p.get("client_order_id"):
                    s.orders.append(p["client_order_id"])
            elif e.kind in ("schedule_rejected", "schedule_canceled", "schedule_done"):
                s.status = {"schedule_rejected": "rejected", "schedule_canceled": "canceled",
                            "schedule_done": "done"}[e.kind]
                s.reason = p.get("reason", "")

    # -- views -----------------------------------------------------------------------------------
    def get(self, schedule_id: str) -> Schedule | None:
        return self.schedules.get(schedule_id)

    def active(self) -> list[Schedule]:
        return [s for s in self.schedules.values() if s.status in ("proposed", "running")]

    def committed(self, s: Schedule) -> Decimal:
        """What the schedule has bought or sold, plus what may still fill (slices not yet ended)."""
        total = Decimal(0)
        for cid in s.orders:
            order = self.desk.order(cid)
            total += order.filled if order.status.is_terminal else order.amount
        return total

    # -- verbs -----------------------------------------------------------------------------------
    def propose(self, venue: str, symbol: str, side: str, total: Decimal, price_limit: Decimal, duration_s: float,
                slices: int, actor: str, rationale: str = "") -> Schedule:
        """A schedule waiting for one approval. Refused now if a slice could never pass the venue's rules."""
        market = self.desk.market(venue, symbol)
        now = self.desk.clock.wall_ms()
        duration_ms = int(duration_s * 1000)
        if side not in ("buy", "sell"):
            raise ScheduleError(f"side must be buy or sell, got {side!r}")
        if total <= 0 or price_limit <= 0:
            raise ScheduleError("total and price limit must be positive")
        slices = max(1, min(int(slices), MAX_SLICES, duration_ms // MIN_SLOT_MS or 1))
        if market.round_price(price_limit, Side(side)) != price_limit:
            raise ScheduleError(f"price limit {price_limit} is off the tick {market.tick}: try "
                                f"{market.round_price(price_limit, Side(side))}")
        each = market.round_amount(total / slices)
        if market.round_amount(total) != total:
            raise ScheduleError(f"total {total} is not a multiple of the lot {market.lot}: try "
                                f"{market.round_amount(total)}")
        probe = OrderSpec(venue=venue, symbol=symbol, side=Side(side), type=OrderType.LIMIT, amount=each or total,
                          price=price_limit, time_in_force=TimeInForce.IOC, origin=Origin.EMULATOR)
        venue_rules = [p for p in market.check(probe) if p.rule in ("amount_min", "cost_min", "amount_step")]
        if each <= 0 or venue_rules:
            why = "; ".join(str(p) for p in venue_rules) or "a slice would be zero"
            raise ScheduleError(f"{total} in {slices} slices is {each} a slice: {why}; use fewer slices or more")
        s = Schedule(f"sch{_TAG}{next(_ids):04d}", venue, symbol, side, total, price_limit, slices, now,
                     now + duration_ms, actor, rationale, self.desk.mark(venue, symbol))
        self.schedules[s.id] = s
        self._journal("schedule_proposed", actor, s, **s.terms())
        return s

    def approve(self, schedule_id: str, actor: str = "human") -> Schedule:
        """One approval for every slice within the bounds. Human only (or the evaluation, on paper)."""
        s = self._find(schedule_id)
        environment = getattr(self.desk.venues[s.venue], "environment", "")
        if not approver_allowed(actor, environment):  # the same rule as Desk.approve
            raise ScheduleError(f"{actor!r} may not approve a schedule on {s.venue} ({environment}): a human "
                                f"approves; the evaluation only on the paper exchange")
        if s.status != "proposed":
            raise ScheduleError(f"schedule {s.id} is {s.status}, not waiting for approval")
        now = self.desk.clock.wall_ms()
        if now >= s.end_ms:
            raise ScheduleError(f"schedule {s.id} ended before it was approved: ask for a new one")
        s.status, s.start_ms, s.approved_by = "running", now, actor
        self._journal("schedule_approved", actor, s, start_ms=now, end_ms=s.end_ms, total=s.total,
                      price_limit=s.price_limit)
        return s

    def reject(self, schedule_id: str, actor: str = "human", reason: str = "") -> Schedule:
        s = self._find(schedule_id)
        if s.status != "proposed":
            raise ScheduleError(f"schedule {s.id} is {s.status}, not waiting for approval")
        s.status, s.reason = "rejected", reason
        self._journal("schedule_rejected", actor, s, reason=reason)
        return s

    def stop_all(self, actor: str, reason: str) -> list[str]:
        """No further slice from any schedule (the kill switch, which cancels the working slices itself)."""
        stopped = []
        for s in self.schedules.values():
            if s.status in ("proposed", "running"):
                s.status, s.reason = "canceled", reason
                self._journal("schedule_canceled", actor, s, reason=reason, committed=self.committed(s))
                stopped.append(s.id)
        return stopped

    async def cancel(self, schedule_id: str, actor: str = "human", reason: str = "canceled") -> Schedule:
        """Stop the whole schedule: no further slice, and any slice still working is canceled."""
        s = self._find(schedule_id)
        if s.status not in ("proposed", "running"):
            raise ScheduleError(f"schedule {s.id} is {s.status}: nothing to cancel")
        s.status, s.reason = "canceled", reason
        self._journal("schedule_canceled", actor, s, reason=reason, committed=self.committed(s))
        await self._cancel_working(s, actor)
        return s

    async def _cancel_working(self, s: Schedule, actor: str) -> None:
        for cid in s.orders:
            order = self.desk.order(cid)
            if order.status.is_working and order.status is not OrderStatus.IN_DOUBT:
                try:
                    await self.desk.cancel(cid, actor)
                except Exception as exc:  # noqa: BLE001 - reported; the order stays visible in the blotter
                    self.desk.bus.publish(RiskAlert(f"schedule {s.id}: could not cancel slice {cid}: {exc}",
                                                    "error", cid))

    def _find(self, schedule_id: str) -> Schedule:
        s = self.schedules.get(schedule_id)
        if s is None:
            raise ScheduleError(f"no schedule {schedule_id!r}")
        return s

    # -- releasing ---------------------------------------------------------------------------------
    async def run(self, interval_s: float = 1.0) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("schedule tick failed")

    async def tick(self) -> list[str]:
        """Release the slice due now on every running schedule; end the ones past their end time."""
        released: list[str] = []
        async with self._busy:
            for s in [s for s in self.schedules.values() if s.status == "running"]:
                cid = await self._step(s)
                if cid:
                    released.append(cid)
        return released

    async def _step(self, s: Schedule) -> str | None:
        now = self.desk.clock.wall_ms()
        if now >= s.end_ms:
            await self._cancel_working(s, "desk")
            s.status = "done"
            self._journal("schedule_done", "desk", s, committed=self.committed(s), reason="end time")
            return None
        slot = min(s.slot_at(now), s.slices - 1)
        if slot in s.slots:
            return None
        left = s.total - self.committed(s)
        if left <= 0:
            s.status = "done"
            self._journal("schedule_done", "desk", s, committed=self.committed(s), reason="total reached")
            return None
        return await self._release(s, slot, left)

    def _skip(self, s: Schedule, slot: int, why: str) -> None:
        s.slots[slot] = f"skipped: {why}"
        self._journal("schedule_slice", "desk", s, slot=slot, outcome=s.slots[slot])

    async def _release(self, s: Schedule, slot: int, left: Decimal) -> str | None:
        market = self.desk.market(s.venue, s.symbol)
        side = Side(s.side)
        amount = left if slot == s.slices - 1 else market.round_amount(left / (s.slices - slot))
        book = self.desk.book(s.venue, s.symbol)
        touch = (book.best_ask if side is Side.BUY else book.best_bid) if book else None
        if touch is None:
            self._skip(s, slot, "no book")
            return None
        if (touch > s.price_limit) if side is Side.BUY else (touch < s.price_limit):
            self._skip(s, slot, f"touch {touch} beyond the limit {s.price_limit}")
            return None
        price = min(touch, s.price_limit) if side is Side.BUY else max(touch, s.price_limit)
        price = (price / market.tick).to_integral_value(ROUND_FLOOR if side is Side.BUY else ROUND_CEILING) * market.tick
        spec = OrderSpec(venue=s.venue, symbol=s.symbol, side=side, type=OrderType.LIMIT, amount=amount, price=price,
                         time_in_force=TimeInForce.IOC, origin=Origin.EMULATOR,
                         rationale=f"schedule {s.id} slice {slot + 1}/{s.slices}: {s.summary()}")
        if market.check(spec):
            self._skip(s, slot, "; ".join(str(p) for p in market.check(spec)))
            return None
        order = self.desk.stage(spec, f"schedule:{s.id}")
        if order.status is not OrderStatus.PENDING_APPROVAL:
            s.slots[slot] = f"denied: {order.reason}"
            self._journal("schedule_slice", "desk", s, slot=slot, outcome=s.slots[slot],
                          client_order_id=order.client_order_id)
            s.orders.append(order.client_order_id)
            self.desk.bus.publish(RiskAlert(f"schedule {s.id}: slice {slot + 1} denied by the gate: {order.reason}",
                                            "warning", order.client_order_id))
            return None
        problems = self.desk.check(order.spec, order=order, sending=True)
        if problems:
            reason = "; ".join(map(str, problems))
            self.desk.reject(order.client_order_id, f"gate at release: {reason}", f"schedule:{s.id}")
            s.slots[slot] = f"denied: {reason}"
            self._journal("schedule_slice", "desk", s, slot=slot, outcome=s.slots[slot],
                          client_order_id=order.client_order_id)
            s.orders.append(order.client_order_id)
            return None
        s.slots[slot] = f"sent:{order.client_order_id}"
        s.orders.append(order.client_order_id)
        self._journal("schedule_slice", "desk", s, slot=slot, outcome=s.slots[slot],
                      client_order_id=order.client_order_id, amount=amount, price=price)
        # the slice's approval is the schedule's: journaled with its approver before the intent
        await self.releaser.send_approved(self.desk.ledger.orders[order.client_order_id], s.approved_by or "schedule",
                                          {"via": "schedule", "schedule_id": s.id, "slot": slot})
        return order.client_order_id
