"""Child processes for the start-up and memory benchmarks: ``python -m workstation.bench.probe MODE OUT``.

``first-book``  runs exactly what ``workstation run`` runs (``cli.main(["run"])``: config, Desk on the
                paper exchange, the TUI), headless, with two small hooks installed from outside the app:
                the DOM notes when it draws a line of a real book, and the app's ``_display`` (one call
                per frame) notes the first frame after that, writes the wall time to OUT and exits.
``empty``       the baseline: an empty Textual app to its first frame (the floor any TUI pays).
``memory``      the real app on the paper exchange at ``--speed``x for ``--seconds``, with a trader who
                stages and approves a small order every second; writes peak RSS at the first book and at
                the end (``resource.getrusage``), and what was traded.

Times are ``time.time_ns()`` (wall clock, comparable with the parent's, which started the clock just
before it spawned the process).
"""

from __future__ import annotations

import json
import resource
from decimal import ROUND_DOWN, Decimal
import sys
import time


def _rss_mb() -> float:
    """This process's peak RSS. On Linux, ru_maxrss survives fork+exec, so a child spawned by a big
    parent (the bench, after the screen benchmark) would report the parent's size; the kernel's
    per-address-space high-water mark (VmHWM) starts afresh at exec."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux, bytes on macOS


def _hooks(out: str, on_first_book) -> None:
    """Mark the first frame that shows a live book; nothing in the app is changed for it."""
    from textual._compositor import CompositorUpdate

    from ..ui.app import WorkstationApp
    from ..ui.widgets.dom import Dom

    state = {"book_drawn": False, "done": False}
    render_line = Dom.render_line

    def noting_render_line(self, y):
        if not state["book_drawn"] and self.snapshot is not None and self.snapshot.book is not None:
            state["book_drawn"] = True
        return render_line(self, y)

    display = WorkstationApp._display

    def noting_display(self, screen, renderable):
        display(self, screen, renderable)
        if renderable is not None and isinstance(renderable, CompositorUpdate):
            renderable.render_segments(self.console)  # what a terminal frame would cost to encode
        if state["book_drawn"] and not state["done"] and renderable is not None:
            state["done"] = True
            on_first_book(self)

    run_async = WorkstationApp.run_async

    def headless_run_async(self, **kwargs):
        kwargs.setdefault("headless", True)
        kwargs.setdefault("size", (160, 48))
        return run_async(self, **kwargs)

    Dom.render_line = noting_render_line  # type: ignore[method-assign]
    WorkstationApp._display = noting_display  # type: ignore[method-assign]
    WorkstationApp.run_async = headless_run_async  # type: ignore[method-assign]


def first_book(out: str) -> int:
    from .. import cli

    def done(app) -> None:
        with open(out, "w") as fh:
            json.dump({"first_book_ns": time.time_ns(), "desk_ready_s": app.ready_after_s,
                       "rss_mb": _rss_mb()}, fh)
        app.exit()

    _hooks(out, done)
    return cli.main(["run"])


def empty(out: str) -> int:
    from textual.app import App
    from textual.widgets import Static

    class Empty(App):
        def compose(self):
            yield Static("ready")

        def _display(self, screen, renderable):
            super()._display(screen, renderable)
            if renderable is not None and not getattr(self, "_seen", False):
                self._seen = True
                with open(out, "w") as fh:
                    json.dump({"first_book_ns": time.time_ns(), "rss_mb": _rss_mb()}, fh)
                self.exit()

    Empty().run(headless=True, size=(160, 48))
    return 0


def memory(out: str, seconds: float) -> int:
    """The real app, a long run: the paper exchange at the config's speed (the parent sets it)."""
    import asyncio

    from .. import cli
    from ..domain.orders import OrderSpec, OrderStatus, OrderType, Side

    figures: dict = {"orders": 0, "filled": 0}

    def started(app) -> None:
        figures["rss_first_book_mb"] = _rss_mb()
        figures["t0"] = time.perf_counter()
        app.run_worker(trade(app), exit_on_error=False)

    async def trade(app) -> None:
        desk = app.desk
        i = 0
        while time.perf_counter() - figures["t0"] < seconds:
            await asyncio.sleep(1.0)
            if not desk.ready:
                continue
            i += 1
            symbol = ("BTC/USDT", "ETH/USDT", "SOL/USDT")[i % 3]
            market = desk.market("paper", symbol)
            book = desk.book("paper", symbol)
            if book is None or book.mid is None:
                continue
            amount = max((Decimal(40) / book.mid / market.lot).to_integral_value(ROUND_DOWN) * market.lot, market.lot)
            try:
                order = desk.stage(OrderSpec("paper", symbol, Side.BUY if i % 2 else Side.SELL, OrderType.MARKET,
                                             amount))
                if order.status is OrderStatus.PENDING_APPROVAL:
                    done = await desk.approve(order.client_order_id)
                    figures["orders"] += 1
                    figures["filled"] += done.status is OrderStatus.FILLED
            except Exception as exc:  # noqa: BLE001 - a refused order is part of a long run
                figures.setdefault("errors", []).append(str(exc)[:80])
        figures["rss_end_mb"] = _rss_mb()
        figures["journal_events"] = desk.journal.count()
        figures.pop("t0", None)
        figures["errors"] = len(figures.get("errors", []))
        with open(out, "w") as fh:
            json.dump(figures, fh)
        app.exit()

    _hooks(out, started)
    return cli.main(["run"])


def main(argv: list[str]) -> int:
    mode, out = argv[0], argv[1]
    if mode == "first-book":
        return first_book(out)
    if mode == "empty":
        return empty(out)
    if mode == "memory":
        return memory(out, float(argv[2]))
    raise SystemExit(f"unknown probe mode {mode!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
