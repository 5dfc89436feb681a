"""Drift: positions and balances at the venue against what the fills recorded here explain.

Positions (derivatives): the venue's size against the fold of our fills, less any offset the trader
accepted. Balances (spot currencies): the venue's total against a baseline plus what every fill since
then moved. A gap is handed to the DifferenceLog, which shows it once it has been seen twice.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..domain.money import ZERO
from ..domain.orders import Fill, Side
from .differences import Difference, DifferenceLog
from .ports import DeskPort


@dataclass(slots=True)
class _BalanceBook:
    """Venue totals at a baseline plus what every fill since then should have moved."""

    base: dict[str, Decimal]
    expected_delta: dict[str, Decimal] = field(default_factory=dict)
    fill_index: int = 0  # position in the ledger's (insertion-ordered) fills already applied
    recent: dict[str, list[str]] = field(default_factory=dict)  # currency -> trade ids applied this refresh


class Drift:
    """The baselines survive a restart (journaled as ``balance_baseline`` and ``position_offset``): a venue
    that forgot what the fills did (a reset paper account, a transfer, a fee nobody booked) is a difference
    after a restart too, never "in sync" because the first refresh took the venue's word as the new start."""

    def __init__(self, desk: DeskPort, log: DifferenceLog):
        self.desk = desk
        self.log = log
        self.position_offset: dict[tuple[str, str], Decimal] = {}  # accepted (adopted) position drift
        self.balances: dict[str, _BalanceBook] = {}
        for event in desk.journal.events(kinds=("balance_baseline", "position_offset")):
            p = event.payload
            if event.kind == "balance_baseline":
                self.balances[p["venue"]] = _BalanceBook({c: Decimal(v) for c, v in p["base"].items()}, {},
                                                         int(p["fill_index"]))
            else:
                self.position_offset[(p["venue"], p["symbol"])] = Decimal(p["offset"])

    def _journal_baseline(self, venue_name: str, book: _BalanceBook) -> None:
        self.desk.journal.append("balance_baseline", actor="reconciler", venue=venue_name,
                                 payload={"venue": venue_name, "base": book.base, "fill_index": book.fill_index})

    def positions(self, venue_name: str, positions: dict[str, Any], new_fills: list[Fill],
                   now: int) -> list[Difference]:
        desk, out = self.desk, []
        symbols = set(positions)
        for (v, symbol), pos in desk.ledger.positions.items():
            market = desk.markets.get((v, symbol))
            if v == venue_name and market is not None and market.is_derivative and pos.size:
                symbols.add(symbol)
        for symbol in sorted(symbols):
            ours = desk.ledger.positions.get((venue_name, symbol))
            local = ours.size if ours else ZERO
            theirs = positions[symbol].size if symbol in positions else ZERO
            offset = self.position_offset.get((venue_name, symbol), ZERO)
            gap = theirs - offset - local
            explaining = tuple(f.trade_id for f in new_fills if f.symbol == symbol)
            key = f"position:{venue_name}:{symbol}"
            if gap == 0:
                self.log.suspect.pop(key, None)
                if explaining:
                    out.append(Difference("position_drift", venue_name, symbol, None,
                                          f"venue {theirs}, here {local} after {len(explaining)} missing fill(s)",
                                          "explained by the fills recorded now", key=key, amount=ZERO,
                                          trade_ids=explaining))
                continue
            out.append(self.log.drift(key, "position_drift", venue_name, symbol, gap,
                                   f"venue {theirs}, fills here {local}" + (f" (accepted offset {offset})" if offset else "")
                                   + f": {gap} that no fill here explains", explaining, now))
        return out

    def balance_drift(self, venue_name: str, balances: dict[str, Any], now: int) -> list[Difference]:
        """Spot currencies: venue total = baseline + what every fill since then moved. Settle currencies of
        derivatives (funding, realized PnL, margin) are not checked here; their positions are."""
        desk, ledger = self.desk, self.desk.ledger
        spot = {s: m for (v, s), m in desk.markets.items() if v == venue_name and not m.is_derivative}
        settle = {m.settle or m.quote for (v, _), m in desk.markets.items() if v == venue_name and m.is_derivative}
        checked = {c for m in spot.values() for c in (m.base, m.quote)} - settle
        book = self.balances.get(venue_name)
        if book is None:
            book = _BalanceBook({c: balances[c].total for c in checked if c in balances}, {}, len(ledger.fills))
            self._journal_baseline(venue_name, book)
            self.balances[venue_name] = book
            return []
        book.recent = {}
        for fill in itertools.islice(ledger.fills.values(), book.fill_index, None):
            market = spot.get(fill.symbol)
            if fill.venue != venue_name or market is None:
                continue
            cost = fill.price * fill.amount
            moves = {market.base: fill.amount if fill.side is Side.BUY else -fill.amount,
                     market.quote: -cost if fill.side is Side.BUY else cost}
            if fill.fee and fill.fee_currency:
                moves[fill.fee_currency] = moves.get(fill.fee_currency, ZERO) - fill.fee
            for ccy, delta in moves.items():
                book.expected_delta[ccy] = book.expected_delta.get(ccy, ZERO) + delta
                book.recent.setdefault(ccy, []).append(fill.trade_id)
        book.fill_index = len(ledger.fills)
        out = []
        for ccy in sorted(checked):
            if ccy not in balances and ccy not in book.base:
                continue
            theirs = balances[ccy].total if ccy in balances else ZERO
            if ccy not in book.base:  # a currency first seen now: its baseline is what explains today's figure
                book.base[ccy] = theirs - book.expected_delta.get(ccy, ZERO)
                self._journal_baseline(venue_name, book)
            expected = book.base[ccy] + book.expected_delta.get(ccy, ZERO)
            gap = theirs - expected
            key = f"balance:{venue_name}:{ccy}"
            if gap == 0:
                self.log.suspect.pop(key, None)
                continue
            out.append(self.log.drift(key, "balance_drift", venue_name, ccy, gap,
                                   f"venue {theirs} {ccy}, expected {expected} from the fills here: {gap} unexplained",
                                   tuple(book.recent.get(ccy, ())), now))
        return out

    def accept(self, d: Difference) -> str:
        """The trader adopts a drift: the venue's figure becomes the new baseline. Returns the note."""
        self.log.suspect.pop(d.key, None)
        if d.kind == "position_drift":
            key = (d.venue, d.symbol)
            self.position_offset[key] = self.position_offset.get(key, ZERO) + (d.amount or ZERO)
            self.desk.journal.append("position_offset", actor="reconciler", venue=d.venue, payload={
                "venue": d.venue, "symbol": d.symbol, "offset": self.position_offset[key]})
            return f"venue's position accepted: offset {self.position_offset[key]}"
        book = self.balances.get(d.venue)
        if book is not None:
            book.base[d.symbol] = book.base.get(d.symbol, ZERO) + (d.amount or ZERO)
            self._journal_baseline(d.venue, book)
        return f"venue's {d.symbol} balance accepted as the new baseline"
