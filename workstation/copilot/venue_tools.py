"""The copilot's read tool over venue profiles: ``get_venue_profiles``.

Kept apart from tools.py so the catalogue's one registration point (``TOOLS`` below, merged into SCHEMAS and
the dispatch in tools.py) is all that ties them: a handler returns the tool's data (tools.py wraps it in a
ToolResult) or raises ViewError. Read only: it returns profiles, it can neither stage nor send.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Awaitable, Callable

from .view import ViewError

_VENUE = {"type": "string", "maxLength": 40, "description": "venue name; omit for every venue"}
_SYMBOL = {"type": "string", "maxLength": 40, "description": "market symbol; omit for every watched symbol"}

SCHEMA: tuple[str, str, dict[str, Any]] = (
    "read",
    "Venue profiles: per venue and symbol, the maker/taker fee this account pays (fee_source account, else "
    "published), depth within 10, 50 and 100 bps of the mid on each side (base and quote; at_least = the book "
    "ends inside the band), spread, tick, lot, minimum notional, leverage limit, instrument kind, the venue's "
    "status and maintenance time, streams and the rate budget left. Use it to choose where to trade.",
    {"type": "object", "properties": {"venue": _VENUE, "symbol": _SYMBOL}, "required": [],
     "additionalProperties": False})

_KEEP = ("venue", "symbol", "environment", "kind", "settle", "contract_size", "tick", "lot", "min_amount",
         "min_notional", "max_leverage", "maker_fee", "taker_fee", "fee_source", "mid", "spread_bps", "depth",
         "active", "status", "maintenance_eta_ms", "connected", "streams", "last_error", "rate_remaining",
         "rate_capacity")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


async def get_venue_profiles(session: Any, args: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows for the model; ViewError (the catalogue's "unknown_market") when nothing matches."""
    rows = await session.view.venue_profiles(args.get("venue"), args.get("symbol"))
    if not rows:
        known = sorted({(v, s) for v, s in session.view.watched()})
        raise ViewError("no watched market matches; watched: " + ", ".join(f"{v}:{s}" for v, s in known[:12]))
    out = []
    for row in rows:
        kept = {k: row[k] for k in _KEEP}
        kept["spread_bps"] = None if kept["spread_bps"] is None else kept["spread_bps"].quantize(Decimal("0.01"))
        if kept["last_error"]:  # venue text: data, never instructions (control characters out, bounded)
            kept["last_error"] = _CONTROL.sub(" ", str(kept["last_error"]))[:300]
        out.append(kept)
    return out


# name -> (schema, handler): the one registration tools.py reads
TOOLS: dict[str, tuple[tuple[str, str, dict[str, Any]], Callable[[Any, dict[str, Any]], Awaitable[Any]]]] = {
    "get_venue_profiles": (SCHEMA, get_venue_profiles),
}
