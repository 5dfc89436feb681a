"""ccxt's unified structures (orders, trades, balances, positions) as domain values.

A mixin of ExchangeVenue. Floats become Decimal through ``str``; a field the venue left out stays
None (never 0); the venue's form of our client id is turned back into ours (Gate's ``t-`` prefix,
Coinbase's UUID), so every report names the order the way the journal does.
"""

from __future__ import annotations

import dataclasses
import operator
from decimal import Decimal
from typing import Any, Callable

from ..domain.money import ZERO, from_venue
from ..domain.orders import Fill, OrderStatus, OrderType, Side
from ..domain.positions import VenuePositionInfo
from ..domain.reports import Balance, OrderReport
from .client_ids import ClientIdFormat

STATUS = {
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
}

TYPES = {
    "market": OrderType.MARKET,
    "limit": OrderType.LIMIT,
    "stop_market": OrderType.STOP_MARKET,
    "stop": OrderType.STOP_MARKET,
    "stop_limit": OrderType.STOP_LIMIT,
    "stop_loss": OrderType.STOP_MARKET,
    "stop_loss_limit": OrderType.STOP_LIMIT,
    "stop-loss": OrderType.STOP_MARKET,  # kraken
    "stop-loss-limit": OrderType.STOP_LIMIT,
    "take_profit": OrderType.TAKE_PROFIT_MARKET,
    "take-profit": OrderType.TAKE_PROFIT_MARKET,
    "take_profit_limit": OrderType.TAKE_PROFIT_LIMIT,
    "take-profit-limit": OrderType.TAKE_PROFIT_LIMIT,
    "take_profit_market": OrderType.TAKE_PROFIT_MARKET,
    "trailing_stop": OrderType.TRAILING_STOP,
    "trailing-stop": OrderType.TRAILING_STOP,
    "trailing_stop_market": OrderType.TRAILING_STOP,
}

# where each venue keeps our client id on a trade when ccxt's parser leaves clientOrderId out (Binance's
# REST trades carry none at all; Bybit orderLinkId, OKX clOrdId, Gate text, KuCoin/Bitget clientOid ...)
_TRADE_ID_KEYS = ("clientOrderId", "c", "orderLinkId", "clOrdId", "clientOid", "text", "client_order_id", "cl_ord_id")

# What must change for a listed order's answer to be parsed again. Not its symbol (an order never moves) nor
# its average price (it moves only with what filled): fewer fields, a cheaper listing of 10,000 orders.
# The client id comes last: list_open_orders reads it from a fingerprint as [-1].
_FINGERPRINT_KEYS = ("status", "filled", "amount", "price", "triggerPrice", "clientOrderId")
_FINGERPRINT = operator.itemgetter(*_FINGERPRINT_KEYS)
_ID = operator.itemgetter("id")
_CLIENT_ID = operator.methodcaller("get", "clientOrderId")


def _d(value: Any) -> Decimal | None:
    return from_venue(value)


@dataclasses.dataclass(slots=True)
class OpenOrders:
    """One listing of a venue's open orders, as ``ExchangeVenue.list_open_orders`` gives it."""

    changed: list[OrderReport]  # new or different since the last committed listing
    fingerprints: dict[Any, tuple]  # every listed order: venue id -> what its answer said
    client_ids: set[str]  # every listed order's client id, as the venue gives it
    raw: dict[Any, dict]  # every listed order's answer, by venue id
    parse: Callable[[Any, dict], OrderReport]  # (venue id, answer) -> report, cached by the adapter
    listings: dict[str | None, dict[Any, tuple]]  # what ``commit_listing`` records, per symbol asked

    def has(self, venue_order_id: str | None) -> bool:
        return venue_order_id in self.fingerprints

    def report(self, venue_order_id: str) -> OrderReport | None:
        """The listed order's report (parsed once, when its answer last changed)."""
        answer = self.raw.get(venue_order_id)
        return None if answer is None else self.parse(venue_order_id, answer)

    @classmethod
    def empty(cls) -> "OpenOrders":
        return cls([], {}, set(), {}, lambda key, answer: None, {})  # type: ignore[arg-type,return-value]

    def merge(self, other: "OpenOrders") -> "OpenOrders":
        return OpenOrders(self.changed + other.changed, {**self.fingerprints, **other.fingerprints},
                          self.client_ids | other.client_ids, {**self.raw, **other.raw}, other.parse,
                          {**self.listings, **other.listings})


