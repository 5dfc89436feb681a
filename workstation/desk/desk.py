"""The Desk: the one face that the UI, the copilot, tests and scripts use.

It owns the in-process truth (markets, books, orders, fills, positions, balances), exposes
read-only views and a few verbs, and publishes events. It runs the same headless as under
the TUI. The order path: stage -> risk gate -> PENDING_APPROVAL -> approve (a human act)
-> gate again on fresh data -> intent journaled and fsync'd -> create_order with our client
order id -> ack -> fills -> position -> execution record.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..domain.book import Book
from ..domain.execution import Execution
from ..domain.market import Market, Problem
from ..domain.orders import Order, OrderSpec, OrderStatus, Origin
from ..domain.positions import Position
from ..domain.reports import Balance
from ..venues.ccxt_venue import ExchangeVenue
from ..venues.errors import ErrorKind, VenueError
from .clock import Clock
from .events import BookChanged, EventBus, ProposalStaged, RiskAlert
from .journal import Journal
from .oms import Ledger
from .risk import RiskContext, RiskGate

log = logging.getLogger(__name__)


class DeskError(Exception):
    """A verb that cannot be done as asked; the message says why and what to do instead."""


@dataclass(frozen=True, slots=True)
class VenueState:
    name: str
    environment: str
    connected: bool
    last_error: str | None
    rate_remaining: int
    rate_capacity: int
    last_reconcile_ms: int | None
    reconcile_ok: bool | None
    differences: int
    streams_ok: bool


@dataclass
class DeskSettings:
    refresh_interval_s: float = 3.0
    in_doubt_grace_s: float = 30.0
    in_doubt_poll_s: float = 0.5
    send_retries: int = 2  # only for refusals that prove nothing was placed (429, maintenance)
    book_depth: int = 25
    proposal_expiry_s: float = 120.0  # a copilot proposal older than this must be re-staged
    price_tolerance_bps: Decimal = Decimal("50")  # ... and so must one whose market moved more than this


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
        self.book_seen_ms: dict[tuple[str, str], int] = {}
        self.balances: dict[str, dict[str, Balance]] = {}
        self.venue_positions: dict[str, dict[str, Any]] = {}
        self.watch_symbols = symbols or {}
        self.reconcile_state: dict[str, Any] = {}
        self.streams_ok: dict[str, bool] = {}
        self.ready = False  # no approval before the first reconcile after start
        self._tasks: set[asyncio.Task] = set()
        self._resolving: set[str] = set()
        from .reconcile import Reconciler  # local: reconcile imports Desk types

        self.reconciler = Reconciler(self)
        self.ledger.load(*journal.replay())

    # -- lifecycle -------------------------------------------------------------------------------
    async def connect(self) -> None:
        """Load markets and the account, then reconcile what the journal says with the venue."""
        for name, venue in self.venues.items():
            markets = await venue.connect()
            for symbol, market in markets.items():
                self.markets[(name, symbol)] = market
            for order in self.ledger.orders.values():
                if order.venue == name and order.venue_order_id:
                    venue.remember(order.venue_order_id, order.client_order_id)
            unknown = [s for s in self.watch_symbols.get(name, []) if s not in markets]
            if unknown:
                raise DeskError(f"{name} has no market {', '.join(unknown)}: known symbols include "
                                f"{', '.join(list(markets)[:8])}")
            self.watch_symbols[name] = self.watch_symbols.get(name) or list(markets)[:4]
        await self.sync_books()
        await self.refresh()
        await self._recover_unacked()
        self.ready = True

    async def _recover_unacked(self) -> None:
        """Intents from a previous run that never got an answer: look each up by client order id.

        Found ones take the venue's state; the rest go IN_DOUBT and are resolved (or declared lost)
        within the grace period. None is ever sent again.
        """
        found, missing = [], []
        for order in list(self.ledger.orders.values()):
            if order.status not in (OrderStatus.NEW, OrderStatus.IN_DOUBT) or order.client_order_id in self._resolving:
                continue
            if await self._resolve_now(order):
                found.append(order.client_order_id)
                continue
            missing.append(order.client_order_id)
            if order.status is OrderStatus.NEW:
                self.ledger.move(order, OrderStatus.IN_DOUBT, "in_doubt", payload={"why": "no answer before restart"})
            self._resolve_later(order)
        if found or missing:
            self.journal.append("recovery", actor="desk", payload={"found": found, "not_found_yet": missing})
            self.bus.publish(RiskAlert(f"recovered {len(found)} unacknowledged order(s) from the venue; "
                                       f"{len(missing)} not found yet (looking up, never re-sent)", "warning"))

    async def start(self) -> None:
        """Connect, then keep books, orders and fills live until stop()."""
        for venue in self.venues.values():
            starter = getattr(venue.exchange, "start", None)
            if starter is not None:
                await starter()
        await self.connect()
        for name, venue in self.venues.items():
            for symbol in self.watch_symbols[name]:
                self._spawn(self._book_loop(name, symbol))
            if venue.has("watchMyTrades"):
                self._spawn(self._fill_stream(name))
            if venue.has("watchOrders"):
                self._spawn(self._order_stream(name))
        self._spawn(self._refresh_loop())

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for venue in self.venues.values():
            with contextlib.suppress(Exception):
                await venue.close()

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- live data -------------------------------------------------------------------------------
    async def _store_book(self, venue: str, book: Book) -> None:
        key = (venue, book.symbol)
        self.books[key] = book
        self.book_seen_ms[key] = self.clock.wall_ms()
        self.bus.publish(BookChanged(venue, book.symbol, book))

    async def _book_loop(self, venue_name: str, symbol: str) -> None:
        venue = self.venues[venue_name]
        streaming = venue.has("watchOrderBook")
        while True:
            try:
                if streaming:
                    book = await venue.watch_book(symbol, self.settings.book_depth)
                else:
                    await asyncio.sleep(1.0)
                    book = await venue.fetch_book(symbol, self.settings.book_depth)
                await self._store_book(venue_name, book)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a checksum gap or disconnect: fall back to REST, then resubscribe
                log.info("book %s %s: %s; falling back to a snapshot", venue_name, symbol, exc)
                await asyncio.sleep(0.5)
                with contextlib.suppress(Exception):
                    await self._store_book(venue_name, await venue.fetch_book(symbol, self.settings.book_depth))

    async def _fill_stream(self, venue_name: str) -> None:
        venue = self.venues[venue_name]
        while True:
            try:
                for fill in await venue.watch_my_trades():
                    self.ledger.record_fill(fill)
                self.streams_ok[venue_name] = True
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # streams miss messages and drop; polling in refresh() backs them up
                self.streams_ok[venue_name] = False
                log.info("fill stream %s: %s", venue_name, exc)
                await asyncio.sleep(1.0)

    async def _order_stream(self, venue_name: str) -> None:
        venue = self.venues[venue_name]
        while True:
            try:
                for report in await venue.watch_orders():
                    order = self.ledger.find(venue_name, report.client_order_id, report.venue_order_id)
                    if order is not None:
                        self.ledger.apply_report(order, report, "stream")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.streams_ok[venue_name] = False
                log.info("order stream %s: %s", venue_name, exc)
                await asyncio.sleep(1.0)

    async def _refresh_loop(self) -> None:
        while True:
            interval = self.settings.refresh_interval_s
            # slow down when the rate budget runs low, rather than earn a ban
            fractions = [v.rate_budget()[0] / max(v.rate_budget()[1], 1) for v in self.venues.values()]
            if fractions and min(fractions) < 0.2:
                interval *= 3
            await asyncio.sleep(interval)
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("refresh failed")

    async def sync_books(self) -> None:
        """Snapshot every watched book by REST: start-up, stream outages, and headless scripts."""
        for name, venue in self.venues.items():
            for symbol in self.watch_symbols.get(name, []):
                await self._store_book(name, await venue.fetch_book(symbol, self.settings.book_depth))

    async def refresh(self) -> None:
        """Fetch the account from every venue and reconcile it with the Desk."""
        for name in self.venues:
            await self.reconciler.reconcile(name)

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
                                  self.streams_ok.get(name, True)))
        return out

    def mark(self, venue: str, symbol: str) -> Decimal | None:
        book = self.books.get((venue, symbol))
        return book.mid if book else None

    # -- the order path ----------------------------------------------------------------------
    def _context(self, spec: OrderSpec) -> RiskContext:
        key = (spec.venue, spec.symbol)
        return RiskContext(
            market=self.market(spec.venue, spec.symbol),
            book=self.books.get(key),
            balances=self.balances.get(spec.venue, {}),
            position=self.ledger.positions.get(key),
            working=self.ledger.working(spec.venue),
            now_ms=self.clock.wall_ms(),
            book_received_ms=self.book_seen_ms.get(key),
        )

    def check(self, spec: OrderSpec) -> list[Problem]:
        """Every rule the spec breaks right now: the ticket shows these live, before staging."""
        if spec.venue not in self.venues:
            return [Problem("unknown_venue", f"unknown venue {spec.venue!r}: configured venues are "
                            f"{', '.join(self.venues)}")]
        try:
            return self.gate.check(spec, self._context(spec))
        except DeskError as exc:
            return [Problem("unknown_symbol", str(exc))]

    def stage(self, spec: OrderSpec, actor: str | None = None) -> Order:
        """Stage an order for a human's decision. A spec that fails the gate is DENIED and journaled."""
        actor = actor or spec.origin.value
        now_wall, now_mono = self.clock.wall_ms(), self.clock.mono_ns()
        if spec.decision_mid is None:
            mid = self.mark(spec.venue, spec.symbol)
            spec = spec.with_changes(decision_mid=mid, decided_at_ms=spec.decided_at_ms or now_wall)
        order = Order(spec=spec, client_order_id=self.journal.next_client_order_id())
        order.stamp("decided", spec.decided_at_ms or now_wall, now_mono)
        order.stamp("staged", now_wall, now_mono)
        problems = self.check(spec)
        if problems:
            order.status = OrderStatus.DENIED
            order.reason = "; ".join(str(p) for p in problems)
            self.ledger.add(order, "denied", actor, {"problems": [p.rule for p in problems]})
            self.bus.publish(RiskAlert(f"denied {spec.side.value} {spec.amount} {spec.symbol}: {order.reason}",
                                       "warning", order.client_order_id))
            return copy.copy(order)
        self.ledger.add(order, "staged", actor, {"rationale": spec.rationale})
        self.bus.publish(ProposalStaged(copy.copy(order)))
        return copy.copy(order)

    def reject(self, client_order_id: str, reason: str = "", actor: str = "human") -> Order:
        order = self._pending(client_order_id)
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
        """A human's approval: check again on fresh data, journal the intent durably, then send.

        ``edits`` (amount, price, trigger_price) change the order before it goes: edit-then-approve.
        """
        if not self.ready:
            raise DeskError("the desk has not reconciled with the venues yet: wait for the first refresh")
        order = self._pending(client_order_id)
        if edits:
            allowed = {"amount", "price", "trigger_price", "time_in_force", "post_only", "reduce_only"}
            unknown = set(edits) - allowed
            if unknown:
                raise DeskError(f"cannot edit {', '.join(sorted(unknown))}: editable fields are {', '.join(sorted(allowed))}")
            before = order.spec
            order.spec = before.with_changes(**edits)
            self.ledger.touch(order, "edited", actor, {"before": {k: getattr(before, k) for k in edits},
                                                       "after": dict(edits)})
        stale = self._stale_proposal(order)
        if stale:
            self.ledger.move(order, OrderStatus.EXPIRED if "old" in stale else OrderStatus.DENIED,
                             "expired" if "old" in stale else "denied", actor, stale, payload={"at": "approval"})
            raise DeskError(stale)
        problems = self.check(order.spec)
        if problems:
            self.ledger.move(order, OrderStatus.DENIED, "denied", actor, "; ".join(map(str, problems)),
                             payload={"problems": [p.rule for p in problems], "at": "approval"})
            return copy.copy(order)
        order.approval_mid = self.mark(order.venue, order.symbol)
        order.stamp("approved", self.clock.wall_ms(), self.clock.mono_ns())
        self.journal.append("approved", actor=actor, order=order)
        await self._send(order, actor)
        return copy.copy(order)

    def _stale_proposal(self, order: Order) -> str | None:
        """A copilot proposal is approved as proposed or not at all: too old, or the market moved, means re-stage."""
        if order.spec.origin is not Origin.COPILOT:
            return None
        age_s = (self.clock.wall_ms() - order.wall_ms.get("staged", self.clock.wall_ms())) / 1000
        if age_s > self.settings.proposal_expiry_s:
            return (f"proposal is {age_s:.0f}s old (expiry {self.settings.proposal_expiry_s:.0f}s): "
                    f"ask the copilot again or stage it yourself")
        then, now = order.spec.decision_mid, self.mark(order.venue, order.symbol)
        if then and now:
            moved = abs(now - then) / then * 10000
            if moved > self.settings.price_tolerance_bps:
                return (f"{order.symbol} moved {moved:.0f} bps since the proposal (tolerance "
                        f"{self.settings.price_tolerance_bps} bps): re-stage at today's price")
        return None

    async def _send(self, order: Order, actor: str) -> None:
        venue = self.venues[order.venue]
        order.arrival_mid = self.mark(order.venue, order.symbol)
        order.stamp("sent", self.clock.wall_ms(), self.clock.mono_ns())
        # The intent is on disk before the venue can see the order: a crash from here on
        # leaves an order we know about and look up, never one we send twice.
        self.ledger.move(order, OrderStatus.NEW, "intent", actor, payload={"params": repr(venue.order_params(order)[:5])})
        for attempt in range(self.settings.send_retries + 1):
            try:
                report = await venue.create_order(order)
            except VenueError as err:
                order.errors.append(err.message)
                if err.kind in (ErrorKind.RATE_LIMITED, ErrorKind.TRANSIENT) and attempt < self.settings.send_retries:
                    # a definite refusal: nothing was placed, so the same client order id may go again
                    self.ledger.touch(order, "send_retry", payload={"error": err.message, "kind": err.kind.value})
                    await asyncio.sleep(0.25 * (2 ** attempt))
                    continue
                if err.kind in (ErrorKind.UNKNOWN_OUTCOME,):
                    self.ledger.move(order, OrderStatus.IN_DOUBT, "in_doubt", payload={"error": err.message})
                    self._resolve_later(order)
                else:
                    self.ledger.move(order, OrderStatus.REJECTED, "rejected", reason=err.message,
                                     payload={"error": err.message, "kind": err.kind.value})
                return
            order.stamp("acked", self.clock.wall_ms(), self.clock.mono_ns())
            self.ledger.set_venue_id(order, report.venue_order_id)
            self.ledger.apply_report(order, report, "ack")
            if order.status is OrderStatus.NEW:
                self.ledger.move(order, OrderStatus.OPEN, "ack")
            if report.filled and report.filled > order.filled:
                await self._fetch_fills(order.venue, order.symbol)  # after the wire: not on the send path
            return

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
        order.cancel_requested = True
        self.ledger.touch(order, "cancel_request", actor)
        venue = self.venues[order.venue]
        try:
            report = await venue.cancel_order(order)
        except VenueError as err:
            order.errors.append(err.message)
            if err.kind is ErrorKind.NOT_FOUND:
                # Gone already: filled or canceled in the meantime. Find out which.
                await self._resolve_now(order)
            elif err.kind in (ErrorKind.UNKNOWN_OUTCOME, ErrorKind.TRANSIENT, ErrorKind.RATE_LIMITED):
                self.ledger.move(order, OrderStatus.IN_DOUBT, "in_doubt", actor, payload={"error": err.message})
                self._resolve_later(order)
            else:
                self.ledger.touch(order, "cancel_failed", actor, {"error": err.message})
                raise DeskError(f"cancel of {client_order_id} refused: {err.message}") from err
            return copy.copy(order)
        if report is not None:
            self.ledger.apply_report(order, report, "canceled")
            if report.filled and report.filled > order.filled:
                self._spawn(self._fetch_fills(order.venue, order.symbol))
        else:
            await self._resolve_now(order)
        return copy.copy(order)

    async def modify(self, client_order_id: str, *, amount: Decimal | None = None, price: Decimal | None = None,
                     actor: str = "human") -> Order:
        """Amend a working order in place where the venue can; the gate runs on the new spec first."""
        order = self.ledger.orders.get(client_order_id)
        if order is None or order.status not in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED):
            raise DeskError(f"order {client_order_id} cannot be modified now")
        new_spec = order.spec.with_changes(amount=amount or order.spec.amount, price=price or order.spec.price)
        if new_spec.amount <= order.filled:
            raise DeskError(f"new amount {new_spec.amount} is not above the {order.filled} already filled")
        problems = [p for p in self.check(new_spec) if p.rule not in ("max_open_orders", "insufficient_balance")]
        if problems:
            raise DeskError("modify denied: " + "; ".join(map(str, problems)))
        venue = self.venues[order.venue]
        if not venue.has("editOrder"):
            raise DeskError(f"{order.venue} cannot amend in place: cancel and stage a new order")
        try:
            report = await venue.edit_order(order, new_spec.amount, new_spec.price)
        except VenueError as err:
            order.errors.append(err.message)
            if err.kind is ErrorKind.UNKNOWN_OUTCOME:
                self.ledger.move(order, OrderStatus.IN_DOUBT, "in_doubt", actor, payload={"error": err.message})
                self._resolve_later(order)
                return copy.copy(order)
            raise DeskError(f"modify of {client_order_id} refused: {err.message}") from err
        order.spec = new_spec
        self.ledger.set_venue_id(order, report.venue_order_id)
        self.ledger.touch(order, "modified", actor, {"amount": new_spec.amount, "price": new_spec.price})
        self.ledger.apply_report(order, report, "modified")
        return copy.copy(order)

    # -- unknown outcomes ----------------------------------------------------------------------
    def _resolve_later(self, order: Order) -> None:
        if order.client_order_id not in self._resolving:
            self._resolving.add(order.client_order_id)
            self._spawn(self._resolve_loop(order))

    async def _resolve_loop(self, order: Order) -> None:
        """Look an IN_DOUBT order up by client order id until the venue answers or the grace ends."""
        try:
            deadline = self.clock.mono_ns() + int(self.settings.in_doubt_grace_s * 1e9)
            delay = self.settings.in_doubt_poll_s
            while order.status is OrderStatus.IN_DOUBT:
                await asyncio.sleep(delay)
                if await self._resolve_now(order):
                    return
                if self.clock.mono_ns() > deadline:
                    self.ledger.move(order, OrderStatus.LOST, "lost",
                                     reason=f"not found at {order.venue} within {self.settings.in_doubt_grace_s:.0f}s")
                    return
                delay = min(delay * 1.5, 5.0)
        finally:
            self._resolving.discard(order.client_order_id)

    async def _resolve_now(self, order: Order) -> bool:
        venue = self.venues[order.venue]
        try:
            report = await venue.find_order(order.client_order_id, order.symbol, order.venue_order_id)
        except VenueError as err:
            log.info("lookup of %s failed: %s", order.client_order_id, err)
            return False
        if report is None:
            return False
        self.ledger.apply_report(order, report, "resolved")
        if report.filled and report.filled > order.filled:
            await self._fetch_fills(order.venue, order.symbol)
        return True

    async def _fetch_fills(self, venue_name: str, symbol: str) -> int:
        venue = self.venues[venue_name]
        new = 0
        try:
            for fill in await venue.fetch_my_trades(symbol):
                new += self.ledger.record_fill(fill)
        except VenueError as err:
            log.info("fetch fills %s %s: %s", venue_name, symbol, err)
        return new
