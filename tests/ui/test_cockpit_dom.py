"""The cockpit's account strip and tradeable ladder, driven by keys on the paper exchange and checked
against the venue's own records (its balances, positions and open orders), never the Desk's belief."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from workstation.desk.account import account
from workstation.domain.orders import OrderSpec, OrderStatus
from workstation.ui.screens.ticket import TicketScreen
from workstation.ui.widgets.account import AccountStrip
from workstation.ui.widgets.dom import Dom

from .conftest import make_app, settle


def d(x) -> Decimal:
    return Decimal(str(x))


async def venue_equity(paper) -> Decimal:
    """The venue's balances, each at the mid of ASSET/USDT, plus its positions' unrealized PnL at our mark."""
    desk = paper.desk
    balance = await paper.exchange.fetch_balance()
    total = Decimal(0)
    for ccy, row in balance.items():
        if ccy in ("info", "timestamp", "datetime", "free", "used", "total") or not d(row["total"]):
            continue
        price = Decimal(1) if ccy == "USDT" else desk.mark("paper", f"{ccy}/USDT")
        total += d(row["total"]) * price
    for pos in await paper.exchange.fetch_positions():
        size = d(pos["contracts"]) * d(pos["contractSize"]) * (1 if pos["side"] == "long" else -1)
        total += size * (desk.mark("paper", pos["symbol"]) - d(pos["entryPrice"]))
    return total


async def venue_working(paper, symbol: str) -> tuple[dict, dict]:
    """The venue's open orders on ``symbol``: remaining quantity per price, buys and sells."""
    buys: dict = defaultdict(Decimal)
    sells: dict = defaultdict(Decimal)
    for o in await paper.exchange.fetch_open_orders(symbol):
        side = buys if o["side"] == "buy" else sells
        side[d(o["price"])] += d(o["remaining"])
    return dict(buys), dict(sells)


async def test_account_strip_equity_is_the_venues_balances_marked_to_market(paper):
    app = make_app(paper)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        desk = paper.desk
        # some trading on spot and the perpetual, so balances and a position move
        for spec in (OrderSpec("paper", "BTC/USDT", "buy", "market", Decimal("0.05")),
                     OrderSpec("paper", "ETH/USDT", "sell", "market", Decimal("1")),
                     OrderSpec("paper", "BTC/USDT:USDT", "buy", "market", Decimal("0.1"))):
            order = desk.stage(spec)
            await desk.approve(order.client_order_id)
        book = desk.book("paper", "SOL/USDT")
        resting = desk.stage(OrderSpec("paper", "SOL/USDT", "buy", "limit", Decimal("10"), price=book.best_bid - 1))
        await desk.approve(resting.client_order_id)
        await paper.pump(1000)
        await settle(pilot, app)
        acct = account(desk).venue("paper")
        assert acct.known
        assert acct.equity == await venue_equity(paper)
        # per asset: free / in orders / total as the venue lists them
        balance = await paper.exchange.fetch_balance()
        for line in acct.assets:
            row = balance[line.currency]
            assert (line.free, line.in_orders, line.total) == (d(row["free"]), d(row["used"]), d(row["total"]))
        assert acct.asset("USDT").in_orders > 0  # the resting SOL bid holds quote
        # the perpetual's margin, measured as the gate measures it, against its 30% cap
        assert acct.margin_used > 0 and acct.margin_cap_pct == Decimal("30")
        assert acct.margin_ratio_pct is not None and acct.margin_state == "ok"
        # and the strip says it
        strip = app.main_screen.query_one(AccountStrip)
        text = "\n".join(strip.render_line(y).text for y in range(2))
        assert f"equity {acct.equity:,.2f} USDT" in text
        assert f"{acct.margin_ratio_pct:.1f}%/30%" in text and "day PnL" in text and "BP" in text
        assert "USDT" in text and "in orders" in text and "SOL" in text


async def test_on_spot_holdings_are_positions(paper):
    app = make_app(paper)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        from workstation.ui.widgets.positions import PositionsTable

        cells = app.main_screen.query_one(PositionsTable)._cells
        balance = await paper.exchange.fetch_balance()
        assert cells["paper|ETH/USDT"][2].plain.strip() == f"{d(balance['ETH']['total']):.4f}"  # 10 ETH held
        assert cells["paper|ETH/USDT"][1].plain.strip() == "held"
        # the ticket's preview says so too: selling 1 ETH takes the position from 10 to 9
        app.main_screen.select_symbol("paper", "ETH/USDT")
        await settle(pilot, app)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press(*"1")
        await pilot.pause()
        preview = str(app.screen.query_one("#ticket-preview").content)
        assert "position 10.0000 → 9.0000" in preview


