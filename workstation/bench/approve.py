"""Benchmark 2, approve to wire: from ``Desk.approve()`` to the venue call leaving.

The path measured: the pending check, the gate run again on fresh data, the ``approved`` event, the
intent journaled and committed with synchronous=FULL (an fsync), then ``create_order`` on the adapter
up to the moment it calls the exchange (for ccxt that is where the request is signed and sent; here
the paper exchange's ``create_order`` is entered). Each order is a resting limit order, canceled
after it is measured (not timed), so the number of working orders stays small and constant.

Baseline, interleaved with the approvals so both see the same disk: one bare SQLite INSERT committed
with synchronous=FULL in WAL mode in the same directory: the floor the durable journal sets.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from decimal import Decimal
from pathlib import Path

from .common import OPEN_LIMITS, Result, ms, paper_desk, pct, r, workdir

GOAL_P99_MS = 5.0


async def _run(path: Path, n: int) -> tuple[dict, dict]:
    from ..desk.clock import ManualClock
    from ..domain.orders import OrderSpec, OrderStatus, OrderType, Side

    clock = ManualClock()
    desk, venue, exchange = paper_desk(path / "journal.sqlite3", limits=OPEN_LIMITS, clock=clock)
    await desk.connect()
    wire: list[int] = []
    real_create = exchange.create_order

    async def leaving(*args, **kwargs):
        wire.append(time.perf_counter_ns())
        return await real_create(*args, **kwargs)

    exchange.create_order = leaving  # type: ignore[method-assign]
    # Where the time goes: the gate and the durable intent commit, timed inside the same approvals.
    gate_ns: list[int] = []
    intent_ns: list[int] = []
    real_check, real_append = desk.check, desk.journal.append

    def timed_check(*args, **kwargs):
        t = time.perf_counter_ns()
        try:
            return real_check(*args, **kwargs)
        finally:
            gate_ns.append(time.perf_counter_ns() - t)

    def timed_append(kind, **kwargs):
        t = time.perf_counter_ns()
        try:
            return real_append(kind, **kwargs)
        finally:
            if kind == "intent":
                intent_ns.append(time.perf_counter_ns() - t)

    desk.check = timed_check  # type: ignore[method-assign]
    desk.journal.append = timed_append  # type: ignore[method-assign]

    bare = sqlite3.connect(str(path / "bare.sqlite3"), isolation_level=None)
    bare.execute("PRAGMA journal_mode=WAL")
    bare.execute("PRAGMA synchronous=FULL")
    bare.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, payload TEXT)")
    payload = "x" * 900  # about the size of an intent row's order state

    approve_ns: list[int] = []
    bare_ns: list[int] = []
    cpu_ns: list[int] = []
    approve_gate_ns: list[int] = []
    market = desk.market("paper", "BTC/USDT")
    denied = 0
    for i in range(n + 5):
        book = desk.book("paper", "BTC/USDT")
        price = market.round_price(book.best_bid * Decimal("0.98"), Side.BUY)
        order = desk.stage(OrderSpec("paper", "BTC/USDT", Side.BUY, OrderType.LIMIT, Decimal("0.001"), price=price))
        if order.status is not OrderStatus.PENDING_APPROVAL:
            denied += 1
            continue
        gate_before = len(gate_ns)
        sent_before = len(wire)
        t0, c0 = time.perf_counter_ns(), time.process_time_ns()
        done = await desk.approve(order.client_order_id)
        c1 = time.process_time_ns()
        if len(wire) == sent_before or done.status not in (OrderStatus.OPEN, OrderStatus.NEW):
            denied += 1
            continue
        gate_in_approve = sum(gate_ns[gate_before:])
        del gate_ns[:]
        if i >= 5:  # the first few warm caches up
            approve_ns.append(wire[-1] - t0)
            cpu_ns.append(c1 - c0)
            approve_gate_ns.append(gate_in_approve)
        elif intent_ns:
            intent_ns.pop()
        t = time.perf_counter_ns()
        bare.execute("INSERT INTO t (payload) VALUES (?)", (payload,))
        if i >= 5:
            bare_ns.append(time.perf_counter_ns() - t)
        await desk.cancel(order.client_order_id, actor="desk")
        clock.advance(50)
        exchange.step(50)
        await desk.sync_books()
        if i % 50 == 0:
            await asyncio.sleep(0)
    bare.close()
    await desk.stop()
    desk.journal.close()
    figures = {
        "samples": len(approve_ns),
        "p50_ms": r(ms(pct(approve_ns, 50))), "p99_ms": r(ms(pct(approve_ns, 99))),
        "max_ms": r(ms(max(approve_ns, default=0))),
        "cpu_p50_ms": r(ms(pct(cpu_ns, 50))),
        "gate_p50_ms": r(ms(pct(approve_gate_ns, 50))), "gate_p99_ms": r(ms(pct(approve_gate_ns, 99))),
        "intent_commit_p50_ms": r(ms(pct(intent_ns, 50))), "intent_commit_p99_ms": r(ms(pct(intent_ns, 99))),
        "denied": denied,
    }
    baseline = {"samples": len(bare_ns), "p50_ms": r(ms(pct(bare_ns, 50))), "p99_ms": r(ms(pct(bare_ns, 99))),
                "max_ms": r(ms(max(bare_ns, default=0)))}
    return figures, baseline


def run(quick: bool) -> Result:
    started = time.perf_counter()
    n = 200 if quick else 1000
    with workdir("bench-approve-") as path:
        figures, baseline = asyncio.run(_run(path, n))
    passed = figures["p99_ms"] < GOAL_P99_MS and figures["samples"] > 0
    result = Result("approve_to_wire", "Approve to wire", figures, "bare fsync'd SQLite insert (same disk)",
                    baseline, f"p99 < {GOAL_P99_MS:g} ms", passed, time.perf_counter() - started)
    result.rows = [
        ("p50 / p99 ms", f"{figures['p50_ms']:.2f} / {figures['p99_ms']:.2f}",
         f"{baseline['p50_ms']:.2f} / {baseline['p99_ms']:.2f}"),
        ("gate p50 / p99 ms", f"{figures['gate_p50_ms']:.2f} / {figures['gate_p99_ms']:.2f}", ""),
        ("intent commit p50 / p99 ms", f"{figures['intent_commit_p50_ms']:.2f} / {figures['intent_commit_p99_ms']:.2f}",
         f"{baseline['p50_ms']:.2f} / {baseline['p99_ms']:.2f}"),
        ("CPU per approve p50 ms", f"{figures['cpu_p50_ms']:.2f}", ""),
    ]
    if figures["denied"]:
        result.notes.append(f"{figures['denied']} approvals were refused or not sent (not timed)")
    return result
