"""`workstation screenshots`: regenerate screenshots/ from the real app on a deterministic paper desk.

Scenes: the main screen (80x24, 120x36, 160x48: the account strip, the DOM, the tables), the DOM with its
cursor on a level and our orders, the book grid, time and sales with the depth chart, the alerts, a fast
action's confirmation (flatten) and the account, each at 160x48 and 80x24; the order ticket (and a
bracket in it, also at 80x24), the approval queue with a proposal (and its detail), a copilot
proposal's detail, the execution detail, the kill switch's confirmation, the reconciliation screen,
the audit trail and the TCA screen; and, on two paper venues ("paper" and "paper_b", different seeds),
the venue profiles, one symbol across venues, and a fallback proposal after paper_b refused an order in
maintenance. Each in every theme asked for (default: ours, dark and light). SVG always; PNG too when `rsvg-convert` (librsvg2-bin) or cairosvg is there.
Textual is imported only when the command runs, so `workstation --help` stays fast.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


REPO = Path(__file__).resolve().parents[2]
SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BTC/USDT:USDT"]
FROZEN = datetime(2026, 1, 1, 9, 30, 0)
SCENES = {  # name -> terminal size
    "main": (120, 36),
    "main-80x24": (80, 24),
    "main-160x48": (160, 48),
    "dom-160x48": (160, 48),
    "dom-80x24": (80, 24),
    "grid-160x48": (160, 48),
    "grid-80x24": (80, 24),
    "tape-160x48": (160, 48),
    "tape-80x24": (80, 24),
    "alerts-160x48": (160, 48),
    "alerts-80x24": (80, 24),
    "flatten-160x48": (160, 48),
    "flatten-80x24": (80, 24),
    "account-160x48": (160, 48),
    "account-80x24": (80, 24),
    "ticket-bracket-80x24": (80, 24),
    "ticket": (120, 36),
    "ticket-160x48": (160, 48),
    "approvals": (120, 36),
    "proposal": (120, 36),
    "execution-detail": (120, 36),
    "ticket-bracket": (120, 36),
    "copilot-proposal": (120, 36),
    "kill": (120, 36),
    "reconcile": (120, 36),
    "audit": (120, 36),
    "tca": (120, 36),
    "venues": (120, 36),
    "best-venue": (120, 36),
    "fallback": (120, 36),
    "leverage": (120, 36),
}
TWO_VENUES = ("venues", "best-venue", "fallback")


@dataclass
class DemoDesk:
    exchange: object
    venue: object
    desk: object
    clock: object
    others: tuple = ()  # more paper exchanges (the two-venue scenes)

    async def pump(self, ms: int = 500, refresh: bool = True) -> None:
        for exchange in (self.exchange, *self.others):
            exchange.step(ms)
        self.clock.advance(ms)
        await self.desk.sync_books()
        if refresh:
            await self.desk.refresh()


def demo_desk(folder: Path, seed: int = 7, second_venue: bool = False) -> DemoDesk:
    """The paper exchange with a fixed seed, no latency, stepped by hand; a manual clock. ``second_venue``
    adds "paper_b", another paper exchange (seed + 4) listing the same symbols."""
    from ..desk.clock import ManualClock
    from ..desk.desk import Desk
    from ..desk.journal import Journal
    from ..venues.ccxt_venue import ExchangeVenue
    from ..venues.paper.exchange import PaperExchange

    exchange = PaperExchange(seed=seed, latency=None)
    venue = ExchangeVenue("paper", exchange, environment="paper")
    clock = ManualClock()
    journal = Journal(folder / "journal.sqlite3", instance="0dem0000")  # fixed ids, so pictures repeat
    venues, others = {"paper": venue}, ()
    if second_venue:
        other = PaperExchange(seed=seed + 4, latency=None)
        venues["paper_b"], others = ExchangeVenue("paper_b", other, environment="paper"), (other,)
    desk = Desk(venues, journal, clock=clock, symbols={name: list(SYMBOLS) for name in venues})
    return DemoDesk(exchange, venue, desk, clock, others)


def demo_app(demo: DemoDesk, theme: str = "workstation-dark"):
    from ..config import Config
    from .app import WorkstationApp

    return WorkstationApp(demo.desk, Config(theme=theme), start_desk="connect", now=lambda: FROZEN,
                          approve_guard_s=0.0, candles_every_s=3600, tape_every_s=3600)


async def _settle(pilot, app) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    app.tick()
    await pilot.pause()


async def _stage(pilot, app, key: str, amount: str, limit: bool = False) -> None:
    await pilot.press(key)
    await pilot.pause()
    if limit:
        await pilot.press("ctrl+o")
    await pilot.press(*amount, "enter")
    await _settle(pilot, app)


def _spec(demo: DemoDesk, side: str, amount: str, limit: bool = False, symbol: str = "BTC/USDT"):
    from decimal import Decimal

    from ..domain.orders import OrderSpec

    book = demo.desk.book("paper", symbol)
    price = (book.best_bid if side == "buy" else book.best_ask) if limit else None
    return OrderSpec("paper", symbol, side, "limit" if limit else "market", Decimal(amount), price=price)


async def prepare(pilot, app, demo: DemoDesk, scene: str) -> None:
    """Put the app into a scene. The background (orders, fills) goes straight through the desk, as
    any other staging would; the scene itself is reached by keys, as a trader would."""
    from decimal import Decimal

    from textual.widgets import Input

    await _settle(pilot, app)
    for _ in range(6):  # some market history so the books have moved
        await demo.pump(500, refresh=False)
    await demo.desk.refresh()
    cockpit = scene.split("-")[0] in ("dom", "grid", "tape", "alerts", "flatten", "account")
    if scene.startswith("main") or cockpit or scene in ("execution-detail", "kill", "audit", "tca"):
        for side, amount, limit in (("buy", "0.05", False), ("sell", "0.02", True), ("buy", "0.03", True)):
            order = demo.desk.stage(_spec(demo, side, amount, limit))
            await demo.desk.approve(order.client_order_id)
        await demo.pump(500)
    await _settle(pilot, app)
    if cockpit:
        await _cockpit_scene(pilot, app, demo, scene.split("-")[0])
    if scene == "ticket-bracket-80x24":
        await pilot.press("b")
        await pilot.pause()
        await pilot.press(*(["ctrl+o"] * 7), *"0.05")
        mid = demo.desk.book("paper", "BTC/USDT").mid
        app.screen.query_one("#stop").value = str((mid * Decimal("0.99")).quantize(Decimal("0.1")))
        app.screen.query_one("#tp").value = str((mid * Decimal("1.02")).quantize(Decimal("0.1")))
        await pilot.pause()
    if scene in ("ticket", "ticket-160x48"):
        await pilot.press("b")
        await pilot.pause()
        await pilot.press(*"0.25")
    if scene in ("approvals", "proposal"):
        demo.desk.stage(_spec(demo, "buy", "0.2"))
        await _stage(pilot, app, "s", "0.15", limit=True)
        if scene == "proposal":
            await pilot.press("up", "v")
    if scene == "execution-detail":
        await pilot.press("e")
    if scene == "ticket-bracket":
        await pilot.press("b")
        await pilot.pause()
        await pilot.press(*(["ctrl+o"] * 7), *"0.05")  # market ... trailing stop, bracket
        ticket = app.screen
        mid = demo.desk.book("paper", "BTC/USDT").mid
        ticket.query_one("#price").value = str(demo.desk.book("paper", "BTC/USDT").best_bid)
        ticket.query_one("#stop").value = str((mid * Decimal("0.99")).quantize(Decimal("0.1")))
        ticket.query_one("#tp").value = str((mid * Decimal("1.02")).quantize(Decimal("0.1")))
        await pilot.pause()
    if scene == "copilot-proposal":
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"buy 0.2 ETH at 3,150", "enter")
        for _ in range(200):  # the proposal, and the copilot done with its turn
            if app.copilot.proposals("pending") and app.copilot.status != "thinking":
                break
            await pilot.pause(0.02)
        await _settle(pilot, app)
        await demo.pump(4000)  # the market moves on after the proposal
        await _settle(pilot, app)
        await _settle(pilot, app)
        await pilot.press("w", "v")
    if scene == "kill":
        demo.desk.stage(_spec(demo, "buy", "0.01", True, symbol="ETH/USDT"))
        await _settle(pilot, app)
        await pilot.press("ctrl+k")
    if scene == "reconcile":
        # an order placed at the venue behind the Desk's back (another app, the web UI)
        book = demo.desk.book("paper", "ETH/USDT")
        await demo.exchange.create_order("ETH/USDT", "limit", "sell", 0.5, float(book.best_ask + 20))
        await demo.desk.refresh()
        await _settle(pilot, app)
        await pilot.press("R")
    if scene == "audit":
        pending = demo.desk.stage(_spec(demo, "sell", "0.01", True))
        demo.desk.reject(pending.client_order_id, "spread too wide")
        await _settle(pilot, app)
        await pilot.press("A")
    if scene == "tca":
        await pilot.press("T")
    if scene == "venues":
        await pilot.press("V")
    if scene == "best-venue":
        await pilot.press("B")
        await pilot.pause()
        await pilot.press(*"0.8")
    if scene == "fallback":
        await _fallback(pilot, app, demo)
    if scene == "leverage":  # the palette's "Set leverage for BTC/USDT:USDT"
        app.open_leverage("paper", "BTC/USDT:USDT")
    for _ in range(3):
        await pilot.pause()
    await app.workers.wait_for_complete()
    for widget in app.screen.query(Input):
        widget.cursor_blink = False
    app.tick()
    app._alerts.clear()  # alerts that fired while the scene was set up (fills): not part of the picture
    app.clear_notifications()
    app.main_screen.query_one("PriceChart").maybe_redraw(force=True)
    await _settle(pilot, app)
    if hasattr(app.screen, "update_view"):
        app.screen.update_view()
    for chart in app.screen.query("TcaChart"):
        chart.maybe_redraw(force=True)
    await pilot.pause()


async def _fallback(pilot, app, demo: DemoDesk) -> None:
    """paper_b goes into maintenance; an order approved there is refused; the fallback stages it on paper."""
    from decimal import Decimal

    from ..domain.orders import OrderSpec

    bid = demo.desk.book("paper_b", "BTC/USDT").best_bid
    spec = OrderSpec("paper_b", "BTC/USDT", "buy", "limit", Decimal("0.05"), price=bid)
    demo.others[0].start_maintenance(600_000)
    order = demo.desk.stage(spec)
    await demo.desk.approve(order.client_order_id)
    await _settle(pilot, app)
    await pilot.press("w")
    await pilot.pause()
    await pilot.press("v")


async def _cockpit_scene(pilot, app, demo: DemoDesk, what: str) -> None:
    """The cockpit's scenes: a perpetual position and resting orders at a few levels behind every one."""
    from decimal import Decimal

    from ..domain.orders import OrderSpec
    from .screens.cockpit import AlertsScreen

    desk = demo.desk
    await demo.exchange.set_leverage(5, "BTC/USDT:USDT")
    perp = desk.stage(OrderSpec("paper", "BTC/USDT:USDT", "buy", "market", Decimal("0.2")))
    await desk.approve(perp.client_order_id)
    book = desk.book("paper", "BTC/USDT")
    for side, amount, away in (("buy", "0.01", 2), ("buy", "0.02", 4), ("sell", "0.015", 3)):
        price = book.best_bid - away if side == "buy" else book.best_ask + away
        order = desk.stage(OrderSpec("paper", "BTC/USDT", side, "limit", Decimal(amount), price=price),
                           confirm_duplicate=True)
        await desk.approve(order.client_order_id)
    app.alert_book.add_price("paper", "BTC/USDT", book.best_ask + 1, "breakout")
    app.alert_book.add_price("paper", "ETH/USDT", desk.mark("paper", "ETH/USDT") - 40, "support")
    await demo.pump(500)
    await _settle(pilot, app)
    main = app.main_screen
    if what == "dom":
        await pilot.press("2", "down", "down", "down", "down")
    elif what == "grid":
        await pilot.press("g", "right")
    elif what == "tape":
        for _ in range(4):
            await demo.pump(500, refresh=False)
        await app.tape.poll("paper", "BTC/USDT")
        await pilot.press("d")
        if not main.panes.side_visible:
            await pilot.press("i")
    elif what == "alerts":
        await pilot.press("up", "up", "exclamation_mark")  # a level above the market, set from the DOM
        await _settle(pilot, app)
        demo.exchange.set_mid("BTC/USDT", book.best_ask + 10)  # the market runs through it
        await demo.pump(500)
        await _settle(pilot, app)
        app.push_screen(AlertsScreen(app, "paper", "BTC/USDT"))
    elif what == "flatten":
        main.select_symbol("paper", "BTC/USDT:USDT")
        await _settle(pilot, app)
        await pilot.press("F")
    elif what == "account":
        await pilot.press("dollar_sign")
    await _settle(pilot, app)


