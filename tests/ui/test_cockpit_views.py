"""The cockpit's views: alerts (set from the DOM, fired by the market, journaled), the book grid, time and
sales against the venue's own trades, the depth chart, and the layout that shows every table at once."""

from __future__ import annotations

from decimal import Decimal

from workstation.config import AlertsConfig, Config
from workstation.desk.alerts import AlertBook, AlertSettings
from workstation.domain.orders import OrderSpec, OrderStatus
from workstation.ui.widgets.alerts import AlertsTable
from workstation.ui.widgets.depth import DepthChart
from workstation.ui.widgets.dom import Dom
from workstation.ui.widgets.grid import BookGrid
from workstation.ui.widgets.tape import TapeView

from .conftest import make_app, settle


def journaled_alerts(paper, kind: str | None = None) -> list:
    return [e for e in paper.desk.journal.events(("alert",)) if kind is None or e.payload["kind"] == kind]


async def test_price_alert_from_the_dom_fires_once_and_is_journaled(paper):
    app = make_app(paper, Config(alerts=AlertsConfig(bell=True)))
    notes, bells = [], []
    notify = app.notify
    app.notify = lambda message, **kw: (notes.append((message, kw)), notify(message, **kw))  # type: ignore
    app.bell = lambda: bells.append(1)  # type: ignore
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        dom = app.main_screen.query_one(Dom)
        await pilot.press("up", "up", "up")  # three rows above the best ask
        level = dom.cursor
        await pilot.press("exclamation_mark")
        await settle(pilot, app)
        (rule,) = app.alert_book.rules.values()
        assert rule.level == level and rule.direction == "above"
        assert [e.payload["level"] for e in paper.desk.journal.events(("alert_set",))] == [str(level)]
        # the market rises through it (another trader lifts the offers)
        paper.exchange.set_mid("BTC/USDT", level + 20)
        await paper.pump(200)
        await settle(pilot, app)
        fired = journaled_alerts(paper, "price")
        assert len(fired) == 1 and str(level) in fired[0].payload["message"]
        assert not app.alert_book.rules  # once
        assert any("reached" in m for m, _ in notes) and bells
        table = app.main_screen.query_one("#alerts-side", AlertsTable)
        assert any("reached" in cells[2].plain for cells in table._cells.values())
        paper.exchange.set_mid("BTC/USDT", level - 40)
        await paper.pump(200)
        paper.exchange.set_mid("BTC/USDT", level + 40)
        await paper.pump(200)
        await settle(pilot, app)
        assert len(journaled_alerts(paper, "price")) == 1


async def test_fill_in_doubt_pnl_and_margin_alerts(paper):
    desk = paper.desk
    await desk.connect()
    book = AlertBook(desk, AlertSettings(pnl_loss=Decimal("5"), margin_near_pct=Decimal("1")))
    seen = []
    book.subscribe(seen.append)
    order = desk.stage(OrderSpec("paper", "BTC/USDT", "buy", "market", Decimal("0.01")))
    await desk.approve(order.client_order_id)
    fills = journaled_alerts(paper, "fill")
    assert fills and fills[0].payload["client_order_id"] == order.client_order_id
    # an order whose send times out after the venue accepted it: in doubt
    paper.exchange.set_fault("timeout_after_accept", 1.0)
    doubt = desk.stage(OrderSpec("paper", "ETH/USDT", "buy", "market", Decimal("0.01")))
    await desk.approve(doubt.client_order_id)
    paper.exchange.set_fault("timeout_after_accept", 0.0)
    assert desk.order(doubt.client_order_id).status is OrderStatus.IN_DOUBT
    assert [a.payload["client_order_id"] for a in journaled_alerts(paper, "in_doubt")] == [doubt.client_order_id]
    # a losing round trip takes the day's PnL under -5; a perpetual position takes margin past 1% of its cap
    for side in ("buy", "sell", "buy", "sell"):
        o = desk.stage(OrderSpec("paper", "SOL/USDT", side, "market", Decimal("50")), confirm_duplicate=True)
        await desk.approve(o.client_order_id)
    perp = desk.stage(OrderSpec("paper", "BTC/USDT:USDT", "buy", "market", Decimal("0.05")))
    await desk.approve(perp.client_order_id)
    await paper.pump(500)
    fired = book.poll()
    kinds = {a.kind for a in fired}
    assert desk.daily_pnl("paper") <= -5 and "pnl" in kinds and "margin" in kinds
    assert not book.poll()  # said once, not every second
    assert {"pnl", "margin"} <= {a.payload["kind"] for a in journaled_alerts(paper)}
    book.close()


