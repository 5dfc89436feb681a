"""Fast actions by key, end to end on the paper exchange: each asks once, each goes through the risk
gate, and what the venue then holds is checked against what the action promised."""

from __future__ import annotations

from decimal import Decimal

from workstation.domain.orders import OrderSpec
from workstation.ui.screens.cockpit import PlanScreen

from .conftest import make_app, settle

PERP = "BTC/USDT:USDT"


def d(x) -> Decimal:
    return Decimal(str(x))


async def venue_position(paper, symbol: str) -> Decimal:
    for pos in await paper.exchange.fetch_positions():
        if pos["symbol"] == symbol:
            return d(pos["contracts"]) * d(pos["contractSize"]) * (1 if pos["side"] == "long" else -1)
    return Decimal(0)


async def place(paper, spec: OrderSpec, confirm: bool = False):
    order = paper.desk.stage(spec, confirm_duplicate=confirm)
    return await paper.desk.approve(order.client_order_id)


async def confirm(pilot, app) -> PlanScreen:
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, PlanScreen), screen
    await pilot.press("y")
    for _ in range(3):
        await settle(pilot, app)
    return screen


async def test_flatten_a_perpetual_leaves_the_venue_flat(paper):
    app = make_app(paper)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        await place(paper, OrderSpec("paper", PERP, "buy", "market", Decimal("0.3")))
        book = paper.desk.book("paper", PERP)
        await place(paper, OrderSpec("paper", PERP, "buy", "limit", Decimal("0.05"), price=book.best_bid - 20))
        await paper.pump(500)
        await settle(pilot, app)
        assert await venue_position(paper, PERP) == Decimal("0.3")
        app.main_screen.select_symbol("paper", PERP)
        await settle(pilot, app)
        calls = len(paper.create_calls)
        await pilot.press("F")
        plan = (await confirm(pilot, app)).plan
        assert plan.kind == "flatten" and any("reduce-only" in line for line in plan.lines)
        # the working bid went first, then reduce-only market orders, each within the per-order cap
        assert await paper.exchange.fetch_open_orders(PERP) == []
        sent = paper.create_calls[calls:]
        assert sent and all(c[0][1] == "market" and c[0][2] == "sell" and c[0][5].get("reduceOnly") for c in sent)
        assert all(d(c[0][3]) * book.mid <= Decimal("25000") for c in sent)
        await paper.pump(500)
        assert await venue_position(paper, PERP) == 0
        assert app.desk.trading_state("paper").value == "active"  # not the kill switch
        approvals = [e.actor for e in app.desk.journal.events(("approved",))][-len(sent):]
        assert approvals == ["human"] * len(sent)


async def test_flatten_spot_sells_what_is_held(paper):
    app = make_app(paper)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        app.main_screen.select_symbol("paper", "ETH/USDT")
        book = paper.desk.book("paper", "ETH/USDT")
        await place(paper, OrderSpec("paper", "ETH/USDT", "sell", "limit", Decimal("2"), price=book.best_ask + 5))
        await settle(pilot, app)
        held = d((await paper.exchange.fetch_balance())["ETH"]["total"])
        assert held == Decimal("10")
        await pilot.press("F")
        plan = (await confirm(pilot, app)).plan
        assert any("what you hold: 10" in line for line in plan.lines)
        await paper.pump(500)
        balance = await paper.exchange.fetch_balance()
        lot = app.desk.market("paper", "ETH/USDT").lot
        assert d(balance["ETH"]["total"]) < lot and d(balance["ETH"]["used"]) == 0
        assert await paper.exchange.fetch_open_orders("ETH/USDT") == []


async def test_reverse_turns_a_long_into_the_same_short(paper):
    app = make_app(paper)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        await place(paper, OrderSpec("paper", PERP, "buy", "market", Decimal("0.2")))
        await paper.pump(500)
        app.main_screen.select_symbol("paper", PERP)
        await settle(pilot, app)
        await pilot.press("U")
        await confirm(pilot, app)
        await paper.pump(500)
        assert await venue_position(paper, PERP) == Decimal("-0.2")
        # on spot there is nothing to reverse into: refused, nothing sent
        app.main_screen.select_symbol("paper", "BTC/USDT")
        calls = len(paper.create_calls)
        await pilot.press("U")
        await pilot.pause()
        assert not isinstance(app.screen, PlanScreen) and len(paper.create_calls) == calls


async def test_join_the_bid_and_the_ask_with_the_preset(paper):
    app = make_app(paper)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        book = paper.desk.book("paper", "BTC/USDT")
        await pilot.press("3")
        preset = app.main_screen.presets("paper", "BTC/USDT")[2]
        await pilot.press("ctrl+b")
        await confirm(pilot, app)
        await pilot.press("ctrl+s")
        await confirm(pilot, app)
        orders = await paper.exchange.fetch_open_orders("BTC/USDT")
        got = sorted((o["side"], d(o["price"]), d(o["amount"])) for o in orders)
        assert got == [("buy", book.best_bid, preset), ("sell", book.best_ask, preset)]


async def test_cancel_all_on_a_symbol_then_everywhere_without_halting(paper):
    app = make_app(paper)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        for symbol, amount in (("BTC/USDT", "0.002"), ("BTC/USDT", "0.003"), ("ETH/USDT", "0.05")):
            book = paper.desk.book("paper", symbol)
            await place(paper, OrderSpec("paper", symbol, "buy", "limit", Decimal(amount), price=book.best_bid - 5))
        await settle(pilot, app)
        await pilot.press("k")  # this symbol (BTC/USDT)
        await confirm(pilot, app)
        assert await paper.exchange.fetch_open_orders("BTC/USDT") == []
        assert len(await paper.exchange.fetch_open_orders("ETH/USDT")) == 1
        await pilot.press("K")  # everywhere
        await confirm(pilot, app)
        assert await paper.exchange.fetch_open_orders() == []
        assert app.desk.trading_state("paper").value == "active"
        # and an order can go again at once: nothing was halted
        await place(paper, OrderSpec("paper", "BTC/USDT", "buy", "market", Decimal("0.001")))
        assert len(paper.create_calls) == 4


async def test_a_fast_action_the_gate_refuses_is_shown_and_not_done(paper):
    app = make_app(paper)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        app.desk.set_risk_limits("paper", "BTC/USDT", max_order_notional=Decimal("10"), reason="test")
        await pilot.press("ctrl+b")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlanScreen) and screen.plan.problems
        assert "max_order_notional" in str(screen.query_one("#plan-problems").render()) or \
            "limit" in str(screen.query_one("#plan-problems").render())
        await pilot.press("y")  # refused: the gate objects now
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen)
        await pilot.press("escape")
        await settle(pilot, app)
        assert paper.create_calls == []
