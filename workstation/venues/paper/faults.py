"""Switchable faults, each with a probability, drawn from their own seeded RNG.

A separate RNG keeps the market path identical whether faults are on or off; an RNG
draw is only spent when a fault's probability is above zero.
"""

from __future__ import annotations

import random

FAULT_NAMES: tuple[str, ...] = (
    "timeout_after_accept",  # create/cancel/edit applied, then RequestTimeout
    "rate_limit",  # 429 before anything is applied
    "server_error",  # 503 before anything is applied
    "drop_fill_message",  # fill recorded, never pushed on watch_orders/watch_my_trades
    "stream_disconnect",  # a watch_* call raises NetworkError; pending pushes are lost
    "maintenance",  # opens a window during which every private call is refused
)


class FaultInjector:
    def __init__(self, seed: int, probabilities: dict[str, float] | None = None,
                 maintenance_ms: int = 30_000) -> None:
        self._rng = random.Random(f"faults:{seed}")
        self._p: dict[str, float] = dict.fromkeys(FAULT_NAMES, 0.0)
        self.counts: dict[str, int] = dict.fromkeys(FAULT_NAMES, 0)
        self.maintenance_ms = maintenance_ms
        self.maintenance_until: int | None = None
        for name, p in (probabilities or {}).items():
            self.set(name, p)

    def set(self, name: str, probability: float) -> None:
        if name not in self._p:
            raise ValueError(f"unknown fault {name!r}; valid faults: {', '.join(FAULT_NAMES)}")
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"fault probability must be within [0, 1], got {probability}")
        self._p[name] = float(probability)

    @property
    def probabilities(self) -> dict[str, float]:
        return dict(self._p)

    def roll(self, name: str) -> bool:
        """True when the fault fires now (and counts it)."""
        p = self._p[name]
        if p <= 0.0 or self._rng.random() >= p:
            return False
        self.counts[name] += 1
        return True

    def in_maintenance(self, now_ms: int) -> bool:
        """Whether a private call at now_ms is refused; may open a new window."""
        if self.maintenance_until is not None and now_ms < self.maintenance_until:
            self.counts["maintenance"] += 1
            return True
        self.maintenance_until = None
        if self.roll("maintenance"):
            self.maintenance_until = now_ms + self.maintenance_ms
            return True
        return False

    def start_maintenance(self, now_ms: int, duration_ms: int | None = None) -> None:
        self.maintenance_until = now_ms + (self.maintenance_ms if duration_ms is None else duration_ms)
