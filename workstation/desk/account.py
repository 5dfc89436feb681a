"""The account as a trader reads it, per venue and in total: balances, equity, buying power, margin, PnL.

Everything here is read from the Desk's public state (``balances`` as the venue last reported them,
``venue_positions``, books, positions, working orders, the risk limits) and computed on demand; the
Desk is never changed. No Textual.

- Balances: free / in orders / total per asset, as the venue reports them on every refresh.
- Equity, marked to market in the venue's valuation currency (the quote most of its watched symbols
  use, USDT on the paper exchange): every asset's total at the mid of ASSET/QUOTE, plus the unrealized
  PnL of derivatives positions as the venue reports them (size and entry) at our mark. Venues report a
  wallet balance that leaves that unrealized PnL out; an asset with no book to price it is listed as
  unpriced and left out, never counted as zero.
- Buying power: spot, the free valuation currency net of the taker fee; derivatives, the free settle
  currency times the leverage, capped by the room left under the margin cap.
- Margin used and its ratio are measured exactly as the risk gate measures them (positions at mark
  and working orders that open risk, at the venue's leverage or the gate's assumed one), so the strip
  and the gate never disagree about how close the cap is.
- Day PnL: realized today (UTC) net of fees plus unrealized (``Desk.daily_pnl``); uPnL: positions
  from our fills at mark.

On spot, holdings are positions: ``holding`` is the base asset's total balance there.
"""

from __future__ import annotations

import weakref
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..domain.money import ZERO
from .events import ReconcileReport
from .risk import ASSUMED_VENUE_LEVERAGE

NEAR_CAP = Decimal("0.8")  # a margin ratio at 80% of its cap shows as "near"


@dataclass(frozen=True, slots=True)
class AssetLine:
    currency: str
    free: Decimal
    in_orders: Decimal
    total: Decimal
    price: Decimal | None  # in the valuation currency; None: no book prices it
    value: Decimal | None


@dataclass(frozen=True, slots=True)
class VenueAccount:
    venue: str
    currency: str  # what equity, PnL and buying power are counted in
    known: bool  # the venue's balances have arrived (first refresh done)
    assets: tuple[AssetLine, ...] = ()
    equity: Decimal = ZERO
    derivatives_upnl: Decimal = ZERO  # in equity: the venue's positions at our mark
    buying_power: Decimal = ZERO  # spot
    perp_buying_power: Decimal | None = None  # derivatives, when the venue has any
    margin_used: Decimal = ZERO
    margin_ratio_pct: Decimal | None = None
    margin_cap_pct: Decimal = Decimal("30")
    day_pnl: Decimal = ZERO
    upnl: Decimal = ZERO
    unpriced: tuple[str, ...] = ()

    @property
    def margin_state(self) -> str:
        """ok | near (at 80% of the cap or more) | over (at or past the cap)."""
        if self.margin_ratio_pct is None or not self.margin_cap_pct:
            return "ok"
        if self.margin_ratio_pct >= self.margin_cap_pct:
            return "over"
        return "near" if self.margin_ratio_pct >= self.margin_cap_pct * NEAR_CAP else "ok"

    def asset(self, currency: str) -> AssetLine | None:
        return next((a for a in self.assets if a.currency == currency), None)


@dataclass(frozen=True, slots=True)
class AccountTotal:
    currency: str
    equity: Decimal
    buying_power: Decimal
    margin_used: Decimal
    day_pnl: Decimal
    upnl: Decimal
    venues: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    venues: tuple[VenueAccount, ...] = ()
    totals: tuple[AccountTotal, ...] = field(default_factory=tuple)  # one per valuation currency

    def venue(self, name: str) -> VenueAccount | None:
        return next((v for v in self.venues if v.venue == name), None)


# -- positions: on spot, holdings -----------------------------------------------------------------
class _Holdings:
    """Spot holdings between two refreshes: the venue's balance as of the last reconcile, plus what our
    own fills have moved since (the venue reports balances only when asked: a buy must not look unmade
    for seconds). At each refresh the balance and our fills agree again, and the baseline is taken."""

    def __init__(self, desk: Any):
        self.desk = desk
        self.baseline: dict[tuple[str, str], Decimal] = {}  # (venue, spot symbol) -> our size at the refresh
        desk.bus.subscribe(self._on_event)

    def _on_event(self, event: object) -> None:
        if isinstance(event, ReconcileReport):
            for (venue, symbol), market in self.desk.markets.items():
                if venue == event.venue and not market.is_derivative:
                    self.baseline[(venue, symbol)] = self.desk.position(venue, symbol).size

    def moved(self, venue: str, base: str) -> Decimal:
        """What our fills moved ``base`` by on ``venue`` since the last refresh (every spot symbol of it)."""
        total = ZERO
        for (v, symbol), market in self.desk.markets.items():
            if v == venue and not market.is_derivative and market.base == base:
                now = self.desk.position(v, symbol).size
                total += now - self.baseline.setdefault((v, symbol), now)
        return total


# One tracker per Desk, kept by its event bus (the UI holds the Desk through a proxy that has no weak
# reference of its own; the bus is the same object either way).
_HOLDINGS: "weakref.WeakKeyDictionary[Any, _Holdings]" = weakref.WeakKeyDictionary()


def holding(desk: Any, venue: str, symbol: str) -> Decimal:
    """The position a trader means: on spot the base asset held (the venue's total balance, moved by our
    fills since it was fetched); on a derivative the position size (the venue's figure when it reports
    one, else ours from fills)."""
    market = desk.markets.get((venue, symbol))
    if market is not None and not market.is_derivative:
        balance = desk.balances.get(venue, {}).get(market.base)
        if balance is not None:
            tracker = _HOLDINGS.get(desk.bus)
            if tracker is None:
                tracker = _HOLDINGS[desk.bus] = _Holdings(desk)
            return balance.total + tracker.moved(venue, market.base)
        return desk.position(venue, symbol).size
    info = desk.venue_positions.get(venue, {}).get(symbol)
    if info is not None:
        return info.size
    return desk.position(venue, symbol).size


