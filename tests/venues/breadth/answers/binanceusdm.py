"""Binance USD-M futures (/fapi). positionRisk v3 no longer reports leverage: it stays None."""

from __future__ import annotations

from decimal import Decimal as D

from tests.fakes.binance_markets import LEVERAGE_BRACKETS, USDM, MarketSpec, exchange_info
from tests.venues.breadth.answers.binance_common import NOW, check_signature as _check, err
from tests.venues.breadth.recorder import Sent
from workstation.venues.errors import ErrorKind as K

EXCHANGE = "binanceusdm"
CREDENTIALS = {"apiKey": "BINANCEKEY000000", "secret": "BINANCESECRET00000000000000000"}
OPTIONS = {"fetchMarkets": {"types": ["linear"]}, "fetchMargins": False}
HAS = {"fetchCurrencies": False}
SPOT, PERP = None, "BTC/USDT:USDT"
AMOUNT, PERP_AMOUNT = None, "0.01"
MARKETS = {PERP: ("0.1", "0.001", "0.001", "5", "swap")}
BTCUSDT = MarketSpec(USDM, "BTCUSDT", "BTC", "USDT", D("0.10"), D("0.001"), D("0.001"), D("1000"), D("5"),
                     min_price=D("556.80"), max_price=D("4529764"))


def _order(p: dict, order_id: int = 4611875134427365377, status: str = "NEW") -> dict:
    return {"orderId": order_id, "symbol": "BTCUSDT", "status": status,
            "clientOrderId": p.get("newClientOrderId", "x-xcKtGhcu" + "0" * 12), "price": p.get("price", "0"),
            "avgPrice": "0.00", "origQty": p.get("quantity", "0"), "executedQty": "0.000", "cumQty": "0.000",
            "cumQuote": "0.00000", "timeInForce": p.get("timeInForce", "GTC"), "type": p.get("type", "LIMIT"),
            "reduceOnly": p.get("reduceOnly") == "true", "closePosition": False, "side": p.get("side", "BUY"),
            "positionSide": "BOTH", "stopPrice": "0.00", "workingType": "CONTRACT_PRICE", "priceProtect": False,
            "origType": p.get("type", "LIMIT"), "priceMatch": "NONE", "selfTradePreventionMode": "EXPIRE_MAKER",
            "goodTillDate": 0, "updateTime": NOW}


OPEN_ORDER = dict(_order({"price": "24990", "quantity": "0.020", "newClientOrderId": "ws0b1e2c3d00000007"},
                         4611875134427365000, "PARTIALLY_FILLED"), executedQty="0.005", cumQuote="124.95",
                  avgPrice="24990", time=NOW - 100000)
FOREIGN_ORDER = dict(_order({"price": "26000", "quantity": "0.010", "side": "SELL",
                             "newClientOrderId": "android_Z7oUbM1bHKQ6lH0Iy9Ud"}, 4611875134427365001),
                     time=NOW - 90000)
TRADE = {"buyer": True, "commission": "0.02499", "commissionAsset": "USDT", "id": 698759, "maker": True,
         "orderId": 4611875134427365000, "price": "24990", "qty": "0.005", "quoteQty": "124.95", "realizedPnl": "0",
         "side": "BUY", "positionSide": "BOTH", "symbol": "BTCUSDT", "time": NOW - 50000}
ASSET = {"asset": "USDT", "walletBalance": "10000.00000000", "unrealizedProfit": "0.05000000",
         "marginBalance": "10000.05000000", "maintMargin": "0.60000000", "initialMargin": "12.50000000",
         "positionInitialMargin": "12.50000000", "openOrderInitialMargin": "0.00000000",
         "crossWalletBalance": "10000.00000000", "crossUnPnl": "0.05000000", "availableBalance": "9987.55000000",
         "maxWithdrawAmount": "9987.55000000", "updateTime": NOW}
ACCOUNT = {"totalInitialMargin": "12.5", "totalMaintMargin": "0.6", "totalWalletBalance": "10000",
           "totalUnrealizedProfit": "0.05", "totalMarginBalance": "10000.05", "totalPositionInitialMargin": "12.5",
           "totalOpenOrderInitialMargin": "0", "totalCrossWalletBalance": "10000", "totalCrossUnPnl": "0.05",
           "availableBalance": "9987.55", "maxWithdrawAmount": "9987.55", "assets": [ASSET], "positions": []}
POSITION = {"symbol": "BTCUSDT", "positionSide": "BOTH", "positionAmt": "0.005", "entryPrice": "24990",
            "breakEvenPrice": "24995", "markPrice": "25000", "unRealizedProfit": "0.05",
            "liquidationPrice": "22620.5", "isolatedMargin": "0", "notional": "125", "marginAsset": "USDT",
            "isolatedWallet": "0", "initialMargin": "12.5", "maintMargin": "0.6", "positionInitialMargin": "12.5",
            "openOrderInitialMargin": "0", "adl": 2, "bidNotional": "0", "askNotional": "0", "updateTime": NOW}


