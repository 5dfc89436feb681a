"""What a soak reports: the invariants (each must be 0), what was exercised, and how fast it ran."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .referee import INVARIANTS

MAX_CONVERGE_REFRESHES = 12  # 36 s of refreshes: past the Desk's 30 s in-doubt grace
EXERCISED = ("modifies", "contingent_orders", "process_kills", "denied")


@dataclass
class SoakResult:
    seed: int = 0
    invariants: dict[str, int] = field(default_factory=lambda: dict.fromkeys(INVARIANTS, 0))
    orders: int = 0
    modifies: int = 0
    contingent_orders: int = 0
    process_kills: int = 0
    denied: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    kills: dict[str, int] = field(default_factory=dict)
    order_types: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)  # the Desk's answers to refused verbs
    requests: dict[str, int] = field(default_factory=dict)  # the Desk's requests that reached the venue, by method
    kill_switch: list[dict[str, Any]] = field(default_factory=list)
    refreshes_to_converge: int = 0
    converge_phases: int = 0
    checks: int = 0
    elapsed_s: float = 0.0
    cpu_s: float = 0.0
    venue_time_s: float = 0.0
    examples: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def faults_injected(self) -> int:
        return sum(self.faults.values())

    @property
    def orders_per_s(self) -> float:
        return self.orders / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def ok(self) -> bool:
        return not any(self.invariants.values()) and self.refreshes_to_converge <= MAX_CONVERGE_REFRESHES \
            and not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {**self.invariants, "orders": self.orders, "modifies": self.modifies,
                "contingent_orders": self.contingent_orders, "process_kills": self.process_kills,
                "denied": sum(self.denied.values()), "faults_injected": self.faults_injected,
                "orders_per_s": round(self.orders_per_s, 1), "refreshes_to_converge": self.refreshes_to_converge,
                "elapsed_s": round(self.elapsed_s, 2), "cpu_s": round(self.cpu_s, 1), "seed": self.seed,
                "venue_time_s": round(self.venue_time_s, 1),
                "converge_phases": self.converge_phases, "checks": self.checks, "denied_by_rule": self.denied,
                "faults": self.faults, "kills": self.kills, "order_types": self.order_types,
                "actions": self.actions, "outcomes": self.outcomes, "refused": self.refused, "requests": self.requests,
                "kill_switch": self.kill_switch[:5],
                "examples": self.examples, "problems": self.problems[:20], "ok": self.ok}

    def text(self) -> str:
        d = self.as_dict()
        lines = [f"{key:26} {d[key]:>10}   {'ok' if d[key] == 0 else 'BROKEN'}" for key in INVARIANTS]
        lines += [f"{key:26} {d[key]:>10}   {'ok' if d[key] > 0 else 'NOT EXERCISED'}" for key in EXERCISED]
        lines += [f"{key:26} {d[key]:>10}" for key in ("orders", "faults_injected", "orders_per_s",
                                                        "refreshes_to_converge", "elapsed_s")]
        lines.append("faults: " + ", ".join(f"{k} {v}" for k, v in d["faults"].items()))
        lines.append("denied: " + ", ".join(f"{k} {v}" for k, v in sorted(self.denied.items())))
        for name, examples in self.examples.items():
            lines += [f"{name}: {text}" for text in examples[:3]]
        lines += [f"problem: {p}" for p in self.problems[:20]]
        lines.append("OK" if self.ok else "INVARIANT BROKEN")
        return "\n".join(lines)
