"""What a tool call returns, and how venue text is made safe to hand to a model."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from .proposals import Proposal
from .schema import FieldError

MAX_MESSAGE_CHARS = 800  # the errors of one call, as the trader and the model read them


@dataclass(slots=True)
class ToolResult:
    tool: str
    ok: bool
    data: Any = None
    errors: list[FieldError] = field(default_factory=list)
    proposal: Proposal | None = None

    @property
    def scenario(self) -> str | None:
        return self.errors[0].scenario if self.errors else None

    def message(self) -> str:
        if self.ok:
            return "ok"
        out = f"{self.tool}: " + "; ".join(dict.fromkeys(map(str, self.errors)))  # each distinct error once
        return out if len(out) <= MAX_MESSAGE_CHARS else out[: MAX_MESSAGE_CHARS - 3] + "..."

    def for_model(self) -> dict[str, Any]:
        if self.ok:
            return {"ok": True, "result": self.data}
        return {"ok": False, "error": self.message(), "errors": [e.as_dict() for e in self.errors],
                "hint": "fix the fields named above and call again"}


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def text(value: Any, limit: int = 300) -> str | None:
    """Venue text for a model: control characters removed and bounded. Still data, never instructions."""
    if value is None:
        return None
    out = _CONTROL.sub(" ", str(value))
    return out if len(out) <= limit else out[: limit - 3] + "..."


def _floor(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step if step > 0 else value


def _ceil(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_CEILING) * step if step > 0 else value