async def capture(scene: str, theme: str, out: Path) -> Path:
    size = SCENES[scene]
    with tempfile.TemporaryDirectory() as tmp:
        demo = demo_desk(Path(tmp), second_venue=scene in TWO_VENUES)
        app = demo_app(demo, theme)
        async with app.run_test(size=size) as pilot:
            await prepare(pilot, app, demo, scene)
            app.title = f"Workstation — {scene} ({theme})"
            path = Path(app.save_screenshot(f"{scene}-{theme}.svg", str(out)))
        demo.desk.journal.close()
    return path


def to_png(svg: Path) -> Path | None:
    png = svg.with_suffix(".png")
    if shutil.which("rsvg-convert"):
        # rsvg collapses runs of &#160; unless whitespace is preserved
        patched = svg.read_text(encoding="utf-8").replace("<svg ", '<svg xml:space="preserve" ', 1)
        with tempfile.NamedTemporaryFile("w", suffix=".svg", delete=False, encoding="utf-8") as tmp:
            tmp.write(patched)
        try:
            subprocess.run(["rsvg-convert", "-w", "1400", tmp.name, "-o", str(png)], check=True)
        finally:
            Path(tmp.name).unlink(missing_ok=True)
        return png
    try:
        import cairosvg  # type: ignore[import-not-found]
    except ImportError:
        return None
    cairosvg.svg2png(url=str(svg), write_to=str(png), output_width=1400)
    return png


