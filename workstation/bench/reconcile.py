"""Benchmark 3, reconcile: venue calls and CPU per refresh with N open orders, against the naive way.

Set-up (not timed): N resting limit orders are placed at the paper exchange, far from the touch, on a
frozen market (nothing fills), each entered in the Desk's ledger as the approve path leaves an
acknowledged order (sending 10,000 through the gate and the fsync'd journal would only slow the set-up). Then ``Desk.refresh()`` runs a few times and each run is measured:
the venue calls it made, the process CPU it took, and the CPU spent inside the paper exchange (the
venue's server-side work: building N order structures); the workstation's own CPU is the difference.

Baseline, the naive way, on the same Desk and venue: one look-up (``find_order`` -> fetch_order) per
open order plus the same balance / positions / trades calls, without even comparing anything.
"""

from __future__ import annotations

import asyncio
import gc
import time
from decimal import Decimal
from pathlib import Path

from .common import OPEN_LIMITS, RICH_BALANCES, CpuShare, Result, ms, paper_desk, r, workdir

GOAL_CPU_MS = 20.0
EXCHANGE_METHODS = ["fetch_open_orders", "fetch_balance", "fetch_positions", "fetch_my_trades", "fetch_order",
                    "fetch_closed_orders", "fetch_orders"]


async def _one(path: Path, n: int, refreshes: int, naive_rounds: int) -> tuple[dict, dict]:
    from ..domain.orders import Order, OrderSpec, OrderStatus, OrderType, Side
    from ..gc_tuning import settle_for_a_session

    threshold = gc.get_threshold()

    desk, venue, exchange = paper_desk(path / f"journal-{n}.sqlite3", limits=OPEN_LIMITS, balances=RICH_BALANCES)
    await desk.connect()
    settle_for_a_session()  # as `workstation run` does once the Desk has started (undone at the end)
    exchange.freeze()
    symbol = "BTC/USDT"
    market = desk.market("paper", symbol)
    book = desk.book("paper", symbol)
    top = book.best_bid
    for i in range(n):  # spread over many price levels, 10-40% under the touch
        price = market.round_price(top * (Decimal("0.9") - Decimal(i % 3000) / Decimal(10000)), Side.BUY)
        spec = OrderSpec("paper", symbol, Side.BUY, OrderType.LIMIT, Decimal("0.001"), price=price)
        order = Order(spec=spec, client_order_id=desk.journal.next_client_order_id(), status=OrderStatus.OPEN)
        raw = await exchange.create_order(symbol, "limit", "buy", spec.amount, price,
                                          {"clientOrderId": order.client_order_id})
        # As the approve path leaves an acknowledged order (without N gate runs and N fsyncs to get there).
        order.stamp("acked", desk.clock.wall_ms() - 60_000, desk.clock.mono_ns())
        desk.ledger.set_venue_id(order, raw["id"])
        venue.remember(raw["id"], order.client_order_id)
        desk.ledger.add(order, "bench_order", "bench")
    await desk.refresh()
    working = desk.ledger.working("paper")
    assert len(working) >= n, f"{len(working)} working orders, wanted {n}"

    share = CpuShare(exchange, EXCHANGE_METHODS)
    cpu, wall, calls, venue_cpu, report_calls = [], [], [], [], []
    for _ in range(refreshes):
        share.reset()
        w, c = time.perf_counter_ns(), time.process_time_ns()
        await desk.refresh()
        cpu.append(time.process_time_ns() - c)
        wall.append(time.perf_counter_ns() - w)
        calls.append(share.calls)
        venue_cpu.append(share.cpu_ns)
        last = desk.reconciler.last.get("paper")
        report_calls.append(last.calls if last else 0)

    # The naive way: a look-up per open order (plus the same account calls).
    ncpu, nwall, ncalls, nvenue = [], [], [], []
    for _ in range(naive_rounds):
        share.reset()
        w, c = time.perf_counter_ns(), time.process_time_ns()
        await venue.fetch_balance()
        await venue.fetch_positions()
        await venue.fetch_my_trades(None, None)
        for order in working:
            await venue.find_order(order.client_order_id, order.symbol, order.venue_order_id)
        ncpu.append(time.process_time_ns() - c)
        nwall.append(time.perf_counter_ns() - w)
        ncalls.append(share.calls)
        nvenue.append(share.cpu_ns)
    await desk.stop()
    desk.journal.close()
    gc.unfreeze()
    gc.set_threshold(*threshold)

    def median_run(*series: list[int]) -> list[int]:
        """The figures of the run with the median total CPU (one run's numbers, never mixed)."""
        i = sorted(range(len(series[0])), key=series[0].__getitem__)[len(series[0]) // 2]
        return [s[i] for s in series]

    c, v, w = median_run(cpu, venue_cpu, wall)
    figures = {"open_orders": len(working), "calls_per_refresh": max(calls), "reported_calls": max(report_calls),
               "cpu_ms": r(ms(c)), "venue_cpu_ms": r(ms(v)), "workstation_cpu_ms": r(ms(c - v)), "wall_ms": r(ms(w))}
    c, v, w = median_run(ncpu, nvenue, nwall)
    baseline = {"open_orders": len(working), "calls_per_refresh": max(ncalls), "cpu_ms": r(ms(c)),
                "venue_cpu_ms": r(ms(v)), "workstation_cpu_ms": r(ms(c - v)), "wall_ms": r(ms(w))}
    return figures, baseline


def run(quick: bool) -> Result:
    started = time.perf_counter()
    sizes = [10, 1000, 10000]
    figures: dict = {}
    baseline: dict = {}
    with workdir("bench-reconcile-") as path:
        for n in sizes:
            refreshes = 3 if quick else 7
            naive = 1 if (quick or n >= 10000) else 3
            figures[str(n)], baseline[str(n)] = asyncio.run(_one(path, n, refreshes, naive))
    calls = [figures[str(n)]["calls_per_refresh"] for n in sizes]
    constant = max(calls) == min(calls)
    at_max = figures[str(sizes[-1])]
    figures["calls_constant"] = constant
    passed = constant and at_max["workstation_cpu_ms"] < GOAL_CPU_MS
    result = Result("reconcile", "Reconcile", figures, "naive: one look-up per open order", baseline,
                    f"calls constant in N; < {GOAL_CPU_MS:g} ms CPU at {sizes[-1]:,} orders (workstation's share)",
                    passed, time.perf_counter() - started)
    for n in sizes:
        f, b = figures[str(n)], baseline[str(n)]
        result.rows.append((f"N={n:,}: calls / refresh", str(f["calls_per_refresh"]), str(b["calls_per_refresh"])))
        result.rows.append((f"N={n:,}: CPU ms (workstation + venue)",
                            f"{f['workstation_cpu_ms']:.1f} + {f['venue_cpu_ms']:.1f}",
                            f"{b['workstation_cpu_ms']:.1f} + {b['venue_cpu_ms']:.1f}"))
    result.notes.append("CPU is split: the workstation's (Desk, adapter) and the simulated venue's own work "
                        "(the paper exchange building its answers); the goal is on the workstation's share")
    return result
