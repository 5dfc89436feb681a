"""Venue profiles: per venue and symbol, what it costs and what it holds right now.

The fee this account pays (the venue's own answer where it gives one, else the market's published rate),
depth within 10, 50 and 100 bps of the mid on each side, tick, lot, minimum notional, leverage limit,
instrument type, the venue's status (with a maintenance ETA where the venue publishes one), the streams,
and the rate budget left. Built from the Desk's public reads; the two calls that ask the venue (fees and
status) happen in ``refresh()``, never while a screen draws.
"""

from __future__ import annotations

import logging
import time
import weakref
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..domain.book import Book
from ..domain.money import BPS, ZERO

log = logging.getLogger(__name__)

BANDS = (10, 50, 100)  # bps of the mid


@dataclass(frozen=True, slots=True)
class DepthBand:
    bps: int
    bid_amount: Decimal  # base units (x contract size on a contract market)
    ask_amount: Decimal
    bid_notional: Decimal  # quote
    ask_notional: Decimal
    # the stored book reaches past the band's edge: the figure is the band's depth, not a lower bound of it
    bid_complete: bool = True
    ask_complete: bool = True


@dataclass(frozen=True, slots=True)
class VenueProfile:
    venue: str
    symbol: str
    environment: str
    kind: str  # spot | swap | future
    settle: str | None
    contract_size: Decimal
    tick: Decimal
    lot: Decimal
    min_amount: Decimal | None
    min_notional: Decimal | None
    max_leverage: Decimal | None
    maker_fee: Decimal
    taker_fee: Decimal
    fee_source: str  # "account" (the venue said what this account pays) | "published" (the market's rate)
    mid: Decimal | None
    spread_bps: Decimal | None
    depth: tuple[DepthBand, ...]
    book_age_ms: int | None
    active: bool  # the market trades now
    status: str  # the venue's word: ok | maintenance | unknown
    maintenance_eta_ms: int | None
    connected: bool
    streams: str  # live | polling | down
    last_error: str | None
    rate_remaining: int
    rate_capacity: int

    def band(self, bps: int) -> DepthBand | None:
        return next((b for b in self.depth if b.bps == bps), None)

    def as_dict(self) -> dict[str, Any]:
        """Plain values for the copilot's read tool and exports (Decimal stays Decimal)."""
        out = {k: getattr(self, k) for k in self.__slots__ if k != "depth"}
        out["depth"] = [{"bps": b.bps, "bid_amount": b.bid_amount, "ask_amount": b.ask_amount,
                         "bid_notional": b.bid_notional, "ask_notional": b.ask_notional,
                         "at_least": not (b.bid_complete and b.ask_complete)} for b in self.depth]
        return out


def depth_bands(book: Book | None, contract_size: Decimal = Decimal(1), bands=BANDS) -> tuple[DepthBand, ...]:
    """Size resting within ``bps`` of the mid on each side (inclusive), for each band. Where the stored book
    (the Desk keeps ``book_depth`` levels) ends inside a band, the band is marked incomplete: a lower bound."""
    mid = book.mid if book is not None else None
    if mid is None:
        return ()
    out = []
    for bps in bands:
        low, high = mid * (1 - Decimal(bps) / BPS), mid * (1 + Decimal(bps) / BPS)
        bids = [(p, a * contract_size) for p, a in book.bids if p >= low]
        asks = [(p, a * contract_size) for p, a in book.asks if p <= high]
        out.append(DepthBand(bps, sum((a for _, a in bids), ZERO), sum((a for _, a in asks), ZERO),
                             sum((p * a for p, a in bids), ZERO), sum((p * a for p, a in asks), ZERO),
                             bool(book.bids) and book.bids[-1][0] < low, bool(book.asks) and book.asks[-1][0] > high))
    return tuple(out)


@dataclass
class _VenueFacts:
    fees: dict[str, tuple[Decimal | None, Decimal | None]] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=lambda: {"status": "unknown", "eta_ms": None})
    error: str | None = None


