"""Binance's answer shapes shared by spot (/api/v3) and USD-M (/fapi): orders, the error body, HMAC signing."""

from __future__ import annotations

import hashlib
import hmac

from tests.venues.breadth.recorder import Reply, Sent

NOW = 1767225600000


def err(code: int, msg: str, status: int = 400) -> Reply:
    return Reply({"code": code, "msg": msg}, status)


def check_signature(sent: Sent, credentials: dict) -> None:
    """HMAC-SHA256 over the query string and the form body, minus the signature itself."""
    query = sent.url.split("?", 1)[1] if "?" in sent.url else ""
    payload = query + (sent.body or "")
    unsigned, _, signature = payload.rpartition("&signature=")
    assert sent.header("X-MBX-APIKEY") == credentials["apiKey"]
    assert signature == hmac.new(credentials["secret"].encode(), unsigned.encode(), hashlib.sha256).hexdigest()
