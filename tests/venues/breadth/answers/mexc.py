"""MEXC spot (API v3, Binance-shaped): BTCUSDT. No trigger orders and no modify through the API: stops are
held here and a modify is the Desk's cancel-replace."""

from __future__ import annotations

import hashlib
import hmac

from tests.venues.breadth.recorder import Reply, Sent
from workstation.venues.errors import ErrorKind as K

EXCHANGE = "mexc"
CREDENTIALS = {"apiKey": "mx0vglMEXCKEY0000", "secret": "MEXCSECRET000000000000000000000000"}
HAS = {"fetchCurrencies": False}
SPOT, PERP = "BTC/USDT", None
AMOUNT, PERP_AMOUNT = "0.01", None
MARKETS = {SPOT: ("0.01", "0.000001", "0", "1", "spot")}
NOW = 1767225600000


def code(c, msg, status=400):
    return Reply({"code": c, "msg": msg}, status)


SYMBOL = {"symbol": "BTCUSDT", "status": "1", "baseAsset": "BTC", "baseAssetPrecision": 6, "quoteAsset": "USDT",
          "quotePrecision": 2, "quoteAssetPrecision": 2, "baseCommissionPrecision": 6, "quoteCommissionPrecision": 2,
          "orderTypes": ["LIMIT", "MARKET", "LIMIT_MAKER"], "isSpotTradingAllowed": True,
          "isMarginTradingAllowed": False, "quoteAmountPrecision": "1.000000000000000000000000000000",
          "baseSizePrecision": "0", "permissions": ["SPOT"], "filters": [],
          "maxQuoteAmount": "2000000.000000000000000000000000000000", "makerCommission": "0",
          "takerCommission": "0.0005", "quoteAmountPrecisionMarket": "1.000000000000000000000000000000",
          "maxQuoteAmountMarket": "100000.000000000000000000000000000000", "fullName": "Bitcoin",
          "tradeSideType": 1, "contractAddress": "", "st": False}


def _order(p: dict, order_id: str = "C02__443776347957968896088", **kw) -> dict:
    row = {"symbol": "BTCUSDT", "orderId": order_id, "orderListId": -1,
           "clientOrderId": p.get("newClientOrderId"), "price": p.get("price", "0"), "origQty": p.get("quantity", "0"),
           "executedQty": "0", "cummulativeQuoteQty": "0", "status": "NEW", "timeInForce": None,
           "type": p.get("type", "LIMIT"), "side": p.get("side", "BUY"), "stopPrice": None, "icebergQty": None,
           "time": NOW - 100000, "updateTime": NOW - 100000, "isWorking": True, "origQuoteOrderQty": "0",
           "transactTime": NOW}
    row.update(kw)
    return row


OPEN_ORDER = _order({"price": "24990", "quantity": "0.02", "newClientOrderId": "ws0b1e2c3d00000007"},
                    "C02__443776347957968896001", executedQty="0.005", cummulativeQuoteQty="124.95",
                    status="PARTIALLY_FILLED")
FOREIGN_ORDER = _order({"price": "26000", "quantity": "0.01", "side": "SELL"}, "C02__443776347957968896002")
TRADE = {"symbol": "BTCUSDT", "id": "fad2af9e942049b6adbda1a271f990c6", "orderId": "C02__443776347957968896001",
         "orderListId": -1, "price": "24990", "qty": "0.005", "quoteQty": "124.95", "commission": "0",
         "commissionAsset": "USDT", "time": NOW - 50000, "isBuyer": True, "isMaker": True, "isBestMatch": True,
         "isSelfTrade": False, "clientOrderId": "ws0b1e2c3d00000007"}


