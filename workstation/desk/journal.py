"""The journal: an append-only SQLite event log, the durable truth the Desk rebuilds from.

WAL mode; intents and fills are committed with synchronous=FULL so that an order the venue
may have seen is on disk first. UNIQUE indexes make a second intent for one client order id,
or a second fill for one (venue, trade id), impossible, not merely unlikely.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

from ..domain.orders import Fill, Order, OrderSpec, OrderStatus, Side
from ..redaction import redact_known
from .errors import DeskError

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ms INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL DEFAULT '',
    venue TEXT,
    client_order_id TEXT,
    trade_id TEXT,
    order_state TEXT,
    payload TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX IF NOT EXISTS one_intent_per_order ON events(client_order_id) WHERE kind = 'intent';
CREATE UNIQUE INDEX IF NOT EXISTS one_row_per_fill ON events(venue, trade_id) WHERE kind = 'fill';
CREATE INDEX IF NOT EXISTS events_by_kind ON events(kind, seq);
CREATE INDEX IF NOT EXISTS events_by_order ON events(client_order_id, seq);
"""

# Events whose loss would mean an order sent twice or a fill forgotten.
DURABLE_KINDS = frozenset({"intent", "fill"})


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    if hasattr(value, "value"):
        return value.value
    raise TypeError(f"cannot journal {type(value).__name__}")


def dumps(payload: Any) -> str:
    # A secret in use (a venue's or the copilot's key) never reaches the file, whatever row quotes it.
    return redact_known(json.dumps(payload, default=_default, separators=(",", ":"), sort_keys=True))


def spec_to_dict(spec: OrderSpec) -> dict[str, Any]:
    return {name: getattr(spec, name) for name in spec.__dataclass_fields__}


def spec_from_dict(data: dict[str, Any]) -> OrderSpec:
    fields = dict(data)
    for name in ("amount", "price", "trigger_price", "trailing_amount", "trailing_percent", "decision_mid"):
        if fields.get(name) is not None:
            fields[name] = Decimal(fields[name])
    return OrderSpec(**fields)


def order_to_dict(order: Order) -> dict[str, Any]:
    return {
        "spec": spec_to_dict(order.spec),
        "client_order_id": order.client_order_id,
        "status": order.status.value,
        "venue_order_id": order.venue_order_id,
        "filled": order.filled,
        "cost": order.cost,
        "fee": order.fee,
        "fee_currency": order.fee_currency,
        "trade_ids": order.trade_ids,
        "wall_ms": order.wall_ms,
        "mono_ns": order.mono_ns,
        "approval_mid": order.approval_mid,
        "arrival_mid": order.arrival_mid,
        "reason": order.reason,
        "errors": order.errors,
        "external": order.external,
        "cancel_requested": order.cancel_requested,
        "intended_price": order.intended_price,
    }


def order_from_dict(data: dict[str, Any]) -> Order:
    def d(key: str) -> Decimal | None:
        return None if data.get(key) is None else Decimal(data[key])

    return Order(
        spec=spec_from_dict(data["spec"]),
        client_order_id=data["client_order_id"],
        status=OrderStatus(data["status"]),
        venue_order_id=data.get("venue_order_id"),
        filled=d("filled") or Decimal(0),
        cost=d("cost") or Decimal(0),
        fee=d("fee") or Decimal(0),
        fee_currency=data.get("fee_currency", ""),
        trade_ids=set(data.get("trade_ids", [])),
        wall_ms={k: int(v) for k, v in data.get("wall_ms", {}).items()},
        mono_ns={k: int(v) for k, v in data.get("mono_ns", {}).items()},
        approval_mid=d("approval_mid"),
        arrival_mid=d("arrival_mid"),
        reason=data.get("reason", ""),
        errors=list(data.get("errors", [])),
        external=bool(data.get("external", False)),
        cancel_requested=bool(data.get("cancel_requested", False)),
        intended_price=d("intended_price"),
    )


def fill_to_dict(fill: Fill) -> dict[str, Any]:
    return {name: getattr(fill, name) for name in fill.__dataclass_fields__}