class ReportParsing:
    name: str
    client_ids: ClientIdFormat
    _venue_ids: dict[str, str]
    _report_cache: dict[Any, tuple[tuple, OrderReport]]

    def _ours(self, venue_client_id: Any) -> str | None:
        return self.client_ids.to_ours(str(venue_client_id)) if venue_client_id else None

    def _reports(self, raw: list[dict]) -> list[OrderReport]:
        """Parse a list of ccxt orders, reusing the last report for an order whose answer has not changed."""
        return [self._parsed(o["id"], o) if o.get("id") is not None else self.order_report(o) for o in raw or []]

    def _parsed(self, key: Any, answer: dict, fingerprint: tuple | None = None) -> OrderReport:
        """An order answer as a report, parsed again only when its fingerprint changed."""
        if fingerprint is None:
            try:
                fingerprint = _FINGERPRINT(answer)
            except KeyError:
                fingerprint = tuple(answer.get(k) for k in _FINGERPRINT_KEYS)
        hit = self._report_cache.get(key)
        if hit is None or hit[0] != fingerprint:
            hit = self._report_cache[key] = (fingerprint, self.order_report(answer))
        return hit[1]

    def order_report(self, raw: dict, fallback_client_id: str | None = None, client_id: str | None = None) -> OrderReport:
        """A ccxt order as an OrderReport. ``client_id`` (we know whose order this is) beats anything in
        the answer; then the id we sent for this venue id; then ``info.origClientOrderId`` (Binance's cancel
        answers carry the cancel's own id as clientOrderId); then the answer's clientOrderId."""
        filled = _d(raw.get("filled"))
        raw_status = raw.get("status")
        status = STATUS.get(raw_status or "", OrderStatus.OPEN)
        if status is OrderStatus.OPEN and filled:
            status = OrderStatus.PARTIALLY_FILLED
        amount = _d(raw.get("amount"))
        if status is OrderStatus.FILLED and filled is not None and amount is not None and filled < amount:
            # "closed" short of its amount is an order the venue ended with a remainder: Bybit's
            # PartiallyFilledCanceled, which ccxt calls closed (ccxt #18685). Read as filled it never ends.
            status = OrderStatus.CANCELED
        venue_id = None if raw.get("id") is None else str(raw["id"])
        info = raw.get("info") if isinstance(raw.get("info"), dict) else {}
        client_id = (client_id or (self._venue_ids.get(venue_id) if venue_id else None)
                     or self._ours(info.get("origClientOrderId")) or self._ours(raw.get("clientOrderId"))
                     or fallback_client_id)
        side = raw.get("side")
        return OrderReport(
            venue=self.name, symbol=raw.get("symbol") or "", venue_order_id=venue_id, client_order_id=client_id,
            side=Side(side) if side in ("buy", "sell") else None,
            type=TYPES.get(str(raw.get("type") or "").lower()),
            status=status, amount=amount, filled=filled, price=_d(raw.get("price")),
            trigger_price=_d(raw.get("triggerPrice")), average=_d(raw.get("average")),
            timestamp_ms=raw.get("timestamp"), raw_status=raw_status,
        )

    def order_report_for(self, report: OrderReport, client_order_id: str) -> OrderReport:
        """A report found by our id carries our id (whatever the venue put in its clientOrderId field)."""
        if report.client_order_id == client_order_id:
            return report
        return dataclasses.replace(report, client_order_id=client_order_id)

    def fill(self, t: dict) -> Fill:
        fee = t.get("fee") or {}
        venue_order_id = None if t.get("order") is None else str(t["order"])
        info = t.get("info") if isinstance(t.get("info"), dict) else {}
        client_id = (self._venue_ids.get(venue_order_id, "") if venue_order_id else "") or \
            self._ours(t.get("clientOrderId") or next((info[k] for k in _TRADE_ID_KEYS if info.get(k)), None))
        return Fill(
            venue=self.name, trade_id=str(t["id"]), client_order_id=client_id or "", venue_order_id=venue_order_id,
            symbol=t["symbol"], side=Side(t["side"]), price=Decimal(str(t["price"])), amount=Decimal(str(t["amount"])),
            fee=_d(fee.get("cost")) or ZERO, fee_currency=fee.get("currency") or "",
            liquidity=t.get("takerOrMaker"), timestamp_ms=int(t.get("timestamp") or 0),
        )

    def remember(self, venue_order_id: str, client_order_id: str) -> None:
        self._venue_ids[venue_order_id] = client_order_id
        self._report_cache.pop(venue_order_id, None)  # a cached report may carry the id we knew before

    @staticmethod
    def balances(raw: dict) -> dict[str, Balance]:
        out: dict[str, Balance] = {}
        for currency, total in (raw.get("total") or {}).items():
            free, used = (raw.get("free") or {}).get(currency), (raw.get("used") or {}).get(currency)
            out[currency] = Balance(currency, _d(free) or ZERO, _d(used) or ZERO, _d(total) or ZERO)
        return out

    @staticmethod
    def positions(raw: list[dict]) -> dict[str, VenuePositionInfo]:
        """Open positions by symbol. Size in contracts, short < 0: the unit of the orders and fills that make the
        Desk's own position (ccxt's trade amounts on a contract market are contracts). In base units, an OKX
        position (0.01 BTC a contract) read 100 times smaller than the fills here: a drift on every refresh,
        and a flatten order 100 times too small.

        Binance's v3 positionRisk no longer reports leverage (v2 did): leverage stays None there unless
        the position carries it; the risk gate then uses its own leverage limit."""
        out: dict[str, VenuePositionInfo] = {}
        for p in raw:
            contracts = _d(p.get("contracts")) or ZERO
            if not contracts:
                continue
            size = contracts
            if p.get("side") == "short":
                size = -abs(size)
            out[p["symbol"]] = VenuePositionInfo(
                size=size, entry_price=_d(p.get("entryPrice")), mark_price=_d(p.get("markPrice")),
                leverage=_d(p.get("leverage")), margin=_d(p.get("initialMargin") or p.get("collateral")),
                liquidation_price=_d(p.get("liquidationPrice")), unrealized_pnl=_d(p.get("unrealizedPnl")))
        return out
