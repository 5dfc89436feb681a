"""Which websocket streams work, said plainly: the status bar's "user stream down: polling".

The Desk's stream loops report here (``failed`` / ``ok``) and ``summary`` turns it into one line per venue:
"live" when every stream works, else which stream is down, why, and what the workstation does instead (books by
REST snapshots; orders and fills by the refresh, so fills can show up to a refresh late). ``check_at_start``
waits for the first outcome of every stream after start and says once, as an alert, what is down and where.

ccxt rejects futures nobody awaits when a websocket dial fails (a 404 behind a proxy), and asyncio prints them
as "Future exception was never retrieved" on stderr, over the TUI. ``quiet_orphaned_ccxt_errors`` routes those
to the log instead; the failure itself is reported here.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import weakref
from dataclasses import dataclass
from typing import Any

from ..venues.errors import redact
from .events import RiskAlert

log = logging.getLogger(__name__)

INSTEAD = {"book": "books by REST snapshots", "order": "orders by the refresh", "fill": "fills by the refresh"}
NAMES = {"book": "market stream", "order": "user stream", "fill": "user stream"}


@dataclass
class _Stream:
    ok: bool | None = None  # None: no outcome yet
    error: str = ""
    since: float = 0.0


class StreamHealth:
    _shared: "weakref.WeakKeyDictionary[Any, StreamHealth]" = weakref.WeakKeyDictionary()

    def __init__(self) -> None:
        self.streams: dict[tuple[str, str], _Stream] = {}  # (venue, book|order|fill) -> state

    @classmethod
    def of(cls, desk: Any) -> "StreamHealth":
        desk = getattr(desk, "unguarded", desk)  # the UI's guarded Desk (ui/guard.py) is the same Desk
        health = cls._shared.get(desk)
        if health is None:
            health = cls._shared[desk] = cls()
        return health


def _short(error: BaseException | str) -> str:
    text = redact(str(getattr(error, "message", None) or error))
    status = re.search(r"\b(\d{3}), message='Invalid response status'", text)
    url = re.search(r"url='([^']+)'", text)
    if status and url:
        return f"HTTP {status.group(1)} at {url.group(1)}"
    return text[:120]


def failed(desk: Any, venue: str, what: str, error: BaseException | str) -> None:
    stream = StreamHealth.of(desk).streams.setdefault((venue, what), _Stream())
    if stream.ok is not False:
        stream.since = time.monotonic()
    stream.ok, stream.error = False, _short(error)


def ok(desk: Any, venue: str, what: str) -> None:
    stream = StreamHealth.of(desk).streams.get((venue, what))
    if stream is None or stream.ok is not True:
        StreamHealth.of(desk).streams[(venue, what)] = _Stream(True, "", time.monotonic())


def down(desk: Any, venue: str) -> list[tuple[str, str]]:
    """(what, why) for each stream of ``venue`` that is down now."""
    return [(what, s.error) for (v, what), s in StreamHealth.of(desk).streams.items() if v == venue and s.ok is False]


def summary(desk: Any, venue: str) -> str:
    """"live", "connecting", "" (no stream has reported: not started), or e.g. "user stream down (HTTP 404
    at ...): orders by the refresh, fills by the refresh every 3s or slower"."""
    broken = down(desk, venue)
    if not broken:
        known = [s for (v, _), s in StreamHealth.of(desk).streams.items() if v == venue]
        return "" if not known else "live" if all(s.ok for s in known) else "connecting"
    parts: dict[str, list[str]] = {}
    for what, why in broken:
        parts.setdefault(f"{NAMES[what]} down ({why})", []).append(INSTEAD[what])
    every = getattr(desk.settings, "refresh_interval_s", None)
    return "; ".join(f"{name}: {', '.join(dict.fromkeys(instead))}" for name, instead in parts.items()) + (
        f" every {every:g}s or slower" if every and any(w != "book" for w, _ in broken) else "")


async def check_at_start(desk: Any, wait_s: float = 5.0) -> dict[str, str]:
    """After start: wait for every venue's streams to connect or fail, then say once what is down. Returns
    venue -> summary. Dead dials' futures are logged from here on, not printed over the TUI."""
    quiet_orphaned_ccxt_errors()
    deadline = time.monotonic() + wait_s
    streams = StreamHealth.of(desk).streams
    while time.monotonic() < deadline:
        pending = [v for v in desk.venues if not any(k[0] == v for k in streams)
                   or any(s.ok is None for k, s in streams.items() if k[0] == v)]
        if not pending:
            break
        await asyncio.sleep(0.05)
    out = {}
    for venue in desk.venues:
        out[venue] = summary(desk, venue)
        if down(desk, venue):
            desk.bus.publish(RiskAlert(f"{venue}: {out[venue]}", "warning"))
    return out


def quiet_orphaned_ccxt_errors(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Log, rather than print over the TUI, the rejected futures ccxt leaves behind when a dial fails."""
    import ccxt

    loop = loop or asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    if getattr(previous, "_quiets_ccxt", False):
        return

    def handler(event_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if context.get("message", "").startswith("Future exception was never retrieved") and \
                isinstance(exc, ccxt.BaseError):
            log.info("a ccxt stream future failed with nobody waiting: %s", _short(exc))
            return
        if previous is not None:
            previous(event_loop, context)
        else:
            event_loop.default_exception_handler(context)

    handler._quiets_ccxt = True  # type: ignore[attr-defined]
    loop.set_exception_handler(handler)