def run(args: argparse.Namespace) -> int:
    import asyncio
    import os
    import time

    os.environ.setdefault("TZ", "UTC")
    time.tzset()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scenes = args.scenes or list(SCENES)
    unknown = [s for s in scenes if s not in SCENES]
    if unknown:
        print(f"unknown scene(s) {', '.join(unknown)}; scenes are {', '.join(SCENES)}")
        return 2
    pngs = 0
    for theme in args.themes:
        for scene in scenes:
            svg = asyncio.run(capture(scene, theme, out))
            png = None if args.no_png else to_png(svg)
            pngs += png is not None
            print(f"{svg}" + (f"  {png.name}" if png else ""))
    if not args.no_png and not pngs:
        print("no SVG->PNG converter found (apt-get install librsvg2-bin fonts-firacode, or pip install cairosvg): SVG only")
    return 0


def register(sub) -> None:
    p = sub.add_parser("screenshots", help="regenerate screenshots/ (SVG, and PNG where a converter is installed)")
    p.add_argument("--out", type=Path, default=REPO / "screenshots", help="folder (default: the repo's screenshots/)")
    p.add_argument("--themes", nargs="+", default=["workstation-dark", "workstation-light"],
                   help="themes to shoot (any registered name, e.g. nord)")
    p.add_argument("--scenes", nargs="+", help=f"scenes (default all): {', '.join(SCENES)}")
    p.add_argument("--no-png", action="store_true", help="SVG only")
    p.set_defaults(func=run)
