"""Benchmark: the order ticket opening. The real app at 160x48 on a paper Desk; the ``buy`` action (what
the trader's ``b`` runs) to the end of the first frame that shows the ticket, wall time and process CPU.

The ticket is built once per session and re-used; the first open of a session builds it. Baseline: the
same ticket built afresh on every open (what every open cost before it was re-used).
Goal: an open under 100 ms.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from .common import Result, pct, r, workdir

GOAL_MS = 100.0


async def _run(path: Path, opens: int, fresh: bool) -> dict:
    from ..config import Config
    from ..desk.clock import ManualClock
    from ..desk.desk import Desk
    from ..desk.journal import Journal
    from ..ui import app as app_module
    from ..ui.app import WorkstationApp
    from ..ui.screens.ticket import TicketScreen
    from ..venues.ccxt_venue import ExchangeVenue
    from ..venues.paper.exchange import PaperExchange

    exchange = PaperExchange(seed=7, latency=None)
    venue = ExchangeVenue("paper", exchange, environment="paper")
    desk = Desk({"paper": venue}, Journal(path / f"ticket-{int(fresh)}.sqlite3"), clock=ManualClock(),
                symbols={"paper": ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BTC/USDT:USDT"]})
    frames: list = []

    class BenchApp(WorkstationApp):
        CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

        def _display(self, screen, renderable):
            super()._display(screen, renderable)
            if renderable is not None:
                from textual._compositor import CompositorUpdate
                if isinstance(renderable, CompositorUpdate):
                    renderable.render_segments(self.console)  # the terminal encoding headless skips
                frames.append(screen)

        def ticket_screen(self, symbols):
            if fresh:
                self._ticket = None
                if "ticket" in self._installed_screens:
                    self.uninstall_screen("ticket")
            return super().ticket_screen(symbols)

    app = BenchApp(desk, Config(), start_desk="connect", candles_every_s=3600, tape_every_s=3600, copilot=False)
    first = None
    walls, cpus = [], []
    async with app.run_test(size=(160, 48), headless=True) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        for i in range(opens + 1):
            await pilot.pause(0.2)
            frames.clear()
            w, c = time.perf_counter(), time.process_time()
            await app.main_screen.run_action("buy")  # what the b key runs (the pilot's press would add its own waits)
            while not any(isinstance(s, TicketScreen) for s in frames):
                await asyncio.sleep(0.001)
            wall, cpu = (time.perf_counter() - w) * 1000, (time.process_time() - c) * 1000
            if i == 0:
                first = (wall, cpu)
            else:
                walls.append(wall)
                cpus.append(cpu)
            await pilot.press("escape")
    await desk.stop()
    desk.journal.close()
    return {"first_open_ms": r(first[0], 1), "first_open_cpu_ms": r(first[1], 1), "opens": opens,
            "open_p50_ms": r(pct(walls, 50), 1), "open_p90_ms": r(pct(walls, 90), 1),
            "open_cpu_p50_ms": r(pct(cpus, 50), 1)}


def run(quick: bool) -> Result:
    started = time.perf_counter()
    opens = 6 if quick else 15
    with workdir("bench-ticket-") as path:
        figures = asyncio.run(_run(path, opens, fresh=False))
        baseline = asyncio.run(_run(path, opens, fresh=True))
    passed = figures["open_p50_ms"] < GOAL_MS
    result = Result("ticket_open", "Ticket opens", figures, "a ticket built afresh on every open", baseline,
                    f"b to the ticket on screen < {GOAL_MS:g} ms", passed, time.perf_counter() - started)
    f, b = figures, baseline
    result.rows += [
        ("open p50 / p90 ms (wall)", f"{f['open_p50_ms']:.0f} / {f['open_p90_ms']:.0f}",
         f"{b['open_p50_ms']:.0f} / {b['open_p90_ms']:.0f}"),
        ("open CPU p50 ms", f"{f['open_cpu_p50_ms']:.0f}", f"{b['open_cpu_p50_ms']:.0f}"),
        ("first open of a session ms (wall / CPU)", f"{f['first_open_ms']:.0f} / {f['first_open_cpu_ms']:.0f}",
         f"{b['first_open_ms']:.0f} / {b['first_open_cpu_ms']:.0f}"),
    ]
    result.notes.append("the first open of a session builds the ticket; every later one re-uses it")
    return result
