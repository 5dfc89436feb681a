"""Gate (API v4): spot BTC_USDT and the USDT perpetual BTC_USDT (1 contract = 0.0001 BTC). Our client id goes
out in ``text`` with Gate's ``t-`` prefix and comes back without it."""

from __future__ import annotations

import hashlib
import hmac

from tests.venues.breadth.recorder import Reply, Sent
from workstation.venues.errors import ErrorKind as K

EXCHANGE = "gate"
CREDENTIALS = {"apiKey": "GATEKEY000000000", "secret": "GATESECRET0000000000000000000000"}
OPTIONS = {"fetchMarkets": {"types": ["spot", "swap"]}}
HAS = {"fetchCurrencies": False}
SPOT, PERP = "BTC/USDT", "BTC/USDT:USDT"
AMOUNT, PERP_AMOUNT = "0.01", "100"
MARKETS = {SPOT: ("0.1", "0.000001", "0.00001", "3", "spot"), PERP: ("0.1", "1", "1", None, "swap")}
NOW_S = 1767225600


def label(code, message, status=400):
    return Reply({"label": code, "message": message}, status)


PAIR = {"id": "BTC_USDT", "base": "BTC", "base_name": "Bitcoin", "quote": "USDT", "quote_name": "Tether",
        "fee": "0.2", "min_base_amount": "0.00001", "min_quote_amount": "3", "max_base_amount": "",
        "max_quote_amount": "5000000", "amount_precision": 6, "precision": 1, "trade_status": "tradable",
        "sell_start": 1516378650, "buy_start": 1516378650, "delisting_time": 0, "type": "normal",
        "trade_url": "https://www.gate.com/trade/BTC_USDT", "st_tag": False}
CONTRACT = {"name": "BTC_USDT", "type": "direct", "quanto_multiplier": "0.0001", "ref_discount_rate": "0",
            "order_price_deviate": "0.5", "maintenance_rate": "0.004", "mark_type": "index", "last_price": "25000",
            "mark_price": "25000", "index_price": "25001", "funding_rate_indicative": "0.0001",
            "mark_price_round": "0.01", "funding_offset": 0, "in_delisting": False, "risk_limit_base": "1000000",
            "interest_rate": "0.0003", "order_price_round": "0.1", "order_size_min": 1, "ref_rebate_rate": "0.2",
            "funding_interval": 28800, "risk_limit_step": "1000000", "leverage_min": "1", "leverage_max": "100",
            "risk_limit_max": "8000000", "maker_fee_rate": "-0.00025", "taker_fee_rate": "0.00075",
            "funding_rate": "0.0001", "order_size_max": 1000000, "funding_next_apply": NOW_S + 3600,
            "short_users": 1000, "config_change_time": 1700000000, "trade_size": 1000000, "position_size": 100000,
            "long_users": 1000, "funding_impact_value": "60000", "orders_limit": 50, "trade_id": 1,
            "orderbook_id": 1, "enable_bonus": True, "enable_credit": True, "create_time": 1600000000,
            "funding_cap_ratio": "0.75", "status": "trading", "launch_time": 1600000000}


def _spot_order(p: dict, **kw) -> dict:
    row = {"id": "12332324", "text": p.get("text", "apiv4"), "amend_text": "-", "create_time": str(NOW_S),
           "update_time": str(NOW_S), "create_time_ms": NOW_S * 1000, "update_time_ms": NOW_S * 1000,
           "status": "open", "currency_pair": "BTC_USDT", "type": p.get("type", "limit"), "account": "spot",
           "side": p.get("side", "buy"), "amount": p.get("amount", "0.01"), "price": p.get("price", "0"),
           "time_in_force": p.get("time_in_force", "gtc"), "iceberg": "0", "left": p.get("amount", "0.01"),
           "filled_amount": "0", "fill_price": "0", "filled_total": "0", "avg_deal_price": "0", "fee": "0",
           "fee_currency": "BTC", "point_fee": "0", "gt_fee": "0", "gt_maker_fee": "0", "gt_taker_fee": "0",
           "gt_discount": False, "rebated_fee": "0", "rebated_fee_currency": "USDT", "finish_as": "open"}
    row.update(kw)
    return row


