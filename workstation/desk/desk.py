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
import itertools
import logging
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..domain.book import Book
from ..domain.execution import Execution
from ..domain.market import Market, Problem
from ..domain.orders import InvalidSpec, Order, OrderSpec, OrderStatus, OrderType, Origin, TriggerSource
from ..domain.positions import Position
from ..domain.reports import Balance
from ..venues.ccxt_venue import ExchangeVenue
from ..venues.errors import ErrorKind, VenueError
from .clock import Clock
from .contingent import Contingent, GroupError, bracket_children, scaled_specs
from .control import ControlError, Controls
from .emulator import Emulator
from .errors import DeskError
from .events import BookChanged, EventBus, ProposalStaged, RiskAlert
from .journal import Journal
from .markouts import MarkoutRecorder
from .oms import DayFold, Ledger
from .reconcile import Reconciler
from .risk import RiskContext, RiskGate, RiskLimits, TradingState

__all__ = ["Desk", "DeskError", "DeskSettings", "VenueState"]

log = logging.getLogger(__name__)


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
    stream_retry_s: float = 1.0  # pause before resubscribing a dropped private stream (polling covers the gap)
    send_retries: int = 2  # only for refusals that prove nothing was placed (429, maintenance)
    book_depth: int = 25
    proposal_expiry_s: float = 120.0  # a copilot proposal older than this must be re-staged
    price_tolerance_bps: Decimal = Decimal("50")  # ... and so must one whose market moved more than this
    human_expiry_s: float = 0.0  # a human-staged order left waiting this long expires too (0 = never)


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
        self._day_folds: dict[str, tuple[Any, int]] = {}  # venue -> (DayFold, fills folded so far)
        self._lookup_outcome: dict[str, str] = {}  # client order id -> found | absent | error (last look-up)
        self._connected = False
        self.recovery: dict[str, Any] | None = None  # what start-up found; shown once, kept in the journal
        self._recovery_shown = False
        self.reconciler = Reconciler(self)
        self.ledger.load(*journal.replay())
        self.markouts = MarkoutRecorder(self)  # TCA: the mid 1 s .. 300 s after each fill (needs the replayed fills)
        # Trading state, kill switch, limits (human only); locally held orders; OCO / bracket / scaled groups.
        self.controls = Controls(self)
        self.emulator = Emulator(self)
        self.contingent = Contingent(self)
        self._confirmed_duplicates: set[str] = set()

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
        found, missing = await self._recover_unacked()
        first = {name: self.reconciler.last.get(name) for name in self.venues}
        self.recovery = {
            "orders_adopted": [d.client_order_id for r in first.values() if r for d in r.differences
                               if d.kind == "unknown_order"],
            "fills_recovered": [t for r in first.values() if r for d in r.differences
                                if d.kind == "fill_mismatch" for t in d.trade_ids],
            "orders_updated": [d.client_order_id for r in first.values() if r for d in r.differences
                               if d.kind in ("status_mismatch", "missing_order", "in_doubt", "lost_order")],
            "intents_found": found, "intents_not_found": missing,
            "reconciled": all(r is not None and r.ok for r in first.values())}
        if any(self.recovery[k] for k in ("orders_adopted", "fills_recovered", "orders_updated",
                                          "intents_found", "intents_not_found")):
            self.journal.append("recovery_summary", actor="desk", payload=self.recovery)
        else:
            self._recovery_shown = True  # nothing to tell
        self._connected = True
        # No approval until every venue has been reconciled at least once (refresh() retries).
        self.ready = self.recovery["reconciled"]

    async def _recover_unacked(self) -> tuple[list[str], list[str]]:
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
        return found, missing

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
        self._spawn(self.emulator.run())  # last and mark prices for locally held orders

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
        """The book by stream where the venue has one, by REST polling where not.

        A failed watch (a checksum or sequence gap, a disconnect) is answered with a REST snapshot at once,
        then the next watch resubscribes from scratch (ccxt restarts the book after a ChecksumError).
        Repeated failures back off; a stream that never works falls back to polling for good."""
        venue = self.venues[venue_name]
        streaming = venue.has("watchOrderBook")
        failures = 0
        watched_once = False
        while True:
            try:
                if streaming:
                    book = await venue.watch_book(symbol, self.settings.book_depth)
                    watched_once = True
                else:
                    await asyncio.sleep(self._poll_interval(venue, 1.0))
                    book = await venue.fetch_book(symbol, self.settings.book_depth)
                await self._store_book(venue_name, book)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a checksum gap or disconnect: fall back to REST, then resubscribe
                failures += 1
                log.info("book %s %s: %s; falling back to a snapshot", venue_name, symbol, exc)
                kind = getattr(exc, "kind", None)
                if streaming and not watched_once and (failures >= 5 or kind in (ErrorKind.PARAMETER,
                                                                                 ErrorKind.PERMANENT)):
                    log.warning("book %s %s: the stream does not work (%s); polling by REST", venue_name, symbol, exc)
                    streaming = False
                with contextlib.suppress(Exception):
                    await self._store_book(venue_name, await venue.fetch_book(symbol, self.settings.book_depth))
                await asyncio.sleep(min(0.2 * 2 ** (failures - 1), 10.0) * (0.75 + random.random() / 2))

    def _poll_interval(self, venue: ExchangeVenue, base: float) -> float:
        """Polling slows as the account's rate budget runs low: x3 under 20 % left, x10 under 5 %."""
        remaining, capacity = venue.rate_budget()
        fraction = remaining / max(capacity, 1)
        return base * (10 if fraction < 0.05 else 3 if fraction < 0.2 else 1)

    def _check_auth(self, venue_name: str) -> bool:
        """True if the account's keys were refused. Shown to the trader once (a RiskAlert), never retried."""
        venue = self.venues[venue_name]
        taker = getattr(venue, "take_auth_alert", None)
        err = taker() if taker is not None else None
        if err is not None:
            self.streams_ok[venue_name] = False
            log.error("%s: keys refused: %s", venue_name, err.message)
            self.bus.publish(RiskAlert(f"{venue_name}: the venue refused the API keys ({err.message}). Private "
                                       f"calls are stopped, not retried: set new keys with `workstation keys set "
                                       f"{venue_name}` and restart", "error"))
        return getattr(venue, "auth_error", None) is not None

    async def _private_stream(self, venue_name: str, what: str, step) -> None:
        """Run ``step`` (one watch and its handling) forever: back off on errors (polling in refresh()
        covers the gap; streams miss messages anyway), stop for good when the keys are refused."""
        failures = 0
        while True:
            try:
                await step()
                self.streams_ok[venue_name] = True
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - streams drop; refresh() backs them up
                self.streams_ok[venue_name] = False
                if getattr(exc, "kind", None) is ErrorKind.AUTH or self._check_auth(venue_name):
                    self._check_auth(venue_name)
                    log.info("%s stream %s stopped: keys refused", what, venue_name)
                    return
                failures += 1
                log.info("%s stream %s: %s", what, venue_name, exc)
                await asyncio.sleep(min(self.settings.stream_retry_s * 2 ** (failures - 1), 30.0)
                                    * (0.75 + random.random() / 2))

    async def _fill_stream(self, venue_name: str) -> None:
        venue = self.venues[venue_name]

        async def step() -> None:
            for fill in await venue.watch_my_trades():
                self.ledger.record_fill(fill)

        await self._private_stream(venue_name, "fill", step)

    async def _order_stream(self, venue_name: str) -> None:
        venue = self.venues[venue_name]

        async def step() -> None:
            for report in await venue.watch_orders():
                order = self.ledger.find(venue_name, report.client_order_id, report.venue_order_id)
                if order is not None:
                    self.ledger.apply_report(order, report, "stream")

        await self._private_stream(venue_name, "order", step)

    async def _refresh_loop(self) -> None:
        while True:
            # slow down when a rate budget runs low (after a 429 it counts as spent), rather than earn a ban
            interval = max((self._poll_interval(v, self.settings.refresh_interval_s) for v in self.venues.values()),
                           default=self.settings.refresh_interval_s)
            await asyncio.sleep(interval)
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("refresh failed")
            for name in self.venues:
                self._check_auth(name)

    async def sync_books(self) -> None:
        """Snapshot every watched book by REST: start-up, stream outages, and headless scripts."""
        for name, venue in self.venues.items():
            for symbol in self.watch_symbols.get(name, []):
                await self._store_book(name, await venue.fetch_book(symbol, self.settings.book_depth))

    async def refresh(self) -> None:
        """Fetch the account from every venue and reconcile it with the Desk."""
        for name in self.venues:
            await self.reconciler.reconcile(name)
        if self._connected and not self.ready and all(
                (r := self.reconciler.last.get(name)) is not None and r.ok for name in self.venues):
            self.ready = True

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
    def _context(self, spec: OrderSpec, order: Order | None = None, *, sending: bool = False,
                 flattening: bool = False, extra_working: Any = (), confirm_duplicate: bool = False,
                 exclude: Any = ()) -> RiskContext:
        """What the gate sees. ``order`` is the order being checked (left out of working and of the
        duplicate guard's history); ``extra_working`` counts orders about to be sent (a scaled group)."""
        key = (spec.venue, spec.symbol)
        market = self.market(spec.venue, spec.symbol)
        now = self.clock.wall_ms()
        skip = {o.client_order_id for o in exclude}
        if order is not None:
            skip.add(order.client_order_id)
        working = [o for o in self.ledger.working(spec.venue) if o.client_order_id not in skip]
        working += [o for o in extra_working if o.client_order_id not in {w.client_order_id for w in working}]
        limits = self.gate.limits_for(*key)
        horizon = now - round(limits.duplicate_window_s * 1000)
        mine = (order.wall_ms.get("staged", now), order.client_order_id) if order is not None else None
        recent = []
        for o in reversed(self.ledger.orders.values()):  # newest first (orders are added as staged): stop at the horizon
            staged = o.wall_ms.get("staged")
            if staged is not None and staged < horizon - 5_000:
                break
            if (o.symbol == spec.symbol and o.venue == spec.venue and o.client_order_id not in skip
                    and o.status not in (OrderStatus.DENIED, OrderStatus.DECLINED, OrderStatus.EXPIRED)
                    and (staged or 0) >= horizon
                    and (mine is None or ((staged or 0), o.client_order_id) < mine)):
                recent.append(o)
        recent.reverse()
        marks = {s: b.mid for (v, s), b in self.books.items() if v == spec.venue and b.mid is not None}
        info = self.venue_positions.get(spec.venue, {}).get(spec.symbol)
        return RiskContext(
            market=market,
            book=self.books.get(key),
            balances=self.balances.get(spec.venue, {}),
            position=self.ledger.positions.get(key),
            working=working,
            now_ms=now,
            book_received_ms=self.book_seen_ms.get(key),
            state=self.controls.state(spec.venue),
            positions={s: p for (v, s), p in self.ledger.positions.items() if v == spec.venue},
            marks=marks,
            daily_pnl=self.daily_pnl(spec.venue, marks),
            recent=recent,
            confirmed_duplicate=confirm_duplicate or (order is not None and
                                                      order.client_order_id in self._confirmed_duplicates),
            sends_last_s=self.gate.sends_last_s(spec.venue, now) if sending else None,
            flattening=flattening,
            venue_leverage=getattr(info, "leverage", None),
        )

    def daily_pnl(self, venue: str, marks: dict[str, Decimal] | None = None) -> Decimal:
        """Today's PnL on one account (UTC day): realized since 00:00 net of fees, plus unrealized at mid."""
        now = self.clock.wall_ms()
        day = now - now % 86_400_000
        # Incremental (was a full re-fold of every fill on every check: O(fills) per order, quadratic over a session).
        fold, seen = self._day_folds.get(venue, (None, 0))
        if fold is None or fold.day != day or seen > len(self.ledger.fills):
            fold, seen = DayFold(day), 0
        for fill in itertools.islice(self.ledger.fills.values(), seen, None):
            if fill.venue == venue:
                fold.add(fill)
        self._day_folds[venue] = (fold, len(self.ledger.fills))
        cached = (None, fold.realized())
        if marks is None:
            marks = {s: b.mid for (v, s), b in self.books.items() if v == venue and b.mid is not None}
        unrealized = sum((p.unrealized_pnl(marks.get(s)) for (v, s), p in self.ledger.positions.items()
                          if v == venue and p.size), Decimal(0))
        return cached[1] + unrealized

    def check(self, spec: OrderSpec, order: Order | None = None, *, static: bool = False, sending: bool = False,
              flattening: bool = False, extra_working: Any = (), confirm_duplicate: bool = False,
              exclude: Any = ()) -> list[Problem]:
        """Every rule the spec breaks right now: the ticket shows these live, before staging.

        The same gate for every origin; ``sending`` adds the order-rate throttle (an order about to go out),
        ``static`` checks a bracket child for what it is until its entry fills."""
        if spec.venue not in self.venues:
            return [Problem("unknown_venue", f"unknown venue {spec.venue!r}: configured venues are "
                            f"{', '.join(self.venues)}")]
        try:
            ctx = self._context(spec, order, sending=sending, flattening=flattening, extra_working=extra_working,
                                confirm_duplicate=confirm_duplicate, exclude=exclude)
            return self.gate.check(spec, ctx, static=static) + self._in_doubt_duplicates(spec)
        except DeskError as exc:
            return [Problem("unknown_symbol", str(exc))]

    def _in_doubt_duplicates(self, spec: OrderSpec) -> list[Problem]:
        """While an order's outcome is unknown, the same order cannot be staged or sent again: it may be live."""
        same = [o.client_order_id for o in self.ledger.working(spec.venue)
                if o.status is OrderStatus.IN_DOUBT and o.symbol == spec.symbol and o.side is spec.side
                and o.spec.type is spec.type and o.amount == spec.amount and o.spec.price == spec.price
                and o.spec.trigger_price == spec.trigger_price]
        if not same:
            return []
        return [Problem("in_doubt_duplicate", f"the same order ({same[0]}) is in doubt: it may be live at "
                        f"{spec.venue}; wait until it is found or declared lost")]

    def stage(self, spec: OrderSpec, actor: str | None = None, *, confirm_duplicate: bool = False) -> Order:
        """Stage an order for a human's decision. A spec that fails the gate is DENIED and journaled.

        ``confirm_duplicate`` is the human's second confirmation for an order identical to one staged
        moments ago (the duplicate guard); the copilot's stage never passes it."""
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
        problems = self.check(spec, confirm_duplicate=confirm_duplicate)
        if problems:
            order.status = OrderStatus.DENIED
            order.reason = "; ".join(str(p) for p in problems)
            self.ledger.add(order, "denied", actor, {"problems": [p.rule for p in problems],
                                                     "reasons": [p.message for p in problems]})
            self.bus.publish(RiskAlert(f"denied {spec.side.value} {spec.amount} {spec.symbol}: {order.reason}",
                                       "warning", order.client_order_id))
            return copy.copy(order)
        if confirm_duplicate:
            self._confirmed_duplicates.add(order.client_order_id)
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
        """A human's approval: check again on fresh data, journal the intent durably, then send.

        ``edits`` (amount, price, trigger_price) change the order before it goes: edit-then-approve.
        """
        if not self.ready:
            raise DeskError("the desk has not reconciled with the venues yet: wait for the first refresh")
        order = self._pending(client_order_id)
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
            order.spec = before.with_changes(**edits)
            self.ledger.touch(order, "edited", actor, {"before": {k: getattr(before, k) for k in edits},
                                                       "after": dict(edits)})
        stale = self._stale_proposal(order)
        if stale is not None:
            status, why = stale
            self.ledger.move(order, status, status.value, actor, why, payload={"at": "approval"})
            raise DeskError(why)
        emulated = self.emulation_reason(order.spec)
        problems = self.check(order.spec, order=order, sending=not emulated)
        if problems:
            self.ledger.move(order, OrderStatus.DENIED, "denied", actor, "; ".join(map(str, problems)),
                             payload={"problems": [p.rule for p in problems], "reasons": [p.message for p in problems],
                                      "at": "approval"})
            return copy.copy(order)
        order.approval_mid = self.mark(order.venue, order.symbol)
        order.stamp("approved", self.clock.wall_ms(), self.clock.mono_ns())
        self.journal.append("approved", actor=actor, order=order)
        if emulated:
            # Held here until its trigger, then released through _send with the gate run again.
            self.ledger.move(order, OrderStatus.EMULATED, "armed", actor,
                             payload={"why": emulated, "trigger_by": order.spec.trigger_by.value})
            self.emulator.evaluate(order.venue, order.symbol)
            return copy.copy(order)
        await self._send(order, actor)
        return copy.copy(order)

    def _stale_proposal(self, order: Order) -> tuple[OrderStatus, str] | None:
        """A copilot proposal is approved as proposed or not at all: too old (EXPIRED), or the market
        moved past the tolerance (DENIED), means re-stage. A human's order left waiting past
        ``human_expiry_s`` expires too (its price is the human's own: no tolerance check)."""
        if order.spec.origin is Origin.HUMAN and self.settings.human_expiry_s > 0:
            age_s = (self.clock.wall_ms() - order.wall_ms.get("staged", self.clock.wall_ms())) / 1000
            if age_s > self.settings.human_expiry_s:
                return OrderStatus.EXPIRED, (f"staged {age_s:.0f}s ago and left waiting (expiry "
                                             f"{self.settings.human_expiry_s:.0f}s): stage it again")
        if order.spec.origin is not Origin.COPILOT:
            return None
        age_s = (self.clock.wall_ms() - order.wall_ms.get("staged", self.clock.wall_ms())) / 1000
        if age_s > self.settings.proposal_expiry_s:
            return OrderStatus.EXPIRED, (f"proposal is {age_s:.0f}s old (expiry {self.settings.proposal_expiry_s:.0f}s): "
                                         f"ask the copilot again or stage it yourself")
        then, now = order.spec.decision_mid, self.mark(order.venue, order.symbol)
        if then and now:
            moved = abs(now - then) / then * 10000
            if moved > self.settings.price_tolerance_bps:
                return OrderStatus.DENIED, (f"{order.symbol} moved {moved:.0f} bps since the proposal (tolerance "
                                            f"{self.settings.price_tolerance_bps} bps): re-stage at today's price")
        return None

    def expire_stale(self, actor: str = "desk") -> list[str]:
        """Expire what waited too long for approval (copilot proposals, and human orders when
        ``human_expiry_s`` is set); a group goes as one. Returns the expired client order ids."""
        expired: list[str] = []
        for order in [o for o in self.ledger.orders.values() if o.status is OrderStatus.PENDING_APPROVAL]:
            if order.status is not OrderStatus.PENDING_APPROVAL:
                continue  # its group went already
            stale = self._stale_proposal(order)
            if stale is None or stale[0] is not OrderStatus.EXPIRED:
                continue
            group = self.contingent.group_of(order.client_order_id)
            for cid in group.members if group is not None else [order.client_order_id]:
                member = self.ledger.orders.get(cid)
                if member is not None and member.status is OrderStatus.PENDING_APPROVAL:
                    self.ledger.move(member, OrderStatus.EXPIRED, "expired", actor, stale[1], payload={"at": "queue"})
                    expired.append(cid)
        return expired

    async def _send(self, order: Order, actor: str) -> None:
        venue = self.venues[order.venue]
        self.gate.record_send(order.venue, self.clock.wall_ms())  # the order-rate throttle counts every send
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
        if actor not in ("emulator", "desk", "kill"):  # the cancel throttle; the Desk's own cancels are exempt
            throttled = self.gate.check_cancel(order.venue, order.symbol, self.clock.wall_ms())
            if throttled:
                self.ledger.touch(order, "cancel_denied", actor, {"problems": [p.rule for p in throttled],
                                                                  "reason": str(throttled[0])})
                raise DeskError(f"cancel of {client_order_id} denied: {throttled[0]}")
        self.gate.record_cancel(order.venue, self.clock.wall_ms())
        order.cancel_requested = True
        reason_before = order.reason  # the execution record says who canceled (restored if the venue refuses)
        order.reason = order.reason or {"human": "canceled by the trader", "kill": "canceled by the kill switch",
                                        "emulator": "canceled by its OCO / bracket"}.get(actor, f"canceled by {actor}")
        self.ledger.touch(order, "cancel_request", actor)
        venue = self.venues[order.venue]
        for attempt in range(self.settings.send_retries + 1):
            try:
                report = await venue.cancel_order(order)
                break
            except VenueError as err:
                order.errors.append(err.message)
                if err.kind in (ErrorKind.TRANSIENT, ErrorKind.RATE_LIMITED):
                    # A definite refusal (429, maintenance): the order is still working, exactly as before.
                    if attempt < self.settings.send_retries:
                        await asyncio.sleep(0.25 * (2 ** attempt))
                        continue
                    order.cancel_requested = False
                    order.reason = reason_before
                    self.ledger.touch(order, "cancel_failed", actor, {"error": err.message, "kind": err.kind.value})
                    raise DeskError(f"cancel of {client_order_id} refused ({err.kind.value}): the order is still "
                                    f"working; try again in a moment") from err
                if err.kind is ErrorKind.NOT_FOUND:
                    # Gone already: filled or canceled in the meantime. Find out which.
                    await self._resolve_now(order)
                elif err.kind is ErrorKind.UNKNOWN_OUTCOME:
                    self.ledger.move(order, OrderStatus.IN_DOUBT, "in_doubt", actor, payload={"error": err.message})
                    self._resolve_later(order)
                else:
                    order.reason = reason_before
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
                     trigger_price: Decimal | None = None, actor: str = "human") -> Order:
        """Amend an order; the risk gate runs on the new terms first, whatever the path.

        - held locally (EMULATED): changed here, nothing is sent;
        - at a venue with editOrder: amended in place;
        - elsewhere: cancel-replace, shown as such: the original is canceled, then a new order (new client
          order id) goes for the rest. Not atomic: if the original fills before the cancel lands, nothing
          new is sent. Returns the order that now carries the terms (the replacement, for cancel-replace).
        """
        order = self.ledger.orders.get(client_order_id)
        if order is None:
            raise DeskError(f"no order {client_order_id!r} to modify")
        changes = {k: v for k, v in (("amount", amount), ("price", price), ("trigger_price", trigger_price))
                   if v is not None}
        if not changes:
            raise DeskError("nothing to change: give a new amount, price or trigger price")
        try:
            new_spec = order.spec.with_changes(**changes)
        except InvalidSpec as exc:
            raise DeskError(f"modify refused: {exc}") from exc
        if order.status is OrderStatus.EMULATED:
            problems = self.check(new_spec, order=order, static=bool(order.spec.parent_id))
            if problems:
                self.ledger.touch(order, "modify_denied", actor, {"problems": [p.rule for p in problems],
                                                                  "reason": "; ".join(map(str, problems))})
                raise DeskError("modify denied: " + "; ".join(map(str, problems)))
            before = {k: getattr(order.spec, k) for k in changes}
            order.spec = new_spec
            self.ledger.touch(order, "modified", actor, {"before": before, "after": changes, "where": "held locally"})
            self.emulator.evaluate(order.venue, order.symbol)
            return copy.copy(order)
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
        venue = self.venues[order.venue]
        if not venue.has("editOrder"):
            return await self._cancel_replace(order, new_spec, changes, actor)
        probe = copy.copy(order)
        probe.spec = new_spec  # the venue's params (trigger price included) from the new terms
        try:
            report = await venue.edit_order(probe, new_spec.amount, new_spec.price)
        except VenueError as err:
            order.errors.append(err.message)
            if err.kind is ErrorKind.UNKNOWN_OUTCOME:
                self.ledger.move(order, OrderStatus.IN_DOUBT, "in_doubt", actor, payload={"error": err.message})
                self._resolve_later(order)
                return copy.copy(order)
            self.ledger.touch(order, "modify_failed", actor, {"error": err.message})
            raise DeskError(f"modify of {client_order_id} refused: {err.message}") from err
        before = {k: getattr(order.spec, k) for k in changes}
        order.spec = new_spec
        self.ledger.set_venue_id(order, report.venue_order_id)
        self.ledger.touch(order, "modified", actor, {"amount": new_spec.amount, "price": new_spec.price,
                                                     "before": before, "after": changes, "where": "in place"})
        self.ledger.apply_report(order, report, "modified")
        return copy.copy(order)

    async def _cancel_replace(self, order: Order, new_spec: OrderSpec, changes: dict[str, Any], actor: str) -> Order:
        """Two steps, journaled as ``cancel_replace``: cancel, then (if nothing filled past the new amount)
        a new order for the rest, through the gate again."""
        self.journal.append("cancel_replace", actor=actor, order=order, payload={"step": "cancel", "after": changes})
        canceled = await self.cancel(order.client_order_id, actor=actor)
        if canceled.status is not OrderStatus.CANCELED:
            raise DeskError(f"cancel-replace of {order.client_order_id} stopped after the cancel: the original is "
                            f"{canceled.status.value} (filled {canceled.filled}); nothing new was sent")
        rest = new_spec.amount - order.filled
        if rest <= 0:
            raise DeskError(f"the original filled {order.filled} before its cancel: nothing left to replace")
        now_wall, now_mono = self.clock.wall_ms(), self.clock.mono_ns()
        spec = new_spec.with_changes(amount=rest, decision_mid=self.mark(order.venue, order.symbol),
                                     decided_at_ms=now_wall)
        new = Order(spec=spec, client_order_id=self.journal.next_client_order_id())
        for leg in ("decided", "staged", "approved"):
            new.stamp(leg, now_wall, now_mono)
        problems = self.check(spec, order=new, sending=True, confirm_duplicate=True)
        if problems:
            new.status = OrderStatus.DENIED
            new.reason = "; ".join(map(str, problems))
            self.ledger.add(new, "denied", actor, {"problems": [p.rule for p in problems], "replaces":
                                                   order.client_order_id, "at": "cancel_replace"})
            self.bus.publish(RiskAlert(f"cancel-replace: {order.client_order_id} was canceled but its replacement "
                                       f"was denied: {new.reason}", "error", new.client_order_id))
            return copy.copy(new)
        self.ledger.add(new, "staged", actor, {"replaces": order.client_order_id})
        self.journal.append("approved", actor=actor, order=new, payload={"via": "cancel_replace",
                                                                         "replaces": order.client_order_id})
        self.journal.append("cancel_replace", actor=actor, order=new, payload={
            "step": "replace", "replaces": order.client_order_id, "after": changes})
        await self._send(new, actor)
        return copy.copy(new)

    # -- order types: native or held locally ---------------------------------------------------
    def emulation_reason(self, spec: OrderSpec) -> str | None:
        """Why this order would be held locally (EMULATED) rather than sent now; None = native."""
        if not spec.type.has_trigger:
            return None
        if spec.emulate:
            return "held locally as asked"
        market = self.market(spec.venue, spec.symbol)
        if spec.type.value not in market.capabilities:
            return f"{spec.venue} has no native {spec.type.value.replace('_', '-')} for {spec.symbol}"
        if spec.trigger_by is not TriggerSource.LAST:
            return f"{spec.venue} triggers on the last price; {spec.trigger_by.value} is watched here"
        return None

    def order_types(self, venue: str, symbol: str) -> dict[str, str]:
        """For the ticket: each order type and flag as "native", "emulated" or "unsupported" on this market.

        Keys: every OrderType value, "IOC", "FOK", "post_only", "reduce_only", "oco", "bracket", "scaled",
        "modify" ("in place" or "cancel-replace") and "trigger_by" (sources a native trigger can use)."""
        market = self.market(venue, symbol)
        caps = market.capabilities
        out: dict[str, str] = {}
        for kind in OrderType:
            out[kind.value] = "native" if (not kind.has_trigger or kind.value in caps) else "emulated"
        out["IOC"] = "native" if "IOC" in caps else "unsupported"
        out["FOK"] = "native" if "FOK" in caps else "unsupported"
        out["post_only"] = "native" if "post_only" in caps else "unsupported"
        out["reduce_only"] = "native" if market.is_derivative and "reduce_only" in caps else "unsupported"
        out["oco"] = "emulated"  # ccxt has no unified OCO: legs held here, one released, the others disarmed
        out["bracket"] = "emulated"  # the entry goes to the venue; stop-loss and take-profit held here
        out["scaled"] = "native"  # N limit orders at the venue
        out["modify"] = "in place" if self.venues[venue].has("editOrder") else "cancel-replace"
        out["trigger_by"] = "last (native); mark, bid_ask, mid emulated"
        return out

    def explain(self, spec: OrderSpec) -> str:
        """One line for the ticket: what will happen if this order is approved."""
        try:
            reason = self.emulation_reason(spec)
        except DeskError as exc:
            return str(exc)
        what = f"{spec.side.value} {spec.amount} {spec.symbol} {spec.type.value.replace('_', '-')}"
        if reason is None:
            flags = [f for f, on in (("post-only", spec.post_only), ("reduce-only", spec.reduce_only),
                                     (spec.time_in_force.value, spec.time_in_force.value != "GTC")) if on]
            return f"sent to {spec.venue} on approval as a native {what}" + (f" ({', '.join(flags)})" if flags else "")
        released = "limit" if spec.type in (OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT) else "market"
        trigger = (f"trails {spec.trailing_amount or str(spec.trailing_percent) + '%'} behind the best "
                   f"{spec.trigger_by.value} price" + (f" once it reaches {spec.trigger_price}" if spec.trigger_price else "")
                   if spec.type is OrderType.TRAILING_STOP else
                   f"when the {spec.trigger_by.value} price reaches {spec.trigger_price}")
        return (f"emulated locally: needs the workstation running. {what} is held here ({reason}); "
                f"{trigger}, it is released as a {released} order through the risk gate")

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
        actor = actor or members[0][1].origin.value
        try:
            return self.contingent.stage(kind, members, actor, confirm_duplicate=confirm_duplicate)
        except (GroupError, InvalidSpec) as exc:
            raise DeskError(str(exc)) from exc

    def stage_oco(self, legs: list[OrderSpec], actor: str | None = None) -> list[Order]:
        return self.stage_group("oco", [("leg", leg) for leg in legs], actor)

    def stage_bracket(self, entry: OrderSpec, actor: str | None = None, **children: Any) -> list[Order]:
        """An entry with a stop-loss and/or take-profit that go live when it fills, sized to what filled.
        ``children``: stop_price, stop_limit_price, trailing_amount, trailing_percent, take_profit_price,
        take_profit_trigger (see contingent.bracket_children)."""
        market = self.market(entry.venue, entry.symbol)
        try:
            kids = bracket_children(entry, derivative=market.is_derivative, **children)
        except (GroupError, InvalidSpec, TypeError) as exc:
            raise DeskError(str(exc)) from exc
        return self.stage_group("bracket", [("entry", entry), *kids], actor)

    def stage_scaled(self, base: OrderSpec, *, total: Decimal, start: Decimal, end: Decimal, count: int,
                     distribution: str = "equal", actor: str | None = None) -> list[Order]:
        """``count`` limit orders from ``start`` to ``end`` adding up to ``total`` (``base`` gives venue,
        symbol, side, flags). Each meets the venue's tick, lot and minimums, or nothing is staged."""
        try:
            specs = scaled_specs(self.market(base.venue, base.symbol), base, Decimal(total), Decimal(start),
                                 Decimal(end), count, distribution)
        except (GroupError, InvalidSpec) as exc:
            raise DeskError(str(exc)) from exc
        return self.stage_group("scaled", [("slice", s) for s in specs], actor)

    def group(self, client_order_id: str) -> Any:
        """The group an order belongs to (kind, members, roles), or None."""
        return self.contingent.group_of(client_order_id)

    async def _await_send_slot(self, venue: str, symbol: str, max_wait_s: float = 5.0) -> None:
        """Pace an approved group's sends under the order-rate limit instead of denying half of it."""
        limit = self.gate.limits_for(venue, symbol).orders_per_s
        waited = 0.0
        while self.gate.sends_last_s(venue, self.clock.wall_ms()) >= limit and waited < max_wait_s:
            await asyncio.sleep(0.05)
            waited += 0.05

    # -- the controls only a human holds ---------------------------------------------------------
    def trading_state(self, venue: str) -> TradingState:
        return self.controls.state(venue)

    def trading_states(self) -> dict[str, TradingState]:
        return {name: self.controls.state(name) for name in self.venues}

    def set_trading_state(self, venue: str, state: TradingState | str, actor: str = "human", reason: str = "") -> None:
        """ACTIVE, REDUCING (only risk-reducing orders) or HALTED. Human only; journaled."""
        try:
            self.controls.set_state(venue, TradingState(state), actor, reason)
        except (ControlError, ValueError) as exc:
            raise DeskError(str(exc)) from exc

    async def kill(self, flatten: bool = False, actor: str = "human", reason: str = "kill switch") -> Any:
        """HALT every account, disarm emulated orders, decline proposals, cancel every working order on
        every venue; with ``flatten`` (the UI's second confirmation) close derivatives positions with
        reduce-only market orders. Returns a KillReport (elapsed_ms to zero working orders)."""
        try:
            return await self.controls.kill(actor, reason, flatten)
        except ControlError as exc:
            raise DeskError(str(exc)) from exc

    def rearm(self, actor: str = "human", venue: str | None = None, reason: str = "",
              to: TradingState | str = TradingState.ACTIVE) -> list[str]:
        """Leave HALTED (every venue, or one) for ACTIVE or REDUCING. A deliberate human act; journaled."""
        try:
            return self.controls.rearm(actor, venue, reason, TradingState(to))
        except (ControlError, ValueError) as exc:
            raise DeskError(str(exc)) from exc

    def set_risk_limits(self, venue: str | None = None, symbol: str | None = None, *, actor: str = "human",
                        reason: str = "", **changes: Any) -> RiskLimits:
        """Change limits for (venue, symbol), (venue, all symbols) or the defaults (venue None).
        Human only; journaled as ``risk_change`` with before and after."""
        try:
            return self.controls.set_limits(actor, venue, symbol, changes, reason)
        except (ControlError, ValueError) as exc:
            raise DeskError(str(exc)) from exc

    def limits(self, venue: str, symbol: str) -> RiskLimits:
        return self.gate.limits_for(venue, symbol)

    def audit(self, since_ms: int | None = None, limit: int = 1000) -> list[Any]:
        """Every decision (stage, deny, approve, reject, send, cancel, modify, kill, re-arm, risk change)
        with who and why, oldest first: the audit screen's rows (AuditEntry)."""
        return self.controls.audit(since_ms, limit)

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
                # Lost only when a look-up *proved* it absent after the grace: a failing look-up proves nothing.
                if self.clock.mono_ns() > deadline and self._lookup_outcome.get(order.client_order_id) == "absent" \
                        and order.status is OrderStatus.IN_DOUBT:
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
            self._lookup_outcome[order.client_order_id] = "error"
            return False
        if report is None:
            self._lookup_outcome[order.client_order_id] = "absent"
            return False
        self._lookup_outcome[order.client_order_id] = "found"
        self.ledger.apply_report(order, report, "resolved")
        if report.filled and report.filled > order.filled:
            await self._fetch_fills(order.venue, order.symbol)
        return True

    async def _fetch_fills(self, venue_name: str, symbol: str) -> int:
        venue = self.venues[venue_name]
        new = 0
        # From just before the newest fill already fetched (not the whole history: that is O(every trade)).
        since = self.reconciler.fill_since(venue_name, symbol)
        try:
            for fill in await venue.fetch_my_trades(symbol, since):
                new += self.ledger.record_fill(fill)
        except VenueError as err:
            log.info("fetch fills %s %s: %s", venue_name, symbol, err)
        return new
