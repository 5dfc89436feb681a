"""What the Desk's parts may use of each other: the Desk's public face, as a type.

The router, the controls, the emulator, contingent groups, the reconciler and the markouts are
handed the Desk, but they are typed against this protocol, never against ``desk.Desk``: so none of
them imports desk.py (no circle of imports), and each can only reach what is listed here, all of it
public. The order's life at the venue is reached through ``desk.router`` (an ``OrderRouter``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol

from ..domain.book import Book
from ..domain.market import Market, Problem
from ..domain.orders import Order, OrderSpec
from ..domain.reports import Balance
from ..venues.ccxt_venue import ExchangeVenue
from .clock import Clock
from .events import EventBus
from .journal import Journal
from .oms import Ledger
from .risk import RiskGate, TradingState
from .settings import DeskSettings

class RouterPort(Protocol):
    """The life of an order at the venue (``router.OrderRouter``): the only way anything reaches a venue."""

    async def send(self, order: Order, actor: str, *, flatten: bool = False) -> None: ...

    async def cancel(self, order: Order, actor: str) -> Order: ...

    async def resolve_now(self, order: Order) -> bool: ...

    def resolve_later(self, order: Order) -> None: ...

    async def fetch_fills(self, venue: str, symbol: str) -> int: ...

    async def await_send_slot(self, venue: str, symbol: str, max_wait_s: float = 5.0) -> None: ...

    def spawn(self, coro: Any) -> Any: ...


class DeskPort(Protocol):
    venues: dict[str, ExchangeVenue]
    journal: Journal
    ledger: Ledger
    bus: EventBus
    clock: Clock
    gate: RiskGate
    settings: DeskSettings
    router: RouterPort
    emulator: Any
    schedules: Any
    markets: dict[tuple[str, str], Market]
    books: dict[tuple[str, str], Book]
    balances: dict[str, dict[str, Balance]]
    venue_positions: dict[str, dict[str, Any]]
    venue_leverage: dict[tuple[str, str], Decimal]
    position_mode: dict[str, str]
    watch_symbols: dict[str, list[str]]
    reconcile_state: dict[str, Any]
    reconciler: Any

    async def sync_books(self) -> None: ...

    def market(self, venue: str, symbol: str) -> Market: ...

    def mark(self, venue: str, symbol: str) -> Decimal | None: ...

    def trading_state(self, venue: str) -> TradingState: ...

    def check(self, spec: OrderSpec, order: Order | None = None, *, static: bool = False, sending: bool = False,
              flattening: bool = False, extra_working: Any = (), confirm_duplicate: bool = False,
              exclude: Any = ()) -> list[Problem]: ...

    def stale_proposal(self, order: Order) -> Any: ...

    def emulation_reason(self, spec: OrderSpec) -> str | None: ...

    def fill_since(self, venue: str, symbol: str | None) -> int | None: ...

    async def refresh(self) -> None: ...
