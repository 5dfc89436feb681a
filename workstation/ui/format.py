"""Formatting for the screen: Decimals in, strings out. Never floats for money."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from ..domain.money import NumberError, parse_typed

DASH = "—"


def parse_decimal(text: str, *, positive: bool = False, what: str = "the number") -> Decimal | None:
    """What the trader typed, as a Decimal (never a float), or NumberError (a ValueError) saying why not and
    what to type. Empty means None. '0,5', '-5', '5abc' and '1e9' are refused, never guessed at
    (``domain.money.parse_typed``); '1,000.5', '1,000,000' and '1_000' are read as written."""
    value = parse_typed(text, what)
    if value is not None and positive and value <= 0:
        raise NumberError(f"{what} must be above zero, got {value}")
    return value


def quantize(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)


def num(value: Decimal | None, decimals: int, *, sign: bool = False, group: bool = False) -> str:
    """A Decimal at a fixed number of decimals; None shows as a dash, never as 0."""
    if value is None:
        return DASH
    q = quantize(value, max(decimals, 0))
    if not q:
        q = abs(q)  # never show "-0.00"
    text = f"{q:{'+' if sign else ''}{',' if group else ''}f}"
    return text


def price(value: Decimal | None, decimals: int) -> str:
    return num(value, decimals)


def amount(value: Decimal | None, decimals: int) -> str:
    return num(value, decimals)


def money(value: Decimal | None, decimals: int = 2, sign: bool = False) -> str:
    return num(value, decimals, sign=sign, group=True)


def bps(value: Decimal | None) -> str:
    return num(value, 1, sign=True)


def ms(value: float | None) -> str:
    """A duration (a float is fine here: it is not money)."""
    if value is None:
        return DASH
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def clock(wall_ms: int | None, millis: bool = False) -> str:
    if wall_ms is None:
        return DASH
    dt = datetime.fromtimestamp(wall_ms / 1000)
    text = dt.strftime("%H:%M:%S")
    return f"{text}.{wall_ms % 1000:03d}" if millis else text


def age(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


def short_symbol(symbol: str) -> str:
    """BTC/USDT:USDT -> BTC-PERP style label for tight columns."""
    if ":" in symbol:
        base = symbol.split("/")[0]
        return f"{base}-PERP"
    return symbol
