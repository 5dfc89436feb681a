"""Our client order id in each venue's own field and format, and back.

Our ids are ``ws`` + an 8-character journal instance + an 8-digit sequence (18 alphanumerics,
journal.next_client_order_id). Most venues take that as it is. Gate wants a ``t-`` prefix on its
``text`` field; Coinbase wants a UUID in ``client_order_id``. Both directions are pure functions, so
an id read back from the venue after a restart (an open order, a trade) maps to ours with no
table kept anywhere: Gate's prefix is stripped, and the UUID carries our id inside it (see
``_to_uuid``). An id in any other shape (one another program sent) passes through unchanged.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

_OURS = re.compile(r"ws([0-9A-Za-z]{8})(\d{8})")
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_MARK = 0x3A5C1D  # 22 bits that say "this UUID holds a workstation id"


@dataclass(frozen=True)
class ClientIdFormat:
    """One venue's client-id field: its name, allowed characters, length, and how ours is written into it."""

    field: str  # the venue's own parameter name, for messages and `workstation venues`
    chars: str  # a regex character class
    max_len: int  # excluding a prefix the workstation adds
    style: str = "plain"  # plain | prefix | uuid
    prefix: str = ""
    note: str = ""
    blank: tuple[str, ...] = ()  # values that mean "no client id" (Kraken's userref 0)

    def problem(self, ours: str) -> str | None:
        """Why ``ours`` cannot go into this field, or None."""
        if self.style == "uuid":
            return None if ours and len(ours) <= 64 else f"{self.field} needs a non-empty id of at most 64 characters"
        if not ours or len(ours) > self.max_len or not re.fullmatch(f"{self.chars}+", ours):
            return f"{self.field} takes {self.chars} characters, at most {self.max_len}"
        return None

    @property
    def describe(self) -> str:
        if self.style == "uuid":
            return f"{self.field}: a UUID (ours is encoded in it, reversibly)"
        shown = f"{self.field}: {self.chars}{{1,{self.max_len}}}"
        return shown + (f", sent with the prefix {self.prefix!r}" if self.prefix else "")

    def to_venue(self, ours: str) -> str:
        """The id as the venue will see it. Idempotent: an id already in the venue's form is kept."""
        if self.style == "prefix":
            return ours if ours.startswith(self.prefix) else self.prefix + ours
        if self.style == "uuid":
            return ours if _is_uuid(ours) else _to_uuid(ours)
        return ours

    def to_ours(self, theirs: str | None) -> str | None:
        if not theirs or theirs in self.blank:
            return None
        if self.style == "prefix" and theirs.startswith(self.prefix):
            return theirs[len(self.prefix):]
        if self.style == "uuid":
            return _from_uuid(theirs) or theirs
        return theirs


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except (ValueError, AttributeError, TypeError):
        return False
    return len(text) == 36


def _to_uuid(ours: str) -> str:
    """Our id packed into a version-8 UUID: marker (22 bits) | instance (48 bits, base 62) | sequence (32 bits).

    An id that is not in our format gets a name-based UUID (uuid5): unique and stable, but one way."""
    match = _OURS.fullmatch(ours)
    if match is None:
        return str(uuid.uuid5(uuid.NAMESPACE_OID, "workstation:" + ours))
    instance = 0
    for ch in match.group(1):
        instance = instance * 62 + _B62.index(ch)
    payload = (_MARK << 80) | (instance << 32) | int(match.group(2))  # 102 bits
    # spread the payload over the 122 bits a UUID leaves free: 48 | version 8 | 12 | variant 10 | 62
    high48, mid12, low62 = payload >> 74, (payload >> 62) & 0xFFF, payload & ((1 << 62) - 1)
    value = (high48 << 80) | (0x8 << 76) | (mid12 << 64) | (0b10 << 62) | low62
    return str(uuid.UUID(int=value))


def _from_uuid(text: str) -> str | None:
    try:
        value = uuid.UUID(text).int
    except (ValueError, AttributeError, TypeError):
        return None
    if (value >> 76) & 0xF != 0x8 or (value >> 62) & 0b11 != 0b10:
        return None
    high48, mid12, low62 = value >> 80, (value >> 64) & 0xFFF, value & ((1 << 62) - 1)
    payload = (high48 << 74) | (mid12 << 62) | low62
    if payload >> 80 != _MARK:
        return None
    instance, seq = (payload >> 32) & ((1 << 48) - 1), payload & 0xFFFFFFFF
    if seq >= 10**8 or instance >= 62**8:
        return None
    chars = []
    for _ in range(8):
        instance, digit = divmod(instance, 62)
        chars.append(_B62[digit])
    return f"ws{''.join(reversed(chars))}{seq:08d}"
