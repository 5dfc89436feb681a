"""Events the Desk publishes. Subscribers (the UI, the copilot, tests) must be quick: they run inline."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from ..domain.book import Book
from ..domain.execution import Execution
from ..domain.orders import Fill, Order

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BookChanged:
    venue: str
    symbol: str
    book: Book


@dataclass(frozen=True, slots=True)
class OrderChanged:
    order: Order
    previous_status: str | None = None


@dataclass(frozen=True, slots=True)
class FillRecorded:
    fill: Fill


@dataclass(frozen=True, slots=True)
class PositionsChanged:
    venue: str
    symbol: str


@dataclass(frozen=True, slots=True)
class ExecutionRecorded:
    execution: Execution


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    venue: str
    at_ms: int
    ok: bool
    differences: tuple[Any, ...] = ()
    calls: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ProposalStaged:
    order: Order


@dataclass(frozen=True, slots=True)
class RiskAlert:
    message: str
    level: str = "warning"  # "info" | "warning" | "error"
    client_order_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Callable[[object], None]] = []

    def subscribe(self, callback: Callable[[object], None]) -> Callable[[], None]:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def publish(self, event: object) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # a broken subscriber must never stop the engine
                log.exception("event subscriber failed on %s", type(event).__name__)
