"""What a trader found wrong, each checked the way they found it: table order, the cursor on new rows,
the scaled ticket's sizes, stops' intended prices, canceled rows' reasons, the decisions export after an
edit, the help title, the 80x24 bracket ticket, ask prices in the ANSI theme, quitting, human expiry,
and the wording."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from workstation.config import CockpitConfig, Config
from workstation.domain.orders import OrderSpec, OrderStatus
from workstation.export import decision_rows
from workstation.ui.screens.execution_detail import ExecutionDetailScreen
from workstation.ui.screens.help import HelpScreen
from workstation.ui.screens.kill import ConfirmScreen
from workstation.ui.screens.ticket import TicketScreen
from workstation.ui.widgets.approvals import ApprovalsTable
from workstation.ui.widgets.dom import Dom
from workstation.ui.widgets.executions import ExecutionsTable
from workstation.ui.widgets.orders import OrdersTable

from .conftest import make_app, settle


def limit(paper, side: str, amount: str, away: int, symbol: str = "BTC/USDT") -> OrderSpec:
    book = paper.desk.book("paper", symbol)
    price = book.best_bid - away if side == "buy" else book.best_ask + away
    return OrderSpec("paper", symbol, side, "limit", Decimal(amount), price=price)


async def test_tables_newest_first_stable_through_a_theme_change_and_the_cursor_follows(paper):
    app = make_app(paper)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        cids = []
        for i in range(12):  # some in the same millisecond: the order must still be stable
            order = paper.desk.stage(limit(paper, "buy", f"0.00{i + 1:02d}", 10 + i))
            await paper.desk.approve(order.client_order_id)
            cids.append(order.client_order_id)
            if i % 3 == 2:
                paper.clock.advance(1000)
        await settle(pilot, app)
        table = app.main_screen.query_one(OrdersTable)
        assert table.row_keys() == cids[::-1]
        assert table.selected_key == cids[-1] and table.scroll_y == 0  # the newest, on screen
        for _ in range(3):
            await pilot.press("t")  # next theme: every cell rewritten
            await settle(pilot, app)
            assert table.row_keys() == cids[::-1]
        # a new order takes the cursor, above the fold or not
        table.move_cursor(row=table.row_count - 1)
        paper.clock.advance(1000)
        newest = paper.desk.stage(limit(paper, "sell", "0.002", 10))
        await paper.desk.approve(newest.client_order_id)
        await settle(pilot, app)
        assert table.row_keys()[0] == newest.client_order_id and table.selected_key == newest.client_order_id
        assert table.scroll_y == 0


async def test_e_right_after_a_fill_opens_that_fill(paper):
    app = make_app(paper)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        for amount in ("0.001", "0.002"):
            order = paper.desk.stage(OrderSpec("paper", "BTC/USDT", "buy", "market", Decimal(amount)))
            await paper.desk.approve(order.client_order_id)
            paper.clock.advance(1000)
            await settle(pilot, app)
        table = app.main_screen.query_one(ExecutionsTable)
        assert table.selected_key == order.client_order_id
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExecutionDetailScreen) and app.screen.execution.client_order_id == \
            order.client_order_id


async def test_bracket_and_oco_legs_are_one_block(paper):
    app = make_app(paper)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        mid = paper.desk.book("paper", "BTC/USDT").mid
        lone = paper.desk.stage(limit(paper, "buy", "0.001", 30))
        paper.clock.advance(1000)
        bracket = paper.desk.stage_bracket(limit(paper, "buy", "0.002", 20), stop_price=mid - 500,
                                           take_profit_price=mid + 500)
        paper.clock.advance(1000)
        later = paper.desk.stage(limit(paper, "buy", "0.003", 40))
        await settle(pilot, app)
        table = app.main_screen.query_one(ApprovalsTable)
        keys = table.row_keys()
        members = [o.client_order_id for o in bracket]
        assert keys == [later.client_order_id, *members, lone.client_order_id]
        marks = [table._cells[k][1].plain.strip()[0] for k in members]
        assert marks == ["┌", "├", "└"]
        assert [table._cells[k][3].plain.strip() for k in members] == ["limit", "SL stop", "TP limit"]


async def test_scaled_ticket_names_each_childs_own_size(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("b")
        await pilot.pause()
        ticket = app.screen
        await pilot.press(*(["ctrl+o"] * 9))  # ... bracket, oco, scaled
        await pilot.pause()
        assert ticket.query_one("#type").value == "scaled"
        mid = paper.desk.book("paper", "BTC/USDT").mid
        ticket.query_one("#amount").value = "0.05"
        ticket.query_one("#start").value = str((mid - 100).quantize(Decimal("1")))
        ticket.query_one("#end").value = str((mid - 500).quantize(Decimal("1")))
        await pilot.pause()
        assert ticket.last_request.group == "scaled", ticket.last_error
        assert "each 0.01000 BTC" in ticket.last_explain and "0.05000 BTC in all" in ticket.last_explain
        assert "0.05 BTC/USDT" not in ticket.last_explain  # the total was once called each child's size


async def test_help_title_keeps_keys_and_the_80x24_bracket_ticket_fits(paper):
    app = make_app(paper)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "[keys]" in str(app.screen.query_one(".dialog-title").render())
        await pilot.press("escape", "b")
        await pilot.pause()
        await pilot.press(*(["ctrl+o"] * 7))  # bracket
        ticket = app.screen
        assert isinstance(ticket, TicketScreen)
        mid = paper.desk.book("paper", "BTC/USDT").mid
        ticket.query_one("#amount").value = "0.01"
        ticket.query_one("#stop").value = str(mid - 500)
        ticket.query_one("#tp").value = str(mid + 800)
        await pilot.pause()
        screen = ticket.region
        for part in ("#ticket-hint", "#ticket-title"):
            region = ticket.query_one(part).region
            assert region.height and screen.contains_region(region), part
        body = ticket.query_one("#ticket-body")
        body.scroll_end(animate=False)
        await pilot.pause()
        problems = ticket.query_one("#ticket-problems")
        assert problems.region.height and screen.contains_region(problems.region)
        assert "every check passes" in str(problems.render())


async def test_ask_prices_stay_readable_on_their_depth_bars_in_ansi_dark(paper):
    app = make_app(paper, Config(theme="ansi-dark"))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        dom = app.main_screen.query_one(Dom)
        book = paper.desk.book("paper", "BTC/USDT")
        for price, size in book.asks[:5]:
            line = list(dom.render_line(dom.row_of(price)))
            text = next(s for s in line if s.text == f"{price:.2f}")
            red = text.style.color
            assert red.number == 1 and text.style.bgcolor != red, text  # ANSI red, never red on red
            bars = [s for s in line if s.style and s.style.bgcolor and not s.style.bgcolor.is_default]
            assert bars and all(s.style.bgcolor not in (s.style.color, red) for s in bars), bars


async def test_q_asks_while_emulated_orders_and_approvals_wait(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        mid = paper.desk.book("paper", "BTC/USDT").mid
        stop = paper.desk.stage(OrderSpec("paper", "BTC/USDT", "sell", "stop_market", Decimal("0.01"),
                                          trigger_price=mid - 300, trigger_by="mid"))
        await paper.desk.approve(stop.client_order_id)
        paper.desk.stage(limit(paper, "buy", "0.001", 50))
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        body = str(app.screen.query_one("#confirm-body").render())
        assert "1 emulated order" in body and "1 order(s) wait for your approval" in body
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not app.is_running


async def test_a_human_order_left_waiting_expires(paper):
    paper.desk.settings.human_expiry_s = 60
    app = make_app(paper, Config(cockpit=CockpitConfig(human_expiry_s=60)))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        order = paper.desk.stage(limit(paper, "buy", "0.001", 50))
        paper.clock.advance(30_000)
        app.every_second()
        assert paper.desk.order(order.client_order_id).status is OrderStatus.PENDING_APPROVAL
        paper.clock.advance(31_000)
        app.every_second()
        await settle(pilot, app)
        expired = paper.desk.order(order.client_order_id)
        assert expired.status is OrderStatus.EXPIRED and "left waiting" in expired.reason
        assert order.client_order_id not in app.main_screen.query_one(ApprovalsTable)._cells
        assert paper.create_calls == []


async def test_passive_limits_rest_rather_than_slip(paper):
    app = make_app(paper)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        resting = paper.desk.stage(limit(paper, "buy", "0.001", 20))
        crossing = paper.desk.stage(OrderSpec("paper", "BTC/USDT", "buy", "limit", Decimal("0.001"),
                                              price=paper.desk.book("paper", "BTC/USDT").best_ask + 5))
        await settle(pilot, app)
        cells = app.main_screen.query_one(ApprovalsTable)._cells
        assert cells[resting.client_order_id][9].plain.strip() == "rests"
        assert cells[crossing.client_order_id][9].plain.strip().startswith("+")


async def test_stop_execution_measures_against_its_trigger_and_cancels_say_who(paper):
    desk = paper.desk
    await desk.connect()
    mid = desk.book("paper", "BTC/USDT").mid
    stop = desk.stage(OrderSpec("paper", "BTC/USDT", "sell", "stop_market", Decimal("0.01"), trigger_price=mid - 5,
                                trigger_by="mid"))
    await desk.approve(stop.client_order_id)
    paper.exchange.set_mid("BTC/USDT", mid - 50)
    for _ in range(3):  # the trigger fires, the release is sent, its fill arrives
        await paper.pump(500)
        await asyncio.sleep(0.05)
    ex = next(e for e in desk.executions() if e.client_order_id == stop.client_order_id)
    assert ex.intended_price == mid - 5, ex  # the trigger, not the mid at staging
    mine = desk.stage(limit(paper, "buy", "0.001", 40))
    await desk.approve(mine.client_order_id)
    await desk.cancel(mine.client_order_id)
    victim = desk.stage(limit(paper, "buy", "0.002", 60))
    await desk.approve(victim.client_order_id)
    await desk.kill(actor="human", reason="test")
    reasons = {e.client_order_id: e.reason for e in desk.executions()}
    assert reasons[mine.client_order_id] == "canceled by the trader"
    assert reasons[victim.client_order_id] == "canceled by the kill switch"


async def test_edit_then_approve_is_in_the_decisions_export(paper):
    desk = paper.desk
    await desk.connect()
    order = desk.stage(limit(paper, "buy", "0.002", 30))
    await desk.approve(order.client_order_id, edits={"amount": Decimal("0.003")})
    (row,) = [r for r in decision_rows(list(desk.journal.events())) if r["client_order_id"] == order.client_order_id]
    assert row["n_edits"] == 1 and '"from":"0.002"' in row["edits"] and '"to":"0.003"' in row["edits"]


async def test_amount_messages_use_plain_digits(paper):
    desk = paper.desk
    await desk.connect()
    problems = desk.check(OrderSpec("paper", "BTC/USDT", "buy", "market", Decimal("1E-7")))
    text = " ".join(p.message for p in problems)
    assert "E-" not in text and "0.0000001" in text and "try 0.00000" not in text and "the smallest is 0.00001" in text
