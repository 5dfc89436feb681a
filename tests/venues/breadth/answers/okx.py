"""OKX v5: spot BTC-USDT and the USDT-margined perpetual BTC-USDT-SWAP (1 contract = 0.01 BTC).
A batch endpoint reports each order's failure in ``data[].sCode`` under a top-level ``code`` "1"."""

from __future__ import annotations

import base64
import hashlib
import hmac

from tests.venues.breadth.recorder import Reply, Sent
from workstation.venues.errors import ErrorKind as K

EXCHANGE = "okx"
CREDENTIALS = {"apiKey": "OKXKEY-0000-0000", "secret": "OKXSECRET000000000000000000000", "password": "Pass-phrase1"}
OPTIONS = {"fetchMarkets": {"types": ["spot", "swap"]}}
HAS = {"fetchCurrencies": False}
SPOT, PERP = "BTC/USDT", "BTC/USDT:USDT"
AMOUNT, PERP_AMOUNT = "0.01", "1"
MARKETS = {SPOT: ("0.1", "0.00000001", "0.00001", None, "spot"), PERP: ("0.1", "0.01", "0.01", None, "swap")}
NOW = "1767225600000"


def ok(data):
    return {"code": "0", "msg": "", "data": data, "inTime": NOW, "outTime": NOW}


def failed(s_code, s_msg, status=200):
    return Reply({"code": "1", "msg": "All operations failed", "data": [
        {"clOrdId": "", "ordId": "", "sCode": s_code, "sMsg": s_msg, "tag": "", "ts": NOW}],
        "inTime": NOW, "outTime": NOW}, status)


def top(code, msg, status):
    return Reply({"code": code, "msg": msg, "data": []}, status)


def _instrument(inst_type, inst_id, **kw):
    row = {"alias": "", "auctionEndTime": "", "baseCcy": "", "category": "1", "ctMult": "", "ctType": "", "ctVal": "",
           "ctValCcy": "", "expTime": "", "instFamily": "", "instId": inst_id, "instType": inst_type, "lever": "",
           "listTime": "1548133413000", "lotSz": "", "maxIcebergSz": "", "maxLmtAmt": "20000000", "maxLmtSz": "",
           "maxMktAmt": "1000000", "maxMktSz": "", "maxStopSz": "", "maxTriggerSz": "", "maxTwapSz": "", "minSz": "",
           "optType": "", "quoteCcy": "", "ruleType": "normal", "settleCcy": "", "state": "live", "stk": "",
           "tickSz": "", "uly": ""}
    row.update(kw)
    return row


SPOT_INST = _instrument("SPOT", "BTC-USDT", baseCcy="BTC", quoteCcy="USDT", lotSz="0.00000001", minSz="0.00001",
                        tickSz="0.1", maxLmtSz="9999999999", maxMktSz="1000000", maxStopSz="1000000",
                        maxTriggerSz="9999999999", maxTwapSz="9999999999", maxIcebergSz="9999999999", lever="10")
SWAP_INST = _instrument("SWAP", "BTC-USDT-SWAP", ctMult="1", ctType="linear", ctVal="0.01", ctValCcy="BTC",
                        instFamily="BTC-USDT", lever="100", lotSz="0.01", minSz="0.01", settleCcy="USDT",
                        tickSz="0.1", uly="BTC-USDT", maxLmtSz="100000000", maxMktSz="5000", maxStopSz="5000",
                        maxTriggerSz="100000000", maxTwapSz="100000000", maxIcebergSz="100000000")


def instruments(sent: Sent):
    return ok([SPOT_INST] if sent.query.get("instType") == "SPOT" else [SWAP_INST])


def placed(sent: Sent):
    body = sent.payload if isinstance(sent.payload, list) else [sent.payload]
    return ok([{"clOrdId": o.get("clOrdId", ""), "ordId": f"6{i:017d}", "tag": o.get("tag", ""), "ts": NOW,
                "sCode": "0", "sMsg": "Order placed"} for i, o in enumerate(body, start=312269865356374)])


