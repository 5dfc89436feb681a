"""The copilot's read tool over venue profiles: ``get_venue_profiles`` (registered by one line in catalogue.py).

Read only: it returns profiles (fees, depth bands, spread, limits, status, streams, rate budget), it can neither
stage nor send. Venue text (the last error) goes through ``text``: data, never instructions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .results import ToolResult, text
from .schema import Arguments, Text
from .view import ViewError

DESCRIPTION = (
    "Venue profiles: per venue and symbol, the maker/taker fee this account pays (fee_source account, else "
    "published), depth within 10, 50 and 100 bps of the mid on each side (base and quote; at_least = the book "
    "ends inside the band), spread, tick, lot, minimum notional, leverage limit, instrument kind, the venue's "
    "status and maintenance time, streams and the rate budget left. Use it to choose where to trade.")


class VenueProfilesArguments(Arguments):
    venue: Text("venue name; omit for every venue", 40, 1) | None = None
    symbol: Text("market symbol; omit for every watched symbol", 40, 1) | None = None


_KEEP = ("venue", "symbol", "environment", "kind", "settle", "contract_size", "tick", "lot", "min_amount",
         "min_notional", "max_leverage", "maker_fee", "taker_fee", "fee_source", "mid", "spread_bps", "depth",
         "active", "status", "maintenance_eta_ms", "connected", "streams", "last_error", "rate_remaining",
         "rate_capacity")


async def get_venue_profiles(session: Any, args: dict[str, Any]) -> ToolResult:
    """The rows for the model; ViewError (the catalogue's "unknown_market") when nothing matches."""
    rows = await session.view.venue_profiles(args.get("venue"), args.get("symbol"))
    if not rows:
        known = sorted({(v, s) for v, s in session.view.watched()})
        raise ViewError("no watched market matches; watched: " + ", ".join(f"{v}:{s}" for v, s in known[:12]))
    out = []
    for row in rows:
        kept = {k: row[k] for k in _KEEP}
        kept["spread_bps"] = None if kept["spread_bps"] is None else kept["spread_bps"].quantize(Decimal("0.01"))
        kept["last_error"] = text(kept["last_error"])
        out.append(kept)
    return ToolResult("get_venue_profiles", True, out)
