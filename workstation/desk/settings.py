"""The Desk's own settings and the per-venue state the status bar shows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class VenueState:
    name: str
    environment: str
    connected: bool
    last_error: str | None
    rate_remaining: int
    rate_capacity: int
    last_reconcile_ms: int | None
    reconcile_ok: bool | None
    differences: int
    streams_ok: bool
    refresh: str = ""  # the refresh cadence the rate budget allows (desk/refresh_plan.py)
    streams: str = ""  # "live", or which stream is down and what stands in for it (desk/stream_health.py)


@dataclass
class DeskSettings:
    refresh_interval_s: float = 3.0
    in_doubt_grace_s: float = 30.0
    in_doubt_poll_s: float = 0.5
    stream_retry_s: float = 1.0  # pause before resubscribing a dropped private stream (polling covers the gap)
    send_retries: int = 2  # only for refusals that prove nothing was placed (429, maintenance)
    book_depth: int = 25
    book_quiet_s: float = 2.0  # a depth stream silent this long: confirm the book (heartbeat or REST snapshot)
    proposal_expiry_s: float = 120.0  # a copilot proposal older than this must be re-staged
    price_tolerance_bps: Decimal = Decimal("50")  # ... and so must one whose market moved more than this
    human_expiry_s: float = 0.0  # a human-staged order left waiting this long expires too (0 = never)
    kill_wait_s: float = 10.0  # the kill switch waits this long for sends already on their way to be answered
