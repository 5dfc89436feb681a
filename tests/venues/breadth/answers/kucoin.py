"""KuCoin spot, a high-frequency (HF) account as every account is since KuCoin's 2024 migration: BTC-USDT. Answers are {"code": "200000", "data": ...}; an error
keeps HTTP 200 with another code."""

from __future__ import annotations

import base64
import hashlib
import hmac

from tests.venues.breadth.recorder import Reply, Sent
from workstation.venues.errors import ErrorKind as K

EXCHANGE = "kucoin"
CREDENTIALS = {"apiKey": "KUCOINKEY0000000", "secret": "KUCOINSECRET00000000000000000000", "password": "Pass-phrase1"}
OPTIONS = {"fetchMarkets": {"types": ["spot"]}}
HAS = {"fetchCurrencies": False}
SPOT, PERP = "BTC/USDT", None
AMOUNT, PERP_AMOUNT = "0.01", None
MARKETS = {SPOT: ("0.1", "0.00000001", "0.00001", "0.1", "spot")}
NOW = 1767225600000


def ok(data):
    return {"code": "200000", "data": data}


def code(c, msg, status=200):
    return Reply({"code": c, "msg": msg}, status)


SYMBOL = {"symbol": "BTC-USDT", "name": "BTC-USDT", "baseCurrency": "BTC", "quoteCurrency": "USDT",
          "feeCurrency": "USDT", "market": "USDS", "baseMinSize": "0.00001", "quoteMinSize": "0.1",
          "baseMaxSize": "10000000000", "quoteMaxSize": "99999999", "baseIncrement": "0.00000001",
          "quoteIncrement": "0.000001", "priceIncrement": "0.1", "priceLimitRate": "0.1", "minFunds": "0.1",
          "isMarginEnabled": True, "enableTrading": True, "feeCategory": 1, "makerFeeCoefficient": "1.00",
          "takerFeeCoefficient": "1.00", "st": False, "callauctionIsEnabled": False,
          "callauctionPriceFloor": None, "callauctionPriceCeiling": None, "callauctionFirstStageStartTime": None,
          "callauctionSecondStageStartTime": None, "callauctionThirdStageStartTime": None, "tradingStartTime": None}


def _order(**kw):
    row = {"id": "", "symbol": "BTC-USDT", "opType": "DEAL", "type": "limit", "side": "buy", "price": "0",
           "size": "0", "funds": "0", "dealFunds": "0", "dealSize": "0", "fee": "0", "feeCurrency": "USDT",
           "stp": "", "stop": "", "stopTriggered": False, "stopPrice": "0", "timeInForce": "GTC", "postOnly": False,
           "hidden": False, "iceberg": False, "visibleSize": "0", "cancelAfter": 0, "channel": "API",
           "clientOid": "", "remark": None, "tags": None, "isActive": True, "cancelExist": False,
           "createdAt": NOW - 100000, "tradeType": "TRADE"}
    row.update(kw)
    return row


OPEN_ORDER = _order(id="670fd33bf9406e0007ab3945", price="24990", size="0.02", dealFunds="124.95", dealSize="0.005",
                    fee="0.12495", clientOid="ws0b1e2c3d00000007")
FOREIGN_ORDER = _order(id="670fd33bf9406e0007ab3946", side="sell", price="26000", size="0.01",
                       clientOid="5c52e11203aa677f33e493fb")
FILL = {"symbol": "BTC-USDT", "tradeId": "5c35c02709e4f67d5266954e", "orderId": "670fd33bf9406e0007ab3945",
        "counterOrderId": "5c1ab46003aa676e487fa8e3", "side": "buy", "liquidity": "maker", "forceTaker": False,
        "price": "24990", "size": "0.005", "funds": "124.95", "fee": "0.12495", "feeRate": "0.001",
        "feeCurrency": "USDT", "stop": "", "tradeType": "TRADE", "type": "limit", "createdAt": NOW - 50000}


def routes():
    return {
        ("GET", "/api/v2/symbols"): ok([SYMBOL]),
        ("GET", "/api/ua/v1/account/mode"): ok({"selfAccountMode": "CLASSIC"}),
        ("GET", "/api/v3/margin/symbols"): ok({"timestamp": NOW, "items": []}),  # ccxt reads margin pairs too
        ("GET", "/api/v1/isolated/symbols"): ok([]),
        ("GET", "/api/v1/hf/accounts/opened"): ok(True),
        ("GET", "/api/v1/market/allTickers"): ok({"time": NOW, "ticker": [  # ccxt takes the fee rates from here
            {"symbol": "BTC-USDT", "symbolName": "BTC-USDT", "buy": "25000", "bestBidSize": "1", "sell": "25000.1",
             "bestAskSize": "1", "changeRate": "0.01", "changePrice": "250", "high": "25500", "low": "24500",
             "vol": "100", "volValue": "2500000", "last": "25000", "averagePrice": "25000",
             "takerFeeRate": "0.001", "makerFeeRate": "0.001", "takerCoefficient": "1", "makerCoefficient": "1"}]}),
        ("POST", "/api/v1/hf/orders"): lambda s: ok({"orderId": "670fd33bf9406e0007ab3950",
                                                     "clientOid": s.payload.get("clientOid")}),
        ("POST", "/api/v1/hf/orders/alter"): lambda s: ok({"newOrderId": "670fd33bf9406e0007ab3951",
                                                           "clientOid": s.payload.get("clientOid")}),
        ("DELETE", r"/api/v1/hf/orders/client-order/[\w-]+"): lambda s: ok({"clientOid": s.path.rsplit("/", 1)[1]}),
        ("DELETE", r"/api/v1/hf/orders/\w+"): lambda s: ok({"orderId": s.path.rsplit("/", 1)[1]}),
        ("GET", "/api/v1/hf/orders/active"): ok([OPEN_ORDER, FOREIGN_ORDER]),
        ("GET", "/api/v1/hf/fills"): ok({"items": [FILL], "lastId": 13014203112}),
        ("GET", "/api/v1/accounts"): ok([{"id": "5bd6e9286d99522a52e458de", "currency": "BTC", "type": "trade_hf",
                                          "balance": "0.5", "available": "0.4", "holds": "0.1"},
                                         {"id": "5bd6e9216d99522a52e458d6", "currency": "USDT", "type": "trade_hf",
                                          "balance": "10000", "available": "9612.65", "holds": "387.35"}]),
    }


