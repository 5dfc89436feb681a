"""Leverage from the TUI: an account left at 10x at the venue (above the gate's 5x) has new risk refused
with where to lower it; the palette's Set leverage changes it at the venue, checked there."""

from __future__ import annotations

from decimal import Decimal

from workstation.domain.orders import OrderSpec, OrderStatus
from workstation.ui.commands import WorkstationCommands
from workstation.ui.screens.leverage import LeverageScreen

from .conftest import make_app, settle

PERP = "BTC/USDT:USDT"


async def test_the_palette_sets_leverage_at_the_venue_and_the_gate_then_allows_the_order(paper):
    await paper.exchange.set_leverage(10, PERP)  # as a real account may be (Binance starts at 20x)
    app = make_app(paper)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        titles = [title for title, _, _ in WorkstationCommands(app.screen).commands()]
        assert f"Set leverage for {PERP}" in titles
        assert "Set leverage for BTC/USDT" not in titles  # spot: leverage does not apply

        spec = OrderSpec("paper", PERP, "buy", "market", Decimal("0.01"))
        denied = app.desk.stage(spec)  # the gate runs at staging: refused before a human is asked
        assert denied.status is OrderStatus.DENIED and "Set leverage" in denied.reason

        app.open_leverage("paper", PERP)
        await pilot.pause()
        assert isinstance(app.screen, LeverageScreen)
        await pilot.press("2", "0", "0", "enter")  # above the venue's 100x: refused here, nothing sent
        await pilot.pause()
        assert "at most 100x" in str(app.screen.query_one("#leverage-error").render())
        assert paper.exchange.sim.accounts.leverage[PERP] == 10

        await pilot.press("backspace", "backspace", "backspace", "3", "enter")
        await settle(pilot, app)
        assert not isinstance(app.screen, LeverageScreen)
        assert paper.exchange.sim.accounts.leverage[PERP] == 3  # the venue's own record
        assert [e.payload["after"] for e in app.desk.journal.events(kinds=("leverage",))] == ["3"]

        placed = await app.desk.approve(app.desk.stage(spec, confirm_duplicate=True).client_order_id)
        assert placed.status is not OrderStatus.DENIED, placed.reason
