"""Kraken spot (REST /0/): XBT/USDT. Answers are {"error": [...], "result": ...}; trades carry no client id."""

from __future__ import annotations

import base64
import hashlib
import hmac

from tests.venues.breadth.recorder import Reply, Sent
from workstation.venues.errors import ErrorKind as K

EXCHANGE = "kraken"
CREDENTIALS = {"apiKey": "KRAKENKEY0000000", "secret": base64.b64encode(b"kraken-secret-0123456789abcdef").decode()}
HAS = {"fetchCurrencies": False}
SPOT, PERP = "BTC/USDT", None
AMOUNT, PERP_AMOUNT = "0.01", None
MARKETS = {SPOT: ("0.1", "0.00000001", "0.00005", "0.5", "spot")}


def ok(result):
    return {"error": [], "result": result}


def err(*errors, status=200):
    return Reply({"error": list(errors)}, status)


PAIR = {"altname": "XBTUSDT", "wsname": "XBT/USDT", "aclass_base": "currency", "base": "XXBT",
        "aclass_quote": "currency", "quote": "USDT", "lot": "unit", "cost_decimals": 5, "pair_decimals": 1,
        "lot_decimals": 8, "lot_multiplier": 1, "leverage_buy": [2, 3], "leverage_sell": [2, 3],
        "fees": [[0, 0.4], [10000, 0.35], [50000, 0.24]], "fees_maker": [[0, 0.25], [10000, 0.2], [50000, 0.14]],
        "fee_volume_currency": "ZUSD", "margin_call": 80, "margin_stop": 40, "ordermin": "0.00005",
        "costmin": "0.5", "tick_size": "0.1", "status": "online", "long_position_limit": 270,
        "short_position_limit": 180}


def added(sent: Sent):
    """Kraken describes the order in words: "sell 0.01000000 XBTUSDT @ stop loss 24000.0 -> limit 23990.0"."""
    p = sent.payload
    kind, price, price2 = p.get("ordertype"), p.get("price", ""), p.get("price2")
    words = {"limit": f"limit {price}", "market": "market"}.get(kind) or f"{kind.removesuffix('-limit').replace('-', ' ')} {price}"
    if kind.endswith("-limit") and price2:
        words += f" -> limit {price2}"
    return ok({"descr": {"order": f"{p.get('type')} {p.get('volume')} XBTUSDT @ {words}"},
               "txid": ["OUF4EM-FRGI2-MQMWZD"]})


OPEN = {"OQCLML-BW3P3-BUCMWZ": {"refid": None, "userref": 0, "cl_ord_id": "ws0b1e2c3d00000007", "status": "open",
                                "opentm": 1767225500.1234, "starttm": 0, "expiretm": 0,
                                "descr": {"pair": "XBTUSDT", "type": "buy", "ordertype": "limit", "price": "24990.0",
                                          "price2": "0", "leverage": "none",
                                          "order": "buy 0.02000000 XBTUSDT @ limit 24990.0", "close": ""},
                                "vol": "0.02000000", "vol_exec": "0.00500000", "cost": "124.95000",
                                "fee": "0.12495", "price": "24990.0", "stopprice": "0.00000",
                                "limitprice": "0.00000", "misc": "", "oflags": "fciq"},
        "OB5VMB-B4U2U-DK2WRW": {"refid": None, "userref": 0, "status": "open", "opentm": 1767225400.5,
                                "starttm": 0, "expiretm": 0,
                                "descr": {"pair": "XBTUSDT", "type": "sell", "ordertype": "limit", "price": "26000.0",
                                          "price2": "0", "leverage": "none",
                                          "order": "sell 0.01000000 XBTUSDT @ limit 26000.0", "close": ""},
                                "vol": "0.01000000", "vol_exec": "0.00000000", "cost": "0.00000", "fee": "0.00000",
                                "price": "0.00000", "stopprice": "0.00000", "limitprice": "0.00000", "misc": "",
                                "oflags": "fciq"}}
TRADES = {"THVRQM-33VKH-UCI7BS": {"ordertxid": "OQCLML-BW3P3-BUCMWZ", "postxid": "TKH2SE-M7IF5-CFI7LT",
                                  "pair": "XBTUSDT", "time": 1767225550.1234, "type": "buy", "ordertype": "limit",
                                  "price": "24990.0", "cost": "124.95", "fee": "0.12495", "vol": "0.005",
                                  "margin": "0.00000", "leverage": "0", "misc": "", "trade_id": 93748276,
                                  "maker": True}}


def routes():
    return {
        ("GET", "/0/public/AssetPairs"): ok({"XBTUSDT": PAIR}),
        ("POST", "/0/private/AddOrder"): added,
        ("POST", "/0/private/AmendOrder"): ok({"amend_id": "TYF6AQ-N2ZXS-FAKE01"}),
        ("POST", "/0/private/CancelOrder"): ok({"count": 1}),
        ("POST", "/0/private/OpenOrders"): ok({"open": OPEN}),
        ("POST", "/0/private/TradesHistory"): ok({"trades": TRADES, "count": 1}),
        ("POST", "/0/private/BalanceEx"): ok({"XXBT": {"balance": "0.5000000000", "hold_trade": "0.1000000000"},
                                              "USDT": {"balance": "10000.00000000", "hold_trade": "387.35000000"}}),
    }


