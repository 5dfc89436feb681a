"""What the trader decided: every order staged, the decision it carries out, and the amounts asked for.

The referee's yardstick for duplicates and overfills: a *slot* is one decision of the trader (an
impatient second staging of the same order while the first is in doubt shares the first one's slot); the
*cap* of an order is the most the trader ever asked it to fill (its staged amount, or a larger modify).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(slots=True)
class Intent:
    cid: str
    slot: str
    kind: str  # market | limit | oco | bracket | trailing | scaled | retry
    symbol: str
    amount: Decimal
    requested: list[Decimal] = field(default_factory=list)  # amounts asked for by modifies
    approved: bool = False

    @property
    def cap(self) -> Decimal:
        return max([self.amount, *self.requested])


class Intents:
    def __init__(self) -> None:
        self.by_cid: dict[str, Intent] = {}
        self.kinds: Counter = Counter()  # orders staged, by kind

    def add(self, cid: str, kind: str, symbol: str, amount: Decimal, slot: str | None = None,
            staged: bool = True) -> Intent:
        """``staged``: the trader staged it (counted as an order); otherwise the trader only acted on it (an
        order someone else placed and the trader modified, or the Desk's replacement after a modify)."""
        intent = Intent(cid, slot or cid, kind, symbol, amount)
        self.by_cid[cid] = intent
        if staged:
            self.kinds[kind] += 1
        return intent

    def get(self, cid: str) -> Intent | None:
        return self.by_cid.get(cid)

    def __contains__(self, cid: object) -> bool:
        return cid in self.by_cid

    def __len__(self) -> int:
        return len(self.by_cid)
