"""What the screen benchmarks share: a paper Desk with N spot books, a feeder that stores books through
``Desk.store_book`` (the path a websocket book takes) at a fixed total rate, round-robin over the books
from prepared variants, and the probe that measures frames, compositor time and update-to-frame delays
in the real app.

A widget that takes a book calls ``probe.shown(symbol)``; the end of the next frame (``App._display``,
each frame also encoded as a terminal would get it) settles every update of that book up to then.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import deque
from decimal import Decimal
from pathlib import Path
from typing import Any

from .common import ms, pct, r


def specs(n: int) -> tuple:
    from ..venues.paper.market import DEFAULT_SPECS

    base = DEFAULT_SPECS[0]
    return tuple(dataclasses.replace(base, symbol=f"B{i:02d}/USDT", base=f"B{i:02d}") for i in range(n))


def variants(book: Any, count: int = 16) -> list[Any]:
    """Books that differ in sizes and a price shift: each one changes what a ladder draws."""
    out = []
    for k in range(count):
        f = Decimal(1) + Decimal(k) / Decimal(50)
        shift = Decimal(k % 4) * Decimal("0.01")
        bids = tuple((p - shift, (s * f).quantize(Decimal("0.00001"))) for p, s in book.bids)
        asks = tuple((p - shift, (s / f).quantize(Decimal("0.00001"))) for p, s in book.asks)
        out.append(dataclasses.replace(book, bids=bids, asks=asks))
    return out


async def paper_desk(path: Path, n: int, name: str) -> tuple[Any, list[str]]:
    from ..desk.desk import Desk, DeskSettings
    from ..desk.journal import Journal
    from ..venues.ccxt_venue import ExchangeVenue
    from ..venues.paper.exchange import PaperExchange

    books = specs(n)
    symbols = [s.symbol for s in books]
    exchange = PaperExchange(seed=4, latency=None, rate_limit=10 ** 9, specs=books,
                             balances={"USDT": "100000", **{s.base: "1" for s in books}})
    venue = ExchangeVenue("paper", exchange, "paper", rate_capacity=10 ** 9)
    desk = Desk({"paper": venue}, Journal(path / f"{name}.sqlite3"), settings=DeskSettings(book_depth=25),
                symbols={"paper": symbols})
    await desk.connect()
    return desk, symbols


class Probe:
    def __init__(self, desk: Any, symbols: list[str], tracked: set[str], rate: int):
        self.desk, self.symbols, self.tracked, self.rate = desk, symbols, tracked, rate
        self.rings = {s: variants(desk.book("paper", s)) for s in symbols}
        self.latest = {s: 0 for s in symbols}
        self.pending: dict[str, deque] = {s: deque() for s in symbols}
        self.on_screen: dict[str, int] = {}
        self.delays: list[int] = []
        self.frame_ns: list[int] = []
        self.measuring = False
        self.frames = self.ingested = 0
        self._refresh: Any = None

    def shown(self, symbol: str) -> None:
        self.on_screen[symbol] = self.latest[symbol]

    def frame(self) -> None:
        now = time.perf_counter_ns()
        for symbol, seq in list(self.on_screen.items()):
            queue = self.pending[symbol]
            while queue and queue[0][0] <= seq:
                _, t = queue.popleft()
                if self.measuring:
                    self.delays.append(now - t)
            del self.on_screen[symbol]
        if self.measuring:
            self.frames += 1

    def app_class(self, app_module: Any) -> type:
        probe = self

        class BenchApp(app_module.WorkstationApp):
            CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

            def _display(self, screen, renderable):
                super()._display(screen, renderable)
                if renderable is None:
                    return
                from textual._compositor import CompositorUpdate
                if isinstance(renderable, CompositorUpdate):
                    renderable.render_segments(self.console)  # the terminal encoding headless skips
                probe.frame()

        return BenchApp

    def install(self) -> None:
        """Time every compositor refresh (the frame's own cost) while measuring."""
        from textual.screen import Screen

        refresh = self._refresh = Screen._compositor_refresh
        probe = self

        def timed_refresh(screen):
            t = time.perf_counter_ns()
            try:
                return refresh(screen)
            finally:
                if probe.measuring:
                    probe.frame_ns.append(time.perf_counter_ns() - t)

        Screen._compositor_refresh = timed_refresh

    def restore(self) -> None:
        from textual.screen import Screen

        if self._refresh is not None:
            Screen._compositor_refresh = self._refresh

    async def feed(self, stop: asyncio.Event) -> None:
        start = time.perf_counter()
        sent = i = 0
        n = len(self.symbols)
        while not stop.is_set():
            due = int((time.perf_counter() - start) * self.rate) - sent
            for _ in range(max(0, min(due, self.rate))):
                symbol = self.symbols[i % n]
                ring = self.rings[symbol]
                book = ring[(i // n) % len(ring)]
                i += 1
                self.latest[symbol] += 1
                if symbol in self.tracked:
                    self.pending[symbol].append((self.latest[symbol], time.perf_counter_ns()))
                await self.desk.store_book("paper", book)
                sent += 1
                if self.measuring:
                    self.ingested += 1
            await asyncio.sleep(0.002)

    async def measure(self, seconds: float, warmup: float) -> dict:
        """Feed through a warm-up, then measure for ``seconds``: the common figures."""
        stop = asyncio.Event()
        feeder = asyncio.create_task(self.feed(stop))
        await asyncio.sleep(warmup)
        self.delays.clear()
        self.measuring = True
        c0, w0 = time.process_time_ns(), time.perf_counter_ns()
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time_ns() - c0, time.perf_counter_ns() - w0
        self.measuring = False
        stop.set()
        await feeder
        wall_s = wall / 1e9
        return {"rate": self.rate, "ingested_per_s": r(self.ingested / wall_s, 0),
                "frames_per_s": r(self.frames / wall_s, 1), "cpu_core": r(cpu / wall, 3),
                "cpu_ms_per_frame": r(ms(cpu / self.frames) if self.frames else 0.0, 2),
                "frame_p50_ms": r(ms(pct(self.frame_ns, 50)), 2),
                "delay_p50_ms": r(ms(pct(self.delays, 50)), 1), "delay_p99_ms": r(ms(pct(self.delays, 99)), 1),
                "delay_samples": len(self.delays)}