def _order(**kw):
    row = {"accFillSz": "0", "algoClOrdId": "", "algoId": "", "attachAlgoClOrdId": "", "attachAlgoOrds": [],
           "avgPx": "", "cTime": "1767225500000", "cancelSource": "", "cancelSourceReason": "", "category": "normal",
           "ccy": "", "clOrdId": "", "fee": "0", "feeCcy": "USDT", "fillPx": "", "fillSz": "0", "fillTime": "",
           "instId": "BTC-USDT-SWAP", "instType": "SWAP", "isTpLimit": "false", "lever": "10", "linkedAlgoOrd": {
               "algoId": ""}, "ordId": "", "ordType": "limit", "pnl": "0", "posSide": "net", "px": "", "pxType": "",
           "pxUsd": "", "pxVol": "", "quickMgnType": "", "rebate": "0", "rebateCcy": "USDT", "reduceOnly": "false",
           "side": "buy", "slOrdPx": "", "slTriggerPx": "", "slTriggerPxType": "", "source": "", "state": "live",
           "stpId": "", "stpMode": "cancel_maker", "sz": "", "tag": "", "tdMode": "cross", "tgtCcy": "",
           "tpOrdPx": "", "tpTriggerPx": "", "tpTriggerPxType": "", "tradeId": "", "uTime": "1767225550000"}
    row.update(kw)
    return row


OPEN_ORDER = _order(ordId="2510789768709120", clOrdId="ws0b1e2c3d00000007", px="24990", sz="2", accFillSz="0.5",
                    avgPx="24990", fillPx="24990", fillSz="0.5", tradeId="94012", state="partially_filled",
                    fee="-0.0025")
FOREIGN_ORDER = _order(ordId="2510789768709121", px="26000", sz="1", side="sell")
TRADE = {"side": "buy", "fillSz": "0.5", "fillPx": "24990", "fillPxVol": "", "fillFwdPx": "", "fee": "-0.0025",
         "fillPnl": "0", "ordId": "2510789768709120", "feeRate": "-0.0002", "instType": "SWAP", "fillPxUsd": "",
         "instId": "BTC-USDT-SWAP", "clOrdId": "ws0b1e2c3d00000007", "posSide": "net", "billId": "1111",
         "subType": "1", "fillMarkVol": "", "tag": "", "fillTime": "1767225550000", "execType": "M",
         "fillIdxPx": "", "tradeId": "94012", "fillMarkPx": "25000", "feeCcy": "USDT", "ts": "1767225550000"}
BALANCE = {"adjEq": "", "borrowFroz": "", "details": [
    {"availBal": "9612.6", "availEq": "9612.6", "borrowFroz": "", "cashBal": "10000", "ccy": "USDT", "crossLiab": "",
     "disEq": "10000.05", "eq": "10000.05", "eqUsd": "10000.05", "fixedBal": "0", "frozenBal": "387.4",
     "imr": "", "interest": "", "isoEq": "0", "isoLiab": "", "isoUpl": "0", "liab": "", "maxLoan": "", "mgnRatio": "",
     "mmr": "", "notionalLever": "", "ordFrozen": "374.9", "rewardBal": "", "spotInUseAmt": "", "clSpotInUseAmt": "",
     "maxSpotInUse": "", "spotIsoBal": "0", "stgyEq": "0", "twap": "0", "uTime": "1767225550000", "upl": "0.05",
     "uplLiab": "", "spotBal": "", "openAvgPx": "", "accAvgPx": "", "spotUpl": "", "spotUplRatio": "",
     "totalPnl": "", "totalPnlRatio": ""},
    {"availBal": "0.4", "availEq": "0.4", "cashBal": "0.5", "ccy": "BTC", "eq": "0.5", "frozenBal": "0.1",
     "ordFrozen": "0.1", "uTime": "1767225550000", "upl": "0"}],
    "imr": "12.5", "isoEq": "0", "mgnRatio": "", "mmr": "0.6", "notionalUsd": "", "ordFroz": "", "totalEq": "22500",
    "uTime": "1767225550000", "upl": "0.05"}
