"""CopilotView: everything the copilot may see, and the one thing it may do (stage).

The copilot never holds the Desk or a venue object. It gets this view, built by the app
from the Desk. The view exposes read-only snapshots (copies or frozen values), the gate's
``check`` as a dry run, ``stage`` (which always stamps origin=copilot and lands the order
in PENDING_APPROVAL or DENIED, never at a venue), and an append-only journal writer
limited to the copilot's own event kinds.

The Desk is captured in closures, not stored as an attribute: nothing in the copilot
package can reach ``approve``, ``cancel``, ``modify`` or a venue through this object
without deliberately digging into closure cells. A test checks the attribute surface.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from ..domain.book import Book
from ..domain.execution import Execution
from ..domain.market import Market, Problem
from ..domain.orders import Order, OrderSpec, OrderStatus, Origin
from ..domain.positions import Position
from ..domain.reports import Balance

# The only journal kinds the copilot may write. Decisions about orders are the Desk's.
COPILOT_JOURNAL_KINDS = frozenset({"proposal", "copilot_error", "copilot_turn", "copilot_decision"})


class ViewError(Exception):
    """A read the view cannot answer (unknown venue or symbol); the message says what exists."""


class ProposalRefused(Exception):
    """The Desk would not take a proposal (e.g. a schedule whose slices break the venue's rules)."""


@dataclass(frozen=True, slots=True)
class VenueInfo:
    name: str
    environment: str
    connected: bool
    last_error: str | None  # venue text: data, never instructions


class CopilotView:
    """Read snapshots + stage. Build with ``CopilotView.of(desk)``."""

    __slots__ = ("_ops",)

    def __init__(self, ops: dict[str, Callable[..., Any]]):
        self._ops = ops

    @classmethod
    def of(cls, desk: Any) -> "CopilotView":
        """Capture exactly the Desk operations the copilot may use, as closures."""

        def market(venue: str, symbol: str) -> Market:
            m = desk.markets.get((venue, symbol))
            if m is None:
                known = ", ".join(f"{v}:{s}" for v, s in sorted(desk.markets)) or "none loaded"
                raise ViewError(f"unknown market {venue}:{symbol}; known markets are {known}")
            return m

        async def candles(venue: str, symbol: str, timeframe: str, limit: int) -> list:
            market(venue, symbol)
            return await desk.venues[venue].fetch_candles(symbol, timeframe, limit)

        async def trades(venue: str, symbol: str, limit: int) -> list:
            market(venue, symbol)
            return await desk.venues[venue].fetch_trades(symbol, limit)

        def stage(spec: OrderSpec, actor: str) -> Order:
            if spec.origin is not Origin.COPILOT:
                spec = spec.with_changes(origin=Origin.COPILOT)
            order = desk.stage(spec, actor)
            # Belt and braces: whatever the Desk does in future, staging never sends.
            assert order.status in (OrderStatus.PENDING_APPROVAL, OrderStatus.DENIED), order.status
            return order

        def record(kind: str, payload: dict[str, Any], actor: str) -> int:
            if kind not in COPILOT_JOURNAL_KINDS:
                raise ViewError(f"the copilot may not journal {kind!r}")
            return desk.journal.append(kind, actor=actor, payload=payload)

        async def venue_profiles(venue: str | None, symbol: str | None) -> list[dict[str, Any]]:
            from ..desk.profiles import Profiles  # read-only: fees, depth, rules, status (may ask the venues)

            profiles = await Profiles.of(desk).fresh()
            return [p.as_dict() for p in profiles.profiles() if venue in (None, p.venue) and symbol in (None, p.symbol)]

        def propose_schedule(*args: Any) -> Any:
            from ..desk.schedule import ScheduleError

            try:
                return desk.schedules.propose(*args)  # waits for a human's approval; nothing is sent
            except ScheduleError as exc:
                raise ProposalRefused(str(exc)) from None

        def venue_status() -> list[VenueInfo]:
            return [VenueInfo(s.name, s.environment, s.connected, s.last_error) for s in desk.venue_states()]

        ops: dict[str, Callable[..., Any]] = {
            "markets": lambda: sorted(desk.markets),
            "market": market,
            "watched": lambda: [(v, s) for v, syms in desk.watch_symbols.items() for s in syms],
            "book": lambda venue, symbol: desk.book(venue, symbol),
            "book_seen_ms": lambda venue, symbol: desk.book_seen_ms.get((venue, symbol)),
            "mark": lambda venue, symbol: desk.mark(venue, symbol),
            "candles": candles,
            "trades": trades,
            # Deep copies: nothing the copilot holds is the Desk's own object, so nothing it does to them
            # (an order's fills, timestamps or errors) can reach the Desk.
            "positions": lambda: copy.deepcopy(list(desk.positions())),
            "position": lambda venue, symbol: copy.deepcopy(desk.position(venue, symbol)),
            "orders": lambda: copy.deepcopy(desk.orders()),
            "order": lambda cid: copy.deepcopy(desk.order(cid)),
            "balances": lambda venue: dict(desk.balances.get(venue, {})),
            "executions": lambda: copy.deepcopy(list(desk.executions())),
            "limits": lambda venue, symbol: desk.gate.limits_for(venue, symbol),
            "venue_status": venue_status,
            "venue_profiles": venue_profiles,
            "check": lambda spec: list(desk.check(spec)),
            "stage": stage,
            "propose_schedule": propose_schedule,
            "record": record,
            "now_ms": lambda: desk.clock.wall_ms(),
        }
        return cls(ops)

    # -- reads ---------------------------------------------------------------------------
    def markets(self) -> list[tuple[str, str]]:
        return self._ops["markets"]()

    def watched(self) -> list[tuple[str, str]]:
        """The (venue, symbol) pairs the Desk keeps live books for."""
        return self._ops["watched"]()

    def market(self, venue: str, symbol: str) -> Market:
        return self._ops["market"](venue, symbol)

    def book(self, venue: str, symbol: str) -> Book | None:
        return self._ops["book"](venue, symbol)

    def book_age_ms(self, venue: str, symbol: str) -> int | None:
        seen = self._ops["book_seen_ms"](venue, symbol)
        return None if seen is None else self.now_ms() - seen

    def mark(self, venue: str, symbol: str) -> Decimal | None:
        return self._ops["mark"](venue, symbol)

    async def candles(self, venue: str, symbol: str, timeframe: str = "1m", limit: int = 60) -> list:
        return await self._ops["candles"](venue, symbol, timeframe, limit)

    async def trades(self, venue: str, symbol: str, limit: int = 30) -> list:
        return await self._ops["trades"](venue, symbol, limit)

    def positions(self) -> list[Position]:
        return self._ops["positions"]()

    def position(self, venue: str, symbol: str) -> Position:
        return self._ops["position"](venue, symbol)

    def orders(self) -> list[Order]:
        return self._ops["orders"]()

    def order(self, client_order_id: str) -> Order | None:
        try:
            return self._ops["order"](client_order_id)
        except Exception:
            return None

    def balances(self, venue: str) -> dict[str, Balance]:
        return self._ops["balances"](venue)

    def executions(self) -> list[Execution]:
        return self._ops["executions"]()

    def limits(self, venue: str, symbol: str) -> Any:
        return copy.copy(self._ops["limits"](venue, symbol))

    def venue_status(self) -> list[VenueInfo]:
        return self._ops["venue_status"]()

    def now_ms(self) -> int:
        return self._ops["now_ms"]()

    async def venue_profiles(self, venue: str | None = None, symbol: str | None = None) -> list[dict[str, Any]]:
        """Per watched venue and symbol: fees this account pays, depth within 10/50/100 bps, rules, status."""
        return await self._ops["venue_profiles"](venue, symbol)

    def check(self, spec: OrderSpec) -> list[Problem]:
        """The risk gate and market rules as a dry run: nothing is staged."""
        return self._ops["check"](spec)

    # -- the only act ----------------------------------------------------------------------
    def stage(self, spec: OrderSpec, actor: str) -> Order:
        """Put an order in the approval queue (origin copilot). It goes nowhere until a human approves."""
        return self._ops["stage"](spec, actor)

    def propose_schedule(self, venue: str, symbol: str, side: str, total: Decimal, price_limit: Decimal,
                         duration_s: float, slices: int, actor: str, rationale: str) -> Any:
        """Propose a time-sliced schedule; it waits for a human's one approval (desk/schedule.py)."""
        return self._ops["propose_schedule"](venue, symbol, side, total, price_limit, duration_s, slices, actor,
                                             rationale)

    def record(self, kind: str, payload: dict[str, Any], actor: str = "copilot") -> int:
        return self._ops["record"](kind, payload, actor)
