"""Benchmark 1, book to screen: N books updating through the Desk into the real TUI, headless.

The app is the real ``WorkstationApp`` (main screen, the Line-API DOM, its 20 Hz UI tick), run with
``run_test`` at 160x48 on a Desk already connected to a paper exchange with N spot markets. A feeder
task in the app's event loop stores books through ``Desk.store_book`` (the path a websocket book
takes: the Desk keeps it and publishes BookChanged) at a fixed total rate, round-robin over the N
books, from a ring of prepared book variants (so what is measured is the workstation, not the
simulator).

Measured over a window after a warm-up:
- ingested updates/s: books the Desk took (the feeder keeps to its schedule or falls behind);
- frames/s: ``App._display`` calls with something to show (each frame is also encoded as a terminal
  would get it, since headless Textual skips that);
- CPU per frame and the share of a core: process CPU over the window (the feeder, the Desk, the UI);
- update-to-frame delay for the book on screen: from ``store_book`` to the end of the first frame
  that shows that update or a newer one of the same book (p50, p99).

Baseline: the same app and feed with the ladder swapped for the same ladder as a Textual DataTable
(41 rows x 3 fixed-width columns, only changed cells updated with ``update_cell``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import deque
from decimal import Decimal
from pathlib import Path
from typing import Any

from .common import Result, ms, pct, r, workdir

RATE = 2000  # updates/s across all books
GOAL_BOOKS = 20
GOAL_CORE = 0.5


def _specs(n: int) -> tuple:
    from ..venues.paper.market import DEFAULT_SPECS

    base = DEFAULT_SPECS[0]
    return tuple(dataclasses.replace(base, symbol=f"B{i:02d}/USDT", base=f"B{i:02d}") for i in range(n))


def _variants(book: Any, count: int = 16) -> list[Any]:
    """Books that differ in sizes and a price shift: each one changes what the ladder draws."""
    out = []
    for k in range(count):
        f = Decimal(1) + Decimal(k) / Decimal(50)
        shift = Decimal(k % 4) * Decimal("0.01")
        bids = tuple((p - shift, (s * f).quantize(Decimal("0.00001"))) for p, s in book.bids)
        asks = tuple((p - shift, (s / f).quantize(Decimal("0.00001"))) for p, s in book.asks)
        out.append(dataclasses.replace(book, bids=bids, asks=asks))
    return out


def datatable_ladder_class():
    """The baseline widget: the same ladder (asks, spread, bids; price, size, total) as a DataTable."""
    from textual.widgets import DataTable

    from ..domain.money import ZERO
    from ..ui import format as fmt

    class DataTableLadder(DataTable):
        def __init__(self, levels: int = 20, *, id: str | None = None, classes: str | None = None):
            super().__init__(id=id, classes=classes, show_cursor=False, zebra_stripes=False)
            self.levels = levels
            self.snapshot = None
            self._cells: list[tuple[str, str, str]] = []

        def on_mount(self) -> None:
            self.add_column("price", width=12, key="p")
            self.add_column("size", width=12, key="s")
            self.add_column("total", width=12, key="t")
            for i in range(2 * self.levels + 1):
                self.add_row("", "", "", key=str(i))
            self._cells = [("", "", "")] * (2 * self.levels + 1)

        @property
        def mid(self):
            return self.snapshot.book.mid if self.snapshot and self.snapshot.book else None

        def theme_changed(self) -> None:
            self.refresh()

        def set_snapshot(self, snapshot) -> None:
            self.snapshot = snapshot
            book = snapshot.book
            if book is None or not self._cells:
                return
            pd, ad, n = snapshot.price_decimals, snapshot.amount_decimals, self.levels
            rows: list[tuple[str, str, str]] = []
            cum, asks = ZERO, []
            for p, s in book.asks[:n]:
                cum += s
                asks.append((fmt.price(p, pd), fmt.amount(s, ad), fmt.amount(cum, ad)))
            rows += [("", "", "")] * (n - len(asks)) + asks[::-1]
            rows.append((f"mid {fmt.price(book.mid, pd + 1)}" if book.mid is not None else "", "", ""))
            cum = ZERO
            for p, s in book.bids[:n]:
                cum += s
                rows.append((fmt.price(p, pd), fmt.amount(s, ad), fmt.amount(cum, ad)))
            rows += [("", "", "")] * (2 * n + 1 - len(rows))
            for i, (new, old) in enumerate(zip(rows, self._cells)):
                for col, a, b in zip("pst", new, old):
                    if a != b:
                        self.update_cell(str(i), col, a)
            self._cells = rows

    return DataTableLadder


async def _run(path: Path, n: int, seconds: float, warmup: float, datatable: bool) -> dict:
    from textual.screen import Screen

    from ..config import Config
    from ..desk.desk import Desk, DeskSettings
    from ..desk.journal import Journal
    from ..ui import app as app_module
    from ..ui.screens import main as main_module
    from ..venues.ccxt_venue import ExchangeVenue
    from ..venues.paper.exchange import PaperExchange

    specs = _specs(n)
    symbols = [s.symbol for s in specs]
    exchange = PaperExchange(seed=4, latency=None, rate_limit=10 ** 9, specs=specs,
                             balances={"USDT": "100000", **{s.base: "1" for s in specs}})
    venue = ExchangeVenue("paper", exchange, "paper", rate_capacity=10 ** 9)
    desk = Desk({"paper": venue}, Journal(path / f"screen-{n}-{int(datatable)}.sqlite3"),
                settings=DeskSettings(book_depth=25), symbols={"paper": symbols})
    await desk.connect()
    rings = {s: _variants(desk.book("paper", s)) for s in symbols}

    original_ladder = main_module.Dom
    if datatable:
        main_module.Dom = datatable_ladder_class()  # the screen composes and queries this name
    latest: dict[str, int] = {s: 0 for s in symbols}
    pending: dict[str, deque] = {s: deque() for s in symbols}
    shown: dict[str, int] = {}
    delays: list[int] = []
    frame_ns: list[int] = []
    state = {"measuring": False, "frames": 0, "ingested": 0}
    ladder_cls = main_module.Dom
    set_snapshot = ladder_cls.set_snapshot

    def noting_set_snapshot(self, snapshot):
        shown[snapshot.symbol] = latest[snapshot.symbol]
        return set_snapshot(self, snapshot)

    class BenchApp(app_module.WorkstationApp):
        CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

        def _display(self, screen, renderable):
            super()._display(screen, renderable)
            if renderable is None:
                return
            from textual._compositor import CompositorUpdate
            if isinstance(renderable, CompositorUpdate):
                renderable.render_segments(self.console)  # the terminal encoding headless skips
            now = time.perf_counter_ns()
            for symbol, seq in list(shown.items()):
                queue = pending[symbol]
                while queue and queue[0][0] <= seq:
                    _, t = queue.popleft()
                    if state["measuring"]:
                        delays.append(now - t)
                del shown[symbol]
            if state["measuring"]:
                state["frames"] += 1

    compositor_refresh = Screen._compositor_refresh

    def timed_refresh(self):
        t = time.perf_counter_ns()
        try:
            return compositor_refresh(self)
        finally:
            if state["measuring"]:
                frame_ns.append(time.perf_counter_ns() - t)

    ladder_cls.set_snapshot = noting_set_snapshot
    Screen._compositor_refresh = timed_refresh
    app = BenchApp(desk, Config(), start_desk=False, candles_every_s=3600)
    visible = symbols[0]

    async def feed(stop: asyncio.Event) -> None:
        start = time.perf_counter()
        sent = 0
        i = 0
        while not stop.is_set():
            due = int((time.perf_counter() - start) * RATE) - sent
            for _ in range(max(0, min(due, RATE))):
                symbol = symbols[i % n]
                ring = rings[symbol]
                book = ring[(i // n) % len(ring)]
                i += 1
                latest[symbol] += 1
                if symbol == visible:
                    pending[symbol].append((latest[symbol], time.perf_counter_ns()))
                await desk.store_book("paper", book)
                sent += 1
                if state["measuring"]:
                    state["ingested"] += 1
            await asyncio.sleep(0.002)

    try:
        async with app.run_test(size=(160, 48), headless=True) as pilot:
            await pilot.pause(0.3)
            stop = asyncio.Event()
            feeder = asyncio.create_task(feed(stop))
            await asyncio.sleep(warmup)
            delays.clear()
            state["measuring"] = True
            c0, w0 = time.process_time_ns(), time.perf_counter_ns()
            await asyncio.sleep(seconds)
            cpu, wall = time.process_time_ns() - c0, time.perf_counter_ns() - w0
            state["measuring"] = False
            stop.set()
            await feeder
            await pilot.pause(0.1)
    finally:
        ladder_cls.set_snapshot = set_snapshot
        Screen._compositor_refresh = compositor_refresh
        main_module.Dom = original_ladder
        await desk.stop()
        desk.journal.close()
    frames = state["frames"]
    wall_s = wall / 1e9
    tick_ms = app.tick_s * 1000
    return {"books": n, "rate": RATE, "ingested_per_s": r(state["ingested"] / wall_s, 0),
            "frames_per_s": r(frames / wall_s, 1), "cpu_core": r(cpu / wall, 3),
            "cpu_ms_per_frame": r(ms(cpu / frames) if frames else 0.0, 2),
            "frame_p50_ms": r(ms(pct(frame_ns, 50)), 2),
            "delay_p50_ms": r(ms(pct(delays, 50)), 1), "delay_p99_ms": r(ms(pct(delays, 99)), 1),
            "delay_samples": len(delays), "ui_tick_ms": tick_ms}


def run(quick: bool) -> Result:
    started = time.perf_counter()
    sizes = [1, GOAL_BOOKS] if quick else [1, 10, GOAL_BOOKS, 50]
    seconds, warmup = (2.5, 0.7) if quick else (5.0, 1.0)
    figures: dict = {}
    baseline: dict = {}
    with workdir("bench-screen-") as path:
        for n in sizes:
            figures[str(n)] = asyncio.run(_run(path, n, seconds, warmup, datatable=False))
            baseline[str(n)] = asyncio.run(_run(path, n, seconds, warmup, datatable=True))
    g = figures[str(GOAL_BOOKS)]
    passed = (g["ingested_per_s"] >= RATE * 0.98 and g["cpu_core"] < GOAL_CORE
              and g["delay_p99_ms"] <= 2 * g["ui_tick_ms"] and g["delay_samples"] > 0)
    result = Result("book_to_screen", "Book to screen", figures, "the same ladder as a DataTable", baseline,
                    f"{RATE:,} updates/s across {GOAL_BOOKS} books at the UI tick; < {GOAL_CORE:g} core; "
                    f"update-to-frame p99 <= 2 UI ticks", passed, time.perf_counter() - started)
    for n in sizes:
        f, b = figures[str(n)], baseline[str(n)]
        result.rows += [
            (f"{n} books: updates/s in / frames/s", f"{f['ingested_per_s']:,.0f} / {f['frames_per_s']:.0f}",
             f"{b['ingested_per_s']:,.0f} / {b['frames_per_s']:.0f}"),
            (f"{n} books: core / CPU ms per frame", f"{f['cpu_core']:.2f} / {f['cpu_ms_per_frame']:.1f}",
             f"{b['cpu_core']:.2f} / {b['cpu_ms_per_frame']:.1f}"),
            (f"{n} books: update->frame p50 / p99 ms", f"{f['delay_p50_ms']:.0f} / {f['delay_p99_ms']:.0f}",
             f"{b['delay_p50_ms']:.0f} / {b['delay_p99_ms']:.0f}"),
        ]
    result.notes.append(f"UI tick {g['ui_tick_ms']:.0f} ms; delays are for the book on screen (one ladder); "
                        f"frames are also encoded for a terminal")
    return result
