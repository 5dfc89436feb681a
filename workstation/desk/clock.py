"""Time for the Desk: wall clock for display and export, monotonic for latency. Injectable for tests."""

from __future__ import annotations

import time


class Clock:
    def wall_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def mono_ns(self) -> int:
        return time.monotonic_ns()


class ManualClock(Clock):
    """A clock that moves only when told: deterministic tests and soak runs."""

    def __init__(self, wall_ms: int = 1_767_225_600_000):
        self._wall_ms = wall_ms
        self._mono_ns = 0

    def advance(self, ms: int) -> None:
        self._wall_ms += ms
        self._mono_ns += ms * 1_000_000

    def wall_ms(self) -> int:
        return self._wall_ms

    def mono_ns(self) -> int:
        return self._mono_ns
