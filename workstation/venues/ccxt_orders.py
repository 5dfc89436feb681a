"""An Order as the arguments ccxt's ``create_order`` needs for one venue, and what stops it before sending.

A mixin of ExchangeVenue. The unified params (triggerPrice, takeProfitPrice, postOnly, ...) are what
ccxt translates; where ccxt's translation alone would send the wrong order, the venue's rules add what
is missing: a trigger's direction (Bybit's ``triggerDirection``, Coinbase's ``stop_direction``, which
ccxt otherwise guesses the wrong way for a buy stop), the price source a trigger watches, Kraken's
stop-loss form, and our client id in the venue's own field and format.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..domain.market import Market
from ..domain.orders import Order, OrderSpec, OrderType, Side, TimeInForce, TriggerSource
from .client_ids import ClientIdFormat
from .errors import ErrorKind, VenueError
from .venue_rules import VenueRules

_STOPS = (OrderType.STOP_MARKET, OrderType.STOP_LIMIT)
_TAKE_PROFITS = (OrderType.TAKE_PROFIT_MARKET, OrderType.TAKE_PROFIT_LIMIT)


def rises_to_trigger(spec: OrderSpec) -> bool:
    """A buy stop and a sell take-profit fire when the price rises to the trigger; the others when it falls."""
    return (spec.type in _STOPS) == (spec.side is Side.BUY)


class OrderBuilding:
    name: str
    exchange: Any
    markets: dict[str, Market]
    rules: VenueRules
    client_ids: ClientIdFormat

    def _trigger_only(self) -> bool:
        return getattr(self.exchange, "id", "") == "paper"

    # -- client ids -------------------------------------------------------------------------
    def client_id_rule(self) -> tuple[str, int]:
        return self.client_ids.chars, self.client_ids.max_len

    def venue_client_id(self, client_order_id: str) -> str:
        """Our client order id as the venue will see it; refused (parameter error) if the venue's format cannot hold it."""
        if self._trigger_only():
            return client_order_id
        problem = self.client_ids.problem(client_order_id)
        if problem is not None:
            raise VenueError(self.name, "create_order", ErrorKind.PARAMETER,
                             f"client order id {client_order_id!r} does not fit {self.exchange.id}'s format "
                             f"({problem}); nothing was sent")
        return self.client_ids.to_venue(client_order_id)

    def venue_args(self, operation: str, args: tuple) -> tuple:
        """A ccxt call's arguments with our client id written the venue's way: in the params (every call:
        create, cancel, fetch by id), in the venue's own field where ccxt does not translate clientOrderId,
        or where the order id goes (Gate). Refused where the venue cannot act on our id at all."""
        if self._trigger_only() or not args or not isinstance(args[-1], dict):
            return args
        params = args[-1]
        ours = params.get("clientOrderId")
        if not isinstance(ours, str):
            return args
        theirs = self.client_ids.to_venue(ours)
        params = dict(params, clientOrderId=theirs)
        if operation == "create_order" and self.rules.client_id_param:
            params[self.rules.client_id_param] = theirs
        field = self.rules.by_client_id.get(operation)
        if field == "":
            raise VenueError(self.name, operation, ErrorKind.PARAMETER,
                             f"{self.exchange.id} cannot {operation.replace('_', ' ')} by our client id, only by its "
                             f"own order id: look the order up in the open orders first")
        if field == "@id":
            del params["clientOrderId"]
            return (theirs, *args[1:-1], params)
        if field:
            params[field] = params.pop("clientOrderId")
        return (*args[:-1], params)

    # -- native or held here ----------------------------------------------------------------
    def trigger_sources(self, symbol: str) -> tuple[str, ...]:
        """The price sources a native trigger can watch on this market (empty: every trigger is held here)."""
        market = self.markets.get(symbol)
        caps = market.capabilities if market else frozenset()
        return tuple(s.value for s in TriggerSource if f"trigger_by_{s.value}" in caps)

    def emulation_reason(self, spec: OrderSpec, market: Market) -> str | None:
        """Why this order is held locally (EMULATED) rather than sent now; None = the venue does it natively."""
        if not spec.type.has_trigger:
            return None
        if spec.emulate:
            return "held locally as asked"
        caps = market.capabilities
        kind = self.rules.kind(market.kind)
        if spec.type.value not in caps:
            why = kind.held_because if caps and not self._trigger_only() else ""
            return f"{spec.venue} has no native {spec.type.value.replace('_', '-')} for {spec.symbol}" + \
                (f": {why}" if why else "")
        if spec.type is OrderType.TRAILING_STOP and spec.trigger_price is not None and not kind.trailing_activation \
                and not self._trigger_only():
            return f"{spec.venue}'s trailing stops start at once: the activation price is watched here"
        if f"trigger_by_{spec.trigger_by.value}" not in caps:
            native = self.trigger_sources(spec.symbol) or ("last",)
            return f"{spec.venue} triggers on the {' or '.join(native)} price; {spec.trigger_by.value} is watched here"
        return None

    # -- the request ------------------------------------------------------------------------
    def order_params(self, order: Order) -> tuple[str, str, str, Decimal, Decimal | None, dict[str, Any]]:
        """The unified create_order arguments for an order, our client order id always set."""
        spec = order.spec
        params: dict[str, Any] = {"clientOrderId": order.client_order_id}
        price = spec.price
        market = self.markets.get(spec.symbol)
        if price is not None and market is not None and not self._trigger_only():
            # ccxt's price_to_precision ROUNDs (25000.005 goes out as 25000.01): round to the tick first,
            # towards the trader (a buy never up past their price, a sell never down).
            price = market.round_price(price, spec.side)
        ccxt_type = "limit" if spec.type.has_limit_price else "market"
        if spec.type is OrderType.LIMIT:
            if spec.time_in_force is not TimeInForce.GTC:
                params["timeInForce"] = spec.time_in_force.value
            if spec.post_only:
                params["postOnly"] = True
        if spec.type.has_trigger and spec.type is not OrderType.TRAILING_STOP:
            params.update(self._trigger_params(spec, market))
        if spec.type is OrderType.TRAILING_STOP:
            if spec.trailing_percent is not None:
                params["trailingPercent"] = spec.trailing_percent
            else:
                params["trailingAmount"] = spec.trailing_amount
            if spec.trigger_price is not None:
                params["trailingTriggerPrice"] = spec.trigger_price
        if spec.reduce_only:
            params["reduceOnly"] = True
        return spec.symbol, ccxt_type, spec.side.value, spec.amount, price, params

    def _trigger_params(self, spec: OrderSpec, market: Market | None) -> dict[str, Any]:
        if self._trigger_only() or market is None:
            return {"triggerPrice": spec.trigger_price}
        kind = self.rules.kind(market.kind)
        stop = spec.type in _STOPS
        rises = rises_to_trigger(spec)
        if kind.direction == "bybit":
            # ccxt refuses a bare triggerPrice on Bybit contracts, and its takeProfitPrice forces reduce-only
            out: dict[str, Any] = {"triggerPrice": spec.trigger_price,
                                   "triggerDirection": "ascending" if rises else "descending"}
        elif kind.direction == "coinbase":
            # ccxt's default for a triggerPrice is STOP_DOWN for a buy: a buy stop would fire at once
            out = {"triggerPrice": spec.trigger_price,
                   "stop_direction": "STOP_DIRECTION_STOP_UP" if rises else "STOP_DIRECTION_STOP_DOWN"}
        elif kind.style == "stop_loss":
            out = {"stopLossPrice" if stop else "takeProfitPrice": spec.trigger_price}
        elif stop or "take_profit_market" not in market.capabilities:
            out = {"triggerPrice": spec.trigger_price}
        else:
            out = {"takeProfitPrice": spec.trigger_price}
        out.update(kind.sources.get(spec.trigger_by.value, {}))
        return out

    def check_order(self, order: Order) -> list[str]:
        """Everything that stops this order before it is sent: the market's precision and limits (ccxt
        checks none of them), the market being active, and flags the venue cannot do. Empty = send."""
        spec = order.spec
        market = self.markets.get(spec.symbol)
        if market is None:
            return [f"{spec.symbol} is not a market on {self.name} (markets not loaded, or a wrong symbol)"]
        problems = [str(p) for p in market.check(spec)]
        caps = market.capabilities
        if caps and not self._trigger_only():
            wants = [(spec.time_in_force.value in ("IOC", "FOK"), spec.time_in_force.value),
                     (spec.post_only, "post_only"), (spec.reduce_only, "reduce_only")]
            for wanted, flag in wants:
                if wanted and flag not in caps:
                    why = {"FOK": self.rules.refused_tif_why, "IOC": self.rules.refused_tif_why,
                           "reduce_only": self.rules.reduce_only_why}.get(flag, "")
                    problems.append(f"unsupported: {self.name} has no {flag.replace('_', '-')} for {spec.symbol}"
                                    + (f" ({why})" if why else ""))
            if spec.type.has_trigger:
                reason = self.emulation_reason(spec.with_changes(emulate=False), market)
                if reason is not None:
                    problems.append(f"unsupported: {reason}; it must be held locally (emulated)")
            if spec.type is OrderType.MARKET and spec.side is Side.BUY and "market_buy_requires_price" in caps \
                    and spec.price is None:
                problems.append(f"{self.name} sizes a market buy in {market.quote}, not {market.base}: use a limit "
                                f"IOC order at your price cap instead")
        return problems

    def _num(self, value: Decimal) -> Any:
        """Paper takes Decimal; ccxt takes floats or numeric strings. A string keeps every digit."""
        return value if self._trigger_only() else str(value)

    def _params(self, params: dict[str, Any]) -> dict[str, Any]:
        return {k: (self._num(v) if isinstance(v, Decimal) else v) for k, v in params.items()}