def routes():
    return {
        ("GET", "/api/v3/exchangeInfo"): {"timezone": "CST", "serverTime": NOW, "rateLimits": [],
                                          "exchangeFilters": [], "symbols": [SYMBOL]},
        ("GET", "/api/v1/contract/detail"): {"success": True, "code": 0, "data": []},  # futures: none here
        ("POST", "/api/v3/order"): lambda s: _order(s.params),
        ("DELETE", "/api/v3/order"): lambda s: _order({"newClientOrderId": s.params.get("origClientOrderId")},
                                                      status="CANCELED"),
        ("GET", "/api/v3/openOrders"): [OPEN_ORDER, FOREIGN_ORDER],
        ("GET", "/api/v3/myTrades"): [TRADE],
        ("GET", "/api/v3/account"): {"makerCommission": None, "takerCommission": None, "buyerCommission": None,
                                     "sellerCommission": None, "canTrade": True, "canWithdraw": True,
                                     "canDeposit": True, "updateTime": None, "accountType": "SPOT",
                                     "balances": [{"asset": "BTC", "free": "0.4", "locked": "0.1"},
                                                  {"asset": "USDT", "free": "9612.65", "locked": "387.35"}],
                                     "permissions": ["SPOT"]},
    }


_NONE = "no trigger orders through the API"
EXPECT = {
    "limit_gtc": ("POST", "/api/v3/order", {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01",
                                            "price": "24990", "newClientOrderId": "$cid"}),
    "limit_ioc": ("POST", "/api/v3/order", {"type": "IMMEDIATE_OR_CANCEL"}),
    "limit_fok": ("POST", "/api/v3/order", {"type": "FILL_OR_KILL"}),
    "post_only": ("POST", "/api/v3/order", {"type": "LIMIT_MAKER"}),
    "market_buy": ("POST", "/api/v3/order", {"type": "MARKET", "quantity": "0.01", "-quoteOrderQty": None}),
    "market_sell": ("POST", "/api/v3/order", {"type": "MARKET", "side": "SELL"}),
    "stop_market_sell": _NONE,
    "stop_limit_buy": _NONE,
    "trailing_percent": _NONE,
    "amend": "the Desk cancels and sends a new order",
    "cancel_by_client_id": ("DELETE", "/api/v3/order", {"origClientOrderId": "$cid"}),
}

PARSED_OPEN = {"client_order_id": "ws0b1e2c3d00000007", "status": "partially_filled", "filled": "0.005",
               "amount": "0.02", "price": "24990", "side": "buy", "symbol": SPOT}
PARSED_FOREIGN = {"client_order_id": None, "status": "open", "side": "sell"}
PARSED_FILL = {"trade_id": "fad2af9e942049b6adbda1a271f990c6", "client_order_id": "ws0b1e2c3d00000007",
               "price": "24990", "amount": "0.005", "liquidity": "maker"}
PARSED_BALANCE = {"BTC": ("0.5", "0.1"), "USDT": ("10000", "387.35")}

ERRORS = [
    ("insufficient position", "create_order", ("POST", "/api/v3/order"), code(30004, "Insufficient position"),
     K.PERMANENT),
    ("internal error on a write: it may have been placed", "create_order", ("POST", "/api/v3/order"),
     code(500, "Internal error", 500), K.UNKNOWN_OUTCOME),
    ("too many requests", "create_order", ("POST", "/api/v3/order"), code(429, "Too Many Requests", 429),
     K.RATE_LIMITED),
    ("bad signature", "fetch_balance", ("GET", "/api/v3/account"),
     code(700002, "Signature for this request is not valid."), K.AUTH),
    ("cancel: unknown order", "cancel_order", ("DELETE", "/api/v3/order"), code(-2011, "Unknown order sent."),
     K.NOT_FOUND),
]


def check_signature(sent: Sent) -> None:
    """MEXC v3: hex HMAC-SHA256 of the query string (and body) without the signature, like Binance."""
    query = sent.url.split("?", 1)[1] if "?" in sent.url else ""
    payload = query + (sent.body or "")
    unsigned, _, signature = payload.rpartition("&signature=")
    assert sent.header("X-MEXC-APIKEY") == CREDENTIALS["apiKey"]
    assert signature == hmac.new(CREDENTIALS["secret"].encode(), unsigned.encode(), hashlib.sha256).hexdigest()