async def test_disconnect_alert(paper):
    desk = paper.desk
    await desk.connect()
    book = AlertBook(desk)
    assert not book.poll()
    desk.streams_ok["paper"] = False  # the private streams dropped: polling carries on
    (alert,) = book.poll()
    assert alert.kind == "disconnect" and "streams down" in alert.message
    book.close()


async def test_alerts_survive_a_restart(paper, tmp_path):
    desk = paper.desk
    await desk.connect()
    book = AlertBook(desk)
    rule = book.add_price("paper", "BTC/USDT", desk.mark("paper", "BTC/USDT") + 100, "breakout")
    book.close()
    again = AlertBook(desk)
    assert again.rules[rule.id].describe() == rule.describe()
    again.remove(rule.id)
    assert not AlertBook(desk).rules


async def test_book_grid_shows_every_watched_book_and_opens_one(paper):
    app = make_app(paper)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        book = paper.desk.book("paper", "ETH/USDT")
        o = paper.desk.stage(OrderSpec("paper", "ETH/USDT", "buy", "limit", Decimal("0.05"), price=book.bids[1][0]))
        await paper.desk.approve(o.client_order_id)
        await pilot.press("g")
        await settle(pilot, app)
        grid = app.main_screen.query_one(BookGrid)
        assert grid.display and not app.main_screen.query_one("#body").display
        text = "\n".join(grid.render_line(y).text for y in range(grid.size.height))
        for _, symbol in app.main_screen.symbols():
            assert symbol.split("/")[0] in text
        # our order shows at its level in the ETH cell
        assert any(f"{book.bids[1][0]:.2f}" in line and "0.0500" in line for line in text.splitlines())
        await pilot.press("right")  # BTC/USDT -> ETH/USDT
        await pilot.press("enter")
        await settle(pilot, app)
        assert not app.main_screen.grid_mode
        assert app.main_screen.query_one(Dom).snapshot.symbol == "ETH/USDT"


async def test_time_and_sales_are_the_venues_trades_newest_first_with_a_size_filter(paper):
    app = make_app(paper, tape_every_s=3600)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        for _ in range(6):
            await paper.pump(500, refresh=False)
        await app.tape.poll("paper", "BTC/USDT")
        app.dirty.everything = True
        await settle(pilot, app)
        venue = await paper.exchange.fetch_trades("BTC/USDT", None, 100)
        assert venue
        tape = app.main_screen.query_one("#tape-side", TapeView)
        assert [str(p.trade_id) for p in tape.prints[:5]] == [str(t["id"]) for t in reversed(venue)][:5]
        first = tape.render_line(1).text
        assert f"{Decimal(str(venue[-1]['price'])):.2f}" in first
        assert ("▲" if venue[-1]["side"] == "buy" else "▼") in first
        await pilot.press("f", "f", "f")  # only prints of at least the third preset size
        await settle(pilot, app)
        floor = app.main_screen.presets("paper", "BTC/USDT")[2]
        assert tape.min_amount == floor and all(p.amount >= floor for p in tape.prints)
        await pilot.press("d")  # the depth chart in the chart's place
        await settle(pilot, app)
        depth = app.main_screen.query_one(DepthChart)
        assert depth.display and depth.book is paper.desk.book("paper", "BTC/USDT")
        lines = [depth.render_line(y).text for y in range(depth.size.height)]
        assert "█" in "".join(lines) and f"{depth.book.best_bid:.2f}" in lines[-1]


async def test_every_table_at_once_at_160_columns_tabs_below(paper):
    app = make_app(paper)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        for tab in ("orders", "approvals", "positions", "executions"):
            assert app.main_screen.query_one(f"#panel-{tab}").display, tab
            assert app.main_screen.visible_tab(tab)
        assert app.main_screen.query_one("#tape-side").display
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        shown = [t for t in ("orders", "approvals", "positions", "executions")
                 if app.main_screen.query_one(f"#panel-{t}").display]
        assert shown == ["orders", "positions"]
        await pilot.press("w")
        assert app.main_screen.query_one("#panel-approvals").display
        assert not app.main_screen.query_one("#panel-orders").display
