"""Bybit v5, unified account: spot BTCUSDT and the linear perpetual BTCUSDT. Answers written from
Bybit's v5 documentation and the shapes ccxt's parsers read; what Bybit leaves empty is left empty
(``avgPrice`` "" on a fresh order, ``orderLinkId`` "" on an order someone else placed)."""

from __future__ import annotations

import hashlib
import hmac

from tests.venues.breadth.recorder import Reply, Sent
from workstation.venues.errors import ErrorKind as K

EXCHANGE = "bybit"
CREDENTIALS = {"apiKey": "BYBITKEY00000000", "secret": "BYBITSECRET0000000000000000000"}
OPTIONS = {"fetchMarkets": {"types": ["spot", "linear"]}}
HAS = {"fetchCurrencies": False}
SPOT, PERP = "BTC/USDT", "BTC/USDT:USDT"
AMOUNT, PERP_AMOUNT = "0.01", "0.01"
MARKETS = {SPOT: ("0.01", "0.000001", "0.000048", "1", "spot"), PERP: ("0.1", "0.001", "0.001", "5", "swap")}
NOW = 1767225600000


def ok(result, ext=None):
    return {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": ext or {}, "time": NOW}


def err(code, msg, status=200):
    return Reply({"retCode": code, "retMsg": msg, "result": {}, "retExtInfo": {}, "time": NOW}, status)


SPOT_INFO = {"symbol": "BTCUSDT", "baseCoin": "BTC", "quoteCoin": "USDT", "innovation": "0", "status": "Trading",
             "marginTrading": "utaOnly", "stTag": "0",
             "lotSizeFilter": {"basePrecision": "0.000001", "quotePrecision": "0.00000001", "minOrderQty": "0.000048",
                               "maxOrderQty": "71.73956243", "minOrderAmt": "1", "maxOrderAmt": "2000000"},
             "priceFilter": {"tickSize": "0.01"},
             "riskParameters": {"priceLimitRatioX": "0.01", "priceLimitRatioY": "0.02"}}
LINEAR_INFO = {"symbol": "BTCUSDT", "contractType": "LinearPerpetual", "status": "Trading", "baseCoin": "BTC",
               "quoteCoin": "USDT", "launchTime": "1585526400000", "deliveryTime": "0", "deliveryFeeRate": "",
               "priceScale": "2",
               "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
               "priceFilter": {"minPrice": "0.10", "maxPrice": "1999999.80", "tickSize": "0.10"},
               "lotSizeFilter": {"maxOrderQty": "1190.000", "minOrderQty": "0.001", "qtyStep": "0.001",
                                 "postOnlyMaxOrderQty": "1190.000", "maxMktOrderQty": "119.000",
                                 "minNotionalValue": "5"},
               "unifiedMarginTrade": True, "fundingInterval": 480, "settleCoin": "USDT", "copyTrading": "both",
               "upperFundingRate": "0.00375", "lowerFundingRate": "-0.00375", "isPreListing": False}


def instruments(sent: Sent):
    category = sent.query.get("category")
    rows = [SPOT_INFO] if category == "spot" else [LINEAR_INFO]
    return ok({"category": category, "list": rows, "nextPageCursor": ""})


def created(sent: Sent):
    link = sent.params.get("orderLinkId", "")
    return ok({"orderId": "1f5d2b8c-0b0e-4a5f-9e3c-" + (link[-12:] or "000000000000").rjust(12, "0"),
               "orderLinkId": link})


def amended(sent: Sent):
    return ok({"orderId": sent.params.get("orderId", ""), "orderLinkId": sent.params.get("orderLinkId", "")})


OPEN_ORDER = {  # ours, partly filled, on the perpetual
    "orderId": "c6f055d9-7f21-4079-913d-e6523a9cfffa", "orderLinkId": "ws0b1e2c3d00000007", "blockTradeId": "",
    "symbol": "BTCUSDT", "price": "24990.0", "qty": "0.020", "side": "Buy", "isLeverage": "", "positionIdx": 0,
    "orderStatus": "PartiallyFilled", "cancelType": "UNKNOWN", "rejectReason": "EC_NoError", "avgPrice": "24990",
    "leavesQty": "0.015", "leavesValue": "374.85", "cumExecQty": "0.005", "cumExecValue": "124.95",
    "cumExecFee": "0.02499", "timeInForce": "GTC", "orderType": "Limit", "stopOrderType": "", "orderIv": "",
    "triggerPrice": "", "takeProfit": "", "stopLoss": "", "tpTriggerBy": "", "slTriggerBy": "", "triggerDirection": 0,
    "triggerBy": "", "lastPriceOnCreated": "25000.0", "reduceOnly": False, "closeOnTrigger": False,
    "smpType": "None", "smpGroup": 0, "smpOrderId": "", "tpslMode": "", "tpLimitPrice": "", "slLimitPrice": "",
    "placeType": "", "createdTime": "1767225500000", "updatedTime": "1767225550000"}
FOREIGN_ORDER = dict(OPEN_ORDER, orderId="9a0c2f11-5d3e-4f1a-8b2c-7d6e5f4a3b2c", orderLinkId="", price="26000.0",
                     qty="0.010", side="Sell", orderStatus="New", avgPrice="", leavesQty="0.010",
                     leavesValue="260", cumExecQty="0.000", cumExecValue="0", cumExecFee="0")
TRADE = {"symbol": "BTCUSDT", "orderType": "Limit", "underlyingPrice": "", "orderLinkId": "ws0b1e2c3d00000007",
         "side": "Buy", "indexPrice": "", "orderId": "c6f055d9-7f21-4079-913d-e6523a9cfffa", "stopOrderType": "",
         "leavesQty": "0.015", "execTime": "1767225550000", "feeCurrency": "", "isMaker": True, "execFee": "0.02499",
         "feeRate": "0.0002", "execId": "e0cbe81d-0f18-5866-9415-cf319b5dab3b", "tradeIv": "", "blockTradeId": "",
         "markPrice": "25000.00", "execPrice": "24990", "markIv": "", "orderQty": "0.020", "orderPrice": "24990",
         "execValue": "124.95", "execType": "Trade", "execQty": "0.005", "closedSize": "", "seq": 4688002127}
WALLET = {"totalEquity": "10124.9", "accountIMRate": "0.01", "totalMarginBalance": "10124.9",
          "totalInitialMargin": "12.5", "accountType": "UNIFIED", "totalAvailableBalance": "10112.4",
          "accountMMRate": "0", "totalPerpUPL": "0.05", "totalWalletBalance": "10124.85",
          "accountLTV": "0", "totalMaintenanceMargin": "0.6",
          "coin": [{"availableToBorrow": "", "bonus": "0", "accruedInterest": "0", "availableToWithdraw": "",
                    "totalOrderIM": "374.85", "equity": "10000.05", "totalPositionMM": "0.6",
                    "usdValue": "10000.05", "spotHedgingQty": "0", "unrealisedPnl": "0.05", "collateralSwitch": True,
                    "borrowAmount": "0", "totalPositionIM": "12.5", "walletBalance": "10000",
                    "cumRealisedPnl": "-0.02499", "locked": "0", "marginCollateral": True, "coin": "USDT"},
                   {"availableToBorrow": "", "bonus": "0", "accruedInterest": "0", "availableToWithdraw": "",
                    "totalOrderIM": "0", "equity": "0.5", "totalPositionMM": "0", "usdValue": "12500",
                    "spotHedgingQty": "0", "unrealisedPnl": "0", "collateralSwitch": True, "borrowAmount": "0",
                    "totalPositionIM": "0", "walletBalance": "0.5", "cumRealisedPnl": "0", "locked": "0.1",
                    "marginCollateral": True, "coin": "BTC"}]}
POSITION = {"positionIdx": 0, "riskId": 1, "riskLimitValue": "2000000", "symbol": "BTCUSDT", "side": "Buy",
            "size": "0.005", "avgPrice": "24990", "positionValue": "124.95", "tradeMode": 0, "autoAddMargin": 0,
            "positionStatus": "Normal", "leverage": "10", "markPrice": "25000", "liqPrice": "22620.5",
            "bustPrice": "", "positionIM": "12.5", "positionMM": "0.6", "positionBalance": "", "tpslMode": "Full",
            "takeProfit": "", "stopLoss": "", "trailingStop": "0", "unrealisedPnl": "0.05",
            "curRealisedPnl": "-0.02499", "cumRealisedPnl": "-0.02499", "adlRankIndicator": 2,
            "createdTime": "1767225500000", "updatedTime": "1767225550000", "seq": 4688002127,
            "isReduceOnly": False, "mmrSysUpdatedTime": "", "leverageSysUpdatedTime": ""}


def by_category(sent: Sent, linear: list) -> dict:
    """Bybit lists one category per call: the linear rows here, none on spot."""
    category = sent.query["category"]
    return ok({"list": linear if category == "linear" else [], "nextPageCursor": "", "category": category})


def routes():
    return {
        ("GET", "/v5/market/instruments-info"): instruments,
        ("GET", "/v5/user/query-api"): ok({"id": "1", "note": "ws", "apiKey": CREDENTIALS["apiKey"], "readOnly": 0,
                                           "secret": "", "permissions": {"ContractTrade": ["Order", "Position"],
                                                                         "Spot": ["SpotTrade"]},
                                           "ips": ["*"], "type": 1, "deadlineDay": 80, "unified": 0, "uta": 1,
                                           "isMaster": True}),
        ("GET", "/v5/account/info"): ok({"unifiedMarginStatus": 5, "marginMode": "REGULAR_MARGIN",
                                         "isMasterTrader": False, "spotHedgingStatus": "OFF",
                                         "updatedTime": "1767225000000"}),
        ("POST", "/v5/order/create"): created,
        ("POST", "/v5/order/amend"): amended,
        ("POST", "/v5/order/cancel"): lambda s: ok({"orderId": s.params.get("orderId", ""),
                                                    "orderLinkId": s.params.get("orderLinkId", "")}),
        ("GET", "/v5/order/realtime"): lambda s: by_category(s, [OPEN_ORDER, FOREIGN_ORDER]),
        ("GET", "/v5/execution/list"): lambda s: by_category(s, [TRADE]),
        ("GET", "/v5/account/wallet-balance"): ok({"list": [WALLET]}),
        ("GET", "/v5/position/list"): ok({"list": [POSITION], "nextPageCursor": "", "category": "linear"}),
    }


# what each order the workstation offers becomes at Bybit
EXPECT = {
    "limit_gtc": ("POST", "/v5/order/create", {"category": "spot", "symbol": "BTCUSDT", "side": "Buy",
                                               "orderType": "Limit", "qty": "0.01", "price": "24990",
                                               "orderLinkId": "$cid"}),
    "limit_ioc": ("POST", "/v5/order/create", {"timeInForce": "IOC"}),
    "limit_fok": ("POST", "/v5/order/create", {"timeInForce": "FOK"}),
    "post_only": ("POST", "/v5/order/create", {"timeInForce": "PostOnly"}),
    "market_buy": ("POST", "/v5/order/create", {"orderType": "Market", "qty": "0.01", "marketUnit": "baseCoin"}),
    "market_sell": ("POST", "/v5/order/create", {"orderType": "Market", "side": "Sell", "qty": "0.01"}),
    "stop_market_sell": "orderFilter=StopOrder",
    "perp_limit": ("POST", "/v5/order/create", {"category": "linear", "qty": "0.01", "price": "24990",
                                                "orderLinkId": "$cid"}),
    "perp_stop_market_sell": ("POST", "/v5/order/create", {"category": "linear", "orderType": "Market",
                                                           "triggerPrice": "24000", "triggerDirection": 2,
                                                           "triggerBy": "LastPrice"}),
    "perp_stop_limit_buy": ("POST", "/v5/order/create", {"orderType": "Limit", "price": "26010",
                                                         "triggerPrice": "26000", "triggerDirection": 1}),
    "perp_take_profit_limit_sell": ("POST", "/v5/order/create", {"orderType": "Limit", "triggerPrice": "26000",
                                                                 "triggerDirection": 1, "-reduceOnly": None}),
    "perp_take_profit_market_buy": ("POST", "/v5/order/create", {"triggerPrice": "24000", "triggerDirection": 2}),
    "perp_stop_mark": ("POST", "/v5/order/create", {"triggerPrice": "24000", "triggerBy": "MarkPrice"}),
    "perp_stop_mid": "mid is watched here",
    "perp_trailing_percent": "a setting of the whole position",
    "perp_reduce_only": ("POST", "/v5/order/create", {"reduceOnly": True, "side": "Sell"}),
    "perp_post_only": ("POST", "/v5/order/create", {"timeInForce": "PostOnly", "category": "linear"}),
    "amend": ("POST", "/v5/order/amend", {"orderId": "$vid", "price": "24980"}),
    "cancel_by_client_id": ("POST", "/v5/order/cancel", {"orderLinkId": "$cid", "-orderId": None}),
}

PARSED_OPEN = {"client_order_id": "ws0b1e2c3d00000007", "status": "partially_filled", "filled": "0.005",
               "amount": "0.02", "price": "24990", "side": "buy", "symbol": PERP}
PARSED_FOREIGN = {"client_order_id": None, "status": "open", "side": "sell", "amount": "0.01"}
PARSED_FILL = {"trade_id": "e0cbe81d-0f18-5866-9415-cf319b5dab3b", "client_order_id": "ws0b1e2c3d00000007",
               "price": "24990", "amount": "0.005", "fee": "0.02499", "liquidity": "maker", "symbol": PERP}
# total, used (None: not asserted); ccxt counts the order and position margin (374.85 + 12.5) as used
PARSED_BALANCE = {"USDT": ("10000", "387.35"), "BTC": ("0.5", None)}
PARSED_POSITION = {PERP: {"size": "0.005", "entry_price": "24990", "leverage": "10", "liquidation_price": "22620.5"}}

ERRORS = [  # (what, operation, (method, path), answer, our kind)
    ("insufficient balance", "create_order", ("POST", "/v5/order/create"),
     err(110007, "ab not enough for new order"), K.PERMANENT),
    ("duplicate orderLinkId: an order with our id exists, look it up", "create_order",
     ("POST", "/v5/order/create"), err(110072, "OrderLinkedID is duplicate"), K.UNKNOWN_OUTCOME),
    ("system error on a write: it may have been placed", "create_order", ("POST", "/v5/order/create"),
     err(10016, "System error. Please try again later."), K.UNKNOWN_OUTCOME),
    ("rate limit", "create_order", ("POST", "/v5/order/create"), err(10006, "Too many visits!"), K.RATE_LIMITED),
    ("bad signature", "fetch_balance", ("GET", "/v5/account/wallet-balance"),
     err(10004, "error sign! origin_string[1767225600000BYBITKEY000000005000accountType=UNIFIED]"), K.AUTH),
    ("order not found on cancel", "cancel_order", ("POST", "/v5/order/cancel"),
     err(110001, "order not exists or too late to cancel"), K.NOT_FOUND),
    ("reduce-only would increase the position", "create_order", ("POST", "/v5/order/create"),
     err(110017, "Reduce-only rule not satisfied"), K.PARAMETER),
    ("timeout after the request left", "create_order", ("POST", "/v5/order/create"), "timeout", K.UNKNOWN_OUTCOME),
]


def check_signature(sent: Sent) -> None:
    """Bybit v5: HMAC-SHA256 over timestamp + key + recvWindow + (query | body)."""
    ts, window = sent.header("X-BAPI-TIMESTAMP"), sent.header("X-BAPI-RECV-WINDOW")
    payload = sent.body if sent.method == "POST" else sent.url.split("?", 1)[1] if "?" in sent.url else ""
    expected = hmac.new(CREDENTIALS["secret"].encode(), f"{ts}{CREDENTIALS['apiKey']}{window}{payload}".encode(),
                        hashlib.sha256).hexdigest()
    assert sent.header("X-BAPI-API-KEY") == CREDENTIALS["apiKey"]
    assert sent.header("X-BAPI-SIGN") == expected
