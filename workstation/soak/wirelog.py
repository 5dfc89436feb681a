"""What reached the venue, seen from the venue's side of the wire (the parent process).

Every request the Desk's process made is answered here, so the parent knows, without asking the Desk,
which request created which venue order: a create_order carrying client order id C, or an edit_order of
venue order V that gave a new venue id (cancel-replace). That is how the referee ties a venue order to
the trader's intent even where the venue's own records omit our client id (Binance's REST trades).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(slots=True)
class Created:
    venue_order_id: str
    client_id: str | None  # the clientOrderId the request carried (create_order), else None
    via: str  # "create" | "edit" | "external"
    replaces: str | None = None  # venue order id an edit_order replaced
    amount: Decimal | None = None  # what the request asked for
    at_ms: int = 0
    process: int = 0  # which Desk process (1, 2, ...) sent it; 0 = not the Desk


@dataclass
class WireLog:
    created: dict[str, Created] = field(default_factory=dict)  # venue order id -> how it came to be
    by_client_id: dict[str, list[str]] = field(default_factory=dict)  # client id -> venue ids created with it
    calls: Counter = field(default_factory=Counter)  # method -> requests that reached the venue
    applied: Counter = field(default_factory=Counter)  # method -> requests the venue applied (answered or not)
    reconciled: dict[int, set[str]] = field(default_factory=dict)  # process -> reads answered (reconcile calls)

    def record(self, entry: Created) -> None:
        if entry.venue_order_id in self.created:
            return
        self.created[entry.venue_order_id] = entry
        if entry.client_id is not None:
            self.by_client_id.setdefault(entry.client_id, []).append(entry.venue_order_id)

    def root(self, venue_order_id: str) -> str:
        """The first venue order of a chain of cancel-replaces."""
        seen = 0
        entry = self.created.get(venue_order_id)
        while entry is not None and entry.replaces is not None and seen < 1000:
            venue_order_id, entry, seen = entry.replaces, self.created.get(entry.replaces), seen + 1
        return venue_order_id

    def chains(self) -> dict[str, list[str]]:
        """Root venue id -> every venue order of its chain, oldest first."""
        out: dict[str, list[str]] = {}
        for vid in self.created:
            out.setdefault(self.root(vid), []).append(vid)
        return out

    def client_id_of(self, venue_order_id: str) -> str | None:
        """The client id that created this venue order's chain (None: not created through the wire)."""
        entry = self.created.get(self.root(venue_order_id))
        return entry.client_id if entry is not None else None

    def read_answered(self, process: int, method: str) -> None:
        self.reconciled.setdefault(process, set()).add(method)
