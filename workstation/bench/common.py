"""Shared pieces of `workstation bench`: results, percentiles, CPU and wall timers, a paper Desk.

Measurement rules: latency with ``time.perf_counter_ns``, CPU with ``time.process_time_ns`` (this
process, every thread), memory with ``resource.getrusage`` (peak RSS) or tracemalloc. No figure is
ever asserted on: a result carries its figures, its baseline's figures (measured in the same run),
the goal, and a pass/miss flag computed from the figures.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator


@dataclass
class Result:
    key: str
    title: str
    figures: dict[str, Any]
    baseline_name: str
    baseline: dict[str, Any]
    goal: str
    passed: bool | None  # None: no goal to judge against
    elapsed_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # table: (figure, measured, baseline)

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "figures": self.figures,
                "baseline": {"name": self.baseline_name, "figures": self.baseline},
                "goal": self.goal, "pass": self.passed, "elapsed_s": round(self.elapsed_s, 2),
                "notes": self.notes}


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank on the sorted values; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[min(rank, len(ordered)) - 1])


def r(value: float, digits: int = 3) -> float:
    return round(float(value), digits)


def ms(ns: float) -> float:
    return ns / 1e6


@dataclass
class Meter:
    """Wall and CPU time of a block; CPU is the whole process (what a core would be busy with)."""

    wall_ns: int = 0
    cpu_ns: int = 0

    @contextmanager
    def measure(self) -> Iterator[None]:
        w, c = time.perf_counter_ns(), time.process_time_ns()
        try:
            yield
        finally:
            self.wall_ns += time.perf_counter_ns() - w
            self.cpu_ns += time.process_time_ns() - c


class CpuShare:
    """CPU spent inside some object's async methods (the simulated venue's own work), to tell it apart
    from the workstation's: wraps the methods on the instance, accumulates process CPU around each await."""

    def __init__(self, target: Any, names: list[str]):
        self.cpu_ns = 0
        self.calls = 0
        self.by_name: dict[str, int] = {}
        for name in names:
            setattr(target, name, self._wrap(name, getattr(target, name)))

    def _wrap(self, name: str, fn: Any) -> Any:
        async def wrapped(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            self.by_name[name] = self.by_name.get(name, 0) + 1
            c = time.process_time_ns()
            try:
                return await fn(*args, **kwargs)
            finally:
                self.cpu_ns += time.process_time_ns() - c
        return wrapped

    def reset(self) -> None:
        self.cpu_ns = 0
        self.calls = 0
        self.by_name = {}


@contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    """A scratch directory under the user's data dir's parent filesystem when possible, so that a
    journal's fsync costs what it costs on the disk the real journal lives on."""
    from ..paths import data_dir

    base = data_dir()
    try:
        base.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    except OSError:
        path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


OPEN_LIMITS = dict(orders_per_s=1_000_000, cancels_per_s=1_000_000, duplicate_window_s=0.0,
                   max_open_orders=1_000_000, daily_loss_limit=Decimal(10) ** 12,
                   max_position_notional=Decimal(10) ** 12, max_order_notional=Decimal(10) ** 9)
RICH_BALANCES = {"USDT": "1000000000", "BTC": "10000", "ETH": "100000", "SOL": "1000000"}


def paper_desk(path: Path, *, symbols: list[str] | None = None, limits: dict[str, Any] | None = None,
               balances: dict[str, str] | None = None, specs: Any = None, clock: Any = None, seed: int = 5):
    """A Desk on a paper exchange with no latency and no wall-clock stepping (the bench drives time).

    ``limits``: risk limits to open up (the bench measures costs, not the gate's refusals); the gate's
    checks still all run."""
    from ..desk.desk import Desk, DeskSettings
    from ..desk.journal import Journal
    from ..desk.risk import RiskGate, RiskLimits
    from ..venues.ccxt_venue import ExchangeVenue
    from ..venues.paper.exchange import PaperExchange

    kwargs: dict[str, Any] = {"specs": specs} if specs is not None else {}
    exchange = PaperExchange(seed=seed, latency=None, rate_limit=10 ** 9, balances=balances, **kwargs)
    venue = ExchangeVenue("paper", exchange, "paper", rate_capacity=10 ** 9, read_retries=1)
    gate = RiskGate(default_limits=RiskLimits(**limits)) if limits else None
    desk = Desk({"paper": venue}, Journal(path), gate=gate, clock=clock,
                settings=DeskSettings(stream_retry_s=0.0), symbols={"paper": symbols or ["BTC/USDT"]})
    return desk, venue, exchange
