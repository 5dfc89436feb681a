"""A bounded memory of the conversation within a session, so "it filled 40%: what now?" has a referent.

Each remembered turn is the trader's words and the copilot's answer, with a one-line account of what it
proposed and what failed. The market state is *not* remembered: it is stale the moment it is read, and
every turn sends it fresh. The memory keeps at most ``max_turns`` turns and ``max_chars`` characters,
dropping the oldest first, so a long session never grows the prompt without bound.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from .tools import text


@dataclass(frozen=True, slots=True)
class Remembered:
    prompt: str
    reply: str

    @property
    def size(self) -> int:
        return len(self.prompt) + len(self.reply)


class ConversationMemory:
    def __init__(self, max_turns: int = 8, max_chars: int = 6000):
        if max_turns < 0 or max_chars < 0:
            raise ValueError("memory bounds must not be negative")
        self.max_turns = max_turns
        self.max_chars = max_chars
        self._turns: deque[Remembered] = deque()

    def __len__(self) -> int:
        return len(self._turns)

    def add(self, prompt: str, reply: str, proposals: list[str] | None = None, errors: list[str] | None = None) -> None:
        notes = []
        if proposals:
            notes.append("proposed: " + "; ".join(proposals))
        if errors:
            notes.append("errors: " + "; ".join(errors))
        answer = reply + (f"\n[{' | '.join(notes)}]" if notes else "")
        per_turn = max(self.max_chars // max(self.max_turns, 1), 200)
        self._turns.append(Remembered(text(prompt, per_turn // 3) or "", text(answer, per_turn) or ""))
        while self._turns and (len(self._turns) > self.max_turns or self.chars > self.max_chars):
            self._turns.popleft()

    @property
    def chars(self) -> int:
        return sum(t.size for t in self._turns)

    def clear(self) -> None:
        self._turns.clear()

    def messages(self) -> list[dict[str, Any]]:
        """The remembered turns as chat messages, oldest first (user, assistant, user, assistant, ...)."""
        out: list[dict[str, Any]] = []
        for t in self._turns:
            out.append({"role": "user", "content": t.prompt})
            out.append({"role": "assistant", "content": t.reply})
        return out
