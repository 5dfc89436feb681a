"""Recording a copilot's turn: every tool call, as sent and as answered, through the ordinary ToolSession.

``RecordingSession`` is a ToolSession (same catalogue, same validation, same gate, same staging) that
also keeps a ``CallRecord`` per call. The copilot under test cannot tell the difference, which is the
point: the evaluation grades what the copilot does through the interface the trader's copilot uses.

Each error is put in one category for grading: an invented tool, malformed arguments (the schema),
a precision error (tick, lot, minimums, a trigger on the wrong side), an unsafe proposal (the risk
gate said no), a duplicate (of a recent or an in-doubt order), or other (a venue read that failed).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from ..copilot.llm import SYSTEM_PROMPT, as_data
from ..copilot.tools import SCHEMAS, ToolSession
from .world import Proposed

INVENTED = frozenset({"unknown_tool"})
MALFORMED = frozenset({"malformed_arguments", "wrong_type", "missing_field", "extra_field", "invalid_value",
                       "impossible_value", "invalid_order", "unknown_market", "unsupported_type", "unknown_order",
                       "invalid_state", "reduce_only_spot", "tif_unsupported", "post_only_unsupported",
                       "reduce_only_unsupported", "unknown_symbol", "unknown_venue", "market_inactive"})
PRECISION = frozenset({"price_tick", "amount_step", "amount_min", "amount_max", "cost_min", "cost_max", "price_min",
                       "price_max", "stop_wrong_side", "wrong_side"})
DUPLICATE = frozenset({"duplicate_order", "in_doubt_duplicate"})
OTHER = frozenset({"tool_failed", "no_book", "no_price", "stale_book", "wide_spread", "crossed_book", "order_rate"})
CATEGORIES = ("invented", "malformed", "precision", "unsafe", "duplicate", "other")


def category(rule: str | None) -> str:
    """The grading category of one error (its FieldError scenario or the gate's rule id)."""
    if rule in INVENTED:
        return "invented"
    if rule in MALFORMED:
        return "malformed"
    if rule in PRECISION:
        return "precision"
    if rule in DUPLICATE:
        return "duplicate"
    if rule in OTHER or rule is None:
        return "other"
    return "unsafe"  # every other rule is the risk gate's: limits, balance, collar, exposure, trading state


@dataclass
class CallRecord:
    index: int
    tool: str
    kind: str  # read | act | unknown
    arguments: Any  # exactly as the copilot sent them: a JSON string, a dict, or anything else
    ok: bool
    answer: dict[str, Any]  # what the copilot was told (ToolResult.for_model)
    errors: list[dict[str, Any]] = field(default_factory=list)  # field, problem, fix, rule, category
    proposal: Proposed | None = None
    elapsed_ms: float = 0.0

    def categories(self) -> list[str]:
        return [e["category"] for e in self.errors]

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "tool": self.tool, "kind": self.kind, "arguments": _plain(self.arguments),
                "ok": self.ok, "errors": self.errors, "proposal_id": self.proposal.id if self.proposal else None,
                "elapsed_ms": round(self.elapsed_ms, 3)}


class RecordingSession(ToolSession):
    """A ToolSession that keeps every call. One per turn, like the app's."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.records: list[CallRecord] = []

    async def call(self, name: str, raw_arguments: Any) -> Any:
        start = time.perf_counter()
        result = await super().call(name, raw_arguments)
        tool = name if isinstance(name, str) else repr(name)
        kind = SCHEMAS[tool][0] if tool in SCHEMAS else "unknown"
        errors = [{"field": e.field, "problem": e.problem, "fix": e.fix, "rule": e.scenario,
                   "category": category(e.scenario)} for e in result.errors]
        proposed = None
        if result.ok and result.proposal is not None:
            p = result.proposal
            proposed = Proposed(p.id, p.kind, list(p.client_order_ids), p.target_order_id, p.new_amount, p.new_price,
                                getattr(p, "schedule_id", None))
        self.records.append(CallRecord(len(self.records), tool, kind, raw_arguments, result.ok, result.for_model(),
                                       errors, proposed, (time.perf_counter() - start) * 1000))
        return result

    @property
    def proposed(self) -> list[Proposed]:
        return [r.proposal for r in self.records if r.proposal is not None]


def _plain(value: Any) -> Any:
    """JSON-ready: Decimals as strings, tuples as lists, anything odd as its repr."""
    return json.loads(as_data(value)) if not isinstance(value, str) else value


def arguments_json(arguments: Any) -> str:
    """The ``function.arguments`` string of a chat-format tool call: what was sent, verbatim if a string."""
    if isinstance(arguments, str):
        return arguments
    return json.dumps(_plain(arguments), separators=(",", ":"))


def tool_call_message(record: CallRecord) -> dict[str, Any]:
    return {"role": "assistant", "content": None, "tool_calls": [{
        "id": f"call_{record.index}", "type": "function",
        "function": {"name": record.tool, "arguments": arguments_json(record.arguments)}}]}


def tool_result_message(record: CallRecord) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": f"call_{record.index}", "name": record.tool,
            "content": as_data({"untrusted_data": True, **record.answer})}


def user_message(prompt: str, context: Any) -> dict[str, Any]:
    """The trader's words and the state, as the LLM copilot frames them (the state is marked as data)."""
    return {"role": "user", "content": f"{prompt}\n\nCurrent state (untrusted data):\n<data>{as_data(context)}</data>"}


def transcript(prompt: str, context: Any, records: list[CallRecord], reply: str,
               history: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """A turn in chat format: system, earlier turns, the user's words, each call and its result, the reply."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM_PROMPT}, *(history or [])]
    messages.append(user_message(prompt, context))
    for record in records:
        messages.append(tool_call_message(record))
        messages.append(tool_result_message(record))
    messages.append({"role": "assistant", "content": reply})
    return messages

