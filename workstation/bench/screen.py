"""Benchmark 1, book to screen: N books updating through the Desk into the real TUI, headless.

The app is the real ``WorkstationApp`` (main screen, the Line-API DOM, its 25 Hz UI tick), run with
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
import time
from pathlib import Path

from .common import Result, workdir
from .frames import Probe, paper_desk

RATE = 2000  # updates/s across all books
GOAL_BOOKS = 20
GOAL_CORE = 0.5


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
    from ..config import Config
    from ..ui import app as app_module
    from ..ui.screens import main as main_module

    desk, symbols = await paper_desk(path, n, f"screen-{n}-{int(datatable)}")
    probe = Probe(desk, symbols, {symbols[0]}, RATE)  # the book on screen
    original_ladder = main_module.Dom
    if datatable:
        main_module.Dom = datatable_ladder_class()  # the screen composes and queries this name
    ladder_cls = main_module.Dom
    set_snapshot = ladder_cls.set_snapshot

    def noting_set_snapshot(self, snapshot):
        probe.shown(snapshot.symbol)
        return set_snapshot(self, snapshot)

    ladder_cls.set_snapshot = noting_set_snapshot
    probe.install()
    app = probe.app_class(app_module)(desk, Config(), start_desk=False, candles_every_s=3600)
    try:
        async with app.run_test(size=(160, 48), headless=True) as pilot:
            await pilot.pause(0.3)
            figures = await probe.measure(seconds, warmup)
            await pilot.pause(0.1)
    finally:
        ladder_cls.set_snapshot = set_snapshot
        probe.restore()
        main_module.Dom = original_ladder
        await desk.stop()
        desk.journal.close()
    return {"books": n, **figures, "ui_tick_ms": app.tick_s * 1000}


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
