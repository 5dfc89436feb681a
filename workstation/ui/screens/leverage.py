"""Setting the account's leverage for one contract at the venue: what it is now, what the venue allows and
what the risk gate's limit is, then a whole number. The Desk checks it again and journals the change."""

from __future__ import annotations

from decimal import Decimal

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..keys import CLOSE_BINDINGS


class LeverageScreen(ModalScreen[Decimal | None]):
    BINDINGS = CLOSE_BINDINGS

    def __init__(self, venue: str, symbol: str, *, now: Decimal | None, venue_max: Decimal | None,
                 gate_limit: Decimal):
        super().__init__()
        self.venue, self.symbol = venue, symbol
        self.now, self.venue_max, self.gate_limit = now, venue_max, gate_limit

    def compose(self) -> ComposeResult:
        now = f"{self.now}x" if self.now is not None else "not known (the venue did not say)"
        top = f"{self.venue_max}x" if self.venue_max is not None else "not published"
        with Vertical(id="leverage-box", classes="dialog"):
            yield Static(f" Leverage · {self.symbol} on {self.venue}", classes="dialog-title", markup=False)
            yield Static(f"at the venue now      {now}\n"
                         f"the venue allows      up to {top}\n"
                         f"the risk gate allows  {self.gate_limit}x (new risk is refused above it)",
                         id="leverage-facts", markup=False)
            yield Input(placeholder="a whole number, e.g. 3", id="leverage-value", compact=True, restrict=r"[0-9]*")
            yield Static("", id="leverage-error")
            yield Static("[b]enter[/] set it at the venue   [b]esc[/] close", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#leverage-value", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        error = self.query_one("#leverage-error", Static)
        text = event.value.strip()
        if not text.isdigit() or int(text) < 1:
            error.update("type a whole number of 1 or more")
            return
        value = Decimal(text)
        if self.venue_max is not None and value > self.venue_max:
            error.update(f"{self.venue} allows at most {self.venue_max}x on {self.symbol}")
            return
        self.dismiss(value)

    def action_close(self) -> None:
        self.dismiss(None)
