"""The paper venue's clock: simulated time paced by the machine's monotonic clock.

At speed 1 simulated time must not drift from the wall clock, however busy the event loop is:
each tick advances the simulation by the monotonic time elapsed since the clock was anchored
(times the speed), not by a fixed step per `asyncio.sleep`, which a loaded loop stretches.

A long gap (a laptop that slept, a process suspended, a restart after hours) is not simulated
in full: only the last `CATCH_UP_MS` of it is (in steps of at most `MAX_STEP_MS`, so resting
orders fill, stops fire and positions liquidate as they would have); the time before that is
skipped with the market standing still, like a venue halted for maintenance.
"""

from __future__ import annotations

import time
from collections.abc import Callable

TICK_S = 0.1  # how often the background task wakes
MAX_STEP_MS = 1_000  # the most simulated time one market step covers
CATCH_UP_MS = 600_000  # the most simulated time one catch-up replays; older time is skipped


def catch_up(now_ms: int, target_ms: int, step: Callable[[int], None], skip: Callable[[int], None],
             max_step_ms: int = MAX_STEP_MS, limit_ms: int = CATCH_UP_MS) -> int:
    """Bring simulated time from now_ms to target_ms: skip what is older than `limit_ms`, step the
    rest in pieces of at most `max_step_ms`. Returns the simulated ms skipped (not stepped)."""
    gap = target_ms - now_ms
    if gap <= 0:
        return 0
    skipped = max(0, gap - limit_ms)
    if skipped:
        skip(skipped)
        gap -= skipped
    while gap > 0:
        dt = min(gap, max_step_ms)
        step(dt)
        gap -= dt
    return skipped


class Pacer:
    """Where simulated time should be now: anchor + monotonic elapsed x speed."""

    def __init__(self, speed: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._monotonic = monotonic
        self._anchor_mono = 0.0
        self._anchor_sim = 0

    def anchor(self, sim_ms: int) -> None:
        self._anchor_mono = self._monotonic()
        self._anchor_sim = sim_ms

    def target(self) -> int:
        return self._anchor_sim + int((self._monotonic() - self._anchor_mono) * 1000 * self.speed)