def routes():
    return {
        ("GET", "/fapi/v1/exchangeInfo"): exchange_info(USDM, [BTCUSDT], NOW),
        ("POST", "/fapi/v1/order"): lambda s: _order(s.params),
        ("PUT", "/fapi/v1/order"): lambda s: _order(s.params, int(s.params["orderId"])),
        ("DELETE", "/fapi/v1/order"): lambda s: dict(_order({}, status="CANCELED"),
                                                     clientOrderId=s.params.get("origClientOrderId", "")),
        ("GET", "/fapi/v1/openOrders"): [OPEN_ORDER, FOREIGN_ORDER],
        ("GET", "/fapi/v1/userTrades"): [TRADE],
        ("GET", "/fapi/v[23]/account"): ACCOUNT,
        ("GET", "/fapi/v[23]/balance"): [ASSET],
        ("GET", "/fapi/v[23]/positionRisk"): [POSITION],
        ("GET", "/fapi/v1/leverageBracket"): [{"symbol": "BTCUSDT", "notionalCoef": 1.0, "brackets": LEVERAGE_BRACKETS}],
        ("GET", "/fapi/v1/symbolConfig"): [{"symbol": "BTCUSDT", "marginType": "CROSSED", "isAutoAddMargin": False,
                                            "leverage": 10, "maxNotionalValue": "1000000"}],
    }


_ALGO = "algo-order book"
EXPECT = {
    "perp_limit": ("POST", "/fapi/v1/order", {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT",
                                              "timeInForce": "GTC", "quantity": "0.01", "price": "24990",
                                              "newClientOrderId": "$cid"}),
    "perp_post_only": ("POST", "/fapi/v1/order", {"timeInForce": "GTX"}),
    "perp_reduce_only": ("POST", "/fapi/v1/order", {"reduceOnly": True, "side": "SELL"}),
    "perp_stop_market_sell": _ALGO,
    "perp_stop_limit_buy": _ALGO,
    "perp_take_profit_limit_sell": _ALGO,
    "perp_trailing_percent": _ALGO,
    "perp_stop_mark": _ALGO,
    "amend": ("PUT", "/fapi/v1/order", {"orderId": "$vid", "price": "24980", "quantity": "0.01", "side": "BUY"}),
    "cancel_by_client_id": ("DELETE", "/fapi/v1/order", {"origClientOrderId": "$cid"}),
}

PARSED_OPEN = {"client_order_id": "ws0b1e2c3d00000007", "status": "partially_filled", "filled": "0.005",
               "amount": "0.02", "price": "24990", "side": "buy", "symbol": PERP}
PARSED_FOREIGN = {"client_order_id": "android_Z7oUbM1bHKQ6lH0Iy9Ud", "status": "open", "side": "sell"}
PARSED_FILL = {"trade_id": "698759", "client_order_id": "", "venue_order_id": "4611875134427365000",
               "price": "24990", "amount": "0.005", "fee": "0.02499", "fee_currency": "USDT", "liquidity": "maker"}
PARSED_BALANCE = {"USDT": ("10000.05", "12.5")}  # margin balance: wallet + unrealized PnL
PARSED_POSITION = {PERP: {"size": "0.005", "entry_price": "24990", "leverage": None, "mark_price": "25000",
                          "liquidation_price": "22620.5"}}

ERRORS = [
    ("margin is insufficient", "create_order", ("POST", "/fapi/v1/order"),
     err(-2019, "Margin is insufficient."), K.PERMANENT),
    ("client id duplicated: it exists, look it up", "create_order", ("POST", "/fapi/v1/order"),
     err(-4116, "ClientOrderId is duplicated."), K.UNKNOWN_OUTCOME),
    ("post-only would take", "create_order", ("POST", "/fapi/v1/order"),
     err(-5022, "Due to the order could not be executed as maker, the Post Only order will be rejected."),
     K.PARAMETER),
    ("reduce-only rejected", "create_order", ("POST", "/fapi/v1/order"),
     err(-2022, "ReduceOnly Order is rejected."), K.PARAMETER),
    ("invalid key", "fetch_balance", ("GET", "/fapi/v[23]/account"),
     err(-2015, "Invalid API-key, IP, or permissions for action.", 401), K.AUTH),
    ("5xx after the request left", "create_order", ("POST", "/fapi/v1/order"),
     err(-1001, "Internal error; unable to process your request. Please try again.", 503), K.UNKNOWN_OUTCOME),
]


def check_signature(sent: Sent) -> None:
    _check(sent, CREDENTIALS)
