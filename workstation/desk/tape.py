"""Time and sales: the public trades of a symbol, newest first, each once.

The Desk keeps books, not the public tape, so ``Tape.poll`` asks the venue for its recent trades
(``fetch_trades``: one call, weight 1, whatever the venue) and keeps the ones it has not seen, by the
venue's trade id (or, where a venue gives none, by time, price, size and side). The UI polls the symbol
on screen about once a second, in a worker. No Textual.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class Print:
    time_ms: int
    price: Decimal
    amount: Decimal
    side: str | None  # the aggressor: "buy" lifted the offer, "sell" hit the bid; None when not said
    trade_id: str | None = None

    @property
    def key(self) -> tuple:
        return (self.trade_id,) if self.trade_id else (self.time_ms, self.price, self.amount, self.side)


class Tape:
    def __init__(self, desk: Any, keep: int = 400):
        self.desk = desk
        self.keep = keep
        self._prints: dict[tuple[str, str], deque[Print]] = {}
        self._seen: dict[tuple[str, str], set[tuple]] = {}
        self.version: dict[tuple[str, str], int] = {}  # bumps when a symbol's tape changes

    def prints(self, venue: str, symbol: str, min_amount: Decimal | None = None) -> list[Print]:
        """Newest first; only prints of at least ``min_amount`` when given (the size filter)."""
        out = reversed(self._prints.get((venue, symbol), ()))
        if min_amount:
            return [p for p in out if p.amount >= min_amount]
        return list(out)

    def add(self, venue: str, symbol: str, raw: list[dict[str, Any]]) -> int:
        """Take a venue answer (oldest first, as ccxt gives it); returns how many prints were new."""
        key = (venue, symbol)
        tape = self._prints.setdefault(key, deque(maxlen=self.keep))
        seen = self._seen.setdefault(key, set())
        new = 0
        for t in sorted(raw, key=lambda t: (t.get("time_ms") or 0, str(t.get("id") or ""))):
            if t.get("price") is None or t.get("amount") is None:
                continue
            side = t.get("side") if t.get("side") in ("buy", "sell") else None
            p = Print(int(t.get("time_ms") or 0), Decimal(t["price"]), Decimal(t["amount"]), side,
                      str(t["id"]) if t.get("id") is not None else None)
            if p.key in seen:
                continue
            if tape and p.time_ms < tape[-1].time_ms:
                continue  # older than what we show: the venue's window moved past it
            seen.add(p.key)
            tape.append(p)
            new += 1
        if len(seen) > 4 * self.keep:
            self._seen[key] = {p.key for p in tape}
        if new:
            self.version[key] = self.version.get(key, 0) + 1
        return new

    async def poll(self, venue: str, symbol: str, limit: int = 100) -> int:
        raw = await self.desk.venues[venue].fetch_trades(symbol, limit)
        return self.add(venue, symbol, raw)
