"""Binance spot (/api/v3). REST trades carry no client order id (the Desk matches them by order id)."""

from __future__ import annotations

from tests.fakes.binance_markets import SPOT as SPOT_KIND, MarketSpec, exchange_info
from tests.venues.breadth.answers.binance_common import NOW, check_signature as _check, err
from tests.venues.breadth.recorder import Sent
from workstation.venues.errors import ErrorKind as K

from decimal import Decimal as D

EXCHANGE = "binance"
CREDENTIALS = {"apiKey": "BINANCEKEY000000", "secret": "BINANCESECRET00000000000000000"}
OPTIONS = {"fetchMarkets": {"types": ["spot"]}, "fetchMargins": False}
HAS = {"fetchCurrencies": False}
SPOT, PERP = "BTC/USDT", None
AMOUNT, PERP_AMOUNT = "0.01", None
MARKETS = {SPOT: ("0.01", "0.00001", "0.00001", "5", "spot")}
BTCUSDT = MarketSpec(SPOT_KIND, "BTCUSDT", "BTC", "USDT", D("0.01"), D("0.00001"), D("0.00001"), D("9000"), D("5"))


def _order(p: dict, order_id: int = 28, status: str = "NEW", executed: str = "0.00000000") -> dict:
    return {"symbol": "BTCUSDT", "orderId": order_id, "orderListId": -1,
            "clientOrderId": p.get("newClientOrderId", "x-R4BD3S82" + "0" * 12), "transactTime": NOW,
            "price": p.get("price", "0.00000000"), "origQty": p.get("quantity", "0"), "executedQty": executed,
            "origQuoteOrderQty": "0.00000000", "cummulativeQuoteQty": "0.00000000", "status": status,
            "timeInForce": p.get("timeInForce", "GTC"), "type": p.get("type", "LIMIT"), "side": p.get("side", "BUY"),
            "workingTime": NOW, "fills": [], "selfTradePreventionMode": "EXPIRE_MAKER"}


def replaced(sent: Sent) -> dict:
    p = sent.params
    return {"cancelResult": "SUCCESS", "newOrderResult": "SUCCESS",
            "cancelResponse": dict(_order({}, int(p["cancelOrderId"]), "CANCELED"),
                                   origClientOrderId="ws0b1e2c3d00000042"),
            "newOrderResponse": _order(p, 29)}


OPEN_ORDER = {"symbol": "BTCUSDT", "orderId": 27, "orderListId": -1, "clientOrderId": "ws0b1e2c3d00000007",
              "price": "24990.00000000", "origQty": "0.02000000", "executedQty": "0.00500000",
              "cummulativeQuoteQty": "124.95000000", "status": "PARTIALLY_FILLED", "timeInForce": "GTC",
              "type": "LIMIT", "side": "BUY", "stopPrice": "0.00000000", "icebergQty": "0.00000000",
              "time": NOW - 100000, "updateTime": NOW - 50000, "isWorking": True, "workingTime": NOW - 100000,
              "origQuoteOrderQty": "0.00000000", "selfTradePreventionMode": "EXPIRE_MAKER"}
FOREIGN_ORDER = dict(OPEN_ORDER, orderId=26, clientOrderId="web_4f1e0c9a2b3d4e5f6a7b", price="26000.00000000",
                     origQty="0.01000000", executedQty="0.00000000", cummulativeQuoteQty="0.00000000",
                     status="NEW", side="SELL")
TRADE = {"symbol": "BTCUSDT", "id": 28457, "orderId": 27, "orderListId": -1, "price": "24990.00000000",
         "qty": "0.00500000", "quoteQty": "124.95000000", "commission": "0.00000500", "commissionAsset": "BTC",
         "time": NOW - 50000, "isBuyer": True, "isMaker": True, "isBestMatch": True}
ACCOUNT = {"makerCommission": 10, "takerCommission": 10, "buyerCommission": 0, "sellerCommission": 0,
           "commissionRates": {"maker": "0.00100000", "taker": "0.00100000", "buyer": "0.00000000",
                               "seller": "0.00000000"},
           "canTrade": True, "canWithdraw": True, "canDeposit": True, "brokered": False,
           "requireSelfTradePrevention": False, "preventSor": False, "updateTime": NOW, "accountType": "SPOT",
           "balances": [{"asset": "BTC", "free": "0.40000000", "locked": "0.10000000"},
                        {"asset": "USDT", "free": "9612.65000000", "locked": "387.35000000"}],
           "permissions": ["SPOT"], "uid": 354937868}