def fill_from_dict(data: dict[str, Any]) -> Fill:
    fields = dict(data)
    fields["price"], fields["amount"], fields["fee"] = (Decimal(fields[k]) for k in ("price", "amount", "fee"))
    fields["side"] = Side(fields["side"])
    return Fill(**fields)


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    ts_ms: int
    kind: str
    actor: str
    venue: str | None
    client_order_id: str | None
    trade_id: str | None
    order_state: dict[str, Any] | None
    payload: dict[str, Any]


class JournalError(DeskError):
    """The journal cannot be opened, read or written. The message says what is wrong and what to do.

    ``set_aside`` is True when the file itself is unusable (empty, corrupt, not a journal): then
    ``workstation run --new-journal`` keeps it aside and starts a new one, but only when asked."""

    def __init__(self, message: str, *, set_aside: bool = False):
        super().__init__(message)
        self.set_aside = set_aside


class DuplicateIntent(JournalError):
    """A second intent for one client order id: the order would be sent twice. Refused by the database."""


SQLITE_HEADER = b"SQLite format 3\x00"
NEW_JOURNAL_HINT = ("run `workstation run --new-journal` to keep it aside (renamed *.bad-<time>) and start a new "
                    "one; orders open at the venues are then adopted at the first reconcile")


def _cannot(path: Path, doing: str, exc: BaseException) -> JournalError:
    """One sqlite or OS error, in the trader's words: what happened to which file, and the way forward."""
    text = str(getattr(exc, "strerror", None) or exc)
    low = text.lower()
    if "unable to open" in low and _read_only_fs(path):
        low = "read-only"  # SQLite only says it cannot open the file (its -wal and -shm cannot be created)
    if "full" in low or getattr(exc, "errno", None) == 28:
        return JournalError(f"the disk holding the journal {path} is full: could not {doing}; nothing was sent. "
                            f"Free some space; the workstation keeps running and tries again")
    if "readonly" in low or "read-only" in low or getattr(exc, "errno", None) == 30:
        return JournalError(f"the journal {path} cannot be written ({text}): the file or its file system is "
                            f"read-only. Make it writable, or set data_dir (or $WORKSTATION_DATA_DIR) to a "
                            f"writable directory")
    if "malformed" in low or "not a database" in low or "corrupt" in low:
        return JournalError(f"the journal {path} is damaged ({text}): could not {doing}. Keep a copy; "
                            f"{NEW_JOURNAL_HINT}", set_aside=True)
    if "permission" in low or isinstance(exc, PermissionError):
        return JournalError(f"the journal {path} cannot be opened: permission denied. Give this user read and "
                            f"write access to it and its directory")
    return JournalError(f"the journal {path}: could not {doing}: {text}")


def _read_only_fs(path: Path) -> bool:
    for where in (path, path.parent):
        try:
            return bool(os.statvfs(where).f_flag & os.ST_RDONLY)
        except OSError:
            continue
    return False


def check_openable(path: Path) -> None:
    """Refuse, before SQLite sees it, a journal file that would silently become a fresh, empty one."""
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise JournalError(f"the data directory {parent} is a file, not a directory: set data_dir in the config "
                           f"(or $WORKSTATION_DATA_DIR) to a directory, or move the file away")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise JournalError(f"cannot create the data directory {parent}: {exc.strerror or exc}. Set data_dir in "
                           f"the config (or $WORKSTATION_DATA_DIR) to a writable directory") from None
    if not path.exists():
        return
    if path.is_dir():
        raise JournalError(f"the journal {path} is a directory: move it away or set data_dir elsewhere")
    try:
        with path.open("rb") as f:
            header = f.read(100)
        size = path.stat().st_size
    except OSError as exc:
        raise _cannot(path, "read it", exc) from None
    if not header:
        raise JournalError(f"the journal {path} is empty (0 bytes): it was truncated or never written, and "
                           f"starting on it would forget every order it held; {NEW_JOURNAL_HINT}", set_aside=True)
    if not header.startswith(SQLITE_HEADER):
        raise JournalError(f"{path} is not a journal (not an SQLite file); {NEW_JOURNAL_HINT}", set_aside=True)
    # SQLite reads a truncated file as if the lost pages were never written: orders vanish without an error.
    # The header says how many pages the file had at the last checkpoint (when its two counters agree).
    page_size = int.from_bytes(header[16:18], "big") if len(header) == 100 else 0
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big") if len(header) == 100 else 0
    if len(header) < 100 or (pages and header[24:28] == header[92:96] and size < pages * page_size):
        raise JournalError(f"the journal {path} is truncated ({size} bytes, its header says "
                           f"{pages * page_size}): orders in the lost part would be forgotten; {NEW_JOURNAL_HINT}",
                           set_aside=True)


