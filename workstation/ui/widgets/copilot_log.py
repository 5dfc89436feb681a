"""The copilot log panel: each turn's request, tool calls, results and errors, newest at the bottom.

Fed with the copilot's events (``TurnLogged`` after every turn, ``CopilotError`` for a turn that
failed outright); it does no I/O and holds no copilot. Venue and model text is shown as plain text,
never as markup. A RichLog keeps a bounded number of lines and renders only what is visible.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import RichLog

from ...copilot.calllog import TurnLogged
from ...copilot.service import CopilotError

MAX_LINES = 1000


class CopilotLog(RichLog):
    DEFAULT_CSS = """
    CopilotLog { height: 1fr; }
    """
    COMPONENT_CLASSES = {"copilot-log--ok", "copilot-log--error", "copilot-log--prompt", "copilot-log--dim"}

    def __init__(self, *, clock=time.localtime, **kwargs) -> None:
        super().__init__(max_lines=MAX_LINES, wrap=True, markup=False, highlight=False, **kwargs)
        self._clock = clock
        self.turns = 0
        self.errors = 0

    def _style(self, name: str):
        return self.get_component_rich_style(f"copilot-log--{name}", partial=True)

    def add(self, event: object) -> None:
        """Show one copilot event; others (status, proposals, replies) are shown elsewhere."""
        if isinstance(event, TurnLogged):
            self._turn(event)
        elif isinstance(event, CopilotError) and event.tool is None:  # a tool's error is already in its turn
            self.errors += 1
            self.write(Text(f"{time.strftime('%H:%M:%S', self._clock())} error ({event.scenario}): {event.message}",
                            self._style("error")))

    def _turn(self, event: TurnLogged) -> None:
        self.turns += 1
        stamp = time.strftime("%H:%M:%S", self._clock())
        asked = f"you: {event.prompt}" if event.prompt is not None else "auto-propose round"
        self.write(Text(f"{stamp} {asked}", self._style("prompt")))
        for call in event.calls:
            mark, style = ("->", "ok") if call.ok else ("!!", "error")
            self.errors += not call.ok
            line = Text(f"  {mark} {call.tool} {call.arguments}", self._style("dim"))
            line.append(f"  {call.summary}", self._style(style))
            line.append(f"  {call.elapsed_ms:g} ms", self._style("dim"))
            self.write(line)
        self.write(Text(f"  copilot ({event.elapsed_s:.1f} s): {event.reply}"))
