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
import itertools
import logging
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..domain.money import ZERO
from ..domain.orders import Fill, Order, OrderSpec, OrderStatus, OrderType, Origin, Side
from ..domain.reports import OrderReport
from ..venues.errors import ErrorKind, VenueError
from .errors import DeskError
from .events import OrderChanged, ReconcileReport, RiskAlert
from .refresh_plan import RefreshPlanner

if TYPE_CHECKING:
    from .desk import Desk

log = logging.getLogger(__name__)

FILL_OVERLAP_MS = 60_000  # re-read this much before the newest trade seen: venues publish trades late

VERBS: dict[str, tuple[str, ...]] = {
    "unknown_order": ("adopt", "cancel", "ignore"),
    "lost_order": ("cancel", "ignore"),
    "position_drift": ("adopt", "ignore"),
    "balance_drift": ("adopt", "ignore"),
}


@dataclass(frozen=True, slots=True)
class Difference:
    kind: str  # unknown_order | missing_order | status_mismatch | fill_mismatch | terms_mismatch | in_doubt
    #            | lost_order | position_drift | balance_drift
    venue: str
    symbol: str  # or the currency, for a balance drift
    client_order_id: str | None
    detail: str
    action: str  # what was done
    needs_human: bool = False
    key: str = ""  # stable across refreshes: what the trader's verbs refer to
    amount: Decimal | None = None  # a drift's unexplained amount
    trade_ids: tuple[str, ...] = ()  # fills that explain (or were recorded for) this difference

    def as_record(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Item:
    """A difference that needs a human, kept across refreshes until the trader or the venue settles it."""

    difference: Difference
    first_seen_ms: int
    last_seen_ms: int
    resolution: str | None = None  # adopted | canceled | ignored | resolved (the venue settled it)
    resolved_by: str | None = None
    resolved_ms: int | None = None
    note: str = ""

    @property
    def key(self) -> str:
        return self.difference.key

    @property
    def open(self) -> bool:
        return self.resolution is None


@dataclass(frozen=True, slots=True)
class DifferenceView:
    """One row of the reconciliation screen."""

    key: str
    kind: str
    venue: str
    symbol: str
    client_order_id: str | None
    detail: str
    action: str  # what the Desk did about it
    needs_human: bool  # open, waiting for one of ``verbs``
    verbs: tuple[str, ...]  # what the trader may do now: adopt, cancel, ignore
    resolution: str | None = None
    resolved_by: str | None = None
    at_ms: int | None = None
    first_seen_ms: int | None = None
    amount: Decimal | None = None
    trade_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReconcileStatus:
    """What the status bar shows for one venue."""

    venue: str
    state: str  # "pending" (not yet) | "in_sync" | "differences" | "failing"
    differences: int  # open items that need a human
    in_doubt: int  # orders whose outcome is unknown (looked up, never re-sent)
    at_ms: int | None  # last successful reconcile
    failures: int  # consecutive failed refreshes
    error: str | None
    calls: int = 0  # venue calls the last refresh made

    @property
    def text(self) -> str:
        if self.state == "failing":
            return f"reconcile failing ({self.failures}x): {self.error or 'unknown error'}"
        if self.state == "pending":
            return "not reconciled yet"
        parts = ["in sync" if self.state == "in_sync" else
                 f"{self.differences} difference{'s' if self.differences != 1 else ''}"]
        if self.in_doubt:
            parts.append(f"{self.in_doubt} in doubt")
        return ", ".join(parts)


@dataclass(slots=True)
class _BalanceBook:
    """Venue totals at a baseline plus what every fill since then should have moved."""

    base: dict[str, Decimal]
    expected_delta: dict[str, Decimal] = field(default_factory=dict)
    fill_index: int = 0  # position in the ledger's (insertion-ordered) fills already applied
    recent: dict[str, list[str]] = field(default_factory=dict)  # currency -> trade ids applied this refresh


class Reconciler:
    def __init__(self, desk: "Desk", max_lookups: int = 10, recent_grace_ms: int = 2000):
        self.desk = desk
        self.max_lookups = max_lookups
        self.recent_grace_ms = recent_grace_ms
        self.history: list[ReconcileReport] = []
        self.last: dict[str, ReconcileReport] = {}
        self.items: dict[str, Item] = {}  # key -> item (open and resolved)
        self.failures: dict[str, int] = {}
        self.lookups_failed = 0
        self._fill_cursor: dict[tuple[str, str | None], int | None] = {}
        self._agreed: dict[str, tuple] = {}  # client order id -> (report, status, filled, spec) last applied
        self._looked_at: dict[str, int] = {}  # client order id -> last look-up (round-robin under the cap)
        self._suspect: dict[str, Decimal] = {}  # drift key -> amount seen on the previous refresh
        self._ignored: dict[str, Decimal] = {}  # drift key -> amount the trader chose to ignore
        self._position_offset: dict[tuple[str, str], Decimal] = {}  # accepted (adopted) position drift
        self._balances: dict[str, _BalanceBook] = {}
        self._last_signatures: dict[str, set[tuple]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

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
        touched: set[str] = set()

        def on_event(event: object) -> None:
            if isinstance(event, OrderChanged):
                touched.add(event.order.client_order_id)

        # Anything that changes while the snapshot is on its way is newer than the snapshot.
        unsubscribe = desk.bus.subscribe(on_event)
        try:
            symbols = sorted({*desk.watch_symbols.get(venue_name, []),
                              *(o.symbol for o in ledger.working(venue_name))})
            if self._symbol_required(venue_name, "fetchOpenOrders"):
                open_reports: list[OrderReport] = []
                for symbol in symbols:
                    open_reports += await venue.fetch_open_orders(symbol)
                    calls += 1
            else:
                open_reports = await venue.fetch_open_orders()
                calls += 1
            balances = await venue.fetch_balance()
            calls += 1
            if venue.has("fetchPositions"):
                calls += 1
            positions = await venue.fetch_positions()
            # Trades last: every fill behind the snapshot's filled amounts is in this answer.
            fetched: list[Fill] = []
            if self._symbol_required(venue_name, "fetchMyTrades"):
                wanted = {*symbols, *(s for v, s in ledger.fills_needed if v == venue_name)}
                for symbol in RefreshPlanner.of(desk).trade_symbols(venue_name, wanted):  # the budget's choice
                    since = self._cursor(venue_name, symbol)
                    got = await venue.fetch_my_trades(symbol, None if since is None else since - FILL_OVERLAP_MS)
                    calls += 1
                    self._advance_cursor(venue_name, symbol, got)
                    fetched += got
            else:
                since = self._cursor(venue_name, None)
                fetched = await venue.fetch_my_trades(None, None if since is None else since - FILL_OVERLAP_MS)
                calls += 1
                self._advance_cursor(venue_name, None, fetched)
        except VenueError as err:
            unsubscribe()
            self.failures[venue_name] = self.failures.get(venue_name, 0) + 1
            report = ReconcileReport(venue_name, now, False, (), calls, err.message)
            self._publish(venue_name, report)
            return report
        unsubscribe()
        self.failures[venue_name] = 0
        ledger.fills_needed = {k for k in ledger.fills_needed if k[0] != venue_name}
        desk.balances[venue_name] = balances
        desk.venue_positions[venue_name] = positions
        differences: list[Difference] = []

        # 1. fills the Desk has not counted yet (streams drop messages)
        new_fills = [f for f in fetched if ledger.record_fill(f)]
        for fill in new_fills:
            order = ledger.find(venue_name, fill.client_order_id, fill.venue_order_id)
            differences.append(Difference(
                "fill_mismatch", venue_name, fill.symbol, order.client_order_id if order else None,
                f"fill {fill.trade_id} ({fill.side.value} {fill.amount} @ {fill.price}) was missing here",
                "recorded" if order else "recorded (order unknown: kept unmatched)", trade_ids=(fill.trade_id,)))

        # 2. the venue's open orders
        seen: set[str] = set()
        agreed: dict[str, tuple] = {}
        verify: list[Order] = []
        for rep in open_reports:
            order = ledger.find(venue_name, rep.client_order_id, rep.venue_order_id)
            if order is None:
                order = self._adopt(venue_name, rep)
                seen.add(order.client_order_id)
                diff = Difference("unknown_order", venue_name, rep.symbol, order.client_order_id,
                                  f"{rep.side.value if rep.side else '?'} {rep.amount} {rep.symbol} @ "
                                  f"{rep.price if rep.price is not None else 'market'} (venue id "
                                  f"{rep.venue_order_id}) not placed by this workstation",
                                  "adopted as external: tracked, counts against limits", needs_human=True,
                                  key=f"external:{venue_name}:{order.client_order_id}")
                differences.append(diff)
                self._open_item(diff, now)
                continue
            seen.add(order.client_order_id)
            if order.client_order_id in touched:
                continue  # changed after this snapshot was taken: the snapshot is stale for it
            prev = self._agreed.get(order.client_order_id)
            if prev is not None and prev[0] is rep and prev[1] is order.status and prev[2] == order.filled \
                    and prev[3] is order.spec:
                agreed[order.client_order_id] = prev
                continue  # the same answer about an unchanged order: applying it again would change nothing
            if order.status.is_working and self._terms_differ(order, rep):
                verify.append(order)  # a list can be older than our modify: ask the venue about this one
                continue
            differences += self._apply(order, rep, "reconcile", "open at the venue")
            agreed[order.client_order_id] = (rep, order.status, order.filled, order.spec)

        self._agreed = agreed

        # 3. local working orders the venue no longer lists: targeted look-ups, capped
        grace_ms = int(desk.settings.in_doubt_grace_s * 1000)
        candidates = []
        for order in ledger.working(venue_name):
            cid = order.client_order_id
            if cid in seen or cid in touched:
                continue
            if order.status is not OrderStatus.IN_DOUBT:
                last_heard = max(order.wall_ms.get("sent", 0), order.wall_ms.get("acked", 0))
                if now - last_heard < self.recent_grace_ms:
                    continue  # just sent: the venue's list may not show it yet
            candidates.append(order)
        candidates.sort(key=lambda o: self._looked_at.get(o.client_order_id, -1))
        candidates = verify + candidates
        lookups = 0
        for order in candidates[: self.max_lookups]:
            lookups += 1
            cid = order.client_order_id
            self._looked_at[cid] = now
            try:
                found = await venue.find_order(cid, order.symbol, order.venue_order_id)
            except VenueError as err:
                self.lookups_failed += 1
                log.info("look-up of %s failed: %s", cid, err)
                continue  # proves nothing: try again next refresh
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
                    self._open_item(diff, now)
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
            desk._resolve_later(order)
        calls += lookups

        # 4. positions and balances
        differences += self._positions(venue_name, positions, new_fills, now)
        differences += self._balances_drift(venue_name, balances, now)
        self._settle_items(venue_name, now)

        report = ReconcileReport(venue_name, now, True, tuple(differences), calls)
        self._publish(venue_name, report)
        return report

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

    def _positions(self, venue_name: str, positions: dict[str, Any], new_fills: list[Fill],
                   now: int) -> list[Difference]:
        desk, out = self.desk, []
        symbols = set(positions)
        for (v, symbol), pos in desk.ledger.positions.items():
            market = desk.markets.get((v, symbol))
            if v == venue_name and market is not None and market.is_derivative and pos.size:
                symbols.add(symbol)
        for symbol in sorted(symbols):
            ours = desk.ledger.positions.get((venue_name, symbol))
            local = ours.size if ours else ZERO
            theirs = positions[symbol].size if symbol in positions else ZERO
            offset = self._position_offset.get((venue_name, symbol), ZERO)
            gap = theirs - offset - local
            explaining = tuple(f.trade_id for f in new_fills if f.symbol == symbol)
            key = f"position:{venue_name}:{symbol}"
            if gap == 0:
                self._suspect.pop(key, None)
                if explaining:
                    out.append(Difference("position_drift", venue_name, symbol, None,
                                          f"venue {theirs}, here {local} after {len(explaining)} missing fill(s)",
                                          "explained by the fills recorded now", key=key, amount=ZERO,
                                          trade_ids=explaining))
                continue
            out.append(self._drift(key, "position_drift", venue_name, symbol, gap,
                                   f"venue {theirs}, fills here {local}" + (f" (accepted offset {offset})" if offset else "")
                                   + f": {gap} that no fill here explains", explaining, now))
        return out

    def _balances_drift(self, venue_name: str, balances: dict[str, Any], now: int) -> list[Difference]:
        """Spot currencies: venue total = baseline + what every fill since then moved. Settle currencies of
        derivatives (funding, realized PnL, margin) are not checked here; their positions are."""
        desk, ledger = self.desk, self.desk.ledger
        spot = {s: m for (v, s), m in desk.markets.items() if v == venue_name and not m.is_derivative}
        settle = {m.settle or m.quote for (v, _), m in desk.markets.items() if v == venue_name and m.is_derivative}
        checked = {c for m in spot.values() for c in (m.base, m.quote)} - settle
        book = self._balances.get(venue_name)
        if book is None:
            self._balances[venue_name] = _BalanceBook(
                {c: balances[c].total for c in checked if c in balances}, {}, len(ledger.fills))
            return []
        book.recent = {}
        for fill in itertools.islice(ledger.fills.values(), book.fill_index, None):
            market = spot.get(fill.symbol)
            if fill.venue != venue_name or market is None:
                continue
            cost = fill.price * fill.amount
            moves = {market.base: fill.amount if fill.side is Side.BUY else -fill.amount,
                     market.quote: -cost if fill.side is Side.BUY else cost}
            if fill.fee and fill.fee_currency:
                moves[fill.fee_currency] = moves.get(fill.fee_currency, ZERO) - fill.fee
            for ccy, delta in moves.items():
                book.expected_delta[ccy] = book.expected_delta.get(ccy, ZERO) + delta
                book.recent.setdefault(ccy, []).append(fill.trade_id)
        book.fill_index = len(ledger.fills)
        out = []
        for ccy in sorted(checked):
            if ccy not in balances and ccy not in book.base:
                continue
            theirs = balances[ccy].total if ccy in balances else ZERO
            if ccy not in book.base:
                book.base[ccy] = theirs - book.expected_delta.get(ccy, ZERO)
            expected = book.base[ccy] + book.expected_delta.get(ccy, ZERO)
            gap = theirs - expected
            key = f"balance:{venue_name}:{ccy}"
            if gap == 0:
                self._suspect.pop(key, None)
                continue
            out.append(self._drift(key, "balance_drift", venue_name, ccy, gap,
                                   f"venue {theirs} {ccy}, expected {expected} from the fills here: {gap} unexplained",
                                   tuple(book.recent.get(ccy, ())), now))
        return out

    def _drift(self, key: str, kind: str, venue_name: str, symbol: str, gap: Decimal, detail: str,
               explaining: tuple[str, ...], now: int) -> Difference:
        if self._ignored.get(key) == gap:
            return Difference(kind, venue_name, symbol, None, detail, "ignored by the trader", key=key, amount=gap,
                              trade_ids=explaining)
        confirmed = self._suspect.get(key) == gap
        self._suspect[key] = gap
        if not confirmed:
            return Difference(kind, venue_name, symbol, None, detail,
                              "watching: seen once (a snapshot may simply predate a fill)", key=key, amount=gap,
                              trade_ids=explaining)
        diff = Difference(kind, venue_name, symbol, None, detail, "needs a human: adopt the venue's figure or ignore",
                          needs_human=True, key=key, amount=gap, trade_ids=explaining)
        self._open_item(diff, now)
        return diff

    def _open_item(self, diff: Difference, now: int) -> None:
        item = self.items.get(diff.key)
        if item is not None and item.open:
            item.difference, item.last_seen_ms = diff, now
            return
        self.items[diff.key] = Item(diff, now, now)

    def _settle_items(self, venue_name: str, now: int) -> None:
        """Items the venue itself has settled since: the external order ended, the lost order came back,
        the drift went away."""
        ledger = self.desk.ledger
        for item in self.items.values():
            d = item.difference
            if not item.open or d.venue != venue_name:
                continue
            note = None
            if d.kind == "unknown_order":
                order = ledger.orders.get(d.client_order_id or "")
                if order is None or order.status.is_terminal:
                    note = f"order is {order.status.value if order else 'gone'} at the venue"
            elif d.kind == "lost_order":
                order = ledger.orders.get(d.client_order_id or "")
                if order is None or order.status is not OrderStatus.LOST:
                    note = f"the venue answered: now {order.status.value if order else 'gone'}"
            elif d.kind in ("position_drift", "balance_drift") and d.key not in self._suspect:
                note = "the drift is gone"
            if note:
                item.resolution, item.resolved_by, item.resolved_ms, item.note = "resolved", "venue", now, note

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
        in_doubt = sum(1 for o in self.desk.ledger.working(venue_name) if o.status is OrderStatus.IN_DOUBT)
        open_items = sum(1 for i in self.items.values() if i.open and i.difference.venue == venue_name)
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
        out = [self._view(i) for i in sorted(items, key=lambda i: -i.last_seen_ms) if i.open]
        for name in venues:
            report = self.last.get(name)
            if report is not None:
                out += [by_rule(d, report.at_ms) for d in report.differences
                        if not (d.key and d.key in self.items and self.items[d.key].open)]
        if include_resolved:
            out += [self._view(i) for i in sorted(items, key=lambda i: -(i.resolved_ms or 0)) if not i.open][:50]
        return out

    # -- the trader's verbs ---------------------------------------------------------------------
    def _item(self, key: str, verb: str) -> Item:
        item = self.items.get(key)
        if item is None:
            raise DeskError(f"no difference {key!r}: refresh and pick one from the reconciliation list")
        if not item.open:
            raise DeskError(f"difference {key} is already {item.resolution}")
        if verb not in VERBS.get(item.difference.kind, ()):
            raise DeskError(f"cannot {verb} a {item.difference.kind.replace('_', ' ')}: "
                            f"choose {', '.join(VERBS.get(item.difference.kind, ()))}")
        return item

    def _close(self, item: Item, resolution: str, actor: str, note: str = "") -> None:
        item.resolution, item.resolved_by, item.resolved_ms = resolution, actor, self.desk.clock.wall_ms()
        item.note = note
        d = item.difference
        self.desk.journal.append("difference_" + resolution, actor=actor, venue=d.venue, payload={
            "difference": d.as_record(), "note": note})
        self._refresh_state(d.venue)

    def _refresh_state(self, venue_name: str) -> None:
        report = self.last.get(venue_name)
        if report is not None:
            status = self.status(venue_name)
            self.desk.reconcile_state.setdefault(venue_name, {}).update({
                "ok": None if status.state == "failing" else status.state == "in_sync",
                "differences": status.differences, "state": status.state, "text": status.text})

    def adopt(self, key: str, actor: str = "human") -> DifferenceView:
        """External order: manage it here from now on. Drift: take the venue's figure as the new baseline."""
        item = self._item(key, "adopt")
        d = item.difference
        if d.kind == "unknown_order":
            order = self.desk.ledger.orders.get(d.client_order_id or "")
            if order is not None:
                self.desk.ledger.touch(order, "adopted_by_human", actor)
            self._close(item, "adopted", actor, "managed here from now on")
        elif d.kind == "position_drift":
            offset_key = (d.venue, d.symbol)
            self._position_offset[offset_key] = self._position_offset.get(offset_key, ZERO) + (d.amount or ZERO)
            self._suspect.pop(d.key, None)
            self._close(item, "adopted", actor, f"venue's position accepted: offset {self._position_offset[offset_key]}")
        elif d.kind == "balance_drift":
            book = self._balances.get(d.venue)
            if book is not None:
                book.base[d.symbol] = book.base.get(d.symbol, ZERO) + (d.amount or ZERO)
            self._suspect.pop(d.key, None)
            self._close(item, "adopted", actor, f"venue's {d.symbol} balance accepted as the new baseline")
        return self._view(item)

    def ignore(self, key: str, actor: str = "human", note: str = "") -> DifferenceView:
        """Leave it as it is. A drift stays quiet while its amount stays the same."""
        item = self._item(key, "ignore")
        if item.difference.kind in ("position_drift", "balance_drift") and item.difference.amount is not None:
            self._ignored[key] = item.difference.amount
        self._close(item, "ignored", actor, note or "left as it is")
        return self._view(item)

    async def cancel(self, key: str, actor: str = "human") -> DifferenceView:
        """Cancel an external (adopted) order at the venue; for a lost order, send a cancel by client order
        id in case the venue has it after all."""
        item = self._item(key, "cancel")
        d = item.difference
        desk = self.desk
        order = desk.ledger.orders.get(d.client_order_id or "")
        if order is None:
            raise DeskError(f"order {d.client_order_id} is no longer known here: refresh")
        if order.status.is_working:
            await desk.cancel(order.client_order_id, actor)
            note = f"cancel sent: now {desk.ledger.orders[order.client_order_id].status.value}"
        else:
            try:
                report = await desk.venues[order.venue].cancel_order(order)
                if report is not None:
                    desk.ledger.apply_report(order, report, "canceled")
                note = "canceled at the venue after all"
            except VenueError as err:
                if err.kind is not ErrorKind.NOT_FOUND:
                    raise DeskError(f"cancel of {order.client_order_id} failed: {err.message}") from err
                note = "the venue does not have it: nothing to cancel"
        self._close(item, "canceled", actor, note)
        return self._view(item)

    def _view(self, item: Item) -> DifferenceView:
        d = item.difference
        return DifferenceView(d.key, d.kind, d.venue, d.symbol, d.client_order_id, d.detail, d.action, item.open,
                              VERBS.get(d.kind, ()) if item.open else (), item.resolution, item.resolved_by,
                              item.resolved_ms or item.last_seen_ms, item.first_seen_ms, d.amount, d.trade_ids)

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
        ledger.set_venue_id(order, rep.venue_order_id)
        if rep.venue_order_id:
            self.desk.venues[venue_name].remember(rep.venue_order_id, cid)
        ledger.add(order, "adopted", "reconciler", {"venue_status": rep.raw_status, "venue_filled": rep.filled})
        if ledger.unmatched_fills:
            before = order.filled
            ledger.adopt_unmatched(order)  # fills seen before the order: give them to it, and journal it
            if order.filled != before:
                ledger.touch(order, "fills_adopted", "reconciler", {"filled": order.filled})
        if rep.filled is not None and rep.filled > order.filled:
            ledger.fills_needed.add((venue_name, rep.symbol))
        return order

