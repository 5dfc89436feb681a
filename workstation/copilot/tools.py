"""The copilot's tool session: the one path every tool call takes.

``ToolSession.call``: the tool must be in the catalogue (catalogue.py), its arguments must parse and
satisfy the tool's model (schema.py), then its handler runs (reads.py, acts.py). Anything wrong comes
back as a list of errors naming the field and what would pass, and is journaled as an error scenario
('copilot_error'); a call never raises and never aborts the model's turn. A good act call stages
orders at the Desk (PENDING_APPROVAL, origin copilot) or records a cancel/modify suggestion, and
becomes a ``Proposal``.

There is no tool that approves, sends, cancels or modifies: the catalogue is fixed in code, and
nothing a model or market data says can add to it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Callable

from ..domain.market import Market
from .acts import _currencies
from .catalogue import ACT_TOOLS, CATALOGUE, ORDER_TYPES, READ_TOOLS, TOOLS, Tool, openai_tools
from .proposals import Proposal
from .results import ToolResult, _ceil, _floor, text
from .schema import ArgumentsError, FieldError, parameters_schema, parse_arguments, shown, validate
from .view import CopilotView, ViewError

__all__ = ["ACT_TOOLS", "CATALOGUE", "ORDER_TYPES", "READ_TOOLS", "SCHEMAS", "TOOLS", "Tool", "ToolResult",
           "ToolSession", "openai_tools", "text", "_ceil", "_currencies", "_floor"]

class _Schemas(Mapping):
    """name -> (kind, description, JSON schema of the parameters): the catalogue as the model sees it.
    Each schema is generated when first asked for, not at import (start-up time)."""

    def __getitem__(self, name: str) -> tuple[str, str, dict[str, Any]]:
        tool = TOOLS[name]
        return tool.kind, tool.description, parameters_schema(tool.arguments)

    def __iter__(self) -> Iterator[str]:
        return iter(TOOLS)

    def __len__(self) -> int:
        return len(TOOLS)


SCHEMAS: Mapping[str, tuple[str, str, dict[str, Any]]] = _Schemas()


class ToolSession:
    """One copilot's access to the tools, for one turn or many. Holds no Desk, only a view."""

    def __init__(self, view: CopilotView, origin: str, *, expiry_s: float = 120.0, prompt: str | None = None,
                 on_proposal: Callable[[Proposal], None] | None = None,
                 on_error: Callable[[ToolResult, Any], None] | None = None):
        self.view = view
        self.origin = origin  # e.g. "copilot:rules"; the actor on every journal row
        self.expiry_s = expiry_s
        self.prompt = prompt
        self.on_proposal = on_proposal
        self.on_error = on_error
        self.proposals: list[Proposal] = []
        self.failures: list[ToolResult] = []

    @staticmethod
    def tool_names() -> tuple[str, ...]:
        return tuple(TOOLS)

    async def call(self, name: str, raw_arguments: Any) -> ToolResult:
        """Validate and run one tool call. Never raises for a bad call: the error is the result."""
        result = await self._call(name, raw_arguments)
        if not result.ok:
            self.failures.append(result)
            self._record_error(result, raw_arguments)
        return result

    async def _call(self, name: str, raw_arguments: Any) -> ToolResult:
        tool = TOOLS.get(name) if isinstance(name, str) else None
        if tool is None:
            return ToolResult(text(name, 60) or "?", False, errors=[FieldError(
                None, f"unknown tool {text(name, 60)!r}", f"use one of: {', '.join(TOOLS)}", "unknown_tool")])
        try:
            args, errors = validate(name, tool.arguments, parse_arguments(raw_arguments))
        except ArgumentsError as exc:
            return ToolResult(name, False, errors=exc.errors)
        if errors:
            return ToolResult(name, False, errors=errors)
        try:
            return await tool.handler(self, args)
        except ViewError as exc:
            return ToolResult(name, False, errors=[FieldError("symbol", str(exc), "use a symbol from list_markets",
                                                              "unknown_market")])
        except ArithmeticError as exc:  # bounded arguments make this a bug, but never a crash of the turn
            return ToolResult(name, False, errors=[FieldError(None, f"a number is out of range ({type(exc).__name__})",
                                                              "use smaller, plainer numbers", "impossible_value")])
        except Exception as exc:  # a venue read failing must come back as an error, not kill the turn
            return ToolResult(name, False, errors=[FieldError(
                None, f"could not run: {type(exc).__name__}: {text(exc, 160)}", "try again shortly", "tool_failed")])

    def _record_error(self, result: ToolResult, raw_arguments: Any) -> None:
        payload = {"tool": result.tool, "scenario": result.scenario, "arguments": shown(raw_arguments),
                   "errors": [e.as_dict() | {"scenario": e.scenario} for e in result.errors],
                   "message": result.message(), "prompt": self.prompt}
        try:
            self.view.record("copilot_error", payload, actor=self.origin)
        finally:
            if self.on_error is not None:
                self.on_error(result, raw_arguments)

    # -- helpers for the handlers ------------------------------------------------------------
    def resolve(self, venue: str | None, symbol: str) -> Market:
        if venue:
            return self.view.market(venue, symbol)
        matches = [(v, s) for v, s in self.view.markets() if s == symbol]
        if len(matches) == 1:
            return self.view.market(*matches[0])
        if not matches:
            known = ", ".join(sorted({s for _, s in self.view.markets()}))
            raise ViewError(f"unknown symbol {symbol!r}; known symbols are {known}")
        raise ViewError(f"{symbol} is listed on {', '.join(v for v, _ in matches)}: add venue")
