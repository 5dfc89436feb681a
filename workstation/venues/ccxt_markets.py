"""What a venue can do, per market: ccxt's markets and ``features`` as domain ``Market`` values.

A mixin of ExchangeVenue (it reads ``self.exchange``, ``self.markets``, ``self.rules``): ``features``
says what the API accepts; ``venue_rules`` narrows that to what the workstation can follow through an
order's whole life (see that module). Capabilities are the one answer the ticket, the risk gate and the
emulator read.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..domain.market import Market
from ..domain.money import ZERO, from_venue
from .venue_rules import KindRules, VenueRules


def _d(value: Any) -> Decimal | None:
    return from_venue(value)


def step(precision: Any, mode: int | None) -> Decimal:
    """A precision value as a step size. ccxt's TICK_SIZE mode (4) gives steps; DECIMAL_PLACES (2) gives digits."""
    value = _d(precision)
    if value is None:
        return Decimal("0.00000001")
    if mode == 2 or (value >= 1 and value == value.to_integral_value() and mode != 4):
        return Decimal(1).scaleb(-int(value))
    return value


class MarketRules:
    name: str
    exchange: Any
    markets: dict[str, Market]
    rules: VenueRules

    def has(self, feature: str) -> bool:
        """ccxt's ``has`` (True or "emulated"), narrowed to this account: no positions without derivatives."""
        if feature in ("fetchPositions", "watchPositions") and self.markets and \
                not any(m.is_derivative for m in self.markets.values()):
            return False
        return bool(getattr(self.exchange, "has", {}).get(feature))

    def _default_kind(self) -> tuple[str, bool]:
        """The market type this account mostly trades: its loaded markets, else ccxt's defaultType."""
        kinds = {(m.kind, m.settle is None or m.settle == m.quote) for m in self.markets.values()}
        if len(kinds) == 1:
            return next(iter(kinds))
        default = str((getattr(self.exchange, "options", None) or {}).get("defaultType") or "spot")
        return ("spot", True) if default in ("spot", "margin") else ("swap", default != "inverse")

    def features_for(self, kind: str | None = None, linear: bool = True) -> dict[str, Any]:
        """``exchange.features`` for one market type (spot, swap linear/inverse, future ...), or {}."""
        if kind is None:
            kind, linear = self._default_kind()
        features = getattr(self.exchange, "features", None) or {}
        section = features.get("spot") if kind == "spot" else (features.get(kind) or features.get("swap") or {})
        if isinstance(section, dict) and ("linear" in section or "inverse" in section):
            section = section.get("linear" if linear else "inverse") or {}
        return section if isinstance(section, dict) else {}

    def feature(self, method: str, key: str, symbol: str | None = None) -> Any:
        """One ``features`` value (e.g. ``feature("fetchClosedOrders", "daysBack")``) for a symbol's market type."""
        market = self.markets.get(symbol) if symbol else None
        section = self.features_for(market.kind, market.settle is None or market.settle == market.quote) \
            if market else self.features_for()
        entry = section.get(method)
        return entry.get(key) if isinstance(entry, dict) else None

    def symbol_required(self, method: str) -> bool:
        """Whether ``method`` (fetchOpenOrders, fetchMyTrades, ...) needs a symbol on this account."""
        return bool(self.feature(method, "symbolRequired"))

    def kind_rules(self, market: Market) -> KindRules:
        return self.rules.kind(market.kind)

    def _market(self, m: dict, mode: int | None) -> Market:
        limits = m.get("limits") or {}

        def lim(kind: str, end: str) -> Decimal | None:
            return _d((limits.get(kind) or {}).get(end))

        kind = "spot" if m.get("spot") else (m.get("type") or "swap")
        if kind == "margin":
            kind = "spot"
        return Market(
            venue=self.name, symbol=m["symbol"], base=m.get("base", ""), quote=m.get("quote", ""), kind=kind,
            settle=m.get("settle"),
            tick=step((m.get("precision") or {}).get("price"), mode),
            lot=step((m.get("precision") or {}).get("amount"), mode),
            min_amount=lim("amount", "min"), max_amount=lim("amount", "max"),
            min_price=lim("price", "min") or None, max_price=lim("price", "max") or None,
            min_cost=lim("cost", "min"), max_cost=lim("cost", "max"),
            contract_size=_d(m.get("contractSize")) or Decimal(1),
            maker_fee=_d(m.get("maker")) or ZERO, taker_fee=_d(m.get("taker")) or ZERO,
            max_leverage=lim("leverage", "max"),
            active=m.get("active") is not False,
            capabilities=self.capabilities(kind, bool(m.get("linear", True))),
        )

    def capabilities(self, kind: str = "spot", linear: bool = True) -> frozenset[str]:
        """What the venue does natively for this market type: ``features`` and ``has``, narrowed by the rules.

        Besides order types and flags: ``trigger_by_<source>`` for each price source a native trigger can
        use, and ``market_buy_requires_price`` where a market buy is sized in quote."""
        create = self.features_for(kind, linear).get("createOrder") or {}
        rules = self.rules.kind(kind)
        caps = {"market", "limit"}
        tif = create.get("timeInForce") or {}
        caps.update(name for name in ("IOC", "FOK") if tif.get(name) and name not in self.rules.refused_tif)
        if tif.get("PO") or create.get("postOnly"):
            caps.add("post_only")
        offered: set[str] = set()
        if create.get("triggerPrice") or (rules.style == "stop_loss" and create.get("stopLossPrice")):
            offered.update({"stop_market", "stop_limit"})
        if create.get("takeProfitPrice") or create.get("triggerPrice"):
            offered.update({"take_profit_market", "take_profit_limit"})
        if create.get("trailing"):
            offered.add("trailing_stop")
        native = offered & set(rules.triggers)
        caps |= native
        if native:
            caps.update(f"trigger_by_{source}" for source in rules.sources)
        if kind != "spot" and self.rules.reduce_only:
            caps.add("reduce_only")
        if create.get("marketBuyRequiresPrice") and not self.rules.market_buy_in_base:
            caps.add("market_buy_requires_price")
        for flag, cap in (("editOrder", "edit_order"), ("watchOrderBook", "watch_order_book"),
                          ("watchOrders", "watch_orders"), ("watchMyTrades", "watch_my_trades"),
                          ("cancelAllOrders", "cancel_all_orders")):
            if self.has(flag):
                caps.add(cap)
        return frozenset(caps)
