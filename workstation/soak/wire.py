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


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_default, separators=(",", ":"))


def encode(message: dict[str, Any], rows: "RowCache | None" = None, method: str = "") -> bytes:
    """One frame. With ``rows``, a list answer (orders, trades) reuses the text of rows that cannot change."""
    result = message.get("r")
    if rows is not None and isinstance(result, list) and result:
        head = _dumps({k: v for k, v in message.items() if k != "r"})
        text = f'{head[:-1]},"r":{rows.encode(method, result)}}}'
    else:
        text = _dumps(message)
    body = text.encode()
    return len(body).to_bytes(HEADER, "big") + body


class RowCache:
    """The encoded text of venue rows that can no longer change: a closed, canceled or expired order, a trade.

    The Desk's look-ups list the venue's closed orders and trades again and again; encoding each row once
    keeps the cost of an answer near the cost of the rows that are new. Keyed by method too: the same trade
    reads differently by REST and by stream (Binance omits our client id from REST trades)."""

    FINAL = frozenset({"closed", "canceled", "cancelled", "expired", "rejected"})

    def __init__(self, size: int = 200_000):
        self.size = size
        self._text: dict[tuple, str] = {}

    def encode(self, method: str, rows: list[Any]) -> str:
        parts = []
        for row in rows:
            key = self._key(method, row)
            text = self._text.get(key) if key is not None else None
            if text is None:
                text = _dumps(row)
                if key is not None:
                    if len(self._text) >= self.size:
                        self._text.clear()
                    self._text[key] = text
            parts.append(text)
        return f"[{','.join(parts)}]"

    def _key(self, method: str, row: Any) -> tuple | None:
        if not isinstance(row, dict) or row.get("id") is None:
            return None
        if "takerOrMaker" in row:
            return (method, "trade", row["id"], row.get("order"))
        if row.get("status") in self.FINAL:
            return (method, "order", row["id"], row["status"], str(row.get("filled")), row.get("lastUpdateTimestamp"))
        return None


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
