"""Bitget v2: spot BTCUSDT and the USDT-M perpetual BTCUSDT (one-way mode, crossed margin)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from tests.venues.breadth.recorder import Reply, Sent
from workstation.venues.errors import ErrorKind as K

EXCHANGE = "bitget"
CREDENTIALS = {"apiKey": "bg_0123456789abcdef", "secret": "BITGETSECRET0000000000000000000000",
               "password": "Pass-phrase1"}
OPTIONS = {"fetchMarkets": {"types": ["spot", "swap"]}}
HAS = {"fetchCurrencies": False}
SPOT, PERP = "BTC/USDT", "BTC/USDT:USDT"
AMOUNT, PERP_AMOUNT = "0.01", "0.01"
MARKETS = {SPOT: ("0.01", "0.000001", "0", "1", "spot"), PERP: ("0.1", "0.001", "0.001", "5", "swap")}
NOW = "1767225600000"


def ok(data):
    return {"code": "00000", "msg": "success", "requestTime": int(NOW), "data": data}


def code(c, msg, status=400):
    return Reply({"code": c, "msg": msg, "requestTime": int(NOW), "data": None}, status)


SPOT_SYMBOL = {"symbol": "BTCUSDT", "baseCoin": "BTC", "quoteCoin": "USDT", "minTradeAmount": "0",
               "maxTradeAmount": "10000000000", "takerFeeRate": "0.001", "makerFeeRate": "0.001",
               "pricePrecision": "2", "quantityPrecision": "6", "quotePrecision": "8", "status": "online",
               "minTradeUSDT": "1", "buyLimitPriceRatio": "0.05", "sellLimitPriceRatio": "0.05", "areaSymbol": "no",
               "orderQuantity": "200", "openTime": "1532454360000", "offTime": ""}
CONTRACT = {"symbol": "BTCUSDT", "baseCoin": "BTC", "quoteCoin": "USDT", "buyLimitPriceRatio": "0.9",
            "sellLimitPriceRatio": "0.9", "feeRateUpRatio": "0.1", "makerFeeRate": "0.0002", "takerFeeRate": "0.0006",
            "openCostUpRatio": "0.1", "supportMarginCoins": ["USDT"], "minTradeNum": "0.001", "priceEndStep": "1",
            "volumePlace": "3", "pricePlace": "1", "sizeMultiplier": "0.001", "symbolType": "perpetual",
            "minTradeUSDT": "5", "maxSymbolOrderNum": "200", "maxProductOrderNum": "400", "maxPositionNum": "150",
            "symbolStatus": "normal", "offTime": "-1", "limitOpenTime": "-1", "deliveryTime": "",
            "deliveryStartTime": "", "launchTime": "", "fundInterval": "8", "minLever": "1", "maxLever": "125",
            "posLimit": "0.05", "maintainTime": "", "openTime": ""}


def placed(sent: Sent):
    return ok({"orderId": "1213530920130613249", "clientOid": sent.payload.get("clientOid")})


def _order(**kw):
    row = {"userId": "1", "symbol": "BTCUSDT", "orderId": "", "clientOid": "", "priceAvg": "0", "size": "0",
           "orderType": "limit", "side": "buy", "status": "live", "basePrice": "0", "baseVolume": "0",
           "quoteVolume": "0", "enterPointSource": "API", "orderSource": "normal", "cTime": NOW, "uTime": NOW,
           "price": "0", "force": "gtc"}
    row.update(kw)
    return row


OPEN_SPOT = _order(orderId="1213530920130613240", clientOid="ws0b1e2c3d00000007", price="24990", size="0.02",
                   priceAvg="24990", baseVolume="0.005", quoteVolume="124.95", status="partially_filled")
FOREIGN_SPOT = _order(orderId="1213530920130613241", clientOid="1213530920130613241", price="26000", size="0.01",
                      side="sell")
FILL = {"userId": "1", "symbol": "BTCUSDT", "orderId": "1213530920130613240", "tradeId": "1213530920135000001",
        "orderType": "limit", "side": "buy", "priceAvg": "24990", "size": "0.005", "amount": "124.95",
        "feeDetail": {"deduction": "no", "feeCoin": "BTC", "totalDeductionFee": "0", "totalFee": "-0.000005"},
        "tradeScope": "maker", "cTime": NOW, "uTime": NOW}
POSITION = {"marginCoin": "USDT", "symbol": "BTCUSDT", "holdSide": "long", "openDelegateSize": "0",
            "marginSize": "12.5", "available": "0.005", "locked": "0", "total": "0.005", "leverage": "10",
            "achievedProfits": "0", "openPriceAvg": "24990", "marginMode": "crossed", "posMode": "one_way_mode",
            "unrealizedPL": "0.05", "liquidationPrice": "22620.5", "keepMarginRate": "0.004", "markPrice": "25000",
            "marginRatio": "0.01", "breakEvenPrice": "24995", "totalFee": "", "deductedFee": "0.02499",
            "cTime": NOW, "uTime": NOW, "autoMargin": "off"}


def routes():
    return {
        ("GET", "/api/v2/spot/public/symbols"): ok([SPOT_SYMBOL]),
        ("GET", "/api/v2/mix/market/contracts"): lambda s: ok([CONTRACT] if s.query["productType"] == "USDT-FUTURES"
                                                               else []),
        ("GET", "/api/v2/margin/currencies"): ok([]),  # ccxt reads the margin pairs too
        ("POST", "/api/v2/spot/trade/place-order"): placed,
        ("POST", "/api/v2/mix/order/place-order"): placed,
        ("POST", "/api/v2/spot/trade/cancel-replace-order"): lambda s: ok({"orderId": "1213530920130613250",
                                                                           "clientOid": s.payload.get("newClientOid"),
                                                                           "success": "success", "msg": None}),
        ("POST", "/api/v2/spot/trade/cancel-order"): lambda s: ok({"orderId": s.payload.get("orderId"),
                                                                   "clientOid": s.payload.get("clientOid")}),
        ("GET", "/api/v2/spot/trade/unfilled-orders"): ok([OPEN_SPOT, FOREIGN_SPOT]),
        ("GET", "/api/v2/mix/order/orders-pending"): ok({"entrustedList": None, "endId": None}),
        ("GET", "/api/v2/spot/trade/fills"): ok([FILL]),
        ("GET", "/api/v2/spot/account/assets"): ok([
            {"coin": "USDT", "available": "9612.65", "frozen": "387.35", "locked": "0", "limitAvailable": "0",
             "uTime": NOW},
            {"coin": "BTC", "available": "0.4", "frozen": "0.1", "locked": "0", "limitAvailable": "0", "uTime": NOW}]),
        ("GET", "/api/v2/mix/position/all-position"): ok([POSITION]),
    }


_PLAN = "plan orders"
EXPECT = {
    "limit_gtc": ("POST", "/api/v2/spot/trade/place-order", {"symbol": "BTCUSDT", "side": "buy", "orderType": "limit",
                                                             "size": "0.01", "price": "24990", "clientOid": "$cid"}),
    "limit_ioc": ("POST", "/api/v2/spot/trade/place-order", {"force": "IOC"}),
    "limit_fok": ("POST", "/api/v2/spot/trade/place-order", {"force": "FOK"}),
    "post_only": ("POST", "/api/v2/spot/trade/place-order", {"force": "post_only"}),
    "market_buy": "sizes a market buy in USDT",
    "market_sell": ("POST", "/api/v2/spot/trade/place-order", {"orderType": "market", "side": "sell",
                                                               "size": "0.01"}),
    "stop_market_sell": _PLAN,
    "stop_limit_buy": _PLAN,
    "perp_limit": ("POST", "/api/v2/mix/order/place-order", {"symbol": "BTCUSDT", "productType": "USDT-FUTURES",
                                                             "marginCoin": "USDT", "size": "0.01", "price": "24990",
                                                             "side": "buy", "orderType": "limit",
                                                             "clientOid": "$cid"}),
    "perp_reduce_only": ("POST", "/api/v2/mix/order/place-order", {"reduceOnly": "YES", "side": "sell"}),
    "perp_post_only": ("POST", "/api/v2/mix/order/place-order", {"force": "post_only"}),
    "perp_stop_market_sell": _PLAN,
    "perp_stop_mark": _PLAN,
    "perp_trailing_percent": _PLAN,
    "amend": ("POST", "/api/v2/spot/trade/cancel-replace-order", {"orderId": "$vid", "price": "24980",
                                                                  "symbol": "BTCUSDT"}),
    "cancel_by_client_id": ("POST", "/api/v2/spot/trade/cancel-order", {"clientOid": "$cid", "symbol": "BTCUSDT"}),
}

PARSED_OPEN = {"client_order_id": "ws0b1e2c3d00000007", "status": "partially_filled", "filled": "0.005",
               "amount": "0.02", "price": "24990", "side": "buy", "symbol": SPOT}
PARSED_FOREIGN = {"client_order_id": "1213530920130613241", "status": "open", "side": "sell"}
PARSED_FILL = {"trade_id": "1213530920135000001", "client_order_id": "", "venue_order_id": "1213530920130613240",
               "price": "24990", "amount": "0.005", "fee": "0.000005", "liquidity": "maker", "symbol": SPOT}
TRADES_SYMBOL = SPOT
PARSED_BALANCE = {"USDT": ("10000", "387.35"), "BTC": ("0.5", "0.1")}
PARSED_POSITION = {PERP: {"size": "0.005", "entry_price": "24990", "leverage": "10", "liquidation_price": "22620.5"}}

ERRORS = [
    ("insufficient balance", "create_order", ("POST", "/api/v2/spot/trade/place-order"),
     code("43012", "Insufficient balance"), K.PERMANENT),
    ("below the minimum", "create_order", ("POST", "/api/v2/spot/trade/place-order"),
     code("45110", "less than the minimum amount 1 USDT"), K.PARAMETER),
    ("system abnormal on a write: it may have been placed", "create_order",
     ("POST", "/api/v2/spot/trade/place-order"), code("40015", "System is abnormal, please try again later"),
     K.UNKNOWN_OUTCOME),
    ("too many requests", "create_order", ("POST", "/api/v2/spot/trade/place-order"),
     code("429", "Too Many Requests", 429), K.RATE_LIMITED),
    ("sign error", "fetch_balance", ("GET", "/api/v2/spot/account/assets"), code("40009", "sign signature error", 401),
     K.AUTH),
    ("cancel: order does not exist", "cancel_order", ("POST", "/api/v2/spot/trade/cancel-order"),
     code("43001", "The order does not exist"), K.NOT_FOUND),
]


def check_signature(sent: Sent) -> None:
    """Bitget: base64(HMAC-SHA256(ts + method + path?query + body)), passphrase in a header."""
    ts = sent.header("ACCESS-TIMESTAMP")
    path = sent.url.split(".com", 1)[1]
    digest = hmac.new(CREDENTIALS["secret"].encode(), f"{ts}{sent.method}{path}{sent.body or ''}".encode(),
                      hashlib.sha256).digest()
    assert sent.header("ACCESS-SIGN") == base64.b64encode(digest).decode()
    assert sent.header("ACCESS-KEY") == CREDENTIALS["apiKey"]
    assert sent.header("ACCESS-PASSPHRASE") == CREDENTIALS["password"]