def valuation_currency(desk: Any, venue: str) -> str:
    symbols = desk.watch_symbols.get(venue) or [s for v, s in desk.markets if v == venue]
    quotes = Counter(s.split("/")[1].split(":")[0] for s in symbols if "/" in s)
    return quotes.most_common(1)[0][0] if quotes else "USDT"


def price_of(desk: Any, venue: str, currency: str, quote: str) -> Decimal | None:
    """One unit of ``currency`` in ``quote``: 1 for the quote itself, else the mid of CURRENCY/QUOTE on this
    venue, else on any venue that has that book."""
    if currency == quote:
        return Decimal(1)
    symbol = f"{currency}/{quote}"
    mark = desk.mark(venue, symbol)
    if mark is not None:
        return mark
    for (v, s) in desk.books:
        if s == symbol:
            mark = desk.mark(v, s)
            if mark is not None:
                return mark
    return None


def _leverage(desk: Any, venue: str, symbol: str) -> Decimal:
    info = desk.venue_positions.get(venue, {}).get(symbol)
    return getattr(info, "leverage", None) or ASSUMED_VENUE_LEVERAGE


def _derivative_markets(desk: Any, venue: str) -> list[Any]:
    return [m for (v, _), m in desk.markets.items() if v == venue and m.is_derivative]


def _margin_used(desk: Any, venue: str) -> Decimal:
    """As the risk gate counts it: positions at mark and orders that open risk, over the leverage."""
    used = ZERO
    for pos in desk.positions():
        market = desk.markets.get((pos.venue, pos.symbol))
        if pos.venue != venue or not pos.size or market is None or not market.is_derivative:
            continue
        price = desk.mark(venue, pos.symbol) or pos.average_entry
        used += abs(pos.size) * price * market.contract_size / _leverage(desk, venue, pos.symbol)
    for order in desk.working_orders():
        market = desk.markets.get((order.venue, order.symbol))
        if order.venue != venue or market is None or not market.is_derivative or order.spec.reduce_only:
            continue
        price = order.spec.notional_price or desk.mark(venue, order.symbol) or ZERO
        used += order.remaining * price * market.contract_size / _leverage(desk, venue, order.symbol)
    return used


def venue_account(desk: Any, venue: str) -> VenueAccount:
    currency = valuation_currency(desk, venue)
    balances = desk.balances.get(venue)
    if balances is None:
        return VenueAccount(venue, currency, known=False)
    assets, unpriced, equity = [], [], ZERO
    for ccy in sorted(balances, key=lambda c: (c != currency, c)):
        b = balances[ccy]
        if not (b.total or b.free or b.used):
            continue
        price = price_of(desk, venue, ccy, currency)
        value = b.total * price if price is not None else None
        if value is None:
            unpriced.append(ccy)
        else:
            equity += value
        assets.append(AssetLine(ccy, b.free, b.used, b.total, price, value))
    derivatives = _derivative_markets(desk, venue)
    d_upnl = ZERO
    for symbol, info in desk.venue_positions.get(venue, {}).items():
        mark = desk.mark(venue, symbol)
        if info.size and mark is not None and info.entry_price is not None:
            d_upnl += info.size * (mark - info.entry_price)
    equity += d_upnl
    spot_fee = max((m.taker_fee for (v, _), m in desk.markets.items() if v == venue and not m.is_derivative),
                   default=ZERO)
    cash = balances.get(currency)
    buying_power = (cash.free / (1 + spot_fee)) if cash is not None else ZERO
    any_symbol = derivatives[0].symbol if derivatives else next((s for v, s in desk.markets if v == venue), "")
    cap = desk.limits(venue, any_symbol).max_margin_pct
    margin = _margin_used(desk, venue)
    ratio = perp_bp = None
    if derivatives:
        settle = derivatives[0].settle or derivatives[0].quote
        settle_balance = balances.get(settle)
        settle_equity = (settle_balance.total if settle_balance else ZERO) + d_upnl
        if settle_equity > 0:
            ratio = margin / settle_equity * 100
        leverage = _leverage(desk, venue, derivatives[0].symbol)
        free = settle_balance.free if settle_balance else ZERO
        room = max(cap / 100 * settle_equity - margin, ZERO)
        perp_bp = min(free, room) * leverage
    upnl = sum((p.unrealized_pnl(desk.mark(venue, p.symbol)) for p in desk.positions()
                if p.venue == venue and p.size), ZERO)
    return VenueAccount(venue, currency, True, tuple(assets), equity, d_upnl, buying_power, perp_bp, margin,
                        ratio, cap, desk.daily_pnl(venue), upnl, tuple(unpriced))


def account(desk: Any) -> AccountSnapshot:
    venues = tuple(venue_account(desk, name) for name in desk.venues)
    totals: dict[str, list[VenueAccount]] = {}
    for v in venues:
        if v.known:
            totals.setdefault(v.currency, []).append(v)
    out = []
    for currency, group in totals.items():
        out.append(AccountTotal(
            currency,
            sum((v.equity for v in group), ZERO),
            sum((v.buying_power for v in group), ZERO),
            sum((v.margin_used for v in group), ZERO),
            sum((v.day_pnl for v in group), ZERO),
            sum((v.upnl for v in group), ZERO),
            tuple(v.venue for v in group)))
    return AccountSnapshot(venues, tuple(out))
