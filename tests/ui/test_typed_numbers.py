"""Finding 1 in the TUI: what the trader types is shown back with what is wrong, and nothing is staged."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workstation.ui.screens.modify import ModifyScreen
from workstation.ui.screens.ticket import TicketScreen
from .conftest import make_app, settle
from .test_flow import rich_text


@pytest.mark.parametrize("typed, says", [
    ("0,5", "use a dot for decimals: 0.5"),
    ("-5", "negative"),
    ("5abc", "not a number"),
    ("1e9", "write the number out in full"),
])
async def test_a_bad_amount_shows_a_message_and_stages_nothing(paper, typed, says):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("b")
        await pilot.pause()
        ticket = app.screen
        assert isinstance(ticket, TicketScreen)
        await pilot.press(*typed)
        await pilot.pause()
        assert ticket.query_one("#amount").value == typed  # every key kept: nothing silently dropped
        assert ticket.last_spec is None and says in ticket.last_error
        assert says in rich_text(ticket.query_one("#ticket-preview").render())
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TicketScreen), "a bad amount must not close the ticket"
        assert any(says in str(n.message) for n in app._notifications), "enter must say why nothing was staged"
        assert app.desk.orders() == [] and paper.create_calls == []


async def test_a_bad_price_in_the_modify_dialog_says_why(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        desk = app.desk
        from workstation.domain.orders import OrderSpec
        bid = desk.book("paper", "BTC/USDT").best_bid
        order = desk.stage(OrderSpec(venue="paper", symbol="BTC/USDT", side="buy", type="limit",
                                     amount=Decimal("0.01"), price=bid - 100))
        await desk.approve(order.client_order_id)
        dialog = ModifyScreen(desk.order(order.client_order_id))
        chosen = []
        app.push_screen(dialog, callback=chosen.append)
        await pilot.pause()
        price = dialog.query_one("#new-price")
        price.value = ""
        price.focus()
        await pilot.press(*"64000,5", "enter")
        await pilot.pause()
        assert "decimal comma" in rich_text(dialog.query_one("#modify-error").render())
        assert chosen == [] and desk.order(order.client_order_id).spec.price == bid - 100
