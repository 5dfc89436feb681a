"""ccxt unified structures built from the simulator's integer state (all numbers Decimal)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from .accounts import Position, liquidation_price, q8
from .market import MarketSpec
from .matching import Order, Trade

ZERO = Decimal(0)


@lru_cache(maxsize=4096)
def _iso_seconds(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def iso8601(ms: int | None) -> str | None:
    # Cached per second: strftime was 40% of building an order structure (workstation bench, reconcile).
    if ms is None:
        return None
    return f"{_iso_seconds(ms // 1000)}.{ms % 1000:03d}Z"


def px(spec: MarketSpec, ticks: int | None) -> Decimal | None:
    return None if ticks is None else ticks * spec.tick


def qty(spec: MarketSpec, lots: int) -> Decimal:
    return lots * spec.lot


HAS: dict[str, bool | str | None] = {
    "spot": True, "swap": True, "future": False, "option": False, "margin": False,
    "cancelAllOrders": True, "cancelOrder": True, "createOrder": True,
    "createMarketOrder": True, "createLimitOrder": True, "createPostOnlyOrder": True,
    "createReduceOnlyOrder": True, "createStopOrder": True, "createStopLimitOrder": True,
    "createStopMarketOrder": True, "createTriggerOrder": True,
    "createStopLossOrder": False, "createTakeProfitOrder": False,
    "createOrderWithTakeProfitAndStopLoss": False,
    "createTrailingAmountOrder": False, "createTrailingPercentOrder": False,
    "createOrders": False, "editOrder": True,
    "fetchBalance": True, "fetchClosedOrders": True, "fetchCurrencies": False,
    "fetchMarkets": True, "fetchMyTrades": True, "fetchOHLCV": True, "fetchOpenOrders": True,
    "fetchOrder": True, "fetchOrders": True, "fetchOrderBook": True, "fetchPositions": True,
    "fetchTicker": True, "fetchTickers": False, "fetchTrades": True, "fetchTime": True,
    "fetchLeverage": True, "setLeverage": True, "setMarginMode": False,
    "watchOrderBook": True, "watchOrders": True, "watchMyTrades": True,
    "watchTicker": False, "watchTrades": False, "watchBalance": False, "watchPositions": False,
}

TIMEFRAMES: dict[str, str] = {"1m": "1m", "5m": "5m", "15m": "15m", "1h": "1h"}
TIMEFRAME_MS: dict[str, int] = {"1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000}


def _create_order_features(margin_mode: bool) -> dict[str, Any]:
    return {
        "marginMode": margin_mode, "triggerPrice": True, "triggerDirection": False,
        "triggerPriceType": None, "stopLossPrice": False, "takeProfitPrice": False,
        "attachedStopLossTakeProfit": None,
        "timeInForce": {"IOC": True, "FOK": True, "PO": True, "GTD": False, "GTC": True},
        "hedged": False, "trailing": False, "leverage": False, "marketBuyByCost": False,
        "marketBuyRequiresPrice": False, "selfTradePrevention": False, "iceberg": False,
        "symbolRequired": True,
    }


def _features(margin_mode: bool) -> dict[str, Any]:
    return {
        "sandbox": False,
        "createOrder": _create_order_features(margin_mode),
        "createOrders": None,
        "fetchMyTrades": {"marginMode": False, "limit": 1000, "daysBack": None,
                          "untilDays": None, "symbolRequired": False},
        "fetchOrder": {"marginMode": False, "trigger": False, "trailing": False,
                       "symbolRequired": False},
        "fetchOpenOrders": {"marginMode": False, "limit": None, "trigger": False,
                            "trailing": False, "symbolRequired": False},
        "fetchOrders": {"marginMode": False, "limit": None, "daysBack": None,
                        "untilDays": None, "trigger": False, "trailing": False,
                        "symbolRequired": False},
        "fetchClosedOrders": {"marginMode": False, "limit": None, "daysBack": None,
                              "daysBackCanceled": None, "untilDays": None, "trigger": False,
                              "trailing": False, "symbolRequired": False},
        "fetchOHLCV": {"limit": 1000},
    }


MODIFY_MODES = ("cancel_replace", "amend")


def edit_order_features(mode: str) -> dict[str, Any]:
    """How editOrder behaves, read by the adapter as ``features[type][subType]["editOrder"]["mode"]``:
    "cancel_replace" (Binance spot order/cancelReplace: the original is canceled, a new order with a new
    venue id and the client id sent in params; its amount is the new order's own, whatever was filled)
    or "amend" (binanceusdm, bybit, okx: same venue id and client id, amount is the order's new total)."""
    if mode not in MODIFY_MODES:
        raise ValueError(f"paper modify must be one of {', '.join(MODIFY_MODES)}, got {mode!r}")
    replace = mode == "cancel_replace"
    return {"mode": mode, "newId": replace, "amount": "new_order" if replace else "total"}


FEATURES: dict[str, Any] = {
    "spot": _features(False),
    "swap": {"linear": _features(True), "inverse": None},
    "future": {"linear": None, "inverse": None},
}


def market_dict(spec: MarketSpec) -> dict[str, Any]:
    swap = spec.is_swap
    market_id = spec.symbol.replace("/", "").replace(":USDT", "") + ("-PERP" if swap else "")
    return {
        "id": market_id, "lowercaseId": market_id.lower(), "symbol": spec.symbol,
        "base": spec.base, "quote": spec.quote, "settle": spec.settle,
        "baseId": spec.base, "quoteId": spec.quote, "settleId": spec.settle,
        "type": spec.kind, "subType": "linear" if swap else None,
        "spot": not swap, "margin": False, "swap": swap, "future": False, "option": False,
        "index": None, "active": True, "contract": swap,
        "linear": True if swap else None, "inverse": False if swap else None,
        "taker": spec.taker, "maker": spec.maker,
        "contractSize": spec.contract_size if swap else None,
        "expiry": None, "expiryDatetime": None, "strike": None, "optionType": None,
        "precision": {"amount": spec.lot, "price": spec.tick, "cost": None,
                      "base": None, "quote": None},
        "limits": {
            "leverage": {"min": Decimal(1), "max": Decimal(spec.max_leverage)},
            "amount": {"min": spec.lot, "max": spec.max_amount},
            "price": {"min": spec.tick, "max": spec.max_price},
            "cost": {"min": spec.min_cost, "max": None},
        },
        "marginModes": {"isolated": swap, "cross": False},
        "created": None,
        "info": {"maintenanceMarginRate": spec.mmr if swap else None,
                 "defaultLeverage": Decimal(spec.default_leverage) if swap else None},
    }


def trade_dict(spec: MarketSpec, trade: Trade, stream: bool = False) -> dict[str, Any]:
    """One of our trades. Over REST it carries only the venue's order id, as Binance's myTrades and
    userTrades do: our client order id is nowhere in it. The stream's copy (`stream=True`) carries
    it, as Binance's executionReport does."""
    price = trade.price * spec.tick
    info: dict[str, Any] = {"realizedPnl": trade.realized_pnl, "liquidation": trade.liquidation}
    if stream:
        info["clientOrderId"] = trade.client_id
    return {
        "id": trade.id, "order": trade.order_id, "symbol": trade.symbol, "type": None,
        "side": trade.side, "takerOrMaker": "maker" if trade.maker else "taker",
        "price": price, "amount": qty(spec, trade.lots), "cost": trade.cost,
        "fee": {"cost": trade.fee, "currency": trade.fee_currency, "rate": trade.fee_rate},
        "fees": [{"cost": trade.fee, "currency": trade.fee_currency, "rate": trade.fee_rate}],
        "timestamp": trade.timestamp, "datetime": iso8601(trade.timestamp),
        "info": info,
    }


def order_dict(spec: MarketSpec, order: Order) -> dict[str, Any]:
    filled = qty(spec, order.filled)
    average = q8(order.cost / filled) if order.filled else None
    fee = {"cost": order.fee, "currency": order.fee_currency or (spec.settle or spec.quote)}
    return {
        "id": order.id, "clientOrderId": order.client_id,
        "timestamp": order.timestamp, "datetime": iso8601(order.timestamp),
        "lastTradeTimestamp": order.last_trade_ts, "lastUpdateTimestamp": order.updated_ts,
        "symbol": order.symbol, "type": order.type, "timeInForce": order.tif,
        "postOnly": order.post_only, "reduceOnly": order.reduce_only, "side": order.side,
        "price": px(spec, order.price), "triggerPrice": px(spec, order.trigger),
        "stopPrice": px(spec, order.trigger), "takeProfitPrice": None, "stopLossPrice": None,
        "amount": qty(spec, order.amount), "filled": filled,
        "remaining": qty(spec, order.remaining) if order.is_open else (
            ZERO if order.status == "closed" else qty(spec, order.remaining)),
        "cost": order.cost, "average": average, "status": order.status,
        "fee": fee, "fees": [fee],
        "trades": [trade_dict(spec, t) for t in order.trades],
        "info": {"clientOrderId": order.client_id, "reason": order.reason,
                 "triggered": order.triggered if order.trigger is not None else None,
                 "triggeredTimestamp": order.triggered_ts,
                 "triggerDirection": (("ascending" if order.trigger_up else "descending")
                                      if order.trigger is not None else None),
                 "queueAhead": qty(spec, order.queue_ahead) if order.resting else None},
    }


def position_dict(spec: MarketSpec, pos: Position, mark: Decimal, now: int) -> dict[str, Any]:
    contracts = qty(spec, abs(pos.lots))
    unit = contracts * spec.contract_size
    direction = 1 if pos.lots > 0 else -1
    upnl = (mark - pos.entry) * unit * direction
    notional = unit * mark
    return {
        "id": None, "symbol": spec.symbol, "side": "long" if pos.lots > 0 else "short",
        "contracts": contracts, "contractSize": spec.contract_size,
        "entryPrice": pos.entry, "markPrice": mark, "lastPrice": None,
        "notional": notional, "leverage": Decimal(pos.leverage),
        "collateral": pos.margin, "initialMargin": pos.margin,
        "initialMarginPercentage": q8(pos.margin / (unit * pos.entry)),
        "maintenanceMargin": q8(notional * spec.mmr), "maintenanceMarginPercentage": spec.mmr,
        "unrealizedPnl": upnl, "realizedPnl": pos.realized,
        "percentage": q8(upnl / pos.margin * 100) if pos.margin else None,
        "liquidationPrice": liquidation_price(pos, spec),
        "marginMode": "isolated", "marginRatio": None, "hedged": False,
        "timestamp": now, "datetime": iso8601(now), "lastUpdateTimestamp": pos.timestamp,
        "stopLossPrice": None, "takeProfitPrice": None,
        "info": {"symbol": spec.symbol, "positionAmt": contracts * direction},
    }