_SHARED: "weakref.WeakKeyDictionary[Any, Profiles]" = weakref.WeakKeyDictionary()


class Profiles:
    """Profiles over a Desk. ``refresh()`` asks the venues (fees, status); ``profile()`` reads snapshots.

    ``Profiles.of(desk)`` is the one instance the screens and the copilot share, so what one asked the venues
    the others see."""

    def __init__(self, desk: Any):
        self.desk = desk
        self._facts: dict[str, _VenueFacts] = {}
        self.refreshed_at: float | None = None  # monotonic

    @classmethod
    def of(cls, desk: Any) -> "Profiles":
        desk = getattr(desk, "unguarded", desk)  # the UI holds the Desk behind a guard (ui/guard.py): one Profiles
        shared = _SHARED.get(desk)
        if shared is None:
            shared = _SHARED[desk] = cls(desk)
        return shared

    async def fresh(self, max_age_s: float = 300.0) -> "Profiles":
        """Ask the venues again if the last answers are older than ``max_age_s`` (or were never asked)."""
        if self.refreshed_at is None or time.monotonic() - self.refreshed_at > max_age_s:
            await self.refresh()
        return self

    async def refresh(self, venues: list[str] | None = None) -> dict[str, str | None]:
        """Ask each venue what this account pays and how the venue is; a failure is kept per venue, never raised.
        Returns venue -> error (None = fine)."""
        out: dict[str, str | None] = {}
        for name in venues or list(self.desk.venues):
            venue = self.desk.venues[name]
            facts = self._facts.setdefault(name, _VenueFacts())
            symbols = list(self.desk.watch_symbols.get(name, []))
            try:
                facts.fees = await venue.fetch_fees(symbols)
                facts.status = await venue.fetch_status()
                facts.error = None
            except Exception as exc:  # noqa: BLE001 - a venue that cannot say keeps its published figures
                facts.error = getattr(exc, "message", None) or str(exc)
                log.info("profiles: %s: %s", name, facts.error)
            out[name] = facts.error
        self.refreshed_at = time.monotonic()
        return out

    def profile(self, venue: str, symbol: str) -> VenueProfile:
        desk = self.desk
        market = desk.market(venue, symbol)
        state = next((s for s in desk.venue_states() if s.name == venue), None)
        facts = self._facts.get(venue, _VenueFacts())
        maker, taker = facts.fees.get(symbol, (None, None))
        book = desk.book(venue, symbol)
        seen = desk.book_seen_ms.get((venue, symbol))
        streams = "down" if state is None or not state.connected else "live" if state.streams_ok else "polling"
        return VenueProfile(
            venue=venue, symbol=symbol, environment=state.environment if state else "?", kind=market.kind,
            settle=market.settle, contract_size=market.contract_size, tick=market.tick, lot=market.lot,
            min_amount=market.min_amount, min_notional=market.min_cost, max_leverage=market.max_leverage,
            maker_fee=maker if maker is not None else market.maker_fee,
            taker_fee=taker if taker is not None else market.taker_fee,
            fee_source="account" if taker is not None else "published",
            mid=book.mid if book else None, spread_bps=book.spread_bps if book else None,
            depth=depth_bands(book, market.contract_size),
            book_age_ms=None if seen is None else desk.clock.wall_ms() - seen,
            active=market.active, status=str(facts.status.get("status") or "unknown"),
            maintenance_eta_ms=facts.status.get("eta_ms"), connected=bool(state and state.connected),
            streams=streams, last_error=(state.last_error if state else None) or facts.error,
            rate_remaining=state.rate_remaining if state else 0, rate_capacity=state.rate_capacity if state else 0)

    def profiles(self) -> list[VenueProfile]:
        """Every watched (venue, symbol), in the Desk's order."""
        return [self.profile(v, s) for v, symbols in self.desk.watch_symbols.items() for s in symbols
                if (v, s) in self.desk.markets]