POSITION = {"adl": "1", "availPos": "", "avgPx": "24990", "baseBal": "", "baseBorrowed": "", "baseInterest": "",
            "bePx": "24995", "bizRefId": "", "bizRefType": "", "cTime": "1767225500000", "ccy": "USDT",
            "clSpotInUseAmt": "", "closeOrderAlgo": [], "deltaBS": "", "deltaPA": "", "fee": "-0.0025",
            "fundingFee": "0", "gammaBS": "", "gammaPA": "", "idxPx": "25001", "imr": "12.5", "instId": "BTC-USDT-SWAP",
            "instType": "SWAP", "interest": "", "last": "25000", "lever": "10", "liab": "", "liabCcy": "",
            "liqPenalty": "0", "liqPx": "22620.5", "margin": "", "markPx": "25000", "maxSpotInUseAmt": "",
            "mgnMode": "cross", "mgnRatio": "150", "mmr": "0.6", "notionalUsd": "125", "optVal": "", "pendingCloseOrdLiabVal": "",
            "pnl": "0", "pos": "0.5", "posCcy": "", "posId": "1752810569801498626", "posSide": "net", "quoteBal": "",
            "quoteBorrowed": "", "quoteInterest": "", "realizedPnl": "-0.0025", "spotInUseAmt": "", "spotInUseCcy": "",
            "thetaBS": "", "thetaPA": "", "tradeId": "94012", "uTime": "1767225550000", "upl": "0.05",
            "uplLastPx": "0.05", "uplRatio": "0.004", "uplRatioLastPx": "0.004", "usdPx": "", "vegaBS": "", "vegaPA": "",
            "nonSettleAvgPx": "", "settledPnl": ""}


def routes():
    return {
        ("GET", "/api/v5/public/instruments"): instruments,
        ("POST", "/api/v5/trade/batch-orders"): placed,
        ("POST", "/api/v5/trade/order"): placed,
        ("POST", "/api/v5/trade/amend-order"): lambda s: ok([{"clOrdId": s.params.get("clOrdId", ""),
                                                              "ordId": s.params.get("ordId", ""), "reqId": "",
                                                              "ts": NOW, "sCode": "0", "sMsg": ""}]),
        ("POST", "/api/v5/trade/cancel-order"): lambda s: ok([{"clOrdId": s.params.get("clOrdId", ""),
                                                               "ordId": s.params.get("ordId", ""), "ts": NOW,
                                                               "sCode": "0", "sMsg": ""}]),
        ("GET", "/api/v5/trade/orders-pending"): ok([OPEN_ORDER, FOREIGN_ORDER]),
        ("GET", "/api/v5/trade/fills(-history)?"): ok([TRADE]),
        ("GET", "/api/v5/account/balance"): ok([BALANCE]),
        ("GET", "/api/v5/account/positions"): ok([POSITION]),
    }


_HELD = "algo book"
EXPECT = {
    "limit_gtc": ("POST", "/api/v5/trade/batch-orders", {"instId": "BTC-USDT", "side": "buy", "ordType": "limit",
                                                         "sz": "0.01", "px": "24990", "clOrdId": "$cid",
                                                         "tdMode": "cash"}),
    "limit_ioc": ("POST", "/api/v5/trade/batch-orders", {"ordType": "ioc"}),
    "limit_fok": ("POST", "/api/v5/trade/batch-orders", {"ordType": "fok"}),
    "post_only": ("POST", "/api/v5/trade/batch-orders", {"ordType": "post_only"}),
    "market_buy": ("POST", "/api/v5/trade/batch-orders", {"ordType": "market", "sz": "0.01", "tgtCcy": "base_ccy"}),
    "market_sell": ("POST", "/api/v5/trade/batch-orders", {"ordType": "market", "side": "sell", "sz": "0.01"}),
    "stop_market_sell": _HELD,
    "stop_limit_buy": _HELD,
    "take_profit_limit_sell": _HELD,
    "trailing_percent": _HELD,
    "perp_limit": ("POST", "/api/v5/trade/batch-orders", {"instId": "BTC-USDT-SWAP", "sz": "1", "px": "24990",
                                                          "tdMode": "cross", "clOrdId": "$cid"}),
    "perp_stop_market_sell": _HELD,
    "perp_trailing_amount": _HELD,
    "perp_reduce_only": ("POST", "/api/v5/trade/batch-orders", {"reduceOnly": True, "side": "sell"}),
    "perp_post_only": ("POST", "/api/v5/trade/batch-orders", {"ordType": "post_only", "instId": "BTC-USDT-SWAP"}),
    "amend": ("POST", "/api/v5/trade/amend-order", {"ordId": "$vid", "newPx": "24980", "instId": "BTC-USDT"}),
    "cancel_by_client_id": ("POST", "/api/v5/trade/cancel-order", {"clOrdId": "$cid", "instId": "BTC-USDT"}),
}

