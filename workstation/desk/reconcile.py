"""Reconciliation: on every refresh, the Desk's view is compared with the venue's and brought in line.

Cost. Calls per refresh are constant per venue: open orders, balance, positions and my trades (one call
each; per symbol only where the venue requires a symbol), plus at most ``max_lookups`` targeted look-ups
for local orders that vanished from the venue's open orders. Never one call per open order.

Rules, one per kind of difference:

- ``unknown_order``   an open order at the venue we do not know: adopted, marked external, and listed for
                      the trader (adopt it as managed here, cancel it, or ignore it).
- ``missing_order``   a local working order absent from the venue's open orders: looked up by client order
                      id. Filled or canceled there: the venue wins. Not found: IN_DOUBT, and LOST once the
                      grace period is over *and* a look-up proved it absent (a failing look-up proves
                      nothing). A lost order still takes late fills, and comes back if the venue shows it.
- ``status_mismatch`` / ``fill_mismatch`` / ``terms_mismatch``: the venue wins, never backwards; fills come
                      from the venue's trades (counted once per trade id), never from a filled amount.
- ``position_drift`` / ``balance_drift``: shown with the fills that explain the move, or the amount that
                      nothing explains. A drift must be seen on two refreshes in a row before it asks for a
                      human (a snapshot taken a moment before a fill is not a drift).
- ``in_doubt``        an in-doubt order not found yet: looked up again, never re-sent.

A stale snapshot never undoes a newer change: an order that changed while the snapshot was being
fetched is left alone this round, and status only moves forward. Reconciling twice in a row changes
nothing the second time (and journals nothing new).
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

from ..domain.orders import Fill, Order, OrderSpec, OrderStatus, OrderType, Origin, Side
from ..domain.reports import OrderReport
from ..venues.ccxt_venue import OpenOrders
from ..venues.errors import VenueError
from .errors import DeskError
from .events import OrderChanged, ReconcileReport, RiskAlert
from .refresh_plan import RefreshPlanner
from .differences import Difference, DifferenceLog, DifferenceView, Item, ReconcileStatus
from .drift import Drift
from .ports import DeskPort

log = logging.getLogger(__name__)

FILL_OVERLAP_MS = 60_000  # re-read this much before the newest trade seen: venues publish trades late

class Reconciler:
    def __init__(self, desk: DeskPort, max_lookups: int = 10, recent_grace_ms: int = 2000):
        self.desk = desk
        self.max_lookups = max_lookups
        self.recent_grace_ms = recent_grace_ms
        self.history: list[ReconcileReport] = []
        self.last: dict[str, ReconcileReport] = {}
        self.differences = DifferenceLog(desk)
        self.drift = Drift(desk, self.differences)
        self.failures: dict[str, int] = {}
        self.lookups_failed = 0
        self._fill_cursor: dict[tuple[str, str | None], int | None] = {}
        self._changed: dict[str, set[str]] = {}  # venue -> orders the Desk changed since the last refresh
        self._asked_venue_ids: dict[str, set[str]] = {}  # venue -> venue order ids of unmatched fills looked up
        self._fetching: dict[str, set[str]] = {}  # venue -> orders changed while its snapshot is on its way
        desk.bus.subscribe(self._on_event)
        self._looked_at: dict[str, int] = {}  # client order id -> last look-up (round-robin under the cap)
        self._last_signatures: dict[str, set[tuple]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _on_event(self, event: object) -> None:
        if isinstance(event, OrderChanged):
            order = event.order
            self._changed.setdefault(order.venue, set()).add(order.client_order_id)
            fetching = self._fetching.get(order.venue)
            if fetching is not None:
                fetching.add(order.client_order_id)

    # -- what the venue needs -----------------------------------------------------------------
    def _symbol_required(self, venue_name: str, method: str) -> bool:
        features = getattr(self.desk.venues[venue_name].exchange, "features", None) or {}
        spot = features.get("spot") or {}
        return bool((spot.get(method) or {}).get("symbolRequired"))

    def _cursor(self, venue_name: str, symbol: str | None) -> int | None:
        key = (venue_name, symbol)
        if key not in self._fill_cursor:  # first use: start from the newest fill the journal holds
            stamps = [f.timestamp_ms for f in self.desk.ledger.fills.values()
                      if f.venue == venue_name and (symbol is None or f.symbol == symbol)]
            self._fill_cursor[key] = max(stamps) if stamps else None
        return self._fill_cursor[key]

    def fill_since(self, venue_name: str, symbol: str | None) -> int | None:
        """Where a targeted trades fetch may start: the newest fill seen, less the overlap."""
        key = (venue_name, None if not self._symbol_required(venue_name, "fetchMyTrades") else symbol)
        cursor = self._cursor(*key)
        return None if cursor is None else cursor - FILL_OVERLAP_MS

    def _advance_cursor(self, venue_name: str, symbol: str | None, fills: list[Fill]) -> None:
        stamps = [f.timestamp_ms for f in fills if symbol is None or f.symbol == symbol]
        if stamps:
            current = self._fill_cursor.get((venue_name, symbol)) or 0
            self._fill_cursor[(venue_name, symbol)] = max(current, max(stamps))

    # -- one refresh ----------------------------------------------------------------------------
    async def reconcile(self, venue_name: str) -> ReconcileReport:
        lock = self._locks.setdefault(venue_name, asyncio.Lock())
        async with lock:  # the timer and the "now" key never interleave on one venue
            try:
                return await self._reconcile(venue_name)
            except VenueError:
                raise
            except Exception as exc:  # a bug here must show as a failing reconcile, never kill the loop
                log.exception("reconcile %s failed", venue_name)
                report = ReconcileReport(venue_name, self.desk.clock.wall_ms(), False, (), 0,
                                         f"internal error: {type(exc).__name__}: {exc}")
                self._publish(venue_name, report)
                return report

    async def _reconcile(self, venue_name: str) -> ReconcileReport:
        desk, venue, ledger = self.desk, self.desk.venues[venue_name], self.desk.ledger
        now = desk.clock.wall_ms()
        calls = 0
        # Anything that changes while the snapshot is on its way is newer than the snapshot.
        touched = self._fetching[venue_name] = set()
        try:
            symbols = sorted({*desk.watch_symbols.get(venue_name, []), *ledger.working_symbols(venue_name)})
            if self._symbol_required(venue_name, "fetchOpenOrders"):
                listing = OpenOrders.empty()
                for symbol in symbols:
                    listing = listing.merge(await venue.list_open_orders(symbol))
                    calls += 1
            else:
                listing = await venue.list_open_orders()
                calls += 1
            balances = await venue.fetch_balance()
            calls += 1
            if venue.has("fetchPositions"):
                calls += 1
            positions = await venue.fetch_positions()
            # Trades last: every fill behind the snapshot's filled amounts is in this answer.
            fetched: list[Fill] = []
            cursors: list[tuple[str | None, list[Fill]]] = []  # advanced only once the fills are recorded
            if self._symbol_required(venue_name, "fetchMyTrades"):
                wanted = {*symbols, *(s for v, s in ledger.fills_needed if v == venue_name)}
                for symbol in RefreshPlanner.of(desk).trade_symbols(venue_name, wanted):  # the budget's choice
                    since = self._cursor(venue_name, symbol)
                    got = await venue.fetch_my_trades(symbol, None if since is None else since - FILL_OVERLAP_MS)
                    calls += 1
                    cursors.append((symbol, got))
                    fetched += got
            else:
                since = self._cursor(venue_name, None)
                fetched = await venue.fetch_my_trades(None, None if since is None else since - FILL_OVERLAP_MS)
                calls += 1
                cursors.append((None, fetched))
        except VenueError as err:
            self.failures[venue_name] = self.failures.get(venue_name, 0) + 1
            report = ReconcileReport(venue_name, now, False, (), calls, err.message)
            self._publish(venue_name, report)
            return report
        finally:
            self._fetching.pop(venue_name, None)
        changed_here = set(self._changed.get(venue_name, ()))  # orders the Desk changed since the last refresh
        self.failures[venue_name] = 0
        ledger.fills_needed = {k for k in ledger.fills_needed if k[0] != venue_name}
        desk.balances[venue_name] = balances
        desk.venue_positions[venue_name] = positions
        for symbol, info in positions.items():  # the venue's word on leverage, where a position carries it
            if getattr(info, "leverage", None):
                desk.venue_leverage[(venue_name, symbol)] = info.leverage
        differences: list[Difference] = []

        # 1. fills the Desk has not counted yet (streams drop messages)
        new_fills = [f for f in fetched if ledger.record_fill(f)]
        for symbol, got in cursors:  # every fetched fill is journaled now: the next fetch may start later
            self._advance_cursor(venue_name, symbol, got)
        for fill in new_fills:
            order = ledger.find(venue_name, fill.client_order_id, fill.venue_order_id)
            differences.append(Difference(
                "fill_mismatch", venue_name, fill.symbol, order.client_order_id if order else None,
                f"fill {fill.trade_id} ({fill.side.value} {fill.amount} @ {fill.price}) was missing here",
                "recorded" if order else "recorded (order unknown: kept unmatched)", trade_ids=(fill.trade_id,)))

        # 1b. fills under a venue order id the Desk has never heard of: ask the venue whose order that is (its
        #     answer names the client id). A REST trade carries only the venue's id, so an order whose ack was
        #     lost, and that filled before any refresh saw it open, is found this way.
        calls += await self._owners_of_unmatched_fills(venue_name, differences)

        # 2. the venue's open orders: those it lists as new or changed, and those the Desk changed meanwhile
        #    (an unchanged answer about an unchanged order would change nothing: it is not looked at)
        reports = list(listing.changed)
        listed_again = {r.venue_order_id for r in reports}
        for cid in changed_here:
            order = ledger.orders.get(cid)
            vid = order.venue_order_id if order is not None else None
            if vid is not None and vid not in listed_again and (rep := listing.report(vid)) is not None:
                reports.append(rep)
        verify: list[Order] = []
        for rep in reports:
            order = ledger.find(venue_name, rep.client_order_id, rep.venue_order_id)
            if order is None:
                order = self._adopt(venue_name, rep)
                diff = Difference("unknown_order", venue_name, rep.symbol, order.client_order_id,
                                  f"{rep.side.value if rep.side else '?'} {rep.amount} {rep.symbol} @ "
                                  f"{rep.price if rep.price is not None else 'market'} (venue id "
                                  f"{rep.venue_order_id}) not placed by this workstation",
                                  "adopted as external: tracked, counts against limits", needs_human=True,
                                  key=f"external:{venue_name}:{order.client_order_id}")
                differences.append(diff)
                self.differences.open_item(diff, now)
                continue
            if order.client_order_id in touched:
                continue  # changed after this snapshot was taken: the snapshot is stale for it
            if order.status.is_working and self._terms_differ(order, rep):
                verify.append(order)  # a list can be older than our modify: ask the venue about this one
                continue
            differences += self._apply(order, rep, "reconcile", "open at the venue")

        # 3. local working orders the venue no longer lists: targeted look-ups, capped
        grace_ms = int(desk.settings.in_doubt_grace_s * 1000)
        candidates = []
        working = ledger.working_by_id(venue_name)
        for cid in working.keys() - listing.client_ids:  # a set difference, not a loop over every order
            order = working[cid]
            if listing.has(order.venue_order_id) or cid in touched:
                continue
            if order.status is not OrderStatus.IN_DOUBT and desk.router.recently_sent(cid, self.recent_grace_ms):
                continue  # just sent by this process: the venue's list may not show it yet
            candidates.append(order)
        candidates.sort(key=lambda o: self._looked_at.get(o.client_order_id, -1))
        candidates = verify + candidates
        lookups = 0
        for order in candidates[: self.max_lookups]:
            if not order.status.is_working:
                continue  # settled while an earlier look-up was awaited (the resolver declared it lost, a fill)
            lookups += 1
            cid = order.client_order_id
            self._looked_at[cid] = now
            asked_about = order.status
            try:
                found = await venue.find_order(cid, order.symbol, order.venue_order_id)
            except VenueError as err:
                self.lookups_failed += 1
                log.info("look-up of %s failed: %s", cid, err)
                continue  # proves nothing: try again next refresh
            if order.status is not asked_about:
                continue  # something else settled it while we asked (the resolver, the stream): its word is newer
            if found is not None:
                before_status = order.status
                terms = (order.spec.amount, order.spec.price)
                if ledger.sync_terms(order, found):  # a directed, fresh answer: its terms win
                    differences.append(Difference("terms_mismatch", venue_name, order.symbol, cid,
                                                  f"amount/price here {terms[0]} @ {terms[1]}, venue "
                                                  f"{found.amount} @ {found.price}", "took the venue's terms"))
                context = "terms differ from the open orders list" if order in verify else "missing from the open orders"
                differences += self._apply(order, found, "reconcile_lookup", context,
                                           "missing_order" if before_status is not OrderStatus.IN_DOUBT
                                           else "in_doubt")
                continue
            if order in verify:
                continue  # listed open a moment ago, not found now: the next refresh decides
            if order.status is OrderStatus.IN_DOUBT:
                since = ledger.in_doubt_since.get(cid, now)
                if now - since >= grace_ms:
                    ledger.move(order, OrderStatus.LOST, "lost",
                                reason=f"not found at {venue_name} within {grace_ms / 1000:.0f}s; still takes late fills",
                                payload={"why": "absent at the venue after the grace period"})
                    diff = Difference("lost_order", venue_name, order.symbol, cid,
                                      f"{order.side.value} {order.amount} {order.symbol}: not found at the venue "
                                      f"after {grace_ms / 1000:.0f}s in doubt",
                                      "declared lost (never re-sent; a late fill still counts)", needs_human=True,
                                      key=f"lost:{venue_name}:{cid}")
                    self.differences.open_item(diff, now)
                    desk.bus.publish(RiskAlert(f"order {cid} declared lost: not found at {venue_name}", "error", cid))
                else:
                    diff = Difference("in_doubt", venue_name, order.symbol, cid,
                                      "not found at the venue yet", "looking it up by client order id; never re-sent",
                                      key=f"in_doubt:{venue_name}:{cid}")
                differences.append(diff)
                continue
            was = order.status.value
            ledger.move(order, OrderStatus.IN_DOUBT, "in_doubt", payload={"why": "missing at the venue"})
            differences.append(Difference("missing_order", venue_name, order.symbol, cid,
                                          f"{was} here, not found at the venue",
                                          "in doubt: looked up by client order id until the grace period ends",
                                          key=f"in_doubt:{venue_name}:{cid}"))
            desk.router.resolve_later(order)
        calls += lookups

        # 4. while the account is HALTED, an order of ours open at the venue (one that landed after the kill) is
        #    canceled, on every refresh until the venue confirms
        if desk.router.halted(venue_name):
            for order in [o for o in ledger.working(venue_name) if not o.external and (
                    listing.has(o.venue_order_id) or o.client_order_id in listing.client_ids)]:
                await desk.router.chase_if_halted(order)

        # 5. positions and balances
        differences += self.drift.positions(venue_name, positions, new_fills, now)
        differences += self.drift.balance_drift(venue_name, balances, now)
        self.differences.settle(venue_name, now)

        venue.commit_listing(listing)
        self._changed[venue_name] = self._changed.get(venue_name, set()) - changed_here
        report = ReconcileReport(venue_name, now, True, tuple(differences), calls)
        self._publish(venue_name, report)
        return report

    async def _owners_of_unmatched_fills(self, venue_name: str, differences: list[Difference]) -> int:
        desk, ledger = self.desk, self.desk.ledger
        asked = self._asked_venue_ids.setdefault(venue_name, set())
        unknown = sorted({(f.venue_order_id, f.symbol) for f in ledger.unmatched_fills.values()
                          if f.venue == venue_name and f.venue_order_id and f.venue_order_id not in asked
                          and (venue_name, f.venue_order_id) not in ledger.by_venue_id})
        calls = 0
        for venue_order_id, symbol in unknown[: self.max_lookups]:
            calls += 1
            try:
                report = await desk.venues[venue_name].order_by_venue_id(venue_order_id, symbol)
            except VenueError as err:
                log.info("look-up of venue order %s failed: %s", venue_order_id, err)
                continue  # proves nothing: asked again next refresh
            asked.add(venue_order_id)
            order = ledger.find(venue_name, report.client_order_id, None) if report is not None else None
            if order is None or order.external:
                continue  # not ours (someone else's order on the account): its fills stay unmatched, shown
            before = (order.status, order.filled)
            ledger.apply_report(order, report, "reconcile_owner")  # the venue id attaches the fills
            differences.append(Difference(
                "fill_mismatch", venue_name, symbol, order.client_order_id,
                f"fills under venue order {venue_order_id} belong to {order.client_order_id} "
                f"(was {before[0].value}, {before[1]} filled)",
                f"attached: now {order.status.value}, {order.filled} filled"))
        return calls

    # -- rules -----------------------------------------------------------------------------------
    @staticmethod
    def _terms_differ(order: Order, rep: OrderReport) -> bool:
        if rep.amount is not None and rep.amount != order.spec.amount:
            return True
        return bool(order.spec.type.has_limit_price and rep.price is not None and rep.price != order.spec.price)

    def _apply(self, order: Order, rep: OrderReport, via: str, context: str,
                      kind: str = "status_mismatch") -> list[Difference]:
        """The venue wins (forward only); the venue's terms win for a working order."""
        ledger = self.desk.ledger
        out: list[Difference] = []
        before_status, before_filled = order.status, order.filled
        ledger.apply_report(order, rep, via)
        if order.status is not before_status:
            out.append(Difference(kind, order.venue, order.symbol, order.client_order_id,
                                  f"{context}: was {before_status.value}, venue says {rep.raw_status or rep.status.value}"
                                  f" ({rep.filled if rep.filled is not None else '?'} of {rep.amount} filled)",
                                  f"now {order.status.value}"))
        if rep.filled is not None and rep.filled > order.filled:
            out.append(Difference("fill_mismatch", order.venue, order.symbol, order.client_order_id,
                                  f"venue has {rep.filled} filled, the trades here explain {order.filled}",
                                  "fetching the missing trades (a filled amount is never booked without its trades)"))
        elif order.filled != before_filled and not out:
            out.append(Difference("fill_mismatch", order.venue, order.symbol, order.client_order_id,
                                  f"filled {before_filled} -> {order.filled}", "recorded"))
        return out

    # -- publication -----------------------------------------------------------------------------
    def _publish(self, venue_name: str, report: ReconcileReport) -> None:
        desk = self.desk
        self.last[venue_name] = report
        self.history.append(report)
        del self.history[:-50]
        status = self.status(venue_name)
        desk.reconcile_state[venue_name] = {
            "at_ms": status.at_ms, "ok": None if status.state == "failing" else status.state == "in_sync",
            "differences": status.differences, "error": report.error, "state": status.state,
            "text": status.text, "in_doubt": status.in_doubt, "failures": status.failures, "calls": report.calls,
            "fetched": report.ok}
        # Journal only what is new: a second identical reconcile adds nothing.
        signatures = {(d.kind, d.key or d.client_order_id, d.detail, d.action) for d in report.differences}
        new = [d for d in report.differences
               if (d.kind, d.key or d.client_order_id, d.detail, d.action) not in self._last_signatures.get(venue_name, set())]
        self._last_signatures[venue_name] = signatures
        if new or not report.ok:
            desk.journal.append("reconcile", venue=report.venue, payload={
                "ok": report.ok, "error": report.error, "calls": report.calls,
                "differences": [d.as_record() for d in new]})
        desk.bus.publish(report)

    def status(self, venue_name: str) -> ReconcileStatus:
        report = self.last.get(venue_name)
        in_doubt = self.desk.ledger.in_doubt_count(venue_name)
        open_items = self.differences.open_count(venue_name)
        last_ok = next((r.at_ms for r in reversed(self.history) if r.venue == venue_name and r.ok), None)
        failures = self.failures.get(venue_name, 0)
        if report is None:
            state = "pending"
        elif not report.ok:
            state = "failing"
        else:
            state = "differences" if open_items else "in_sync"
        return ReconcileStatus(venue_name, state, open_items, in_doubt, last_ok, failures,
                               report.error if report else None, report.calls if report else 0)

    def views(self, venue_name: str | None = None, include_resolved: bool = True) -> list[DifferenceView]:
        """Open items first (newest first), then what the last refresh did by rule, then settled items."""
        def by_rule(d: Difference, at_ms: int) -> DifferenceView:
            return DifferenceView(d.key, d.kind, d.venue, d.symbol, d.client_order_id, d.detail, d.action, False,
                                  (), None, None, at_ms, at_ms, d.amount, d.trade_ids)

        venues = [venue_name] if venue_name else list(self.desk.venues)
        items = [i for i in self.items.values() if i.difference.venue in venues]
        out = [self.differences.view(i) for i in sorted(items, key=lambda i: -i.last_seen_ms) if i.open]
        for name in venues:
            report = self.last.get(name)
            if report is not None:
                out += [by_rule(d, report.at_ms) for d in report.differences
                        if not (d.key and d.key in self.items and self.items[d.key].open)]
        if include_resolved:
            out += [self.differences.view(i) for i in sorted(items, key=lambda i: -(i.resolved_ms or 0)) if not i.open][:50]
        return out

    # -- the trader's verbs ---------------------------------------------------------------------
    def _refresh_state(self, venue_name: str) -> None:
        report = self.last.get(venue_name)
        if report is not None:
            status = self.status(venue_name)
            self.desk.reconcile_state.setdefault(venue_name, {}).update({
                "ok": None if status.state == "failing" else status.state == "in_sync",
                "differences": status.differences, "state": status.state, "text": status.text})

    def adopt(self, key: str, actor: str = "human") -> DifferenceView:
        """External order: manage it here from now on. Drift: take the venue's figure as the new baseline."""
        item = self.differences.item(key, "adopt")
        d = item.difference
        if d.kind == "unknown_order":
            order = self.desk.ledger.orders.get(d.client_order_id or "")
            if order is not None:
                self.desk.ledger.touch(order, "adopted_by_human", actor)
            self._close(item, "adopted", actor, "managed here from now on")
        else:
            self._close(item, "adopted", actor, self.drift.accept(d))
        return self.differences.view(item)

    def ignore(self, key: str, actor: str = "human", note: str = "") -> DifferenceView:
        """Leave it as it is. A drift stays quiet while its amount stays the same."""
        view = self.differences.ignore(key, actor, note)
        self._refresh_state(view.venue)
        return view

    def _close(self, item: Item, resolution: str, actor: str, note: str = "") -> None:
        self.differences.close(item, resolution, actor, note)
        self._refresh_state(item.difference.venue)

    @property
    def items(self) -> dict[str, Item]:
        return self.differences.items

    async def cancel(self, key: str, actor: str = "human") -> DifferenceView:
        """Cancel an external (adopted) order at the venue; for a lost order, send a cancel by client order
        id in case the venue has it after all."""
        item = self.differences.item(key, "cancel")
        d = item.difference
        desk = self.desk
        order = desk.ledger.orders.get(d.client_order_id or "")
        if order is None:
            raise DeskError(f"order {d.client_order_id} is no longer known here: refresh")
        if order.status.is_working:
            await desk.router.cancel(order, actor)
            note = f"cancel sent: now {desk.ledger.orders[order.client_order_id].status.value}"
        else:
            note = await desk.router.cancel_lost(order, actor)
        self._close(item, "canceled", actor, note)
        return self.differences.view(item)

    # -- adoption --------------------------------------------------------------------------------
    def _adopt(self, venue_name: str, rep: OrderReport) -> Order:
        ledger = self.desk.ledger
        cid = rep.client_order_id or f"ext-{venue_name}-{rep.venue_order_id}"
        otype = rep.type if rep.type in (OrderType.LIMIT, OrderType.MARKET) else OrderType.LIMIT
        price = rep.price or rep.average or Decimal(1)
        spec = OrderSpec(venue=venue_name, symbol=rep.symbol, side=rep.side or Side.BUY, type=otype,
                         amount=rep.amount or Decimal("0.00000001"),
                         price=None if otype is OrderType.MARKET else price, origin=Origin.EXTERNAL)
        order = Order(spec=spec, client_order_id=cid, status=OrderStatus.OPEN, external=True)
        order.stamp("acked", self.desk.clock.wall_ms(), self.desk.clock.mono_ns())
        if rep.venue_order_id:
            self.desk.venues[venue_name].remember(rep.venue_order_id, cid)
        ledger.add(order, "adopted", "reconciler", {"venue_status": rep.raw_status, "venue_filled": rep.filled})
        ledger.set_venue_id(order, rep.venue_order_id)  # fills seen before the order are attached, journaled
        if rep.filled is not None and rep.filled > order.filled:
            ledger.fills_needed.add((venue_name, rep.symbol))
        return order

