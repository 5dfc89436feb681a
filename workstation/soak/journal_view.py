"""The Desk rebuilt from its journal alone, read by the parent from the file, event by event.

The journal's own replay rule, applied incrementally: each order is its latest journaled state, each fill
is counted once per trade id; positions are the sum of the fills. Read with a connection of the parent's
own, up to exactly the event a snapshot of the live Desk was taken at, so the two can be compared.
Also kept: illegal transitions (journaled, so they survive a kill), which order replaced which, the
trading state, and the groups staged.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..desk.journal import fill_from_dict, order_from_dict
from .views import fill_view, order_view


class JournalView:
    def __init__(self, path: Path):
        self.path = path
        self._db: sqlite3.Connection | None = None
        self.cursor = 0  # last event read
        self.orders: dict[str, dict[str, Any]] = {}
        self.fills: dict[str, dict[str, Any]] = {}
        self.positions: Counter = Counter()
        self.kinds: Counter = Counter()
        self.replaces: dict[str, str] = {}  # new client order id -> the one it replaced (cancel-replace)
        self.trading_state: dict[str, str] = {}
        self.changed: set[str] = set()  # orders journaled since the caller last cleared this
        self.illegal: list[str] = []  # the first illegal transitions, as the journal tells them

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is None and self.path.exists():
            self._db = sqlite3.connect(str(self.path))
        return self._db

    def read_to(self, seq: int | None = None) -> int:
        """Apply every event after the cursor, up to ``seq`` (or the end). Returns the new cursor."""
        db = self._connect()
        if db is None:
            return self.cursor
        sql = "SELECT seq, kind, venue, client_order_id, order_state, payload FROM events WHERE seq > ?"
        args: list[Any] = [self.cursor]
        if seq is not None:
            sql += " AND seq <= ?"
            args.append(seq)
        for row_seq, kind, venue, cid, state, payload in db.execute(sql + " ORDER BY seq", args):
            self.cursor = row_seq
            self.kinds[kind] += 1
            body = json.loads(payload) if payload else {}
            if state and cid:
                self.orders[cid] = order_view(order_from_dict(json.loads(state)))
                self.changed.add(cid)
            if kind == "fill":
                fill = fill_view(fill_from_dict(body["fill"]))
                if fill["trade_id"] not in self.fills:
                    self.fills[fill["trade_id"]] = fill
                    sign = 1 if fill["side"] == "buy" else -1
                    self.positions[fill["symbol"]] += sign * fill["amount"]
            if cid and body.get("replaces"):
                self.replaces[cid] = str(body["replaces"])
            if kind == "illegal_transition" and len(self.illegal) < 6:
                self.illegal.append(f"{cid}: {body.get('from')} -> {body.get('to')} (via {body.get('via')}), "
                                    f"event {row_seq}")
            if kind == "trading_state" and body.get("venue"):
                self.trading_state[body["venue"]] = str(body.get("state"))
        return self.cursor

    @property
    def illegal_transitions(self) -> int:
        return self.kinds["illegal_transition"]

    def unmatched(self) -> set[str]:
        """Fills that no order holds: what a Desk rebuilt from this journal would keep unmatched."""
        held = {tid for view in self.orders.values() for tid in view["trade_ids"]}
        return set(self.fills) - held

    def position(self, symbol: str) -> Decimal:
        return Decimal(self.positions.get(symbol, 0))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