PARSED_OPEN = {"client_order_id": "ws0b1e2c3d00000007", "status": "partially_filled", "filled": "0.5",
               "amount": "2", "price": "24990", "side": "buy", "symbol": PERP}
PARSED_FOREIGN = {"client_order_id": None, "status": "open", "side": "sell", "amount": "1", "filled": "0"}
PARSED_FILL = {"trade_id": "94012", "client_order_id": "ws0b1e2c3d00000007", "price": "24990", "amount": "0.5",
               "fee": "0.0025", "liquidity": "maker", "symbol": PERP}
PARSED_BALANCE = {"USDT": ("10000.05", "387.45"), "BTC": ("0.5", "0.1")}  # used = eq - availEq
PARSED_POSITION = {PERP: {"size": "0.5",  # contracts
                           "entry_price": "24990", "leverage": "10", "liquidation_price": "22620.5"}}

ERRORS = [
    ("insufficient balance (a batch's sCode)", "create_order", ("POST", "/api/v5/trade/batch-orders"),
     failed("51008", "Order failed. Insufficient USDT balance in account."), K.PERMANENT),
    ("duplicated clOrdId: it exists, look it up", "create_order", ("POST", "/api/v5/trade/batch-orders"),
     failed("51016", "Duplicated clOrdId"), K.UNKNOWN_OUTCOME),
    ("endpoint timeout: success or failure unknown", "create_order", ("POST", "/api/v5/trade/batch-orders"),
     top("50004", "Endpoint request timeout (does not mean that the request was successful or failed, please "
                  "check the request result).", 200), K.UNKNOWN_OUTCOME),
    ("rate limit", "create_order", ("POST", "/api/v5/trade/batch-orders"),
     top("50011", "Too Many Requests", 429), K.RATE_LIMITED),
    ("invalid sign", "fetch_balance", ("GET", "/api/v5/account/balance"), top("50113", "Invalid Sign", 401), K.AUTH),
    ("cancel of an order that is gone", "cancel_order", ("POST", "/api/v5/trade/cancel-order"),
     failed("51400", "Order cancellation failed as the order has been filled, canceled or does not exist."),
     K.NOT_FOUND),
    ("matching engine upgrading: nothing placed, retry later", "create_order",
     ("POST", "/api/v5/trade/batch-orders"), top("50001", "Service temporarily unavailable. Try again later", 503),
     K.TRANSIENT),
]


def check_signature(sent: Sent) -> None:
    """OKX: base64(HMAC-SHA256(timestamp + method + path?query + body)), with the passphrase in a header."""
    ts = sent.header("OK-ACCESS-TIMESTAMP")
    path = sent.url.split(".com", 1)[1]
    digest = hmac.new(CREDENTIALS["secret"].encode(), f"{ts}{sent.method}{path}{sent.body or ''}".encode(),
                      hashlib.sha256).digest()
    assert sent.header("OK-ACCESS-SIGN") == base64.b64encode(digest).decode()
    assert sent.header("OK-ACCESS-PASSPHRASE") == CREDENTIALS["password"]
    assert sent.header("OK-ACCESS-KEY") == CREDENTIALS["apiKey"]
