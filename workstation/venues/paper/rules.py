"""What the venue refuses, as a real one does (the workstation validates before sending
too, but a venue never trusts its client). Messages name the rule that failed."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from ccxt.base.errors import InvalidOrder

from .market import MarketSpec

TIFS = ("GTC", "IOC", "FOK", "PO")


def to_decimal(value: Any, name: str) -> Decimal:
    """str, int, Decimal, or float (via str, as ccxt callers may pass floats)."""
    if isinstance(value, bool) or value is None:
        raise InvalidOrder(f"paper {name} must be a number, got {value!r}")
    try:
        dec = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidOrder(f"paper {name} must be a number, got {value!r}") from None
    if not dec.is_finite():
        raise InvalidOrder(f"paper {name} must be finite, got {value!r}")
    return dec


def parse_amount(spec: MarketSpec, value: Any) -> int:
    amount = to_decimal(value, "amount")
    if amount <= 0:
        raise InvalidOrder(f"paper amount must be positive, got {amount}")
    if amount < spec.lot:
        raise InvalidOrder(f"paper amount {amount} is below the minimum {spec.lot} "
                           f"for {spec.symbol} (limits.amount.min)")
    if amount > spec.max_amount:
        raise InvalidOrder(f"paper amount {amount} is above the maximum {spec.max_amount} "
                           f"for {spec.symbol} (limits.amount.max)")
    lots = amount / spec.lot
    if lots != lots.to_integral_value():
        raise InvalidOrder(f"paper amount {amount} is not a multiple of the lot step {spec.lot} "
                           f"for {spec.symbol} (precision.amount)")
    return int(lots)


def parse_price(spec: MarketSpec, value: Any, name: str = "price") -> int:
    price = to_decimal(value, name)
    if price <= 0:
        raise InvalidOrder(f"paper {name} must be positive, got {price}")
    if price > spec.max_price:
        raise InvalidOrder(f"paper {name} {price} is above the maximum {spec.max_price} "
                           f"for {spec.symbol} (limits.price.max)")
    ticks = price / spec.tick
    if ticks != ticks.to_integral_value():
        raise InvalidOrder(f"paper {name} {price} is not a multiple of the tick {spec.tick} "
                           f"for {spec.symbol} (precision.price)")
    return int(ticks)


def check_cost(spec: MarketSpec, lots: int, price_ticks: int) -> None:
    cost = lots * spec.lot * price_ticks * spec.tick * spec.contract_size
    if cost < spec.min_cost:
        raise InvalidOrder(f"paper order cost {cost} is below the minimum notional "
                           f"{spec.min_cost} for {spec.symbol} (limits.cost.min)")


def parse_tif(order_type: str, params: dict[str, Any]) -> tuple[str, bool]:
    tif = str(params.get("timeInForce") or "GTC").upper()
    if tif == "POSTONLY":
        tif = "PO"
    if tif not in TIFS:
        raise InvalidOrder(f"paper timeInForce {tif!r} is not supported; use one of {', '.join(TIFS)}")
    post_only = bool(params.get("postOnly")) or tif == "PO"
    if post_only and tif in ("IOC", "FOK"):
        raise InvalidOrder(f"paper postOnly cannot be combined with timeInForce {tif}")
    if order_type == "market":
        if post_only:
            raise InvalidOrder("paper postOnly is only valid for limit orders")
        return "IOC", False
    return ("PO" if post_only else tif), post_only