def _futures_order(p: dict, **kw) -> dict:
    row = {"id": 15675394, "user": 100000, "contract": "BTC_USDT", "create_time": NOW_S, "size": p.get("size", 100),
           "iceberg": 0, "left": p.get("size", 100), "price": p.get("price", "0"), "fill_price": "0",
           "mkfr": "-0.00025", "tkfr": "0.00075", "tif": p.get("tif", "gtc"), "refu": 0,
           "is_reduce_only": bool(p.get("reduce_only")), "is_close": False, "is_liq": False,
           "text": p.get("text", "api"), "status": "open", "finish_time": None, "finish_as": "", "stp_act": "-",
           "stp_id": 0, "amend_text": "-", "biz_info": "-"}
    row.update(kw)
    return row


OPEN_SPOT = _spot_order({"text": "t-ws0b1e2c3d00000007", "amount": "0.02", "price": "24990"}, id="12332300",
                        left="0.015", filled_amount="0.005", filled_total="124.95", fill_price="124.95",
                        avg_deal_price="24990")
FOREIGN_SPOT = _spot_order({"text": "web", "amount": "0.01", "price": "26000", "side": "sell"}, id="12332301")
TRADE = {"id": "1232893232", "create_time": str(NOW_S), "create_time_ms": f"{NOW_S}123.456", "order_id": "12332300",
         "side": "buy", "role": "maker", "amount": "0.005", "price": "24990", "fee": "0.00001", "fee_currency": "BTC",
         "point_fee": "0", "gt_fee": "0", "text": "t-ws0b1e2c3d00000007", "sequence_id": "588018",
         "currency_pair": "BTC_USDT", "amend_text": "-", "deal": "124.95"}
POSITION = {"user": 100000, "contract": "BTC_USDT", "size": 50, "leverage": "10", "risk_limit": "1000000",
            "leverage_max": "100", "maintenance_rate": "0.004", "value": "125", "margin": "12.5",
            "entry_price": "24990", "liq_price": "22620.5", "mark_price": "25000", "unrealised_pnl": "0.05",
            "realised_pnl": "-0.01", "pnl_pnl": "0", "pnl_fund": "0", "pnl_fee": "-0.01", "history_pnl": "0",
            "last_close_pnl": "0", "realised_point": "0", "history_point": "0", "adl_ranking": 5,
            "pending_orders": 0, "close_order": None, "mode": "single", "update_time": NOW_S, "update_id": 1,
            "cross_leverage_limit": "0", "risk_limit_table": "BIG_HOT_COIN_50X_V2", "average_maintenance_rate": "",
            "trade_max_size": "0", "open_time": NOW_S - 100, "risk_level": ""}


def routes():
    return {
        ("GET", "/api/v4/spot/currency_pairs"): [PAIR],
        ("GET", "/api/v4/futures/usdt/contracts"): [CONTRACT],
        ("GET", "/api/v4/futures/btc/contracts"): [],  # ccxt also loads the BTC-settled list
        ("GET", "/api/v4/margin/currency_pairs"): [],  # ... and the margin pairs (none here)
        ("GET", "/api/v4/account/detail"): {"user_id": 100000, "ip_whitelist": [], "currency_pairs": [],
                                            "key": {"mode": 1}, "tier": 2},
        ("POST", "/api/v4/spot/orders"): lambda s: _spot_order(s.params),
        ("PATCH", r"/api/v4/spot/orders/\d+"): lambda s: _spot_order({**s.params, "text": "t-ws0b1e2c3d00000042"}),
        ("DELETE", r"/api/v4/spot/orders/[\w.-]+"): lambda s: _spot_order({"text": s.path.rsplit("/", 1)[1]},
                                                                          status="cancelled", finish_as="cancelled"),
        ("POST", "/api/v4/futures/usdt/orders"): lambda s: _futures_order(s.params),
        ("GET", "/api/v4/spot/open_orders"): [{"currency_pair": "BTC_USDT", "total": 2,
                                               "orders": [OPEN_SPOT, FOREIGN_SPOT]}],
        ("GET", "/api/v4/spot/orders"): [OPEN_SPOT, FOREIGN_SPOT],
        ("GET", "/api/v4/futures/usdt/orders"): [],
        ("GET", "/api/v4/spot/my_trades"): [TRADE],
        ("GET", "/api/v4/futures/usdt/my_trades"): [],
        ("GET", "/api/v4/spot/accounts"): [{"currency": "USDT", "available": "9612.65", "locked": "387.35",
                                            "update_id": 1},
                                           {"currency": "BTC", "available": "0.4", "locked": "0.1", "update_id": 1}],
        ("GET", "/api/v4/futures/usdt/positions"): [POSITION],
    }