EXPECT = {
    "limit_gtc": ("POST", "/0/private/AddOrder", {"pair": "XBTUSDT", "type": "buy", "ordertype": "limit",
                                                  "volume": "0.01", "price": "24990", "cl_ord_id": "$cid"}),
    "limit_ioc": ("POST", "/0/private/AddOrder", {"timeinforce": "IOC"}),
    "limit_fok": "GTC, IOC and GTD only",
    "post_only": ("POST", "/0/private/AddOrder", {"oflags": "post"}),
    "market_buy": ("POST", "/0/private/AddOrder", {"ordertype": "market", "volume": "0.01", "-price": None}),
    "market_sell": ("POST", "/0/private/AddOrder", {"ordertype": "market", "type": "sell"}),
    "stop_market_sell": ("POST", "/0/private/AddOrder", {"ordertype": "stop-loss", "price": "24000",
                                                         "type": "sell"}),
    "stop_limit_buy": ("POST", "/0/private/AddOrder", {"ordertype": "stop-loss-limit", "price": "26000",
                                                       "price2": "26010", "type": "buy"}),
    "take_profit_limit_sell": ("POST", "/0/private/AddOrder", {"ordertype": "take-profit-limit", "price": "26000",
                                                               "price2": "25990"}),
    "take_profit_market_buy": ("POST", "/0/private/AddOrder", {"ordertype": "take-profit", "price": "24000"}),
    "trailing_percent": ("POST", "/0/private/AddOrder", {"ordertype": "trailing-stop", "price": "+1.5%",
                                                         "trigger": "last"}),
    "trailing_amount": ("POST", "/0/private/AddOrder", {"ordertype": "trailing-stop", "price": "+100"}),
    "trailing_activation": "activation price is watched here",
    "stop_mark": "mark is watched here",
    "amend": ("POST", "/0/private/AmendOrder", {"txid": "$vid", "limit_price": "24980"}),
    "cancel_by_client_id": ("POST", "/0/private/CancelOrder", {"cl_ord_id": "$cid"}),
}

PARSED_OPEN = {"client_order_id": "ws0b1e2c3d00000007", "status": "partially_filled", "filled": "0.005",
               "amount": "0.02", "price": "24990", "side": "buy", "symbol": SPOT, "venue_order_id": "OQCLML-BW3P3-BUCMWZ"}
PARSED_FOREIGN = {"client_order_id": None, "status": "open", "side": "sell", "amount": "0.01"}
PARSED_FILL = {"trade_id": "THVRQM-33VKH-UCI7BS", "client_order_id": "", "venue_order_id": "OQCLML-BW3P3-BUCMWZ",
               "price": "24990", "amount": "0.005", "fee": "0.12495", "liquidity": "maker"}
PARSED_BALANCE = {"BTC": ("0.5", "0.1"), "USDT": ("10000", "387.35")}

ERRORS = [
    ("insufficient funds", "create_order", ("POST", "/0/private/AddOrder"), err("EOrder:Insufficient funds"),
     K.PERMANENT),
    ("order minimum not met", "create_order", ("POST", "/0/private/AddOrder"), err("EOrder:Order minimum not met"),
     K.PARAMETER),
    ("service unavailable on a write: it may have been placed", "create_order", ("POST", "/0/private/AddOrder"),
     err("EService:Unavailable"), K.UNKNOWN_OUTCOME),
    ("market in cancel-only mode: nothing placed", "create_order", ("POST", "/0/private/AddOrder"),
     err("EService:Market in cancel_only mode"), K.TRANSIENT),
    ("rate limit", "create_order", ("POST", "/0/private/AddOrder"), err("EAPI:Rate limit exceeded"),
     K.RATE_LIMITED),
    ("invalid key", "fetch_balance", ("POST", "/0/private/BalanceEx"), err("EAPI:Invalid key"), K.AUTH),
    ("cancel: unknown order", "cancel_order", ("POST", "/0/private/CancelOrder"), err("EOrder:Unknown order"),
     K.NOT_FOUND),
]


def check_signature(sent: Sent) -> None:
    """Kraken: base64(HMAC-SHA512(base64-decoded secret, path + SHA256(nonce + body)))."""
    nonce = str(sent.payload["nonce"])  # a form, or JSON for some orders (ccxt decides)
    message = sent.path.encode() + hashlib.sha256((nonce + sent.body).encode()).digest()
    digest = hmac.new(base64.b64decode(CREDENTIALS["secret"]), message, hashlib.sha512).digest()
    assert sent.header("API-Key") == CREDENTIALS["apiKey"]
    assert sent.header("API-Sign") == base64.b64encode(digest).decode()
