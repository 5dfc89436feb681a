"""The Desk: the one face that the UI, the copilot, tests and scripts use.

It owns the in-process truth (markets, books, orders, fills, positions, balances), exposes
read-only views and a few verbs, and publishes events. It runs the same headless as under
the TUI. The order path: stage -> risk gate -> PENDING_APPROVAL -> approve (a human act)
-> gate again on fresh data -> the router journals the intent (fsync'd) -> create_order with
our client order id -> ack -> fills -> position -> execution record.

The Desk is the thin face: its verbs check and delegate. The parts that do the work:
``router.OrderRouter`` (the life of an order at the venue), ``pretrade.PreTrade`` (what the risk
gate sees), ``feeds.Feeds`` (books, streams, the refresh timer), ``oms.Ledger`` (every change,
journaled first), ``reconcile.Reconciler``, ``control.Controls`` (kill switch, trading state,
limits), ``emulator.Emulator`` and ``contingent.Contingent`` (orders held locally, groups).
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from ..domain.book import Book
from ..domain.execution import Execution
from ..domain.market import Market, Problem
from ..domain.money import dec
from ..domain.orders import Order, OrderSpec, OrderStatus, Origin
from ..domain.positions import Position
from ..domain.reports import Balance
from ..venues.ccxt_venue import ExchangeVenue
from . import handling, refresh_plan, startup, stream_health
from .clock import Clock
from .contingent import Contingent, GroupError, bracket_children, scaled_specs
from .control import ControlError, Controls
from .emulator import Emulator
from .errors import DeskError, refused
from .events import EventBus, ProposalStaged, RiskAlert
from .feeds import Feeds
from .journal import Journal
from .markouts import MarkoutRecorder
from .oms import Ledger
from .pretrade import PreTrade
from .reconcile import Reconciler
from .risk import RiskGate, RiskLimits, TradingState
from .router import OrderRouter
from .schedule import Scheduler
from .settings import DeskSettings, VenueState

__all__ = ["Desk", "DeskError", "DeskSettings", "VenueState"]


class Desk:
    def __init__(self, venues: dict[str, ExchangeVenue], journal: Journal, *, gate: RiskGate | None = None,
                 clock: Clock | None = None, settings: DeskSettings | None = None,
                 symbols: dict[str, list[str]] | None = None):
        self.venues = venues
        self.journal = journal
        self.gate = gate or RiskGate()
        self.clock = clock or Clock()
        self.settings = settings or DeskSettings()
        self.bus = EventBus()
        self.ledger = Ledger(journal, self.bus, self.clock)
        self.markets: dict[tuple[str, str], Market] = {}
        self.books: dict[tuple[str, str], Book] = {}
        self.balances: dict[str, dict[str, Balance]] = {}
        self.venue_positions: dict[str, dict[str, Any]] = {}
        self.venue_leverage: dict[tuple[str, str], Decimal] = {}  # read at connect (per derivatives symbol)
        self.position_mode: dict[str, str] = {}  # venue -> "one-way" | "hedged", where the venue says
        self.watch_symbols = symbols or {}
        self.reconcile_state: dict[str, Any] = {}
        self.ready = False  # no approval before the first reconcile after start
        self._connected = False
        self.recovery: dict[str, Any] | None = None  # what start-up found; shown once, kept in the journal
        self._recovery_shown = False
        self.router = OrderRouter(self)
        self.feeds = Feeds(self)
        self.book_seen_ms = self.feeds.book_seen_ms
        self.streams_ok = self.feeds.streams_ok
        self.pretrade = PreTrade(self, self.book_seen_ms)
        self.reconciler = Reconciler(self)
        orders, fills = journal.replay()
        self.ledger.load(orders, fills, {(e.venue, e.trade_id): e.ts_ms for e in journal.events(kinds=("fill",))})
        self.markouts = MarkoutRecorder(self)  # TCA: the mid 1 s .. 300 s after each fill (needs the replayed fills)
        # Trading state, kill switch, limits (human only); locally held orders; OCO / bracket / scaled groups.
        self.controls = Controls(self)
        self.emulator = Emulator(self)
        self.contingent = Contingent(self)
        self.schedules = Scheduler(self, self.router)  # time-sliced schedules, approved once (schedule.py)

    # -- lifecycle -------------------------------------------------------------------------------
    async def connect(self) -> None:
        """Load markets and the account, then reconcile what the journal says with the venue (see startup)."""
        self.recovery = await startup.connect(self)
        if not any(self.recovery[k] for k in startup.RECOVERY_NEWS):
            self._recovery_shown = True  # nothing to tell
        self._connected = True
        # No approval until every venue has been reconciled at least once (refresh() retries).
        self.ready = self.recovery["reconciled"]

    async def start(self) -> None:
        """Connect, then keep books, orders and fills live until stop()."""
        for venue in self.venues.values():
            starter = getattr(venue.exchange, "start", None)
            if starter is not None:
                await starter()
        await self.connect()
        self.feeds.start()
        self.router.spawn(self.emulator.run())  # last and mark prices for locally held orders
        self.router.spawn(self.schedules.run())
        self.router.spawn(stream_health.check_at_start(self))  # quiets ccxt's orphans; says which stream is down

    async def stop(self) -> None:
        await self.router.stop()
        for venue in self.venues.values():
            try:
                await venue.close()
            except Exception:  # noqa: BLE001 - closing is best effort; the process is going away
                pass

    def spawn(self, coro: Any) -> Any:
        """Run a coroutine as one of the Desk's tasks (stopped with it)."""
        return self.router.spawn(coro)

    async def sync_books(self) -> None:
        """Snapshot every watched book by REST: start-up, stream outages, and headless scripts."""
        await self.feeds.sync_books()

    async def store_book(self, venue: str, book: Book) -> None:
        """A book from outside the feeds (tests, benchmarks, scripts): stored and published like a streamed one."""
        await self.feeds.store_book(venue, book)

    async def refresh(self) -> None:
        """Fetch the account from every venue and reconcile it with the Desk."""
        for name in self.venues:
            await self.reconciler.reconcile(name)
        if self._connected and not self.ready and all(
                (r := self.reconciler.last.get(name)) is not None and r.ok for name in self.venues):
            self.ready = True

    def fill_since(self, venue: str, symbol: str | None) -> int | None:
        """Where a targeted trades fetch may start: the newest fill seen, less the overlap."""
        return self.reconciler.fill_since(venue, symbol)

    # -- read-only views ---------------------------------------------------------------------
    def market(self, venue: str, symbol: str) -> Market:
        try:
            return self.markets[(venue, symbol)]
        except KeyError:
            known = ", ".join(sorted(s for v, s in self.markets if v == venue)) or "none loaded"
            raise DeskError(f"unknown symbol {symbol!r} on {venue}: known symbols are {known}") from None

    def book(self, venue: str, symbol: str) -> Book | None:
        return self.books.get((venue, symbol))

    def order(self, client_order_id: str) -> Order:
        try:
            return copy.copy(self.ledger.orders[client_order_id])
        except KeyError:
            raise DeskError(f"no order {client_order_id!r}") from None

    def orders(self, statuses: set[OrderStatus] | None = None) -> list[Order]:
        return [copy.copy(o) for o in self.ledger.orders.values() if statuses is None or o.status in statuses]

    def working_orders(self) -> list[Order]:
        return [copy.copy(o) for o in self.ledger.working()]

    def pending_approvals(self) -> list[Order]:
        return self.orders({OrderStatus.PENDING_APPROVAL})

    def positions(self) -> list[Position]:
        return [p for p in self.ledger.positions.values() if p.size or p.realized_pnl]

    def position(self, venue: str, symbol: str) -> Position:
        return self.ledger.positions.get((venue, symbol), Position(venue, symbol))

    def executions(self) -> list[Execution]:
        return sorted(self.ledger.executions.values(), key=lambda e: e.legs_wall_ms.get("done", 0), reverse=True)

    def venue_states(self) -> list[VenueState]:
        out = []
        for name, venue in self.venues.items():
            remaining, capacity = venue.rate_budget()
            rec = self.reconcile_state.get(name, {})
            out.append(VenueState(name, venue.environment, venue.connected, venue.last_error, remaining, capacity,
                                  rec.get("at_ms"), rec.get("ok"), rec.get("differences", 0),
                                  self.streams_ok.get(name, True), refresh_plan.RefreshPlanner.of(self).plan(name).note,
                                  stream_health.summary(self, name)))
        return out

    # -- reconciliation: what the status bar and the reconciliation screen show, and the trader's verbs ------
    def reconcile_status(self, venue: str | None = None) -> list[Any]:
        """Per venue: state in_sync | differences | failing | pending, counts, and a ready-made ``text``."""
        return [self.reconciler.status(name) for name in ([venue] if venue else self.venues)]

    def reconcile_differences(self, venue: str | None = None, include_resolved: bool = True) -> list[Any]:
        """Every difference: open ones that need a human first (with the verbs allowed), then what the last
        refresh did by rule, then the ones settled (by the trader or the venue)."""
        return self.reconciler.views(venue, include_resolved)

    def adopt(self, key: str, actor: str = "human") -> Any:
        """Adopt a difference: an external order becomes managed here; a drift's venue figure is accepted."""
        return self.reconciler.adopt(key, actor)

    def ignore_difference(self, key: str, actor: str = "human", note: str = "") -> Any:
        return self.reconciler.ignore(key, actor, note)

    async def cancel_difference(self, key: str, actor: str = "human") -> Any:
        """Cancel the order behind a difference (an external order, or a lost one in case it is live)."""
        return await self.reconciler.cancel(key, actor)

    def take_recovery(self) -> dict[str, Any] | None:
        """What start-up recovery found, once (the journal keeps it as ``recovery_summary``)."""
        if self._recovery_shown or self.recovery is None:
            return None
        self._recovery_shown = True
        return dict(self.recovery)

    def mark(self, venue: str, symbol: str) -> Decimal | None:
        book = self.books.get((venue, symbol))
        return book.mid if book else None

    # -- the order path ----------------------------------------------------------------------
    def check(self, spec: OrderSpec, order: Order | None = None, *, static: bool = False, sending: bool = False,
              flattening: bool = False, extra_working: Any = (), confirm_duplicate: bool = False,
              exclude: Any = ()) -> list[Problem]:
        """Every rule the spec breaks right now: the ticket shows these live, before staging (see PreTrade)."""
        return self.pretrade.check(spec, order, static=static, sending=sending, flattening=flattening,
                                   extra_working=extra_working, confirm_duplicate=confirm_duplicate, exclude=exclude)

    def daily_pnl(self, venue: str, marks: dict[str, Decimal] | None = None) -> Decimal:
        """Today's PnL on one account (UTC day): realized since 00:00 net of fees, plus unrealized at mid."""
        return self.pretrade.daily_pnl(venue, marks)

    def stale_proposal(self, order: Order) -> tuple[OrderStatus, str] | None:
        return self.pretrade.stale_proposal(order)

    def stage(self, spec: OrderSpec, actor: str | None = None, *, confirm_duplicate: bool = False) -> Order:
        """Stage an order for a human's decision. A spec that fails the gate is DENIED and journaled.

        ``confirm_duplicate`` is the human's second confirmation for an order identical to one staged
        moments ago (the duplicate guard); the copilot's stage never passes it."""
        if not isinstance(spec, OrderSpec):
            raise DeskError(f"stage needs an OrderSpec, got {type(spec).__name__}: build the order with OrderSpec(...)")
        actor = actor or spec.origin.value
        now_wall, now_mono = self.clock.wall_ms(), self.clock.mono_ns()
        if spec.decision_mid is None:
            mid = self.mark(spec.venue, spec.symbol)
            spec = spec.with_changes(decision_mid=mid, decided_at_ms=spec.decided_at_ms or now_wall)
        order = Order(spec=spec, client_order_id=self.journal.next_client_order_id())
        order.stamp("decided", spec.decided_at_ms or now_wall, now_mono)
        order.stamp("staged", now_wall, now_mono)
        if confirm_duplicate and spec.origin is not Origin.HUMAN:
            confirm_duplicate = False  # only a human's second confirmation counts
        # A bracket's exit waiting for its entry is checked for what it is now; the full gate runs at its release.
        problems = self.check(spec, confirm_duplicate=confirm_duplicate, static=bool(spec.parent_id))
        if problems:
            order.status = OrderStatus.DENIED
            order.reason = "; ".join(str(p) for p in problems)
            self.ledger.add(order, "denied", actor, {"problems": [p.rule for p in problems],
                                                     "reasons": [p.message for p in problems]})
            self.bus.publish(RiskAlert(f"denied {spec.side.value} {spec.amount} {spec.symbol}: {order.reason}",
                                       "warning", order.client_order_id))
            return copy.copy(order)
        if confirm_duplicate:
            self.pretrade.confirmed_duplicates.add(order.client_order_id)
        self.ledger.add(order, "staged", actor, {"rationale": spec.rationale, "confirmed_duplicate": confirm_duplicate,
                                                 "emulated": self.emulation_reason(spec)})
        self.bus.publish(ProposalStaged(copy.copy(order)))
        return copy.copy(order)

    def reject(self, client_order_id: str, reason: str = "", actor: str = "human") -> Order:
        order = self._pending(client_order_id)
        group = self.contingent.group_of(client_order_id)
        if group is not None:  # a group is decided as one: rejecting a member rejects them all
            self.contingent.reject(group, reason, actor)
            return copy.copy(order)
        self.ledger.move(order, OrderStatus.DECLINED, "declined", actor, reason or "rejected by the trader",
                         payload={"reason": reason})
        return copy.copy(order)

    def _pending(self, client_order_id: str) -> Order:
        order = self.ledger.orders.get(client_order_id)
        if order is None:
            raise DeskError(f"no order {client_order_id!r} to decide on")
        if order.status is not OrderStatus.PENDING_APPROVAL:
            raise DeskError(f"order {client_order_id} is {order.status.value}, not waiting for approval")
        return order

    async def approve(self, client_order_id: str, actor: str = "human", edits: dict[str, Any] | None = None) -> Order:
        """A human's approval: check again on fresh data, journal the intent durably, then send. ``edits``
        (amount, price, trigger price, time in force, flags) change the order before it goes: edit-then-approve."""
        if not self.ready:
            raise DeskError("the desk has not reconciled with the venues yet: wait for the first refresh")
        order = self._pending(client_order_id)
        self.controls.check_approver(actor, order)
        group = self.contingent.group_of(client_order_id)
        if group is not None:  # OCO, bracket, scaled: one decision for the whole group
            if edits:
                raise DeskError(f"{client_order_id} is part of {group.kind} group {group.id}: reject it and "
                                f"stage the group again to change it")
            try:
                await self.contingent.approve(group, actor)
            except GroupError as exc:
                raise DeskError(str(exc)) from exc
            return copy.copy(order)
        if edits:
            allowed = {"amount", "price", "trigger_price", "time_in_force", "post_only", "reduce_only"}
            unknown = set(edits) - allowed
            if unknown:
                raise DeskError(f"cannot edit {', '.join(sorted(unknown))}: editable fields are {', '.join(sorted(allowed))}")
            before = order.spec
            try:
                order.spec = before.with_changes(**edits)
            except (ValueError, TypeError, ArithmeticError) as exc:  # InvalidSpec, and whatever else edits hold
                raise DeskError(f"edit refused: {exc}; the order is unchanged and still waits for approval") from None
            self.ledger.touch(order, "edited", actor, {"before": {k: getattr(before, k) for k in edits},
                                                       "after": dict(edits)})
        stale = self.stale_proposal(order)
        if stale is not None:
            status, why = stale
            self.ledger.move(order, status, status.value, actor, why, payload={"at": "approval"})
            raise DeskError(why)
        emulated = self.emulation_reason(order.spec)
        problems = self.check(order.spec, order=order, sending=not emulated, static=bool(order.spec.parent_id))
        if problems:
            self.ledger.move(order, OrderStatus.DENIED, "denied", actor, "; ".join(map(str, problems)),
                             payload={"problems": [p.rule for p in problems], "reasons": [p.message for p in problems],
                                      "at": "approval"})
            return copy.copy(order)
        with self.ledger.restored_on_failure(order):  # an approval the journal refuses did not happen
            order.approval_mid = self.mark(order.venue, order.symbol)
            order.stamp("approved", self.clock.wall_ms(), self.clock.mono_ns())
            self.journal.append("approved", actor=actor, order=order)
        if emulated:
            # Held here until its trigger, then released through _send with the gate run again.
            self.ledger.move(order, OrderStatus.EMULATED, "armed", actor,
                             payload={"why": emulated, "trigger_by": order.spec.trigger_by.value})
            self.emulator.evaluate(order.venue, order.symbol)
            return copy.copy(order)
        await self.router.send(order, actor)
        return copy.copy(order)

    async def cancel(self, client_order_id: str, actor: str = "human") -> Order:
        order = self.ledger.orders.get(client_order_id)
        if order is None:
            raise DeskError(f"no order {client_order_id!r} to cancel")
        if order.status is OrderStatus.PENDING_APPROVAL:
            return self.reject(client_order_id, "canceled before approval", actor)
        if order.status is OrderStatus.EMULATED:
            self.ledger.move(order, OrderStatus.CANCELED, "canceled", actor, "disarmed")
            return copy.copy(order)
        if not order.status.is_working:
            raise DeskError(f"order {client_order_id} is {order.status.value}: nothing to cancel")
        return await self.router.cancel(order, actor)

    async def modify(self, client_order_id: str, *, amount: Decimal | None = None, price: Decimal | None = None,
                     trigger_price: Decimal | None = None, actor: str = "human") -> Order:
        """Change an order's terms; the risk gate runs on the new terms first, whatever the path.

        Held locally (EMULATED): changed here, nothing is sent. At a venue that amends in place: one call.
        Elsewhere: cancel-replace, shown as such: the original is canceled, its final filled amount read from
        the venue, and a replacement (``<id>m1``) goes for exactly the rest. Returns the order that now carries
        the terms (the replacement, for cancel-replace)."""
        order = self.ledger.orders.get(client_order_id)
        if order is None:
            raise DeskError(f"no order {client_order_id!r} to modify")
        changes = {k: v for k, v in (("amount", amount), ("price", price), ("trigger_price", trigger_price))
                   if v is not None}
        if not changes:
            raise DeskError("nothing to change: give a new amount, price or trigger price")
        try:
            new_spec = order.spec.with_changes(**changes)
        except (ValueError, TypeError, ArithmeticError) as exc:  # InvalidSpec, and whatever else was passed
            raise DeskError(f"modify refused: {exc}; the order is unchanged") from None
        if order.status is OrderStatus.EMULATED:
            return self.emulator.amend(order, new_spec, changes, actor)
        if order.status not in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED):
            raise DeskError(f"order {client_order_id} is {order.status.value}: it cannot be modified now")
        if new_spec.amount <= order.filled:
            raise DeskError(f"new amount {new_spec.amount} is not above the {order.filled} already filled")
        # The venue holds the original's funds: the balance is the venue's to check on an amend.
        problems = [p for p in self.check(new_spec, order=order)
                    if p.rule not in ("insufficient_balance", "insufficient_margin")]
        if problems:
            self.ledger.touch(order, "modify_denied", actor, {"problems": [p.rule for p in problems],
                                                              "reason": "; ".join(map(str, problems))})
            raise DeskError("modify denied: " + "; ".join(map(str, problems)))
        return await self.router.modify(order, new_spec, changes, actor)

    # -- order types: native or held locally ---------------------------------------------------
    def emulation_reason(self, spec: OrderSpec) -> str | None:
        """Why this order would be held locally (EMULATED) rather than sent now; None = native."""
        if spec.parent_id:
            return f"a bracket's exit: held here until its entry {spec.parent_id} fills, sized to what filled"
        if not spec.type.has_trigger:
            return None
        return self.venues[spec.venue].emulation_reason(spec, self.market(spec.venue, spec.symbol))

    def order_types(self, venue: str, symbol: str) -> dict[str, str]:
        """For the ticket: each order type and flag as "native", "emulated" or "unsupported" on this market."""
        return handling.order_types(self.market(venue, symbol), self.venues[venue].has("editOrder"),
                                    self.venues[venue].trigger_sources(symbol))

    def explain(self, spec: OrderSpec) -> str:
        """One line for the ticket: what will happen if this order is approved."""
        try:
            reason = self.emulation_reason(spec)
        except DeskError as exc:
            return str(exc)
        return handling.explain(spec, reason)

    def emulated_orders(self) -> list[Any]:
        """Locally held orders with their live trigger level (trailing stops move) and what they wait for."""
        return self.emulator.views()

    # -- groups: OCO, bracket, scaled ------------------------------------------------------------
    def stage_group(self, kind: str, members: list[tuple[str, OrderSpec]], actor: str | None = None,
                    *, confirm_duplicate: bool = False) -> list[Order]:
        """Stage orders that belong together for one approval. ``members`` are (role, spec): OCO legs
        ("leg"), a bracket's ("entry", "stop_loss", "take_profit"), scaled slices ("slice")."""
        if not members:
            raise DeskError("a group needs members")
        with refused(GroupError, ValueError, TypeError, ArithmeticError):  # InvalidSpec is a ValueError
            return self.contingent.stage(kind, members, actor or members[0][1].origin.value,
                                         confirm_duplicate=confirm_duplicate)

    def stage_oco(self, legs: list[OrderSpec], actor: str | None = None) -> list[Order]:
        return self.stage_group("oco", [("leg", leg) for leg in legs], actor)

    def stage_bracket(self, entry: OrderSpec, actor: str | None = None, **children: Any) -> list[Order]:
        """An entry with a stop-loss and/or take-profit that go live when it fills, sized to what filled.
        ``children``: stop_price, stop_limit_price, trailing_amount, trailing_percent, take_profit_price,
        take_profit_trigger (see contingent.bracket_children)."""
        market = self.market(entry.venue, entry.symbol)
        with refused(GroupError, ValueError, TypeError, ArithmeticError):
            kids = bracket_children(entry, derivative=market.is_derivative, **children)
        return self.stage_group("bracket", [("entry", entry), *kids], actor)

    def stage_scaled(self, base: OrderSpec, *, total: Decimal, start: Decimal, end: Decimal, count: int,
                     distribution: str = "equal", actor: str | None = None) -> list[Order]:
        """``count`` limit orders from ``start`` to ``end`` adding up to ``total`` (``base`` gives venue,
        symbol, side, flags). Each meets the venue's tick, lot and minimums, or nothing is staged."""
        with refused(GroupError, ValueError, TypeError, ArithmeticError):
            if isinstance(count, bool) or not isinstance(count, int):
                raise GroupError(f"count must be a whole number of orders, got {count!r:.40}")
            specs = scaled_specs(self.market(base.venue, base.symbol), base, dec(total), dec(start), dec(end),
                                 count, distribution)
        return self.stage_group("scaled", [("slice", s) for s in specs], actor)

    def group(self, client_order_id: str) -> Any:
        """The group an order belongs to (kind, members, roles), or None."""
        return self.contingent.group_of(client_order_id)

    # -- the controls only a human holds (each journaled with who and why) -----------------------
    def trading_state(self, venue: str) -> TradingState:
        return self.controls.state(venue)

    def trading_states(self) -> dict[str, TradingState]:
        return {name: self.controls.state(name) for name in self.venues}

    def set_trading_state(self, venue: str, state: TradingState | str, actor: str = "human", reason: str = "") -> None:
        """ACTIVE, REDUCING (only risk-reducing orders) or HALTED."""
        with refused(ControlError, ValueError):
            self.controls.set_state(venue, TradingState(state), actor, reason)

    async def kill(self, flatten: bool = False, actor: str = "human", reason: str = "kill switch") -> Any:
        """HALT every account, stop schedules, disarm emulated orders, decline proposals, cancel every working
        order on every venue (and chase the ones still on their way); with ``flatten`` (the UI's second
        confirmation) close derivatives positions with reduce-only market orders. Returns a KillReport."""
        with refused(ControlError):
            return await self.controls.kill(actor, reason, flatten)

    def kill_preview(self) -> Any:
        """What the kill switch would do now (KillPreview): working, emulated, pending and in-flight counts."""
        return self.controls.preview()

    def rearm(self, actor: str = "human", venue: str | None = None, reason: str = "",
              to: TradingState | str = TradingState.ACTIVE) -> list[str]:
        """Leave HALTED (every venue, or one) for ACTIVE or REDUCING."""
        with refused(ControlError, ValueError):
            return self.controls.rearm(actor, venue, reason, TradingState(to))

    def set_risk_limits(self, venue: str | None = None, symbol: str | None = None, *, actor: str = "human",
                        reason: str = "", **changes: Any) -> RiskLimits:
        """Change limits for (venue, symbol), (venue, all symbols) or the defaults (venue None)."""
        with refused(ControlError, ValueError):
            return self.controls.set_limits(actor, venue, symbol, changes, reason)

    async def set_leverage(self, venue: str, symbol: str, leverage: Decimal | int | str, actor: str = "human",
                           reason: str = "") -> Decimal:
        """Change the account's leverage for a derivatives symbol at the venue."""
        with refused(ControlError):
            return await self.controls.set_leverage(actor, venue, symbol, leverage, reason)

    def limits(self, venue: str, symbol: str) -> RiskLimits:
        return self.gate.limits_for(venue, symbol)

    def audit(self, since_ms: int | None = None, limit: int = 1000) -> list[Any]:
        """Every decision (stage, deny, approve, reject, send, cancel, modify, kill, re-arm, risk change)
        with who and why, oldest first: the audit screen's rows (AuditEntry)."""
        return self.controls.audit(since_ms, limit)
