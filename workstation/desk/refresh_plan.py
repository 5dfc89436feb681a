"""The rate budget drives the refresh: how often each venue is refreshed, and which per-symbol calls it makes.

One refresh of a venue costs a known weight: open orders (one call, or one per symbol where the venue needs a
symbol), the balance, positions on derivatives, and my trades (one call, or one per symbol). The weights are
ccxt's own rate-limit costs, measured on each call (ExchangeVenue.call_costs), in the same units as the
account's capacity. On Binance spot: open orders without a symbol 16, the account 4, my trades 4 a symbol, of
1,200 a minute (6,000 Binance weight): at a refresh every 3 s, ten watched symbols would spend it all.

The plan keeps the refresh within ``SHARE`` of the capacity (the rest is for orders, books and look-ups):
  1. the base interval if that fits;
  2. else a longer interval, up to ``MAX_INTERVAL_S``;
  3. past that, the per-symbol trade calls rotate: symbols with working orders or fills to fetch ("hot") every
     refresh, the others a few at a time, in turn;
and a budget already running low (a 429 counts as all spent) slows it further: x3 under 20 % left, x10
under 5 %. Pure arithmetic over the Desk's public state: the desk core asks ``interval()`` and
``trade_symbols()``; the status bar shows ``plan().note``.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any

SHARE = 0.5  # of the account's capacity, at most, for the refresh
MAX_INTERVAL_S = 30.0  # slower than this and the per-symbol calls rotate instead
DEFAULT_COST = 1.0  # a call not measured yet


@dataclass(frozen=True, slots=True)
class Call:
    operation: str
    symbol: str | None
    cost: float


@dataclass(frozen=True, slots=True)
class RefreshPlan:
    venue: str
    interval_s: float
    calls: tuple[Call, ...]  # one refresh
    cost: float  # of one refresh
    capacity: int  # a minute
    remaining: int
    rotated: tuple[str, ...] = ()  # symbols whose trades are fetched in turn, not every refresh
    per_refresh: int = 0  # how many rotated symbols each refresh takes

    @property
    def per_minute(self) -> float:
        return self.cost * 60.0 / self.interval_s if self.interval_s else 0.0

    @property
    def note(self) -> str:
        """For the status bar: the cadence, and what the budget changed."""
        text = f"every {self.interval_s:.0f}s" if self.interval_s >= 10 else f"every {self.interval_s:.1f}s"
        if self.rotated:
            text += f", trades of {len(self.rotated)} quiet symbol(s) {self.per_refresh} a refresh"
        return text


def refresh_calls(costs: dict[tuple[str, bool], float], symbols: list[str], *, open_per_symbol: bool,
                  trades_per_symbol: bool, positions: bool) -> list[Call]:
    """What one refresh asks, priced with the measured costs (DEFAULT_COST where not measured yet)."""
    def cost(operation: str, with_symbol: bool) -> float:
        return costs.get((operation, with_symbol), DEFAULT_COST)

    calls = [Call("fetch_open_orders", s, cost("fetch_open_orders", True)) for s in symbols] if open_per_symbol \
        else [Call("fetch_open_orders", None, cost("fetch_open_orders", False))]
    calls.append(Call("fetch_balance", None, cost("fetch_balance", False)))
    if positions:
        calls.append(Call("fetch_positions", None, cost("fetch_positions", False)))
    calls += [Call("fetch_my_trades", s, cost("fetch_my_trades", True)) for s in symbols] if trades_per_symbol \
        else [Call("fetch_my_trades", None, cost("fetch_my_trades", False))]
    return calls


def plan(venue: str, calls: list[Call], capacity: int, remaining: int, base_interval_s: float,
         hot: set[str] | frozenset[str] = frozenset()) -> RefreshPlan:
    """The cadence that keeps ``calls`` within SHARE of ``capacity`` (see the module's rules)."""
    allowance = SHARE * max(capacity, 1) / 60.0  # cost a second the refresh may spend
    cost = sum(c.cost for c in calls)
    interval = max(base_interval_s, cost / allowance)
    rotated: tuple[str, ...] = ()
    per_refresh = 0
    chosen = calls
    if interval > MAX_INTERVAL_S:
        cold = [c for c in calls if c.operation == "fetch_my_trades" and c.symbol and c.symbol not in hot]
        fixed = [c for c in calls if c not in cold]
        if cold:
            room = allowance * MAX_INTERVAL_S - sum(c.cost for c in fixed)
            per_refresh = max(1, min(len(cold), math.floor(room / max(c.cost for c in cold))))
            if per_refresh < len(cold):
                rotated = tuple(c.symbol for c in cold if c.symbol)
                chosen = fixed + cold[:per_refresh]
                cost = sum(c.cost for c in chosen)
                interval = max(base_interval_s, cost / allowance)
    fraction = remaining / capacity if capacity else 1.0
    interval *= 10 if fraction < 0.05 else 3 if fraction < 0.2 else 1
    return RefreshPlan(venue, interval, tuple(chosen), cost, capacity, remaining, rotated, per_refresh)


class RefreshPlanner:
    """The plans for one Desk, and the rotation cursor. ``RefreshPlanner.of(desk)`` is shared."""

    _shared: "weakref.WeakKeyDictionary[Any, RefreshPlanner]" = weakref.WeakKeyDictionary()

    def __init__(self, desk: Any):
        self.desk = desk
        self._cursor: dict[str, int] = {}

    @classmethod
    def of(cls, desk: Any) -> "RefreshPlanner":
        desk = getattr(desk, "unguarded", desk)  # the UI's guarded Desk (ui/guard.py) is the same Desk
        planner = cls._shared.get(desk)
        if planner is None:
            planner = cls._shared[desk] = cls(desk)
        return planner

    def _hot(self, venue: str) -> set[str]:
        desk = self.desk
        needed = getattr(desk.ledger, "fills_needed", set())
        return {o.symbol for o in desk.working_orders() if o.venue == venue} | {s for v, s in needed if v == venue}

    def plan(self, venue_name: str) -> RefreshPlan:
        desk = self.desk
        venue = desk.venues[venue_name]
        hot = self._hot(venue_name)
        symbols = sorted({*desk.watch_symbols.get(venue_name, []), *hot})
        calls = refresh_calls(getattr(venue, "call_costs", {}), symbols,
                              open_per_symbol=venue.symbol_required("fetchOpenOrders"),
                              trades_per_symbol=venue.symbol_required("fetchMyTrades"),
                              positions=venue.has("fetchPositions"))
        remaining, capacity = venue.rate_budget()
        return plan(venue_name, calls, capacity, remaining, desk.settings.refresh_interval_s, hot)

    def interval(self) -> float:
        """How long the refresh loop waits: the slowest venue's plan (one loop refreshes them all)."""
        intervals = [self.plan(name).interval_s for name in self.desk.venues]
        return max(intervals, default=self.desk.settings.refresh_interval_s)

    def trade_symbols(self, venue_name: str, symbols: set[str] | list[str]) -> list[str]:
        """Of the symbols a refresh would fetch trades for, those this refresh does: every hot one, and the
        rotated ones in turn (a quiet symbol's fills arrive within a rotation, and by stream meanwhile)."""
        current = self.plan(venue_name)
        if not current.rotated:
            return sorted(symbols)
        rotated = [s for s in sorted(symbols) if s in current.rotated]
        start = self._cursor.get(venue_name, 0) % max(len(rotated), 1)
        turn = (rotated[start:] + rotated[:start])[:current.per_refresh]
        self._cursor[venue_name] = start + current.per_refresh
        return sorted({*(s for s in symbols if s not in current.rotated), *turn})
