"""Modify a working order: new amount and/or price. The main screen sends it through a worker."""

from __future__ import annotations

from decimal import Decimal

from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from ...domain.orders import Order
from .. import format as fmt
from ..keys import CLOSE_BINDINGS


class ModifyScreen(ModalScreen[tuple[Decimal | None, Decimal | None] | None]):
    BINDINGS = CLOSE_BINDINGS
    AUTO_FOCUS = "#new-amount"

    def __init__(self, order: Order):
        super().__init__()
        self.order = order

    def compose(self) -> ComposeResult:
        o = self.order
        with Vertical(id="modify-box", classes="dialog"):
            yield Static(f" Modify {o.side.value} {o.symbol} {o.client_order_id}", classes="dialog-title")
            with Grid(id="modify-form"):
                yield Label("Amount")
                yield Input(str(o.amount), id="new-amount", compact=True)
                yield Label("Price")
                yield Input("" if o.spec.price is None else str(o.spec.price), id="new-price", compact=True,
                            disabled=o.spec.price is None)
            yield Static("", id="modify-error")
            yield Static("[b]enter[/] send the change   [b]esc[/] keep the order as it is", classes="dialog-hint")

    def _value(self, widget_id: str) -> Decimal | None:
        return fmt.parse_decimal(self.query_one(widget_id, Input).value, positive=True,
                                 what=widget_id.removeprefix("#new-"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            amount, price = self._value("#new-amount"), self._value("#new-price")
        except ValueError as exc:
            self.query_one("#modify-error", Static).update(str(exc))
            return
        if amount == self.order.amount:
            amount = None
        if price == self.order.spec.price:
            price = None
        if amount is None and price is None:
            self.query_one("#modify-error", Static).update("nothing changed")
            return
        self.dismiss((amount, price))

    def action_close(self) -> None:
        self.dismiss(None)
