"""One symbol across venues: where to trade a given size now.

For a symbol and its equivalents (the same base, quote and kind on every configured venue: BTC/USDT spot on
Binance, Bybit and OKX), each venue's best bid and ask, depth within X bps of its mid, the taker fee this
account pays, and the all-in price of the size: the book walked level by level, plus the fee. The best venue
is the one whose complete walk costs least (a buy) or yields most (a sell); a venue whose book cannot fill
the size, whose minimums it breaks, or whose market or connection is down is listed with the reason and not
ranked. ``stage_from`` stages the choice as a limit IOC capped at the walked worst price: a staged order
waits for the trader's approval like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from ..domain.money import BPS, ZERO
from ..domain.orders import Order, OrderSpec, OrderType, Side, TimeInForce
from .profiles import depth_bands


@dataclass(frozen=True, slots=True)
class VenueQuote:
    venue: str
    symbol: str
    best_bid: Decimal | None
    best_ask: Decimal | None
    spread_bps: Decimal | None
    depth_bid: Decimal  # base units within ``depth_bps`` of the mid
    depth_ask: Decimal
    taker_fee: Decimal
    fee_source: str  # account | published
    amount: Decimal  # in the venue's order unit (contracts on a contract market), rounded to its lot
    filled: Decimal  # what the book can fill now, same unit
    average: Decimal | None  # per base unit, before fees
    worst_price: Decimal | None
    all_in: Decimal | None  # per base unit, fee included
    vs_best_bps: Decimal | None = None  # how much worse than the best venue (0 for the best)
    problems: tuple[str, ...] = ()

    @property
    def ranked(self) -> bool:
        return self.all_in is not None and not self.problems


@dataclass(frozen=True, slots=True)
class Comparison:
    symbol: str
    side: Side
    amount: Decimal  # base units asked for
    depth_bps: Decimal
    quotes: tuple[VenueQuote, ...]  # ranked best first, then the unranked with their reasons
    notes: tuple[str, ...] = field(default=())

    @property
    def best(self) -> VenueQuote | None:
        return next((q for q in self.quotes if q.ranked), None)


def equivalents(desk: Any, symbol: str) -> list[tuple[str, str]]:
    """(venue, symbol) of every market with the symbol's base, quote, kind and settle currency."""
    wanted = next((m for (v, s), m in desk.markets.items() if s == symbol), None)
    if wanted is None:
        return []
    return sorted((v, s) for (v, s), m in desk.markets.items()
                  if (m.base, m.quote, m.kind, m.settle) == (wanted.base, wanted.quote, wanted.kind, wanted.settle))


def _quote(desk: Any, venue: str, symbol: str, side: Side, amount: Decimal, depth_bps: Decimal,
           fees: dict[tuple[str, str], tuple[Decimal, str]]) -> VenueQuote:
    market = desk.market(venue, symbol)
    book = desk.book(venue, symbol)
    taker, source = fees.get((venue, symbol), (market.taker_fee, "published"))
    units = (amount / market.contract_size).quantize(market.lot, rounding=ROUND_DOWN) if market.lot else amount
    problems = []
    if units <= 0:
        problems.append(f"{amount} is below one lot ({market.lot * market.contract_size} {market.base})")
    if units * market.contract_size != amount and units > 0:
        problems.append(f"rounds to {units * market.contract_size} {market.base} on the lot {market.lot}")
    if not market.active:
        problems.append(f"{symbol} is not trading on {venue} now")
    state = next((s for s in desk.venue_states() if s.name == venue), None)
    if state is not None and (not state.connected or state.last_error):
        problems.append(f"{venue} is not connected" if not state.connected else f"{venue}: {state.last_error}")
    if book is None or book.mid is None:
        return VenueQuote(venue, symbol, None, None, None, ZERO, ZERO, taker, source, units, ZERO, None, None, None,
                          problems=tuple(problems + ["no book yet"]))
    bands = depth_bands(book, market.contract_size, (int(depth_bps),))
    walk = book.walk(side, units)
    if not walk.complete:
        problems.append(f"the book holds only {walk.filled * market.contract_size} {market.base} on that side")
    average = walk.average
    if market.min_cost is not None and average is not None and units * average * market.contract_size < market.min_cost:
        problems.append(f"below the minimum notional {market.min_cost} {market.quote}")
    all_in = None if average is None else average * (1 + taker if side is Side.BUY else 1 - taker)
    return VenueQuote(venue, symbol, book.best_bid, book.best_ask, book.spread_bps,
                      bands[0].bid_amount if bands else ZERO, bands[0].ask_amount if bands else ZERO, taker, source,
                      units, walk.filled, average, walk.worst_price, all_in, problems=tuple(problems))


def compare(desk: Any, symbol: str, side: Side | str, amount: Decimal, depth_bps: Decimal = Decimal(10),
            profiles: Any = None) -> Comparison:
    """Every equivalent market, quoted for ``amount`` (base units). ``profiles`` (a Profiles) gives the fees
    this account pays where the venues said; without it, the markets' published fees."""
    side = Side(side)
    amount, depth_bps = Decimal(amount), Decimal(depth_bps)
    fees: dict[tuple[str, str], tuple[Decimal, str]] = {}
    pairs = equivalents(desk, symbol)
    if profiles is not None:
        for venue, sym in pairs:
            p = profiles.profile(venue, sym)
            fees[(venue, sym)] = (p.taker_fee, p.fee_source)
    quotes = [_quote(desk, v, s, side, amount, depth_bps, fees) for v, s in pairs]
    ranked = sorted((q for q in quotes if q.ranked), key=lambda q: q.all_in if side is Side.BUY else -q.all_in)
    best = ranked[0].all_in if ranked else None
    out = []
    for q in ranked:
        worse = (q.all_in - best) / best * BPS * side.sign
        out.append(_with(q, vs_best_bps=worse))
    out += [q for q in quotes if not q.ranked]
    notes = () if pairs else (f"no market {symbol} on any configured venue",)
    return Comparison(symbol, side, amount, depth_bps, tuple(out), notes)


def _with(q: VenueQuote, **changes: Any) -> VenueQuote:
    return VenueQuote(**{**{k: getattr(q, k) for k in q.__slots__}, **changes})


def stage_from(desk: Any, comparison: Comparison, venue: str | None = None, actor: str = "human") -> Order:
    """Stage the comparison's choice (the best venue, or ``venue``) as a limit IOC at the walked worst price:
    it takes what the walk took and never pays past it. It waits for approval like any staged order."""
    chosen = comparison.best if venue is None else next((q for q in comparison.quotes if q.venue == venue), None)
    if chosen is None or chosen.worst_price is None or chosen.amount <= 0:
        why = "no venue can fill it now" if venue is None else f"{venue} has no quote for it"
        raise ValueError(f"nothing to stage for {comparison.side.value} {comparison.amount} {comparison.symbol}: {why}")
    others = [q for q in comparison.quotes if q.ranked and q.venue != chosen.venue]
    rationale = (f"cross-venue: {chosen.venue} all-in {chosen.all_in:.2f} for {comparison.amount} "
                 f"(fee {chosen.taker_fee * 100:.3f}% {chosen.fee_source})" +
                 ("; next " + ", ".join(f"{q.venue} +{q.vs_best_bps:.1f} bps" for q in others[:3]) if others else ""))
    spec = OrderSpec(venue=chosen.venue, symbol=chosen.symbol, side=comparison.side, type=OrderType.LIMIT,
                     amount=chosen.amount, price=chosen.worst_price, time_in_force=TimeInForce.IOC,
                     rationale=rationale)
    return desk.stage(spec, actor)
