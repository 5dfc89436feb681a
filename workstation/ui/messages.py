"""Messages that workers post back to the UI. Workers do the I/O; handlers only update widgets."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from textual.message import Message


@dataclass
class DeskStarted(Message):
    elapsed_s: float


@dataclass
class DeskStartFailed(Message):
    error: str
    attempt: int


@dataclass
class DeskActionDone(Message):
    verb: str  # approve | cancel | modify | refresh
    client_order_id: str | None
    status: str | None = None
    detail: str = ""


@dataclass
class DeskActionFailed(Message):
    verb: str
    client_order_id: str | None
    error: str


@dataclass
class CandlesLoaded(Message):
    venue: str
    symbol: str
    candles: list[tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal]]


@dataclass
class CandlesFailed(Message):
    venue: str
    symbol: str
    error: str


@dataclass
class CopilotEvent(Message):
    """A copilot event (ProposalMade, CopilotReply, CopilotError, StatusChanged), moved onto the UI's queue."""

    event: object


@dataclass
class KillDone(Message):
    report: object
    flatten: bool


@dataclass
class KillFailed(Message):
    error: str


@dataclass
class PlanDone(Message):
    """A fast action carried out (or refused on the way): its Outcome."""

    outcome: object


@dataclass
class TapeLoaded(Message):
    venue: str
    symbol: str
    new: int


@dataclass
class LeverageSet(Message):
    venue: str
    symbol: str
    leverage: Decimal
