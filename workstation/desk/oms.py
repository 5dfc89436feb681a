"""Order bookkeeping: every change to an order, a fill or a position goes through here.

Each change is journaled first and published second, so that what the trader sees is never
ahead of what survives a crash. An illegal transition is refused, counted and surfaced.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import logging
from decimal import Decimal
from typing import Iterator

from ..domain.execution import Execution
from ..domain.orders import WORKING, Fill, IllegalTransition, Order, OrderStatus, can_transition
from ..domain.positions import Position
from ..domain.reports import OrderReport
from .clock import Clock
from .events import EventBus, ExecutionRecorded, FillRecorded, OrderChanged, PositionsChanged, RiskAlert
from .journal import Journal

log = logging.getLogger(__name__)

# The venue's word beats ours, except that a stale report must never move an order backwards.
_RANK = {
    OrderStatus.NEW: 0, OrderStatus.IN_DOUBT: 0, OrderStatus.LOST: 0, OrderStatus.OPEN: 1,
    OrderStatus.PARTIALLY_FILLED: 2, OrderStatus.CANCELED: 3, OrderStatus.EXPIRED: 3, OrderStatus.REJECTED: 3,
    OrderStatus.FILLED: 4,
}


class Ledger:
    def __init__(self, journal: Journal, bus: EventBus, clock: Clock):
        self.journal, self.bus, self.clock = journal, bus, clock
        self.orders: dict[str, Order] = {}
        self.by_venue_id: dict[tuple[str, str], str] = {}
        self.fills: dict[tuple[str, str], Fill] = {}
        self.positions: dict[tuple[str, str], Position] = {}
        self.executions: dict[str, Execution] = {}
        self.unmatched_fills: dict[tuple[str, str], Fill] = {}  # fills whose order we do not know (yet)
        self.fill_received_ms: dict[tuple[str, str], int] = {}  # desk wall clock when each fill was recorded
        self.illegal_transitions = 0
        self.fills_needed: set[tuple[str, str]] = set()  # (venue, symbol): the venue reports more filled than we hold
        self.in_doubt_since: dict[str, int] = {}  # client order id -> wall ms it went IN_DOUBT (grace runs from here)
        # Working orders by venue, kept exact by every path that changes a status (add, move, a fill, load):
        # working() is called several times per refresh and per risk check, with up to tens of thousands of
        # orders, so it must not look at every order ever placed.
        self._working: dict[str, dict[str, Order]] = {}
        self._working_symbols: dict[str, dict[str, int]] = {}  # venue -> symbol -> working orders on it
        self._in_doubt: dict[str, set[str]] = {}  # venue -> client order ids IN_DOUBT

    # -- loading ---------------------------------------------------------------------------------
    def load(self, orders: dict[str, Order], fills: dict[tuple[str, str], Fill],
             received_ms: dict[tuple[str, str], int] | None = None) -> None:
        self.orders = dict(orders)
        self._working, self._working_symbols, self._in_doubt = {}, {}, {}
        for order in self.orders.values():
            self._index(order)
            if order.venue_order_id:
                self.by_venue_id[(order.venue, order.venue_order_id)] = order.client_order_id
        self.fills = dict(fills)
        self.fill_received_ms = dict(received_ms or {})
        for fill in sorted(fills.values(), key=lambda f: (f.timestamp_ms, f.trade_id)):
            key = (fill.venue, fill.symbol)
            self.positions[key] = self.positions.get(key, Position(*key)).apply(fill)
            owner = self.find(fill.venue, fill.client_order_id, fill.venue_order_id)
            if owner is None or fill.trade_id not in owner.trade_ids:
                self.unmatched_fills[fill.key] = fill  # (refused as an overfill, or its order unknown)
        for order in self.orders.values():
            if order.status.is_terminal and "sent" in order.wall_ms:
                self.executions[order.client_order_id] = Execution.from_order(order)
            if order.status is OrderStatus.IN_DOUBT:  # a restart grants a fresh grace period
                self.in_doubt_since[order.client_order_id] = self.clock.wall_ms()

    # -- orders ----------------------------------------------------------------------------------
    def add(self, order: Order, kind: str, actor: str, payload: dict | None = None) -> None:
        self.orders[order.client_order_id] = order
        self._index(order)
        self.journal.append(kind, actor=actor, order=order, payload=payload)
        self.bus.publish(OrderChanged(order))

    def find(self, venue: str, client_order_id: str | None, venue_order_id: str | None) -> Order | None:
        if client_order_id and client_order_id in self.orders:
            return self.orders[client_order_id]
        if venue_order_id:
            cid = self.by_venue_id.get((venue, venue_order_id))
            if cid:
                return self.orders.get(cid)
        return None

    def set_venue_id(self, order: Order, venue_order_id: str | None) -> None:
        """The venue's id for our order, whichever path brought it: fills booked under that id before it was
        known are attached now (finding: a REST trade has only the venue's order id)."""
        if venue_order_id and order.venue_order_id != venue_order_id:
            order.venue_order_id = venue_order_id
            self.by_venue_id[(order.venue, venue_order_id)] = order.client_order_id
            if self.unmatched_fills:
                self.attach_unmatched(order)

    def move(self, order: Order, new: OrderStatus, kind: str, actor: str = "desk", reason: str = "",
             payload: dict | None = None) -> bool:
        """Transition, journal, publish. Returns False when nothing changed or the move was illegal."""
        previous = order.status
        if new == previous:
            return False
        if not can_transition(previous, new):
            self.illegal_transitions += 1
            err = IllegalTransition(order.client_order_id, previous, new)
            log.warning("%s", err)
            self.journal.append("illegal_transition", actor=actor, order=order,
                                payload={"from": previous.value, "to": new.value, "via": kind})
            self.bus.publish(RiskAlert(str(err), "error", order.client_order_id))
            return False
        with self.restored_on_failure(order):  # a move the journal refuses did not happen
            order.transition(new)
            if reason:
                order.reason = reason
            self._stamp_done(order)
            self.journal.append(kind, actor=actor, order=order, payload=payload)
        self._index(order)
        if new is OrderStatus.IN_DOUBT:
            self.in_doubt_since[order.client_order_id] = self.clock.wall_ms()
        else:
            self.in_doubt_since.pop(order.client_order_id, None)
        self.bus.publish(OrderChanged(order, previous.value))
        self._maybe_execution(order)
        return True

    def touch(self, order: Order, kind: str, actor: str = "desk", payload: dict | None = None) -> None:
        """Journal and publish a change that is not a status move (venue id, cancel request, error)."""
        self.journal.append(kind, actor=actor, order=order, payload=payload)
        self.bus.publish(OrderChanged(order))

    def _stamp_done(self, order: Order) -> None:
        if order.status.is_terminal and "sent" in order.wall_ms:
            order.stamp("done", self.clock.wall_ms(), self.clock.mono_ns())

    def _maybe_execution(self, order: Order) -> None:
        if order.status.is_terminal and "sent" in order.wall_ms:
            execution = Execution.from_order(order)
            self.executions[order.client_order_id] = execution
            self.journal.append("execution", order=order, payload={"execution": execution.as_record()})
            self.bus.publish(ExecutionRecorded(execution))

    def apply_report(self, order: Order, report: OrderReport, kind: str = "report") -> None:
        """Bring an order in line with what the venue says about it."""
        self.set_venue_id(order, report.venue_order_id)
        if report.filled is not None and report.filled > order.filled:
            self.fills_needed.add((order.venue, order.symbol))  # the fills themselves come from trades
        if order.status in (OrderStatus.IN_DOUBT, OrderStatus.LOST):
            self.sync_terms(order, report)  # a modify whose answer was lost may have been applied
        current = order.status  # (syncing the terms may have given the order fills it refused before)
        target = report.status
        if target is OrderStatus.FILLED and order.filled < order.amount:
            # The venue says done; our fills lag. Stay partially filled until the trades arrive.
            target = OrderStatus.PARTIALLY_FILLED if order.filled else OrderStatus.OPEN
        if target is OrderStatus.PARTIALLY_FILLED and not order.filled:
            target = OrderStatus.OPEN
        if target is OrderStatus.OPEN and order.filled:
            target = OrderStatus.PARTIALLY_FILLED  # our fills are the truth about what filled
        if current in (OrderStatus.IN_DOUBT, OrderStatus.LOST) or _RANK.get(target, 0) > _RANK.get(current, 0):
            if current in (OrderStatus.IN_DOUBT, OrderStatus.LOST, OrderStatus.NEW) and "acked" not in order.wall_ms:
                order.stamp("acked", self.clock.wall_ms(), self.clock.mono_ns())
            self.move(order, target, kind, payload={"venue_status": report.raw_status,
                                                    "venue_filled": report.filled})

    def sync_terms(self, order: Order, report: OrderReport) -> bool:
        """The venue's amount and price win over ours (a modify that timed out may have been applied).

        Only for a fresh, directed answer (a look-up, or an in-doubt order's report): a stale list must not
        undo a modify. Fills once refused as overfills are given back to the order afterwards.
        """
        changes = {}
        if report.amount is not None and report.amount > 0 and report.amount != order.spec.amount \
                and report.amount >= order.filled:
            changes["amount"] = report.amount
        if report.price is not None and order.spec.type.has_limit_price and report.price > 0 \
                and report.price != order.spec.price:
            changes["price"] = report.price
        if not changes:
            return False
        before = {k: getattr(order.spec, k) for k in changes}
        order.spec = order.spec.with_changes(**changes)
        self.touch(order, "terms_synced", payload={"before": before, "after": changes})
        self.attach_unmatched(order)  # fills once refused as overfills may fit the venue's amount
        return True

    # -- fills -----------------------------------------------------------------------------------
    def record_fill(self, fill: Fill) -> bool:
        """Count a fill once per (venue, trade id). Returns False for one we already hold.

        Journaled before it is counted: a fill that cannot be written (a full disk) is not marked as seen,
        so the next fetch of trades brings it again and it is journaled as soon as the journal can take it.
        """
        if fill.key in self.fills:
            return False
        order = self.find(fill.venue, fill.client_order_id, fill.venue_order_id)
        if order is not None and fill.client_order_id != order.client_order_id:
            fill = dataclasses.replace(fill, client_order_id=order.client_order_id)
        if order is not None and fill.amount + order.filled > order.amount:
            log.error("fill %s would overfill %s: kept unmatched", fill.trade_id, order.client_order_id)
            self.bus.publish(RiskAlert(f"fill {fill.trade_id} exceeds order {order.client_order_id}", "error"))
            order = None
        now = self.clock.wall_ms()
        if order is None:
            self.journal.append("fill", fill=fill, payload={"unmatched": True}, ts_ms=now)
            self._count(fill, now)
            self.unmatched_fills[fill.key] = fill
        else:
            with self.restored_on_failure(order):
                previous = order.status
                self._book_fill(order, fill)
                self.journal.append("fill", fill=fill, order=order, ts_ms=now)
            self._count(fill, now)
            self._published_fill(order, previous)
        self.bus.publish(FillRecorded(fill))
        self.bus.publish(PositionsChanged(fill.venue, fill.symbol))
        return True

    def _count(self, fill: Fill, now: int) -> None:
        self.fills[fill.key] = fill
        self.fill_received_ms[fill.key] = now
        key = (fill.venue, fill.symbol)
        self.positions[key] = self.positions.get(key, Position(*key)).apply(fill)

    def _book_fill(self, order: Order, fill: Fill) -> None:
        now_wall, now_mono = self.clock.wall_ms(), self.clock.mono_ns()
        order.stamp("first_fill", now_wall, now_mono)
        if "acked" not in order.wall_ms:
            order.stamp("acked", now_wall, now_mono)  # a fill is the strongest ack there is
        order.apply_fill(fill)
        self._index(order)
        self._stamp_done(order)

    def _published_fill(self, order: Order, previous: OrderStatus) -> None:
        self.bus.publish(OrderChanged(order, previous.value))
        if order.status.is_terminal:
            self._maybe_execution(order)

    @contextlib.contextmanager
    def restored_on_failure(self, order: Order) -> Iterator[None]:
        """Changes to ``order`` inside the block are undone if the block raises (the journal refused them)."""
        saved = {f.name: copy.copy(getattr(order, f.name)) for f in dataclasses.fields(order)}
        try:
            yield
        except BaseException:
            for name, value in saved.items():
                setattr(order, name, value)
            raise

    def attach_unmatched(self, order: Order, actor: str = "desk") -> int:
        """Fills booked before their order was known (a REST trade carries only the venue's order id, and
        that id arrived later: by the ack, a look-up, the stream or a reconcile): give them to it, journaled.
        A fill that would overfill the order stays unmatched (and visible), never dropped."""
        attached = []
        for key, fill in list(self.unmatched_fills.items()):
            mine = fill.client_order_id == order.client_order_id or (
                fill.venue == order.venue and fill.venue_order_id and fill.venue_order_id == order.venue_order_id)
            if not mine:
                continue
            if fill.trade_id not in order.trade_ids:
                if order.filled + fill.amount > order.amount:
                    continue
                self._book_fill(order, fill)
                attached.append(fill.trade_id)
            del self.unmatched_fills[key]
        if attached:
            previous = order.status
            self.journal.append("fills_attached", actor=actor, order=order, payload={"trade_ids": attached})
            self._published_fill(order, previous)
        return len(attached)

    # -- views -----------------------------------------------------------------------------------
    def _index(self, order: Order) -> None:
        cid, venue = order.client_order_id, order.venue
        doubt = self._in_doubt.setdefault(venue, set())
        if order.status is OrderStatus.IN_DOUBT:
            doubt.add(cid)
        else:
            doubt.discard(cid)
        book = self._working.setdefault(venue, {})
        symbols = self._working_symbols.setdefault(venue, {})
        if order.status in WORKING:
            if book.get(cid) is not order:
                book[cid] = order
                symbols[order.symbol] = symbols.get(order.symbol, 0) + 1
        elif book.pop(cid, None) is not None:
            left = symbols[order.symbol] - 1
            if left:
                symbols[order.symbol] = left
            else:
                del symbols[order.symbol]

    def working(self, venue: str | None = None) -> list[Order]:
        """Orders that are, or may be, at the venue (new, open, partly filled, in doubt)."""
        if venue is not None:
            return list(self._working.get(venue, {}).values())
        return [o for book in self._working.values() for o in book.values()]

    def working_symbols(self, venue: str) -> set[str]:
        return set(self._working_symbols.get(venue, ()))

    def working_by_id(self, venue: str) -> dict[str, Order]:
        """The venue's working orders by client order id (the ledger's own index: read, never change)."""
        return self._working.get(venue, {})

    def in_doubt_count(self, venue: str) -> int:
        return len(self._in_doubt.get(venue, ()))

    def filled_total(self, venue: str, symbol: str) -> Decimal:
        pos = self.positions.get((venue, symbol))
        return pos.size if pos else Decimal(0)
