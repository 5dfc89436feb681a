"""Every key: id (for `[keys]` in the config), key, where it works, what it does."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from ..keys import CLOSE_BINDINGS, all_keys


class HelpScreen(ModalScreen[None]):
    BINDINGS = CLOSE_BINDINGS + [("question_mark", "close", "Close")]

    def __init__(self, keymap: dict[str, str]):
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box", classes="dialog"):
            yield Static(" Keys — remap any of them by id in the config's [keys] table", classes="dialog-title",
                         markup=False)
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Static("[b]esc[/] close   [b]ctrl+p[/] every action by name", classes="dialog-hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Id", "Where", "What")
        for row in all_keys(self.keymap):
            table.add_row(row.key, row.id, row.where, row.description)

    def action_close(self) -> None:
        self.dismiss(None)
