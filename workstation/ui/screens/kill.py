"""The kill switch's confirmation (and a second one for flatten), and a plain yes/no confirmation
for the other deliberate acts (re-arm, confirming a copilot suggestion)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from ..keys import CONFIRM_BINDINGS, KILL_BINDINGS


class KillScreen(ModalScreen[str | None]):
    """Returns "kill", "flatten" (after a second confirmation) or None."""

    BINDINGS = KILL_BINDINGS

    def __init__(self, summary: str):
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical(id="kill-box", classes="dialog"):
            yield Static(" KILL SWITCH", classes="dialog-title")
            yield Static(self.summary, id="kill-summary", markup=False)
            yield Static("[b]y[/] kill   [b]F[/] kill and flatten derivatives positions   [b]esc[/] keep trading",
                         classes="dialog-hint")

    def action_kill(self, flatten: bool) -> None:
        if not flatten:
            self.dismiss("kill")
            return
        self.app.push_screen(ConfirmScreen(
            "FLATTEN too?", "Besides halting and canceling, every derivatives position is closed with a "
            "reduce-only market order, at whatever the book gives.\nPress y to kill and flatten.", danger=True),
            callback=lambda yes: self.dismiss("flatten") if yes else None)

    def action_close(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = CONFIRM_BINDINGS

    def __init__(self, title: str, body: str, *, danger: bool = False, yes: str = "yes"):
        super().__init__()
        self.title_text, self.body, self.danger, self.yes = title, body, danger, yes

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="dialog" + (" -danger" if self.danger else "")):
            yield Static(f" {self.title_text}", classes="dialog-title")
            yield Static(self.body, id="confirm-body", markup=False)  # may carry a copilot's words
            yield Static(f"[b]y[/] {self.yes}   [b]esc[/] no", classes="dialog-hint")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_close(self) -> None:
        self.dismiss(False)