async def test_dom_cursor_buy_at_a_level_one_gesture_and_working_column_matches_venue(paper):
    app = make_app(paper)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        dom = app.main_screen.query_one(Dom)
        assert dom.follow and dom.cursor is None
        book = app.desk.book("paper", "BTC/USDT")
        await pilot.press("down")  # the cursor appears on the best bid
        assert dom.cursor == book.best_bid and not dom.follow
        await pilot.press("down", "down")  # two rows lower: a price below the touch
        level = dom.cursor
        assert level == book.best_bid - 2 * dom.row_step
        await pilot.press("2")  # quantity preset 2
        await pilot.press("b")
        await pilot.pause()
        ticket = app.screen
        assert isinstance(ticket, TicketScreen)
        assert ticket.query_one("#price").value == str(level)
        preset = app.main_screen.presets("paper", "BTC/USDT")[1]
        assert ticket.last_spec.amount == preset and ticket.last_spec.price == level
        await pilot.press("enter")  # one gesture: staged and approved by the same human
        await settle(pilot, app)
        await settle(pilot, app)
        assert len(paper.create_calls) == 1
        (order,) = [o for o in app.desk.orders() if o.status is OrderStatus.OPEN]
        staged, approved = (next(app.desk.journal.events((k,), client_order_id=order.client_order_id))
                            for k in ("staged", "approved"))
        assert staged.actor == approved.actor == "human"
        # another order at the same level, and one on the other side
        more = app.desk.stage(OrderSpec("paper", "BTC/USDT", "buy", "limit", Decimal("0.004"), price=level))
        await app.desk.approve(more.client_order_id)
        ask = book.best_ask + 3 * dom.row_step
        sell = app.desk.stage(OrderSpec("paper", "BTC/USDT", "sell", "limit", Decimal("0.007"), price=ask))
        await app.desk.approve(sell.client_order_id)
        await settle(pilot, app)
        buys, sells = await venue_working(paper, "BTC/USDT")
        assert buys == {level: preset + Decimal("0.004")} and sells == {ask: Decimal("0.007")}
        # the DOM's working-quantity columns, as drawn, equal the venue's open orders at each price
        for price, qty in list(buys.items()) + list(sells.items()):
            line = dom.render_line(dom.row_of(price)).text
            assert f"{qty:.5f}" in line and f"{price:.2f}" in line, (price, line)
        header = dom.render_line(0).text
        assert "buy" in header and "sell" in header


async def test_dom_delete_cancels_ours_at_the_cursor_and_move_modifies(paper):
    app = make_app(paper)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        dom = app.main_screen.query_one(Dom)
        book = app.desk.book("paper", "BTC/USDT")
        step = Decimal("0.5")
        a, b = book.best_bid - 4 * step, book.best_bid - 8 * step
        for price in (a, a, b):
            o = app.desk.stage(OrderSpec("paper", "BTC/USDT", "buy", "limit", Decimal("0.002"), price=price),
                               confirm_duplicate=True)
            await app.desk.approve(o.client_order_id)
        await settle(pilot, app)
        # move the order at b to a lower price: M picks it up, M on the new level drops it there
        await pilot.press("down")
        while dom.cursor > b:
            await pilot.press("down")
        assert dom.cursor == b
        await pilot.press("M")
        assert dom.picked
        await pilot.press("down", "down", "M")
        await pilot.pause()
        await pilot.press("y")  # the move's one confirmation
        await settle(pilot, app)
        new = b - 2 * step
        buys, _ = await venue_working(paper, "BTC/USDT")
        assert buys == {a: Decimal("0.004"), new: Decimal("0.002")}, buys
        # delete on a level cancels ours there, and only there
        while dom.cursor < a:
            await pilot.press("up")
        await pilot.press("delete")
        await settle(pilot, app)
        buys, _ = await venue_working(paper, "BTC/USDT")
        assert buys == {new: Decimal("0.002")}
        assert app.desk.trading_state("paper").value == "active"


async def test_dom_scrolls_to_an_order_far_from_the_market_and_recentres(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        dom = app.main_screen.query_one(Dom)
        far = (app.desk.book("paper", "BTC/USDT").mid * Decimal("0.97")).quantize(Decimal("1"))
        o = app.desk.stage(OrderSpec("paper", "BTC/USDT", "buy", "limit", Decimal("0.002"), price=far))
        await app.desk.approve(o.client_order_id)
        await settle(pilot, app)
        assert dom.row_of(far) is None  # beyond the levels on screen
        await pilot.press("down")
        while dom.row_of(far) is None:
            await pilot.press("pagedown")
        line = dom.render_line(dom.row_of(far)).text
        assert f"{far:.2f}" in line and "0.00200" in line
        await pilot.press("home")
        assert dom.follow and dom.cursor is None and dom.row_of(app.desk.book("paper", "BTC/USDT").best_bid)
        # coarser price grouping: two rows become one, quantities add up
        step = dom.row_step
        await pilot.press("plus")
        assert dom.row_step == 2 * step
        await pilot.press("minus")
        assert dom.row_step == step
