"""Decimal helpers: the only way numbers enter the domain.

Floats never reach the domain layer. Values from a venue are converted at the
boundary with ``Decimal(str(x))``; inside, everything is built from strings.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation, localcontext

ZERO = Decimal("0")
ONE = Decimal("1")
BPS = Decimal("10000")


def dec(value: object) -> Decimal:
    """A Decimal from a str, int or Decimal. Floats are refused: they are not money."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a bool is not a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            out = Decimal(value.strip().replace("_", ""))
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
        if not out.is_finite():
            raise ValueError(f"{value!r} is not a finite number")
        return out
    if isinstance(value, float):
        raise TypeError(f"float {value!r} refused: build money from strings, e.g. dec('{value}')")
    raise TypeError(f"{type(value).__name__} is not a number")


def from_venue(value: object) -> Decimal | None:
    """The venue boundary: ccxt gives floats, strings or None. None stays unknown, never 0."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


# Steps are checked and rounded exactly: the default context keeps 28 significant digits, so 64499.5 plus
# 1E-27 would pass a 0.01 tick check and leave 1E-31 "remaining" on an order forever.
EXACT_DIGITS = 200


def floor_to_step(value: Decimal, step: Decimal) -> Decimal:
    """Round down to a multiple of step (amounts: never more than asked)."""
    if step <= 0:
        return value
    with localcontext(prec=EXACT_DIGITS):
        return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step


def ceil_to_step(value: Decimal, step: Decimal) -> Decimal:
    if step <= 0:
        return value
    with localcontext(prec=EXACT_DIGITS):
        return (value / step).to_integral_value(rounding=ROUND_CEILING) * step


def is_multiple(value: Decimal, step: Decimal) -> bool:
    """Exactly a whole number of steps, at any number of digits."""
    if step <= 0:
        return True
    try:
        with localcontext(prec=EXACT_DIGITS):
            return value % step == 0
    except InvalidOperation:  # more whole steps than any venue could hold: not a price or amount
        return False


def bps(numerator: Decimal, denominator: Decimal) -> Decimal:
    return numerator / denominator * BPS if denominator else ZERO
