"""The paper venue's own state file: what it holds survives a restart, as a real venue's does.

One JSON document, written to a temporary file beside it and moved into place (atomic on POSIX),
so a crash mid-write leaves the previous state whole. It holds everything the venue knows:
every order (resting queue positions included), every trade of ours, balances and reservations,
positions and their margin, leverage, the id sequences, the clock, and each synthetic market
(mid, regime, levels, recent prints, candles and its RNG state, so the market path resumes
where it stopped). Streams are not kept: a new connection subscribes afresh, as on a real venue.

Numbers stay exact: Decimals are written as strings, ticks and lots as integers.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, get_type_hints

from .accounts import Position
from .market import Level, PublicTrade, SyntheticMarket
from .matching import Order, Trade
from .simulator import Simulator

FORMAT = "workstation-paper-state"
VERSION = 1
FILE_NAME = "paper-state.json"
RESET_HINT = "run `workstation paper reset` to start the paper venue over (balances, orders and positions are lost)"


class PaperStateError(Exception):
    """The state file cannot be used: says what is wrong and how to start over."""


# ---- dataclasses <-> plain JSON values -----------------------------------------------------
@cache
def _fields(cls: type) -> tuple[tuple[str, ...], frozenset[str]]:
    """A dataclass's field names, and those holding Decimals (read from its annotations)."""
    hints = get_type_hints(cls)
    names = tuple(f.name for f in dataclasses.fields(cls))
    return names, frozenset(n for n in names if "Decimal" in str(hints[n]))


def _plain(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    out = {}
    for name in _fields(type(obj))[0]:
        if name not in skip:
            value = getattr(obj, name)
            out[name] = str(value) if type(value) is Decimal else value
    return out


def _build(cls: type, data: dict[str, Any], **extra: Any) -> Any:
    decimals = _fields(cls)[1]
    values = {k: (Decimal(v) if v is not None and k in decimals else v) for k, v in data.items()}
    return cls(**values, **extra)


def rng_list(rng: random.Random) -> list[Any]:
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def rng_tuple(state: list[Any]) -> tuple[Any, ...]:
    return (state[0], tuple(state[1]), state[2])


# ---- the simulator -------------------------------------------------------------------------
def _market(m: SyntheticMarket) -> dict[str, Any]:
    return {
        "mid": m.mid, "basis": m.basis, "regime": m.regime, "frozen": m.frozen,
        "bids": [[p, lv.size, lv.target] for p, lv in m.bids.items()],
        "asks": [[p, lv.size, lv.target] for p, lv in m.asks.items()],
        "bid_top": m.bid_top, "ask_top": m.ask_top, "version": m.version, "last": m.last,
        "last_move": m._last_move, "rng": rng_list(m.rng),
        "trades": [(t.id, t.timestamp, t.price, t.lots, t.side) for t in m.trades],
        "candles": [list(r) for r in m.candles.rows],
    }


def _restore_market(m: SyntheticMarket, d: dict[str, Any]) -> None:
    m.mid, m.basis, m.regime, m.frozen = d["mid"], d["basis"], d["regime"], d["frozen"]
    for book, rows in ((m.bids, d["bids"]), (m.asks, d["asks"])):
        book.clear()
        for price, size, target in rows:
            level = Level(size)
            level.target = target
            book[price] = level
    m.bid_top, m.ask_top, m.version, m.last = d["bid_top"], d["ask_top"], d["version"], d["last"]
    m._last_move = d["last_move"]
    m.rng.setstate(rng_tuple(d["rng"]))
    m.trades.clear()
    m.trades.extend(PublicTrade(*row) for row in d["trades"])
    m.candles.rows.clear()
    m.candles.rows.extend(list(r) for r in d["candles"])


def dump(sim: Simulator, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the venue holds, as plain JSON values (a fresh structure: safe to serialize elsewhere)."""
    engine, acc = sim.engine, sim.accounts
    return {
        "format": FORMAT, "version": VERSION, "now": sim.now,
        "order_seq": sim._order_seq, "trade_seq": sim._trade_seq, "queue_seq": engine._seq,
        "markets": {s: _market(m) for s, m in sim.markets.items()},
        "orders": [{**_plain(o, skip=("trades",)), "trades": [t.id for t in o.trades]}
                   for o in sim.orders.values()],
        "open": list(sim.open),
        "trades": [_plain(t) for t in sim.trades],
        "resting": {s: {side: [[p, [o.id for o in q]] for p, q in book.items()]
                        for side, book in sides.items()} for s, sides in engine.resting.items()},
        "stops": {s: [o.id for o in stops] for s, stops in engine.stops.items()},
        "balances": {c: str(v) for c, v in acc.total.items()},
        "used": {c: str(v) for c, v in acc.used.items()},
        "positions": [_plain(p) for p in acc.positions.values()],
        "leverage": dict(acc.leverage),
        **(extra or {}),
    }


def restore(sim: Simulator, data: dict[str, Any]) -> None:
    """Put a freshly built simulator (same specs) into the saved state."""
    unknown = sorted(set(data["markets"]) - set(sim.markets))
    if unknown:
        raise PaperStateError(f"it holds markets this version does not have ({', '.join(unknown)})")
    sim.now = data["now"]
    sim._order_seq, sim._trade_seq, sim.engine._seq = data["order_seq"], data["trade_seq"], data["queue_seq"]
    for symbol, d in data["markets"].items():
        _restore_market(sim.markets[symbol], d)
    trades = {t["id"]: _build(Trade, t) for t in data["trades"]}
    sim.trades = list(trades.values())
    sim.orders, sim.by_client_id = {}, {}
    for d in data["orders"]:
        order = _build(Order, {k: v for k, v in d.items() if k != "trades"},
                       trades=[trades[i] for i in d["trades"]])
        sim.orders[order.id] = order
        sim.by_client_id[order.client_id] = order
    sim.open = {i: sim.orders[i] for i in data["open"]}
    for symbol, sides in data["resting"].items():
        for side, levels in sides.items():
            sim.engine.resting[symbol][side] = {p: [sim.orders[i] for i in ids] for p, ids in levels}
    for symbol, ids in data["stops"].items():
        sim.engine.stops[symbol] = [sim.orders[i] for i in ids]
    acc = sim.accounts
    acc.total = {c: Decimal(v) for c, v in data["balances"].items()}
    acc.used = {c: Decimal(v) for c, v in data["used"].items()}
    acc.positions = {p["symbol"]: _build(Position, p) for p in data["positions"]}
    acc.leverage = {s: int(v) for s, v in data["leverage"].items()}


# ---- the file ------------------------------------------------------------------------------
def write(path: Path, data: dict[str, Any]) -> None:
    """Atomically replace the state file (temporary file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, separators=(",", ":")))  # dumps: the C encoder (dump is pure Python)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read(path: Path) -> dict[str, Any] | None:
    """The saved state, or None when there is none yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PaperStateError(f"{path}: cannot be read ({exc.strerror}); {RESET_HINT}") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise PaperStateError(f"{path}: not a paper state file (damaged JSON); {RESET_HINT}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PaperStateError(f"{path}: not a paper state file; {RESET_HINT}")
    if data.get("version") != VERSION:
        raise PaperStateError(f"{path}: paper state version {data.get('version')!r}, this workstation reads "
                              f"version {VERSION}; {RESET_HINT}")
    return data


def remove(path: Path) -> bool:
    """Forget the saved state (and any half-written temporary file). Whether there was one."""
    existed = path.exists()
    for p in (path, path.with_name(path.name + ".tmp")):
        p.unlink(missing_ok=True)
    return existed