def routes():
    return {
        ("GET", "/api/v3/exchangeInfo"): exchange_info(SPOT_KIND, [BTCUSDT], NOW),
        ("POST", "/api/v3/order"): lambda s: _order(s.params),
        ("POST", "/api/v3/order/cancelReplace"): replaced,
        ("DELETE", "/api/v3/order"): lambda s: dict(_order({}, 28, "CANCELED"),
                                                    origClientOrderId=s.params.get("origClientOrderId", "")),
        ("GET", "/api/v3/openOrders"): [OPEN_ORDER, FOREIGN_ORDER],
        ("GET", "/api/v3/myTrades"): [TRADE],
        ("GET", "/api/v3/account"): ACCOUNT,
    }


EXPECT = {
    "limit_gtc": ("POST", "/api/v3/order", {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT",
                                            "timeInForce": "GTC", "quantity": "0.01", "price": "24990",
                                            "newClientOrderId": "$cid"}),
    "limit_ioc": ("POST", "/api/v3/order", {"type": "LIMIT", "timeInForce": "IOC"}),
    "limit_fok": ("POST", "/api/v3/order", {"type": "LIMIT", "timeInForce": "FOK"}),
    "post_only": ("POST", "/api/v3/order", {"type": "LIMIT_MAKER", "-timeInForce": None}),
    "market_buy": ("POST", "/api/v3/order", {"type": "MARKET", "quantity": "0.01", "-price": None}),
    "market_sell": ("POST", "/api/v3/order", {"type": "MARKET", "side": "SELL"}),
    "stop_market_sell": ("POST", "/api/v3/order", {"type": "STOP_LOSS", "stopPrice": "24000", "side": "SELL"}),
    "stop_limit_buy": ("POST", "/api/v3/order", {"type": "STOP_LOSS_LIMIT", "stopPrice": "26000", "price": "26010",
                                                 "timeInForce": "GTC"}),
    "take_profit_limit_sell": ("POST", "/api/v3/order", {"type": "TAKE_PROFIT_LIMIT", "stopPrice": "26000",
                                                         "price": "25990"}),
    "take_profit_market_buy": ("POST", "/api/v3/order", {"type": "TAKE_PROFIT", "stopPrice": "24000"}),
    "trailing_percent": "trailing stops need a stop or take-profit price",
    "stop_mark": "mark is watched here",
    "reduce_only": "reduce_only_spot",
    "amend": ("POST", "/api/v3/order/cancelReplace", {"cancelOrderId": "$vid", "price": "24980",
                                                      "cancelReplaceMode": "STOP_ON_FAILURE"}),
    "cancel_by_client_id": ("DELETE", "/api/v3/order", {"origClientOrderId": "$cid"}),
}

PARSED_OPEN = {"client_order_id": "ws0b1e2c3d00000007", "status": "partially_filled", "filled": "0.005",
               "amount": "0.02", "price": "24990", "side": "buy", "symbol": SPOT}
PARSED_FOREIGN = {"client_order_id": "web_4f1e0c9a2b3d4e5f6a7b", "status": "open", "side": "sell"}
# Binance's REST trades carry no client order id: the Desk matches the fill by venue order id
PARSED_FILL = {"trade_id": "28457", "client_order_id": "", "venue_order_id": "27", "price": "24990",
               "amount": "0.005", "fee": "0.000005", "fee_currency": "BTC", "liquidity": "maker"}
PARSED_BALANCE = {"BTC": ("0.5", "0.1"), "USDT": ("10000", "387.35")}

ERRORS = [
    ("insufficient balance", "create_order", ("POST", "/api/v3/order"),
     err(-2010, "Account has insufficient balance for requested action."), K.PERMANENT),
    ("notional below the filter", "create_order", ("POST", "/api/v3/order"),
     err(-1013, "Filter failure: NOTIONAL"), K.PARAMETER),
    ("execution status unknown", "create_order", ("POST", "/api/v3/order"),
     err(-1007, "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
         503), K.UNKNOWN_OUTCOME),
    ("too many requests", "create_order", ("POST", "/api/v3/order"),
     err(-1003, "Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute.", 429),
     K.RATE_LIMITED),
    ("bad signature", "fetch_balance", ("GET", "/api/v3/account"),
     err(-1022, "Signature for this request is not valid."), K.AUTH),
    ("cancel: unknown order", "cancel_order", ("DELETE", "/api/v3/order"),
     err(-2011, "Unknown order sent."), K.NOT_FOUND),
]


def check_signature(sent: Sent) -> None:
    _check(sent, CREDENTIALS)
