"""Decimal helpers: the only way numbers enter the domain.

Floats never reach the domain layer. Values from a venue are converted at the
boundary with ``Decimal(str(x))``; inside, everything is built from strings.
"""

from __future__ import annotations

import re
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


# -- bounds and typed numbers ------------------------------------------------------------------------
# No price, amount, balance or limit we trade is larger than this, or finer than a wei (1e-18). A value
# outside these bounds is a typo, an overflow or an attack, and Decimal arithmetic on it can raise
# Overflow deep inside a risk check: it is refused where it enters, with a message.
MAX_VALUE = Decimal("1e15")
MAX_PLACES = 18
MAX_TYPED_LENGTH = 40


class NumberError(ValueError):
    """A number that cannot be taken as written: the message says why and what to type instead."""


_PLAIN = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_UNDERSCORED = re.compile(r"\d+(?:_\d+)+(?:\.\d+)?")


def check_bounds(value: Decimal, what: str = "the number", *, places: bool = True) -> Decimal:
    """``value`` if it is finite, at most MAX_VALUE in size and (with ``places``) at most MAX_PLACES decimals."""
    if not value.is_finite():
        raise NumberError(f"{what} must be a finite number, got {value}")
    if abs(value) > MAX_VALUE:
        raise NumberError(f"{what} is too large ({_short(value)}); the largest accepted is {MAX_VALUE:,f}")
    if places and value and value.normalize().as_tuple().exponent < -MAX_PLACES:  # type: ignore[operator]
        raise NumberError(f"{what} has more than {MAX_PLACES} decimal places ({_short(value)})")
    return value


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 24 else text[:21] + "..."


def parse_typed(text: str, what: str = "the number", *, negative: bool = False) -> Decimal | None:
    """A number as a person or a model typed it, or NumberError saying why not. Blank is None.

    Refused rather than guessed: a decimal comma ('0,5' is 0.5 in much of Europe and 5 once the comma
    is dropped), a comma that could be either ('1,000'), a sign where none belongs ('-5' is not a sell),
    letters ('5abc'), exponents ('1e9': a billion hidden in three characters). A thousands separator
    passes only where it cannot be a decimal point: '1,000.5', '1,000,000'; '1_000' passes too.
    """
    raw = text
    text = text.strip()
    if not text:
        return None
    shown = repr(_short(raw.strip()))
    if len(text) > MAX_TYPED_LENGTH:
        raise NumberError(f"{what}: {shown} is too long to be a number")
    sign = ""
    if text[0] in "+-":
        sign, text = text[0], text[1:].lstrip()
        if sign == "-" and not negative:
            raise NumberError(f"{what}: {shown} is negative; type a positive number without a sign")
    if re.fullmatch(r"[\d.,_]*\d[eE][+-]?\d+", text):
        raise NumberError(f"{what}: {shown} uses an exponent; write the number out in full (e.g. 1000000000, "
                          f"not 1e9)")
    if "," in text:
        if _GROUPED.fullmatch(text) and ("." in text or text.count(",") > 1):
            text = text.replace(",", "")
        elif re.fullmatch(r"\d{1,3},\d{3}", text):
            whole = text.replace(",", "")
            raise NumberError(f"{what}: {shown} is ambiguous (a thousands separator or a decimal comma?); type "
                              f"{whole} or {text.replace(',', '.')}")
        elif re.fullmatch(r"\d*,\d+", text):
            raise NumberError(f"{what}: {shown} has a decimal comma; use a dot for decimals: "
                              f"{text.replace(',', '.')}")
        else:
            raise NumberError(f"{what}: {shown} is not a number; type digits with a dot for decimals, e.g. 0.5")
    if "_" in text:
        if not _UNDERSCORED.fullmatch(text):
            raise NumberError(f"{what}: {shown} is not a number; type digits with a dot for decimals, e.g. 0.5")
        text = text.replace("_", "")
    if not _PLAIN.fullmatch(text):
        raise NumberError(f"{what}: {shown} is not a number; type digits with a dot for decimals, e.g. 0.5")
    return check_bounds(Decimal(sign + text), what)
