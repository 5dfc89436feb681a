"""The wire between the soak's two processes: framed JSON, Decimal kept exact, ccxt errors kept by class.

Every frame is a 4-byte big-endian length and a JSON object. A Decimal travels as ``{"#": "<str>"}`` and
comes back as the same Decimal (money never becomes a float on the way); tuples arrive as lists, as they
would from ccxt. An exception travels as its class name and message and is raised again on the other side
as the same ccxt class (``RequestTimeout`` stays ``RequestTimeout``), so the adapter in the child
classifies exactly what the paper exchange raised in the parent.

Messages (``k`` is the kind):
- child -> parent: ``call`` (a venue method), ``done``/``fail`` (a command's answer), ``idle`` (the child's
  event loop has nothing to run until ``until``, having seen every parent message up to ``seen``), ``hello``.
- parent -> child: ``ret``/``err`` (a call's answer), ``cmd`` (a command), ``time`` (the venue's clock moved).
  Each carries ``seq`` (the parent's message counter) and ``now`` (the venue's clock, ms).
"""

from __future__ import annotations

import asyncio
import builtins
import json
from decimal import Decimal
from enum import Enum
from typing import Any

from ccxt.base import errors as ccxt_errors

HEADER = 4


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"#": str(value)}
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} cannot cross the soak's wire")


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        text = obj.get("#")
        if text is not None:
            return Decimal(text)
    return obj


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, default=_default, separators=(",", ":")).encode()
    return len(body).to_bytes(HEADER, "big") + body


def decode(body: bytes) -> dict[str, Any]:
    return json.loads(body, object_hook=_hook)


async def read_message(reader: asyncio.StreamReader) -> dict[str, Any]:
    """One message; raises asyncio.IncompleteReadError when the other side is gone."""
    size = int.from_bytes(await reader.readexactly(HEADER), "big")
    return decode(await reader.readexactly(size))


def error_payload(exc: BaseException) -> list[str]:
    return [type(exc).__name__, str(exc)]


def rebuild_error(payload: list[str]) -> Exception:
    """The exception the other side raised, as the same class where it is a ccxt or builtin one."""
    name, message = payload[0], payload[1]
    cls = getattr(ccxt_errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        return cls(message)
    return RuntimeError(f"{name}: {message}")
