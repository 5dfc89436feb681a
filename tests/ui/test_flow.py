"""Pilot tests: the real app on the deterministic paper desk, driven by keys only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ccxt.base.errors import OrderNotFound

from workstation.domain.orders import OrderStatus
from workstation.ui.screens.execution_detail import ExecutionDetailScreen
from workstation.ui.screens.help import HelpScreen
from workstation.ui.screens.proposal import ProposalScreen, ReasonScreen
from workstation.ui.screens.ticket import TicketScreen
from workstation.ui.widgets.approvals import ApprovalsTable
from workstation.ui.widgets.executions import ExecutionsTable
from workstation.ui.widgets.dom import Dom
from workstation.ui.widgets.orders import OrdersTable
from workstation.ui.widgets.positions import PositionsTable

from .conftest import make_app, settle


def rich_text(renderable) -> str:
    from rich.console import Console

    console = Console(width=120, record=True, file=open("/dev/null", "w"))
    console.print(renderable)
    return console.export_text()


async def open_ticket_and_stage(pilot, app, amount: str, *, key: str = "b", limit: bool = False) -> str:
    """The ticket opens as a limit at the touch with the preset size selected: type over it; ctrl+o makes
    it a market order; ctrl+s stages it for the approval queue (enter would send it at once)."""
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(app.screen, TicketScreen)
    if not limit:
        await pilot.press("ctrl+o")  # limit -> market
        await pilot.pause()
    await pilot.press(*amount)
    await pilot.press("ctrl+s")
    await settle(pilot, app)
    assert not isinstance(app.screen, TicketScreen), "the ticket should close after staging"
    pending = app.desk.pending_approvals()
    assert pending, "the order should wait for approval"
    return max(pending, key=lambda o: o.client_order_id).client_order_id


async def test_buy_market_stage_approve_fill(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        cid = await open_ticket_and_stage(pilot, app, "0.01")
        # staged: in the approval queue, not at the venue
        assert app.main_screen.query_one(ApprovalsTable).selected_key == cid
        assert paper.create_calls == []
        with pytest.raises(OrderNotFound):
            await paper.exchange.fetch_order(None, "BTC/USDT", {"clientOrderId": cid})
        await pilot.press("a")
        await settle(pilot, app)
        assert len(paper.create_calls) == 1
        order = app.desk.order(cid)
        assert order.status is OrderStatus.FILLED and order.filled == Decimal("0.01")
        app.tick()
        await pilot.pause()
        assert cid in app.main_screen.query_one(ExecutionsTable)._cells
        positions = app.main_screen.query_one(PositionsTable)
        assert "paper|BTC/USDT" in positions._cells
        # on spot the position is what is held: the venue's own balance, the fill included
        held = Decimal(str((await paper.exchange.fetch_balance())["BTC"]["total"]))
        assert held == Decimal("1.01") and positions._cells["paper|BTC/USDT"][2].plain.strip() == f"{held:.5f}"


async def test_limit_rests_then_fills_from_flow(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        cid = await open_ticket_and_stage(pilot, app, "0.05", limit=True)
        price = app.desk.order(cid).spec.price
        assert price == app.desk.book("paper", "BTC/USDT").best_bid
        assert paper.create_calls == []
        await pilot.press("a")
        await settle(pilot, app)
        assert app.desk.order(cid).status is OrderStatus.OPEN
        open_orders = await paper.exchange.fetch_open_orders("BTC/USDT")
        assert [o["clientOrderId"] for o in open_orders] == [cid]
        await paper.pump(100)
        app.tick()
        await pilot.pause()
        assert cid in app.main_screen.query_one(OrdersTable)._cells
        assert app.main_screen.query_one(Dom).snapshot.buys.get(price) == Decimal("0.05")
        # another trader sells into the bid: our order fills
        paper.exchange.inject_flow("BTC/USDT", "sell", "20")
        await paper.pump(100)
        await settle(pilot, app)
        order = app.desk.order(cid)
        assert order.status is OrderStatus.FILLED, order
        assert cid not in app.main_screen.query_one(OrdersTable)._cells
        assert cid in app.main_screen.query_one(ExecutionsTable)._cells
        assert app.desk.position("paper", "BTC/USDT").size == Decimal("0.05")


async def test_reject_with_reason(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        cid = await open_ticket_and_stage(pilot, app, "0.02", key="s")
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ReasonScreen)
        await pilot.press(*"too big", "enter")
        await settle(pilot, app)
        order = app.desk.order(cid)
        assert order.status is OrderStatus.DECLINED
        assert "too big" in order.reason
        assert paper.create_calls == []
        assert cid not in app.main_screen.query_one(ApprovalsTable)._cells


async def test_cancel_resting_order(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        cid = await open_ticket_and_stage(pilot, app, "0.03", limit=True)
        await pilot.press("a")
        await settle(pilot, app)
        assert app.desk.order(cid).status is OrderStatus.OPEN
        app.main_screen.show_tab("orders")
        app.main_screen.query_one(OrdersTable).select_key(cid)
        await pilot.press("c")
        await settle(pilot, app)
        assert app.desk.order(cid).status is OrderStatus.CANCELED
        assert await paper.exchange.fetch_open_orders("BTC/USDT") == []
        assert cid not in app.main_screen.query_one(OrdersTable)._cells


async def test_modify_resting_order(paper):
    paper.exchange.set_modify("amend")  # in place: the same order carries the new amount (cancel-replace: a new one)
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        cid = await open_ticket_and_stage(pilot, app, "0.03", limit=True)
        await pilot.press("a")
        await settle(pilot, app)
        app.main_screen.show_tab("orders")
        app.main_screen.query_one(OrdersTable).select_key(cid)
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("ctrl+a", "ctrl+k", *"0.04", "enter")
        await settle(pilot, app)
        assert app.desk.order(cid).amount == Decimal("0.04")
        (venue_order,) = await paper.exchange.fetch_open_orders("BTC/USDT")
        assert Decimal(str(venue_order["amount"])) == Decimal("0.04")


async def test_nothing_is_sent_without_an_approval_keypress(paper):
    """Stage orders of every kind through the ticket and the palette, open and close the
    proposal view, reject one: the venue never receives a create_order."""
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await open_ticket_and_stage(pilot, app, "0.01")  # market buy, typed
        mid = app.desk.book("paper", "BTC/USDT").mid
        kinds = [("s", 1, None), ("b", 0, None), ("b", 2, mid + 500), ("s", 3, mid - 600),
                 ("b", 4, mid - 500), ("s", 5, mid + 600)]  # market sell, limit, stop, stop-limit, tp, tp-limit
        for key, type_presses, trigger in kinds:
            await pilot.press(key)
            await pilot.pause()
            ticket = app.screen
            assert isinstance(ticket, TicketScreen)
            if type_presses:
                await pilot.press(*(["ctrl+o"] * type_presses))
            ticket.query_one("#amount").value = "0.01"
            if trigger is not None:
                ticket.query_one("#trigger").value = str(trigger)
            await pilot.pause()
            assert ticket.last_problems == [] and ticket.last_spec is not None, (ticket.last_error, ticket.last_problems)
            await pilot.press("ctrl+s")
            await settle(pilot, app)
        # through the palette, on another symbol
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"buy eth")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, TicketScreen) and app.screen.symbol == "ETH/USDT"
        app.screen.query_one("#amount").value = "0.5"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        # look at a proposal and close it; reject another
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, ProposalScreen)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot, app)
        await paper.pump(500)
        await settle(pilot, app)
        statuses = [o.status for o in app.desk.orders()]
        assert len(statuses) == 8 and statuses.count(OrderStatus.PENDING_APPROVAL) == 7
        assert statuses.count(OrderStatus.DECLINED) == 1
        assert {o.spec.type.value for o in app.desk.orders()} >= {
            "market", "limit", "stop_market", "stop_limit", "take_profit_market", "take_profit_limit"}
        assert paper.create_calls == []
        assert await paper.exchange.fetch_open_orders() == []


async def test_duplicate_needs_a_second_enter(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await open_ticket_and_stage(pilot, app, "0.01")
        await pilot.press("b")
        await pilot.pause()
        await pilot.press("ctrl+o", *"0.01", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, TicketScreen), "the first ctrl+s only warns about the duplicate"
        assert [p.rule for p in app.screen.last_problems] == ["duplicate_order"]
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert len(app.desk.pending_approvals()) == 2
        assert paper.create_calls == []


async def test_ticket_shows_failing_checks_and_refuses_to_stage(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("b")
        await pilot.pause()
        await pilot.press("ctrl+o", *"0.00001")  # a market order of 0.65 USDT: below the 5 USDT minimum
        await pilot.pause()
        ticket = app.screen
        assert any(p.rule == "cost_min" for p in ticket.last_problems)
        assert "cost_min" in rich_text(ticket.query_one("#ticket-problems").content)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TicketScreen)
        assert app.desk.orders() == []
        await pilot.press("ctrl+a", "ctrl+k", *"1..2")
        await pilot.pause()
        assert ticket.last_spec is None and "not a number" in ticket.last_error
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, TicketScreen)


async def test_amount_as_notional_and_percent(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("b")
        await pilot.pause()
        ticket = app.screen
        await pilot.press("ctrl+n", *"650")  # 650 USDT notional at mid 65000 -> 0.01 BTC
        await pilot.pause()
        assert ticket.last_spec.amount == Decimal("0.01")
        await pilot.press("ctrl+n", "ctrl+a", "ctrl+k", *"10")  # 10% of 100000 USDT free -> ~0.1538 BTC
        await pilot.pause()
        assert Decimal("0.15") < ticket.last_spec.amount < Decimal("0.16")


async def test_execution_detail_and_help(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await open_ticket_and_stage(pilot, app, "0.01")
        await pilot.press("a")
        await settle(pilot, app)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExecutionDetailScreen)
        body = rich_text(app.screen.query_one("#execution-body").content)
        for leg in ("decided", "staged", "approved", "sent", "acked", "first_fill", "done"):
            assert leg in body
        await pilot.press("escape")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        from textual.widgets import DataTable
        table = app.screen.query_one(DataTable)
        ids = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert {"buy", "sell", "approve", "reject", "cancel_order", "modify_order", "help", "quit"} <= ids


async def test_symbol_switching_by_key_and_palette(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        ladder = app.main_screen.query_one(Dom)
        assert ladder.snapshot.symbol == "BTC/USDT"
        await pilot.press("alt+2")  # 1..5 are the quantity presets
        await settle(pilot, app)
        assert ladder.snapshot.symbol == "ETH/USDT"
        await pilot.press("right_square_bracket")
        await settle(pilot, app)
        assert ladder.snapshot.symbol == "SOL/USDT"
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"go btc/usdt:")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot, app)
        assert ladder.snapshot.symbol == "BTC/USDT:USDT"


async def test_80x24_prices_are_not_cut(paper):
    app = make_app(paper)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        ladder = app.main_screen.query_one(Dom)
        book = app.desk.book("paper", "BTC/USDT")
        lines = [ladder.render_line(y).text for y in range(ladder.size.height)]
        text = "\n".join(lines)
        # every level within the view shows, price and size, uncut
        shown = [(p, s) for p, s in book.bids + book.asks if ladder.row_of(p) is not None]
        assert len(shown) >= 16
        for price, size in shown:
            line = lines[ladder.row_of(price)]
            assert f"{price:.2f}" in line and f"{size:.5f}" in line, (price, line)
        assert "bid" in text and "ask" in text
        # the status bar shows the environment
        assert "PAPER" in str(app.main_screen.query_one("#env").render())


async def test_slow_venue_does_not_freeze_the_screen(paper, monkeypatch):
    """A venue that hangs on connect: the screen is up, keys work, the status bar says so."""
    import asyncio

    async def hang(*args, **kwargs):
        await asyncio.sleep(3600)

    monkeypatch.setattr(paper.exchange, "load_markets", hang)
    app = make_app(paper, start_desk=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause(0.2)
        app.tick()
        await pilot.pause()
        assert "connecting" in str(app.main_screen.query_one("#venue").render())
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("b")  # no market yet: a message, not a crash
        await pilot.pause()
        assert not isinstance(app.screen, TicketScreen)
