"""Benchmark: the book grid. 20 books on screen at once, 2,000 updates/s across them, through the Desk
into the real app (headless, 160x48), the grid view switched on as a trader would (``g``).

The feed and the probe are the ones ``book_to_screen`` uses (frames.py: ``Desk.store_book``, the path a
websocket book takes, round-robin over the books from prepared variants). Measured over a window after
a warm-up:

- frames/s: ``App._display`` calls with something to show, each also encoded as a terminal would get it;
- CPU: process CPU over the window (feeder, Desk, UI), as a share of a core and per frame;
- update-to-frame: for every book on screen, from ``store_book`` to the end of the first frame that
  shows that update or a newer one of the same book; p50 and p99, in ms and in frames (the frame
  period is the UI tick, ``1 / ui_fps``).

Baseline: the same app and feed with the grid swapped for the same grid drawn with 20 Textual
DataTables (one per book: title, levels, mid, levels; price, size, ours; only changed cells updated
with ``update_cell``).

Goal: at least 20 frames/s, under 0.5 core, update-to-frame p99 under 2 frames, and CPU per frame at
least 5x cheaper than the DataTables.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from .common import Result, r, workdir
from .frames import Probe, paper_desk

BOOKS = 20
RATE = 2000
GOAL_FPS = 20.0
GOAL_CORE = 0.5
GOAL_P99_FRAMES = 2.0
GOAL_RATIO = 5.0


def datatable_grid_class():
    """The baseline: the grid as 20 DataTables in a CSS grid, the same cells as BookGrid draws."""
    from textual.containers import Grid
    from textual.widgets import DataTable

    from ..ui import format as fmt

    class BookTable(DataTable):
        def __init__(self, levels: int):
            super().__init__(show_cursor=False, zebra_stripes=False, show_header=False)
            self.levels = levels
            self._cells: list[tuple[str, str, str]] = []

        def on_mount(self) -> None:
            for key, width in (("p", 10), ("s", 8), ("o", 7)):
                self.add_column(key, width=width, key=key)
            for i in range(2 * self.levels + 2):
                self.add_row("", "", "", key=str(i))
            self._cells = [("", "", "")] * (2 * self.levels + 2)

        def show(self, gb) -> None:
            book, pd, ad, n = gb.book, gb.price_decimals, gb.amount_decimals, self.levels
            if book is None or not self._cells:
                return
            rows = [(fmt.short_symbol(gb.symbol), gb.venue, "")]
            asks = [(fmt.price(p, pd), fmt.amount(s, ad), fmt.amount(gb.sells.get(p), ad) if gb.sells.get(p) else "")
                    for p, s in book.asks[:n]]
            rows += [("", "", "")] * (n - len(asks)) + asks[::-1]
            rows.append((fmt.price(book.mid, pd + 1) if book.mid is not None else "", fmt.price(book.spread, pd), ""))
            rows += [(fmt.price(p, pd), fmt.amount(s, ad), fmt.amount(gb.buys.get(p), ad) if gb.buys.get(p) else "")
                     for p, s in book.bids[:n]]
            rows += [("", "", "")] * (2 * n + 2 - len(rows))
            for i, (new, old) in enumerate(zip(rows, self._cells)):
                for col, a, b in zip("pso", new, old):
                    if a != b:
                        self.update_cell(str(i), col, a)
            self._cells = rows

    class DataTableGrid(Grid):
        DEFAULT_CSS = """
        DataTableGrid { grid-size: 5; grid-columns: 28; grid-rows: 11; height: 1fr; }
        DataTableGrid > DataTable { height: 11; width: 28; }
        """

        def __init__(self, levels: int = 4, *, id: str | None = None, classes: str | None = None):
            super().__init__(id=id, classes=classes)
            self.levels = levels
            self.keys: list = []
            self.tables: dict = {}

        def set_keys(self, keys: list) -> None:
            if keys == self.keys:
                return
            self.keys = list(keys)
            self.remove_children()
            self.tables = {k: BookTable(self.levels) for k in keys}
            self.mount_all(self.tables.values())

        def select(self, key) -> None:
            pass

        @property
        def selected_key(self):
            return self.keys[0] if self.keys else None

        def update_books(self, books) -> int:
            n = 0
            for gb in books:
                table = self.tables.get((gb.venue, gb.symbol))
                if table is not None and table.is_mounted:
                    table.show(gb)
                    n += 1
            return n

        def theme_changed(self) -> None:
            pass

    return DataTableGrid


async def _run(path: Path, seconds: float, warmup: float, datatable: bool) -> dict:
    from ..config import Config
    from ..ui import app as app_module
    from ..ui.screens import main as main_module

    desk, symbols = await paper_desk(path, BOOKS, f"grid-{int(datatable)}")
    probe = Probe(desk, symbols, set(symbols), RATE)  # every book is on screen
    original_grid = main_module.BookGrid
    if datatable:
        main_module.BookGrid = datatable_grid_class()  # the screen composes and queries this name
    grid_cls = main_module.BookGrid
    update_books = grid_cls.update_books

    def noting_update_books(self, books):
        books = list(books)
        for gb in books:
            probe.shown(gb.symbol)
        return update_books(self, books)

    grid_cls.update_books = noting_update_books
    probe.install()
    app = probe.app_class(app_module)(desk, Config(), start_desk=False, candles_every_s=3600, copilot=False)
    try:
        async with app.run_test(size=(160, 48), headless=True) as pilot:
            await pilot.pause(0.3)
            await pilot.press("g")  # the grid, as a trader switches to it
            await pilot.pause(0.3)
            assert app.main_screen.grid_mode
            figures = await probe.measure(seconds, warmup)
            await pilot.pause(0.1)
            visible = len(app.main_screen.query_one(grid_cls).keys)
    finally:
        grid_cls.update_books = update_books
        probe.restore()
        main_module.BookGrid = original_grid
        await desk.stop()
        desk.journal.close()
    frame_ms = app.tick_s * 1000
    return {"books": visible, **figures, "delay_p99_frames": r(figures["delay_p99_ms"] / frame_ms, 2),
            "frame_period_ms": r(frame_ms, 1)}


def run(quick: bool) -> Result:
    started = time.perf_counter()
    seconds, warmup = (3.0, 1.0) if quick else (6.0, 1.5)
    with workdir("bench-grid-") as path:
        figures = asyncio.run(_run(path, seconds, warmup, datatable=False))
        baseline = asyncio.run(_run(path, seconds, warmup, datatable=True))
    ratio = baseline["cpu_ms_per_frame"] / figures["cpu_ms_per_frame"] if figures["cpu_ms_per_frame"] else 0.0
    figures["cpu_per_frame_vs_datatables"] = r(ratio, 2)
    passed = (figures["frames_per_s"] >= GOAL_FPS and figures["cpu_core"] < GOAL_CORE
              and figures["delay_p99_frames"] < GOAL_P99_FRAMES and ratio >= GOAL_RATIO
              and figures["books"] >= BOOKS and figures["ingested_per_s"] >= RATE * 0.98)
    result = Result("book_grid", "Book grid", figures, f"the same grid as {BOOKS} DataTables", baseline,
                    f"{BOOKS} books, {RATE:,} updates/s: >= {GOAL_FPS:g} frames/s, < {GOAL_CORE:g} core, "
                    f"update-to-frame p99 < {GOAL_P99_FRAMES:g} frames, CPU per frame >= {GOAL_RATIO:g}x cheaper "
                    f"than DataTables", passed, time.perf_counter() - started)
    f, b = figures, baseline
    result.rows += [
        ("books on screen / updates/s in", f"{f['books']} / {f['ingested_per_s']:,.0f}",
         f"{b['books']} / {b['ingested_per_s']:,.0f}"),
        ("frames/s", f"{f['frames_per_s']:.1f}", f"{b['frames_per_s']:.1f}"),
        ("core / CPU ms per frame", f"{f['cpu_core']:.2f} / {f['cpu_ms_per_frame']:.1f}",
         f"{b['cpu_core']:.2f} / {b['cpu_ms_per_frame']:.1f}"),
        ("CPU per frame, DataTables / grid", f"{ratio:.1f}x", ""),
        ("update->frame p50 / p99 ms", f"{f['delay_p50_ms']:.0f} / {f['delay_p99_ms']:.0f}",
         f"{b['delay_p50_ms']:.0f} / {b['delay_p99_ms']:.0f}"),
        ("update->frame p99 in frames", f"{f['delay_p99_frames']:.2f}", f"{b['delay_p99_frames']:.2f}"),
    ]
    result.notes.append(f"frame period (UI tick) {f['frame_period_ms']:.0f} ms; every frame is also encoded "
                        f"for a terminal; delays cover every book on screen")
    return result
