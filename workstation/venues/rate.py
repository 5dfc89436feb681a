"""The rate budget of one account: calls in the last minute against the venue's capacity."""

from __future__ import annotations

import time
from collections import deque


class RateBudget:
    """Calls in the last minute against a capacity. Polling slows down as it runs low."""

    def __init__(self, capacity_per_minute: int):
        self.capacity = capacity_per_minute
        self._calls: deque[float] = deque()

    def spend(self, weight: int = 1) -> None:
        now = time.monotonic()
        for _ in range(weight):
            self._calls.append(now)

    def remaining(self) -> int:
        cutoff = time.monotonic() - 60.0
        while self._calls and self._calls[0] < cutoff:
            self._calls.popleft()
        return max(self.capacity - len(self._calls), 0)

    @property
    def fraction_left(self) -> float:
        return self.remaining() / self.capacity if self.capacity else 1.0

    def exhaust(self, seconds: float) -> None:
        """A 429: the venue says we spent it all. Count the budget as gone for ``seconds`` so polling slows."""
        now = time.monotonic() - 60.0 + seconds
        for _ in range(max(self.remaining(), 0)):
            self._calls.append(now)