EXPECT = {
    "limit_gtc": ("POST", "/api/v4/spot/orders", {"currency_pair": "BTC_USDT", "type": "limit", "side": "buy",
                                                  "amount": "0.01", "price": "24990", "-time_in_force": None,  # gtc
                                                  "text": "t-ws0b1e2c3d00000042", "account": "spot"}),
    "limit_ioc": ("POST", "/api/v4/spot/orders", {"time_in_force": "ioc"}),
    "limit_fok": ("POST", "/api/v4/spot/orders", {"time_in_force": "fok"}),
    "post_only": ("POST", "/api/v4/spot/orders", {"time_in_force": "poc"}),
    "market_buy": "sizes a market buy in USDT",
    "market_sell": ("POST", "/api/v4/spot/orders", {"type": "market", "time_in_force": "ioc", "amount": "0.01"}),
    "stop_market_sell": "/spot/price_orders",
    "take_profit_limit_sell": "/spot/price_orders",
    "perp_limit": ("POST", "/api/v4/futures/usdt/orders", {"contract": "BTC_USDT", "size": 100, "price": "24990",
                                                           "-tif": None, "text": "t-ws0b1e2c3d00000042"}),
    "perp_reduce_only": ("POST", "/api/v4/futures/usdt/orders", {"size": -100, "reduce_only": True}),
    "perp_post_only": ("POST", "/api/v4/futures/usdt/orders", {"tif": "poc"}),
    "perp_stop_market_sell": "price_orders",
    "amend": ("PATCH", r"/api/v4/spot/orders/\d+", {"price": "24980", "currency_pair": "BTC_USDT"}),
    "cancel_by_client_id": ("DELETE", r"/api/v4/spot/orders/t-ws0b1e2c3d00000042", {"currency_pair": "BTC_USDT"}),
}

PARSED_OPEN = {"client_order_id": "ws0b1e2c3d00000007", "status": "partially_filled", "filled": "0.005",
               "amount": "0.02", "price": "24990", "side": "buy", "symbol": SPOT}
PARSED_FOREIGN = {"client_order_id": "web", "status": "open", "side": "sell", "amount": "0.01"}
PARSED_FILL = {"trade_id": "1232893232", "client_order_id": "ws0b1e2c3d00000007", "price": "24990",
               "amount": "0.005", "fee": "0.00001", "fee_currency": "BTC", "liquidity": "maker", "symbol": SPOT}
TRADES_SYMBOL = SPOT
PARSED_BALANCE = {"USDT": ("10000", "387.35"), "BTC": ("0.5", "0.1")}
PARSED_POSITION = {PERP: {"size": "50",  # contracts
                           "entry_price": "24990", "leverage": "10", "liquidation_price": "22620.5"}}

ERRORS = [
    ("balance not enough", "create_order", ("POST", "/api/v4/spot/orders"),
     label("BALANCE_NOT_ENOUGH", "Not enough balance"), K.PERMANENT),
    ("post-only would take", "create_order", ("POST", "/api/v4/spot/orders"),
     label("ORDER_POC_IMMEDIATE", "order price 25010 while counter price 25001"), K.PARAMETER),
    ("server error on a write: it may have been placed", "create_order", ("POST", "/api/v4/spot/orders"),
     label("SERVER_ERROR", "Internal server error", 500), K.UNKNOWN_OUTCOME),
    ("too many requests", "create_order", ("POST", "/api/v4/spot/orders"),
     label("TOO_MANY_REQUESTS", "Request Rate limit Exceeded", 429), K.RATE_LIMITED),
    ("invalid signature", "fetch_balance", ("GET", "/api/v4/spot/accounts"),
     label("INVALID_SIGNATURE", "Signature mismatch", 401), K.AUTH),
    ("cancel: order not found", "cancel_order", ("DELETE", r"/api/v4/spot/orders/[\w.-]+"),
     label("ORDER_NOT_FOUND", "Order not found", 404), K.NOT_FOUND),
]


def check_signature(sent: Sent) -> None:
    """Gate v4: hex(HMAC-SHA512(method \\n path \\n query \\n SHA512(body) \\n timestamp))."""
    query = sent.url.split("?", 1)[1] if "?" in sent.url else ""
    body_hash = hashlib.sha512((sent.body or "").encode()).hexdigest()
    message = f"{sent.method}\n{sent.path}\n{query}\n{body_hash}\n{sent.header('Timestamp')}"
    assert sent.header("KEY") == CREDENTIALS["apiKey"]
    assert sent.header("SIGN") == hmac.new(CREDENTIALS["secret"].encode(), message.encode(), hashlib.sha512).hexdigest()
