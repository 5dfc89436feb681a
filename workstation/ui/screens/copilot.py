"""The copilot's prompt line: one Input docked at the bottom. Enter hands the text back; the app
sends it with ``copilot.ask`` (which returns at once: the answer arrives as events)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..keys import CLOSE_BINDINGS


class PromptScreen(ModalScreen[str | None]):
    BINDINGS = CLOSE_BINDINGS
    AUTO_FOCUS = "#prompt"

    def __init__(self, status: str, last_reply: str | None = None):
        super().__init__()
        self.status, self.last_reply = status, last_reply

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            if self.last_reply:
                yield Static(f"copilot: {self.last_reply}", id="prompt-last", markup=False)
            yield Input(placeholder="ask the copilot… e.g. \"buy 0.2 ETH at 3,150\", \"bracket buy 0.01 BTC perp\","
                                    " \"scan\"", id="prompt")
            yield Static(f"[b]enter[/] ask   [b]esc[/] close   copilot is {self.status}: it proposes, you approve",
                         id="prompt-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        self.dismiss(text or None)

    def action_close(self) -> None:
        self.dismiss(None)
