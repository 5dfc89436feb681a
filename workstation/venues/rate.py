"""The rate budget of one account: what was spent in the last minute against the venue's capacity, in ccxt's
own cost units (each request weighs what ccxt's rate limiter charges for it: a Binance openOrders without a
symbol 16, with one 1.2, an account read 4; capacity 60,000 / rateLimit ms a minute)."""

from __future__ import annotations

import time
from collections import deque


class RateBudget:
    """Weighted spend in the last minute against a capacity. Polling slows down as it runs low."""

    def __init__(self, capacity_per_minute: int):
        self.capacity = capacity_per_minute
        self._spent: deque[tuple[float, float]] = deque()  # (monotonic time, weight)
        self._total = 0.0

    def spend(self, weight: float = 1) -> None:
        self._spent.append((time.monotonic(), float(weight)))
        self._total += weight

    def _expire(self) -> None:
        cutoff = time.monotonic() - 60.0
        while self._spent and self._spent[0][0] < cutoff:
            self._total -= self._spent.popleft()[1]
        if not self._spent:
            self._total = 0.0  # no float drift once everything has expired

    def spent(self) -> float:
        self._expire()
        return self._total

    def remaining(self) -> int:
        return max(int(self.capacity - self.spent()), 0)

    @property
    def fraction_left(self) -> float:
        return self.remaining() / self.capacity if self.capacity else 1.0

    def exhaust(self, seconds: float) -> None:
        """A 429: the venue says we spent it all. Count the budget as gone for ``seconds`` so polling slows."""
        left = self.capacity - self.spent()
        if left > 0:
            self._spent.append((time.monotonic() - 60.0 + seconds, left))
            self._total += left
