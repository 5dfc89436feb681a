"""What a venue says about our account, in domain terms: the input of tracking and reconciliation."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .money import ZERO
from .orders import OrderStatus, OrderType, Side


@dataclass(frozen=True, slots=True)
class OrderReport:
    venue: str
    symbol: str
    venue_order_id: str | None
    client_order_id: str | None
    side: Side | None
    type: OrderType | None
    status: OrderStatus  # mapped from ccxt's open|closed|canceled|expired|rejected and the filled amount
    amount: Decimal | None
    filled: Decimal | None  # None = the venue did not say (never read as 0)
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    average: Decimal | None = None
    timestamp_ms: int | None = None
    raw_status: str | None = None


@dataclass(frozen=True, slots=True)
class Balance:
    currency: str
    free: Decimal = ZERO
    used: Decimal = ZERO
    total: Decimal = ZERO
