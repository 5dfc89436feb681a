"""Benchmark 5, the paper exchange: orders and market events per second it sustains.

Orders: through its ccxt face (no latency, no faults), a mix per round of one resting limit order,
one market order (walks the book, fills, alternating sides) and one cancel. Market: ``step(100)``
with every market moving (mid walk, book refill, other traders' flow): steps, book updates and
simulated seconds per real second.

Baseline, in the same run: the soak (``workstation soak``'s engine, faults off) driving the same
exchange through the whole Desk: the orders per second a soak test gets. The goal: the exchange is
never what makes a soak slow: it sustains at least 10x the soak's order rate, and simulates market
time at least 100x faster than real time.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from .common import RICH_BALANCES, Result, r

ORDER_FACTOR = 10
SIM_FACTOR = 100


async def _orders(rounds: int) -> dict:
    from ..venues.paper.exchange import PaperExchange

    ex = PaperExchange(seed=9, latency=None, rate_limit=10 ** 9, balances=RICH_BALANCES)
    symbol = "BTC/USDT"
    book = await ex.fetch_order_book(symbol, 5)
    below = book["bids"][0][0] * Decimal("0.97")
    orders = 0
    c, w = time.process_time_ns(), time.perf_counter_ns()
    for i in range(rounds):
        placed = await ex.create_order(symbol, "limit", "buy", Decimal("0.001"), ex.price_to_precision(symbol, below))
        await ex.create_order(symbol, "market", "buy" if i % 2 == 0 else "sell", Decimal("0.001"))
        await ex.cancel_order(placed["id"], symbol)
        orders += 2
        if i % 50 == 0:
            ex.step(100)  # the book refills
    cpu_s = (time.process_time_ns() - c) / 1e9
    wall_s = (time.perf_counter_ns() - w) / 1e9
    return {"orders": orders, "orders_per_s": r(orders / wall_s, 0), "requests_per_s": r(3 * rounds / wall_s, 0),
            "cpu_us_per_order": r(cpu_s / orders * 1e6, 1)}


def _market(steps: int) -> dict:
    from ..venues.paper.exchange import PaperExchange

    ex = PaperExchange(seed=9, latency=None)
    markets = list(ex.sim.markets.values())
    versions = sum(m.version for m in markets)
    w = time.perf_counter_ns()
    for _ in range(steps):
        ex.step(100)
    wall_s = (time.perf_counter_ns() - w) / 1e9
    updates = sum(m.version for m in markets) - versions
    return {"markets": len(markets), "steps_per_s": r(steps / wall_s, 0),
            "book_updates_per_s": r(updates / wall_s, 0),
            "sim_speedup": r(steps * 0.1 / wall_s, 0)}


async def _soak(orders: int) -> dict:
    from ..soak import Soak

    soak = Soak(orders, seed=2, faults={}, crash_every=10 ** 9)
    result = await soak.run()
    return {"orders": result.orders, "orders_per_s": r(result.orders_per_s, 0)}


def run(quick: bool) -> Result:
    started = time.perf_counter()
    figures = asyncio.run(_orders(1000 if quick else 5000))
    figures.update(_market(1000 if quick else 5000))
    baseline = asyncio.run(_soak(200 if quick else 1000))
    figures["x_soak_rate"] = r(figures["orders_per_s"] / max(baseline["orders_per_s"], 1), 1)
    passed = figures["x_soak_rate"] >= ORDER_FACTOR and figures["sim_speedup"] >= SIM_FACTOR
    result = Result("paper_exchange", "Paper exchange", figures, "a soak through the whole Desk (faults off)",
                    baseline, f">= {ORDER_FACTOR}x the soak's order rate; market time >= {SIM_FACTOR}x real time",
                    passed, time.perf_counter() - started)
    result.rows = [
        ("orders / s", f"{figures['orders_per_s']:,.0f} ({figures['x_soak_rate']:g}x)", f"{baseline['orders_per_s']:,.0f}"),
        ("CPU µs per order", f"{figures['cpu_us_per_order']:g}", ""),
        (f"market steps / s ({figures['markets']} markets)", f"{figures['steps_per_s']:,.0f}", ""),
        ("book updates / s", f"{figures['book_updates_per_s']:,.0f}", ""),
        ("simulated time vs real", f"{figures['sim_speedup']:,.0f}x", ""),
    ]
    return result
