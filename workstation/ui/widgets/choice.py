"""A one-line choice for the ticket: ``◂ limit ▸``, cycled with left / right / space (or a click).

One widget where a Select is six (its overlay, option list and labels): the ticket has seven of them,
and fewer widgets is what makes it open fast. The API is the part of Select the ticket uses:
``value``, ``set_options`` and a ``Changed`` message carrying ``select`` and ``value``.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static


class Choice(Static, can_focus=True):
    BINDINGS = [
        Binding("left", "step(-1)", "Previous", show=False),
        Binding("right", "step(1)", "Next", show=False),
        Binding("space", "step(1)", "Next", show=False),
    ]

    class Changed(Message):
        def __init__(self, choice: "Choice", value: Any) -> None:
            super().__init__()
            self.select = choice
            self.value = value

        @property
        def control(self) -> "Choice":
            return self.select

    def __init__(self, options: list[tuple[str, Any]], *, value: Any = None, id: str | None = None,
                 classes: str | None = None, disabled: bool = False):
        super().__init__("", id=id, classes=classes, disabled=disabled, markup=False)
        self._options = list(options)
        self._value = value if value is not None or not options else options[0][1]
        self._show()

    @property
    def options(self) -> list[tuple[str, Any]]:
        return list(self._options)

    @property
    def value(self) -> Any:
        return self._value

    @value.setter
    def value(self, value: Any) -> None:
        if value == self._value:
            return
        if value not in [v for _, v in self._options]:
            raise ValueError(f"{value!r} is not one of the choices")
        self._value = value
        self._show()
        self.post_message(self.Changed(self, value))

    def set_options(self, options: list[tuple[str, Any]]) -> None:
        self._options = list(options)
        if self._value not in [v for _, v in self._options] and self._options:
            self._value = self._options[0][1]
        self._show()

    def _label(self) -> str:
        return next((label for label, v in self._options if v == self._value), "")

    def _show(self) -> None:
        self.update(f"◂ {self._label()} ▸")

    def action_step(self, step: int) -> None:
        values = [v for _, v in self._options]
        if values:
            index = values.index(self._value) if self._value in values else 0
            self.value = values[(index + step) % len(values)]

    def on_click(self, event: events.Click) -> None:
        self.action_step(-1 if event.x <= 1 else 1)
