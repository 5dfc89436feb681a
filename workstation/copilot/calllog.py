"""The copilot's log: each turn's tool calls, what they returned and what failed, for the TUI's log panel.

``LoggedSession`` is the ordinary ToolSession plus a short, bounded account of every call; at the end
of a turn the service publishes one ``TurnLogged`` event with them. Arguments and results are shown
as the copilot sent and received them, cut to a line: venue text stays data, never markup.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from .tools import ToolSession, text


@dataclass(frozen=True, slots=True)
class CallEntry:
    tool: str
    arguments: str  # as sent, one line, bounded
    ok: bool
    summary: str  # what came back: a proposal id, a count of rows, or the errors
    errors: tuple[str, ...] = ()
    elapsed_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class TurnLogged:
    prompt: str | None  # None: an auto-propose round
    reply: str
    calls: tuple[CallEntry, ...]
    elapsed_s: float


def _one_line(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        try:
            value = json.dumps(value, default=str, separators=(",", ":"))
        except (TypeError, ValueError):
            value = repr(value)
    return text(" ".join(value.split()), limit) or ""


def _summary(result: Any) -> str:
    if not result.ok:
        return "; ".join(str(e) for e in result.errors)
    if result.proposal is not None:
        return f"proposal {result.proposal.id}: {result.proposal.summary()}"
    data = result.data
    if isinstance(data, list):
        return f"{len(data)} row(s)"
    if isinstance(data, dict):
        return ", ".join(list(data)[:6])
    return "ok"


class LoggedSession(ToolSession):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.calls: list[CallEntry] = []
        self.started = time.perf_counter()

    async def call(self, name: str, raw_arguments: Any) -> Any:
        start = time.perf_counter()
        result = await super().call(name, raw_arguments)
        self.calls.append(CallEntry(_one_line(name, 60), _one_line(raw_arguments, 240), result.ok,
                                    _one_line(_summary(result), 240),
                                    tuple(_one_line(str(e), 200) for e in result.errors),
                                    round((time.perf_counter() - start) * 1000, 1)))
        return result

    def logged(self, prompt: str | None, reply: str) -> TurnLogged:
        return TurnLogged(prompt, reply, tuple(self.calls), round(time.perf_counter() - self.started, 3))
