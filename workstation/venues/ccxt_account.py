"""What the venue says about the account and itself, beyond orders: leverage settings, position mode, the fees
this account pays, and the venue's status. A mixin of ExchangeVenue (it calls ``self._call``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..domain.money import from_venue
from .venue_rules import VenueRules


def _d(value: Any) -> Decimal | None:
    return from_venue(value)


class AccountReads:
    """Uses ExchangeVenue's ``_call``, ``has`` and ``_trigger_only``."""

    markets: dict[str, Any]
    rules: VenueRules

    async def fetch_leverages(self, symbols: list[str]) -> dict[str, Decimal]:
        """The account's leverage setting per derivatives symbol, as the venue holds it now (the higher of the
        long and short settings). Symbols the venue cannot tell about are left out."""
        symbols = [s for s in symbols if s in self.markets and self.markets[s].is_derivative]
        if not symbols:
            return {}
        raw: dict[str, Any] = {}
        if self.has("fetchLeverages"):
            raw = await self._call("fetch_leverages", symbols, retry=True) or {}
        elif self.has("fetchLeverage"):
            for symbol in symbols:
                raw[symbol] = await self._call("fetch_leverage", symbol, retry=True)
        out = {}
        for symbol, entry in raw.items():
            if not isinstance(entry, dict):
                continue
            values = [v for v in (_d(entry.get("longLeverage")), _d(entry.get("shortLeverage")),
                                  _d(entry.get("leverage"))) if v is not None]
            if values:
                out[entry.get("symbol") or symbol] = max(values)
        return out

    async def fetch_position_mode(self, symbol: str) -> str | None:
        """"hedged" (separate long and short positions) or "one-way"; None where the venue cannot say."""
        if not self.has("fetchPositionMode"):
            return None
        raw = await self._call("fetch_position_mode", symbol, retry=True) or {}
        hedged = raw.get("hedged")
        return None if hedged is None else "hedged" if hedged else "one-way"

    async def fetch_fees(self, symbols: list[str]) -> dict[str, tuple[Decimal | None, Decimal | None]]:
        """The maker and taker fee this account pays, by symbol, where the venue says (one call for all where it
        can, one per symbol where it can only do that); {} where it cannot: the market's published fees stand."""
        if self.has("fetchTradingFees") and not (self.rules.shared_ids and self.has("fetchTradingFee")):
            raw = await self._call("fetch_trading_fees", retry=True)
        elif self.has("fetchTradingFee"):
            raw = {s: await self._call("fetch_trading_fee", s, retry=True) for s in symbols}
        else:
            return {}
        return {s: (_d(f.get("maker")), _d(f.get("taker"))) for s, f in (raw or {}).items()
                if isinstance(f, dict) and s in symbols}

    async def fetch_status(self) -> dict[str, Any]:
        """The venue's own word on its state: ok | maintenance | unknown, with an ETA where it gives one."""
        if not self.has("fetchStatus") or self._trigger_only():
            return {"status": "unknown", "eta_ms": None, "url": None}
        raw = await self._call("fetch_status", retry=True) or {}
        return {"status": raw.get("status") or "unknown", "eta_ms": raw.get("eta"), "url": raw.get("url")}
