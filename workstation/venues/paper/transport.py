"""What the wire adds to every call: latency and the venue's rate limit."""

from __future__ import annotations

import random


class LatencyModel:
    """Lognormal per-call latency; its own RNG so it never perturbs the market path."""

    def __init__(self, median_ms: float = 40.0, sigma: float = 0.5, seed: int = 1) -> None:
        if median_ms < 0 or sigma < 0:
            raise ValueError("median_ms and sigma must be >= 0")
        self.median_ms = median_ms
        self.sigma = sigma
        self._rng = random.Random(f"latency:{seed}")

    def sample_ms(self) -> float:
        if self.median_ms == 0:
            return 0.0
        return self.median_ms * self._rng.lognormvariate(0.0, self.sigma)


class TokenBucket:
    """Request weight per window of simulated time, refilled continuously.

    Kept in integer units of weight*window_ms so refills are exact at any dt.
    """

    def __init__(self, capacity: int = 1200, window_ms: int = 60_000, now_ms: int = 0) -> None:
        if capacity <= 0 or window_ms <= 0:
            raise ValueError("capacity and window_ms must be > 0")
        self.capacity = capacity
        self.window_ms = window_ms
        self._level = capacity * window_ms
        self._at = now_ms

    def _refill(self, now_ms: int) -> None:
        if now_ms > self._at:
            full = self.capacity * self.window_ms
            self._level = min(full, self._level + (now_ms - self._at) * self.capacity)
            self._at = now_ms

    def take(self, weight: int, now_ms: int) -> bool:
        self._refill(now_ms)
        cost = weight * self.window_ms
        if self._level < cost:
            return False
        self._level -= cost
        return True

    def remaining(self, now_ms: int) -> int:
        self._refill(now_ms)
        return self._level // self.window_ms
