"""The copilots the evaluation can grade, each behind the copilot's ordinary ``Brain`` interface.

- ``rules``: the built-in rule-based copilot, the baseline.
- ``llm``: any OpenAI-compatible chat-completions endpoint (Ollama, vLLM, llama.cpp, a hosted API).
  Its requests are recorded, so the trace holds exactly the messages the model saw.
- ``scripted``: replays fixed tool calls, turn by turn. With no script it replays each scenario's
  ``reference`` answer, which must score 100%: that is how a scenario file proves it can be passed.
  Strings in a scripted call's arguments may hold placeholders such as ``{position[ETH/USDT]}``,
  resolved from the venue's records at the start of the turn.

A factory makes a fresh copilot per scenario, so nothing (memory included) leaks between scenarios.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Protocol

from ..copilot.llm import ChatClient, ChatResult, LLMCopilot
from ..copilot.rules import Outcome, RuleStrategist
from ..copilot.tools import ToolSession
from .grading import Facts
from .scenario import Call, Scenario


class Brain(Protocol):
    name: str

    async def turn(self, prompt: str | None, session: ToolSession, *,
                   skip_symbols: frozenset = frozenset()) -> Outcome: ...


FactsSource = Callable[[], Awaitable[Facts]]
Factory = Callable[[Scenario, FactsSource], Brain]


class ScriptedCopilot:
    """Replays ``turns[i]`` on the i-th turn; an empty or missing turn proposes nothing."""

    def __init__(self, turns: list[list[Call]] | tuple[tuple[Call, ...], ...], facts: FactsSource,
                 name: str = "scripted"):
        self.turns = [list(t) for t in turns]
        self.facts = facts
        self.name = name
        self.index = 0

    async def turn(self, prompt: str | None, session: ToolSession, *, skip_symbols: frozenset = frozenset()) -> Outcome:
        calls = self.turns[self.index] if self.index < len(self.turns) else []
        self.index += 1
        facts = await self.facts()
        made = 0
        for call in calls:
            result = await session.call(call.tool, _fill(call.arguments, facts))
            made += bool(result.ok and result.proposal is not None)
        return Outcome(f"scripted: {len(calls)} call(s), {made} proposal(s)")


def _fill(arguments: Any, facts: Facts) -> Any:
    """Placeholders in a scripted call's arguments, resolved; a raw string (a malformed call) goes as is."""
    if not isinstance(arguments, dict):
        return arguments
    out = {}
    for key, value in arguments.items():
        out[key] = value.format_map(facts) if isinstance(value, str) and "{" in value else value
    return out


class RecordingChatClient(ChatClient):
    """A ChatClient that keeps the last request's messages, for the trace (the model's own transcript)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.last_messages: list[dict[str, Any]] = []
        self.last_result: ChatResult | None = None
        self.requests = 0

    async def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> ChatResult:
        self.last_messages = [dict(m) for m in messages]
        self.requests += 1
        self.last_result = await super().complete(messages, tools)
        return self.last_result


class RecordedLLM(LLMCopilot):
    """The LLM copilot, unchanged, over a recording client."""

    client: RecordingChatClient

    def transcript(self, reply: str) -> list[dict[str, Any]] | None:
        if not self.client.last_messages:
            return None
        # the last request holds every earlier call and result of the turn; the reply closes it
        return [*self.client.last_messages, {"role": "assistant", "content": reply}]


def rules_factory(scenario: Scenario, facts: FactsSource) -> Brain:
    return RuleStrategist()


def llm_factory(base_url: str, model: str, *, key: str | None = None, timeout_s: float = 60.0,
                max_steps: int = 6) -> Factory:
    def make(scenario: Scenario, facts: FactsSource) -> Brain:
        client = RecordingChatClient(base_url, model, key=key, timeout_s=timeout_s, retries=1, backoff_s=0.2)
        return RecordedLLM(client, max_steps=max_steps)
    return make


def scripted_factory(scripts: dict[str, list[list[Call]]] | None = None, name: str = "scripted") -> Factory:
    """``scripts`` maps scenario id -> turns of calls; a scenario without a script replays its reference."""
    def make(scenario: Scenario, facts: FactsSource) -> Brain:
        turns = (scripts or {}).get(scenario.id)
        if turns is None:
            turns = [list(t.reference) for t in scenario.turns]
        return ScriptedCopilot(turns, facts, name)
    return make
