"""Time in the Desk's process: the venue's clock, moved only by the parent, and an event loop that says
when it has nothing to do.

The child never sleeps for real. Its wall clock, its monotonic clock and therefore asyncio's timers read
the venue's simulated time as the parent last sent it (every parent message carries it). When the
child's event loop has nothing ready to run it is about to wait in select(); ``IdleSelector`` tells the
parent so first, with the moment its next timer is due. The parent then moves the venue's clock (and
the child's with it) to that moment, or past it, and a retry back-off of 0.25 s or a 3 s refresh timer
costs no wall time at all.
"""

from __future__ import annotations

import math
import selectors
import time
from typing import Callable


class VirtualTime:
    """The venue's clock as the child knows it. Never goes backwards.

    Monotonic time counts from ``epoch_ms`` (the soak's start, the same for every Desk process). It must
    stay a small number: asyncio pops a timer when ``when < time() + 1e-9``, and at 1.7e9 seconds a
    float cannot tell 1e-9 apart, so a timer due *now* would never run and the loop would spin."""

    def __init__(self, now_ms: int, epoch_ms: int):
        self.now_ms = int(now_ms)
        self.epoch_ms = int(epoch_ms)

    def set(self, now_ms: int) -> None:
        if now_ms > self.now_ms:
            self.now_ms = int(now_ms)

    def time(self) -> float:
        return self.now_ms / 1000

    def time_ns(self) -> int:
        return self.now_ms * 1_000_000

    def monotonic(self) -> float:
        return (self.now_ms - self.epoch_ms) / 1000

    def monotonic_ns(self) -> int:
        return (self.now_ms - self.epoch_ms) * 1_000_000

    def due_ms(self, timeout_s: float) -> int:
        """The venue time at which a timer ``timeout_s`` from now is due (rounded up, never early)."""
        return self.now_ms + max(1, math.ceil(timeout_s * 1000) + 1)


def install(clock: VirtualTime) -> None:
    """Make every clock in this process (the Desk's, the adapter's, the journal's, asyncio's) the venue's.
    Only ever called in the soak's child process, which exists for nothing else."""
    time.time = clock.time
    time.time_ns = clock.time_ns
    time.monotonic = clock.monotonic
    time.monotonic_ns = clock.monotonic_ns


class IdleSelector(selectors.DefaultSelector):  # type: ignore[misc, valid-type]
    """A selector that calls ``on_idle(timeout)`` whenever the loop would block (timeout None or > 0)."""

    def __init__(self) -> None:
        super().__init__()
        self.on_idle: Callable[[float | None], None] | None = None

    def select(self, timeout: float | None = None):  # type: ignore[override]
        if self.on_idle is not None and (timeout is None or timeout > 0):
            self.on_idle(timeout)
        return super().select(timeout)