def set_aside(path: Path, now: float | None = None) -> Path:
    """Rename an unusable journal (and its -wal and -shm) to ``<name>.bad-<time>``; returns the new path."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    kept = path.with_name(f"{path.name}.bad-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        source = path.with_name(path.name + suffix)
        if source.exists():
            source.rename(kept.with_name(kept.name + suffix))
    return kept


class Journal:
    def __init__(self, path: str | Path, instance: str | None = None):
        """``instance`` fixes the client-order-id tag of a new journal (deterministic runs, screenshots);
        by default it is random, which keeps two journals' ids apart on one account.

        An existing journal that is empty, damaged, unreadable or read-only stops the start with a
        JournalError: a silent fresh start would forget the orders it holds."""
        if instance is not None and not (instance.isalnum() and len(instance) == 8):
            raise ValueError(f"journal instance must be 8 alphanumeric characters, got {instance!r}")
        self.path = Path(path)
        self._identity: tuple[int, int] | None = None
        memory = str(path) == ":memory:"
        if not memory:
            check_openable(self.path)
        try:
            self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            row = self._db.execute("SELECT value FROM meta WHERE key='instance'").fetchone()
            if row is None:
                self._db.execute("INSERT INTO meta VALUES ('instance', ?)", (instance or secrets.token_hex(4),))
                self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            # A write at open proves the journal can take one: read-only is found now, not at the first order.
            self._db.execute("INSERT INTO meta VALUES ('opened_ms', ?) ON CONFLICT(key) DO UPDATE "
                             "SET value=excluded.value", (str(int(time.time() * 1000)),))
            self.instance = self._db.execute("SELECT value FROM meta WHERE key='instance'").fetchone()[0]
            row = self._db.execute("SELECT value FROM meta WHERE key='order_seq'").fetchone()
            self._order_seq = int(row[0]) if row else 0
        except (sqlite3.Error, OSError, ValueError) as exc:
            raise _cannot(self.path, "open it", exc) from None
        if not memory:
            self._identity = self._stat()

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    def _check_still_there(self) -> None:
        """SQLite keeps writing to a journal whose file (or data directory) was removed while running, and
        the next start would begin empty: refuse every write instead, so nothing is sent unrecorded."""
        if self._identity is not None and self._stat() != self._identity:
            raise JournalError(f"the journal {self.path} was removed or replaced while running: nothing more can "
                               f"be recorded, so nothing more is sent. Quit and restore the data directory from a "
                               f"backup if you have one; a new start adopts the orders open at the venues")

    def close(self) -> None:
        self._db.close()

    # -- ids ---------------------------------------------------------------------------------
    def next_client_order_id(self) -> str:
        """Unique and never reused: the counter is committed before the id is handed out.

        Alphanumeric and 18 characters, which fits every venue's format (OKX allows 32 alnum).
        """
        self._check_still_there()
        try:
            self._db.execute("INSERT INTO meta VALUES ('order_seq', ?) ON CONFLICT(key) DO UPDATE "
                             "SET value=excluded.value", (str(self._order_seq + 1),))
        except sqlite3.Error as exc:
            raise _cannot(self.path, "record a new client order id", exc) from None
        self._order_seq += 1
        return f"ws{self.instance}{self._order_seq:08d}"

    # -- writing -------------------------------------------------------------------------------
    def append(self, kind: str, *, actor: str = "", venue: str | None = None, order: Order | None = None,
               fill: Fill | None = None, payload: dict[str, Any] | None = None, ts_ms: int | None = None) -> int:
        """Append one event and commit it. Intents and fills are fsync'd (synchronous=FULL)."""
        durable = kind in DURABLE_KINDS
        body = dict(payload or {})
        if fill is not None:
            body["fill"] = fill_to_dict(fill)
        self._check_still_there()
        try:
            if durable:
                self._db.execute("PRAGMA synchronous=FULL")
            cur = self._db.execute(
                "INSERT INTO events(ts_ms, kind, actor, venue, client_order_id, trade_id, order_state, payload) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (
                    ts_ms if ts_ms is not None else int(time.time() * 1000),
                    kind,
                    actor,
                    venue or (order.venue if order else fill.venue if fill else None),
                    order.client_order_id if order else (fill.client_order_id if fill else None),
                    fill.trade_id if fill else None,
                    dumps(order_to_dict(order)) if order else None,
                    dumps(body),
                ),
            )
        except sqlite3.IntegrityError as exc:
            if kind == "intent":
                raise DuplicateIntent(f"an intent for {order.client_order_id if order else '?'} is already journaled") from exc
            raise JournalError(f"the journal refused a second {kind} row for the same key: {exc}") from exc
        except sqlite3.Error as exc:
            raise _cannot(self.path, f"record '{kind}'", exc) from None
        finally:
            if durable:
                try:
                    self._db.execute("PRAGMA synchronous=NORMAL")
                except sqlite3.Error:  # the write's own error (above) is the one to report
                    pass
        return int(cur.lastrowid)

    def has_fill(self, venue: str, trade_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM events WHERE kind='fill' AND venue=? AND trade_id=?",
                                (venue, trade_id)).fetchone() is not None

    # -- reading -------------------------------------------------------------------------------
    def events(self, kinds: tuple[str, ...] | None = None, since_ms: int | None = None,
               client_order_id: str | None = None) -> Iterator[Event]:
        sql = "SELECT seq, ts_ms, kind, actor, venue, client_order_id, trade_id, order_state, payload FROM events"
        where, args = [], []
        if kinds:
            where.append(f"kind IN ({','.join('?' * len(kinds))})")
            args.extend(kinds)
        if since_ms is not None:
            where.append("ts_ms >= ?")
            args.append(since_ms)
        if client_order_id is not None:
            where.append("client_order_id = ?")
            args.append(client_order_id)
        if where:
            sql += " WHERE " + " AND ".join(where)
        try:
            for row in self._db.execute(sql + " ORDER BY seq", args):
                try:
                    yield Event(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                                json.loads(row[7]) if row[7] else None, json.loads(row[8]))
                except (ValueError, TypeError) as exc:
                    raise JournalError(f"the journal {self.path} has an unreadable event (seq {row[0]}): {exc}; "
                                       f"{NEW_JOURNAL_HINT}", set_aside=True) from None
        except sqlite3.Error as exc:
            raise _cannot(self.path, "read it", exc) from None

    def replay(self) -> tuple[dict[str, Order], dict[tuple[str, str], Fill]]:
        """Orders (each at its latest journaled state) and every fill, in journal order."""
        orders: dict[str, Order] = {}
        fills: dict[tuple[str, str], Fill] = {}
        for event in self.events():
            try:
                if event.order_state is not None and event.client_order_id:
                    orders[event.client_order_id] = order_from_dict(event.order_state)
                if event.kind == "fill":
                    fill = fill_from_dict(event.payload["fill"])
                    fills[fill.key] = fill
            except (KeyError, ValueError, TypeError, ArithmeticError) as exc:  # InvalidSpec is a ValueError
                raise JournalError(f"the journal {self.path} holds an order or fill that cannot be rebuilt (seq "
                                   f"{event.seq}, {event.kind}): {exc}; {NEW_JOURNAL_HINT}", set_aside=True) from None
        return orders, fills

    def count(self, kind: str | None = None) -> int:
        if kind is None:
            return self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM events WHERE kind=?", (kind,)).fetchone()[0]