_HELD = "/api/v1/stop-order"
EXPECT = {
    "limit_gtc": ("POST", "/api/v1/hf/orders", {"symbol": "BTC-USDT", "side": "buy", "type": "limit", "size": "0.01",
                                             "price": "24990", "clientOid": "$cid"}),
    "limit_ioc": ("POST", "/api/v1/hf/orders", {"timeInForce": "IOC"}),
    "limit_fok": ("POST", "/api/v1/hf/orders", {"timeInForce": "FOK"}),
    "post_only": ("POST", "/api/v1/hf/orders", {"postOnly": True}),
    "market_buy": ("POST", "/api/v1/hf/orders", {"type": "market", "size": "0.01", "-funds": None}),
    "market_sell": ("POST", "/api/v1/hf/orders", {"type": "market", "side": "sell"}),
    "stop_market_sell": _HELD,
    "stop_limit_buy": _HELD,
    "take_profit_market_buy": _HELD,
    "amend": ("POST", "/api/v1/hf/orders/alter", {"orderId": "$vid", "newPrice": "24980", "symbol": "BTC-USDT"}),
    "cancel_by_client_id": ("DELETE", r"/api/v1/hf/orders/client-order/ws0b1e2c3d00000042", {"symbol": "BTC-USDT"}),
}

PARSED_OPEN = {"client_order_id": "ws0b1e2c3d00000007", "status": "partially_filled", "filled": "0.005",
               "amount": "0.02", "price": "24990", "side": "buy", "symbol": SPOT}
PARSED_FOREIGN = {"client_order_id": "5c52e11203aa677f33e493fb", "status": "open", "side": "sell"}
PARSED_FILL = {"trade_id": "5c35c02709e4f67d5266954e", "client_order_id": "",
               "venue_order_id": "670fd33bf9406e0007ab3945", "price": "24990", "amount": "0.005", "fee": "0.12495",
               "liquidity": "maker"}
PARSED_BALANCE = {"BTC": ("0.5", "0.1"), "USDT": ("10000", "387.35")}

ERRORS = [
    ("balance insufficient", "create_order", ("POST", "/api/v1/hf/orders"), code("200004", "Balance insufficient!"),
     K.PERMANENT),
    ("size below the minimum", "create_order", ("POST", "/api/v1/hf/orders"),
     code("400100", "Order size below the minimum requirement."), K.PARAMETER),
    ("too many requests", "create_order", ("POST", "/api/v1/hf/orders"),
     code("429000", "Too many requests. System-level rate limit exceeded.", 429), K.RATE_LIMITED),
    ("5xx on a write: it may have been placed", "create_order", ("POST", "/api/v1/hf/orders"),
     code("500000", "Internal Server Error", 500), K.UNKNOWN_OUTCOME),
    ("invalid passphrase", "fetch_balance", ("GET", "/api/v1/accounts"),
     code("400004", "Invalid KC-API-PASSPHRASE", 401), K.AUTH),
    ("cancel: not found", "cancel_order", ("DELETE", r"/api/v1/hf/orders/\w+"),
     code("400100", "order_not_exist_or_not_allow_to_cancel"), K.NOT_FOUND),
]


def check_signature(sent: Sent) -> None:
    """KuCoin v2 keys: base64(HMAC-SHA256(ts + method + path?query + body)); the passphrase is signed too."""
    ts = sent.header("KC-API-TIMESTAMP")
    path = sent.url.split(".com", 1)[1]
    secret = CREDENTIALS["secret"].encode()

    def b64hmac(message: str) -> str:
        return base64.b64encode(hmac.new(secret, message.encode(), hashlib.sha256).digest()).decode()

    assert sent.header("KC-API-SIGN") == b64hmac(f"{ts}{sent.method}{path}{sent.body or ''}")
    assert sent.header("KC-API-PASSPHRASE") == b64hmac(CREDENTIALS["password"])
    assert sent.header("KC-API-KEY-VERSION") == "2"
