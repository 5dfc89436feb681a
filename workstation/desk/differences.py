"""The differences reconciliation finds, and the ones that wait for a human.

A ``Difference`` is one finding of one refresh, with what was done about it by rule. The ones that
need a human (an order placed elsewhere, a lost order, a drift seen twice) become ``Item``s that
live across refreshes until the trader adopts, cancels or ignores them, or the venue settles them.
The status bar's words come from here: "in sync" only when the last refresh succeeded and no item
is open.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from ..domain.orders import OrderStatus
from .errors import DeskError
from .ports import DeskPort

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


class DifferenceLog:
    """Open and settled items, the drift watch (a drift must be seen twice), and the trader's verbs on them."""

    def __init__(self, desk: DeskPort):
        self.desk = desk
        self.items: dict[str, Item] = {}  # key -> item (open and resolved)
        self.suspect: dict[str, Decimal] = {}  # drift key -> amount seen on the previous refresh
        self.ignored: dict[str, Decimal] = {}  # drift key -> amount the trader chose to ignore

    def open_count(self, venue_name: str) -> int:
        return sum(1 for i in self.items.values() if i.open and i.difference.venue == venue_name)

    def drift(self, key: str, kind: str, venue_name: str, symbol: str, gap: Decimal, detail: str,
               explaining: tuple[str, ...], now: int) -> Difference:
        if self.ignored.get(key) == gap:
            return Difference(kind, venue_name, symbol, None, detail, "ignored by the trader", key=key, amount=gap,
                              trade_ids=explaining)
        confirmed = self.suspect.get(key) == gap
        self.suspect[key] = gap
        if not confirmed:
            return Difference(kind, venue_name, symbol, None, detail,
                              "watching: seen once (a snapshot may simply predate a fill)", key=key, amount=gap,
                              trade_ids=explaining)
        diff = Difference(kind, venue_name, symbol, None, detail, "needs a human: adopt the venue's figure or ignore",
                          needs_human=True, key=key, amount=gap, trade_ids=explaining)
        self.open_item(diff, now)
        return diff

    def open_item(self, diff: Difference, now: int) -> None:
        item = self.items.get(diff.key)
        if item is not None and item.open:
            item.difference, item.last_seen_ms = diff, now
            return
        self.items[diff.key] = Item(diff, now, now)

    def settle(self, venue_name: str, now: int) -> None:
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
            elif d.kind in ("position_drift", "balance_drift") and d.key not in self.suspect:
                note = "the drift is gone"
            if note:
                item.resolution, item.resolved_by, item.resolved_ms, item.note = "resolved", "venue", now, note

    def item(self, key: str, verb: str) -> Item:
        item = self.items.get(key)
        if item is None:
            raise DeskError(f"no difference {key!r}: refresh and pick one from the reconciliation list")
        if not item.open:
            raise DeskError(f"difference {key} is already {item.resolution}")
        if verb not in VERBS.get(item.difference.kind, ()):
            raise DeskError(f"cannot {verb} a {item.difference.kind.replace('_', ' ')}: "
                            f"choose {', '.join(VERBS.get(item.difference.kind, ()))}")
        return item

    def close(self, item: Item, resolution: str, actor: str, note: str = "") -> None:
        item.resolution, item.resolved_by, item.resolved_ms = resolution, actor, self.desk.clock.wall_ms()
        item.note = note
        d = item.difference
        self.desk.journal.append("difference_" + resolution, actor=actor, venue=d.venue, payload={
            "difference": d.as_record(), "note": note})

    def ignore(self, key: str, actor: str = "human", note: str = "") -> DifferenceView:
        """Leave it as it is. A drift stays quiet while its amount stays the same."""
        item = self.item(key, "ignore")
        if item.difference.kind in ("position_drift", "balance_drift") and item.difference.amount is not None:
            self.ignored[key] = item.difference.amount
        self.close(item, "ignored", actor, note or "left as it is")
        return self.view(item)

    def view(self, item: Item) -> DifferenceView:
        d = item.difference
        return DifferenceView(d.key, d.kind, d.venue, d.symbol, d.client_order_id, d.detail, d.action, item.open,
                              VERBS.get(d.kind, ()) if item.open else (), item.resolution, item.resolved_by,
                              item.resolved_ms or item.last_seen_ms, item.first_seen_ms, d.amount, d.trade_ids)

