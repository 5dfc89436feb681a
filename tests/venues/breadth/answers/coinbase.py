"""Coinbase Advanced Trade (v3, cloud keys: an ES256-signed JWT per request). BTC-USDT spot.

Our client id goes out as a UUID in client_order_id (ccxt would otherwise send its own "ccxt-<uuid>" and drop
ours) and comes back as ours. Market buys are sized in quote at Coinbase; the workstation refuses them
before sending and says to use a limit IOC instead."""

from __future__ import annotations

import base64
import json
from functools import lru_cache

from tests.venues.breadth.recorder import Reply, Sent
from workstation.venues.client_ids import ClientIdFormat
from workstation.venues.errors import ErrorKind as K

EXCHANGE = "coinbase"
KEY_NAME = "organizations/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f/apiKeys/9f8e7d6c-5b4a-3c2d-1e0f-a9b8c7d6e5f4"
HAS = {"fetchCurrencies": False}
SPOT, PERP = "BTC/USDT", None
AMOUNT, PERP_AMOUNT = "0.01", None
MARKETS = {SPOT: ("0.01", "0.00000001", "0.00000001", "1", "spot")}
UUID = ClientIdFormat("client_order_id", r"[0-9a-f-]", 36, style="uuid")
OURS_7 = UUID.to_venue("ws0b1e2c3d00000007")


@lru_cache(maxsize=1)
def _key():
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())  # made per test run: no key material in the repository


def CREDENTIALS() -> dict:
    from cryptography.hazmat.primitives import serialization

    pem = _key().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                               serialization.NoEncryption()).decode()
    return {"apiKey": KEY_NAME, "secret": pem}


PRODUCT = {"product_id": "BTC-USDT", "price": "25000", "price_percentage_change_24h": "0.5", "volume_24h": "120.5",
           "volume_percentage_change_24h": "1.2", "base_increment": "0.00000001", "quote_increment": "0.01",
           "quote_min_size": "1", "quote_max_size": "50000000", "base_min_size": "0.00000001",
           "base_max_size": "3400", "base_name": "Bitcoin", "quote_name": "Tether", "watched": False,
           "is_disabled": False, "new": False, "status": "online", "cancel_only": False, "limit_only": False,
           "post_only": False, "trading_disabled": False, "auction_mode": False, "product_type": "SPOT",
           "quote_currency_id": "USDT", "base_currency_id": "BTC", "fcm_trading_session_details": None,
           "mid_market_price": "", "alias": "", "alias_to": [], "base_display_symbol": "BTC",
           "quote_display_symbol": "USDT", "view_only": False, "price_increment": "0.01",
           "display_name": "BTC-USDT", "product_venue": "CBE"}
SUMMARY = {"total_volume": 12000, "total_fees": 14.4, "fee_tier": {
    "pricing_tier": "Advanced 2", "usd_from": "10000", "usd_to": "50000", "taker_fee_rate": "0.004",
    "maker_fee_rate": "0.0025", "aop_from": "", "aop_to": ""}, "margin_rate": None, "goods_and_services_tax": None,
    "advanced_trade_only_volume": 12000, "advanced_trade_only_fees": 14.4, "coinbase_pro_volume": 0,
    "coinbase_pro_fees": 0, "total_balance": "", "has_promo_fee": False}


def created(sent: Sent):
    p = sent.payload
    return {"success": True, "success_response": {"order_id": "11111111-2222-3333-4444-555555555555",
                                                  "product_id": p["product_id"], "side": p["side"],
                                                  "client_order_id": p["client_order_id"]},
            "order_configuration": p["order_configuration"]}


def _order(**kw):
    row = {"order_id": "", "product_id": "BTC-USDT", "user_id": "2a0c7f0e-0000-0000-0000-000000000001",
           "order_configuration": {"limit_limit_gtc": {"base_size": "0.02", "limit_price": "24990",
                                                       "post_only": False}},
           "side": "BUY", "client_order_id": "", "status": "OPEN", "time_in_force": "GOOD_UNTIL_CANCELLED",
           "created_time": "2026-01-01T00:00:00.000000Z", "completion_percentage": "0", "filled_size": "0",
           "average_filled_price": "0", "fee": "", "number_of_fills": "0", "filled_value": "0",
           "pending_cancel": False, "size_in_quote": False, "total_fees": "0", "size_inclusive_of_fees": False,
           "total_value_after_fees": "0", "trigger_status": "INVALID_ORDER_TYPE", "order_type": "LIMIT",
           "reject_reason": "REJECT_REASON_UNSPECIFIED", "settled": False, "product_type": "SPOT",
           "reject_message": "", "cancel_message": "", "order_placement_source": "RETAIL_ADVANCED",
           "outstanding_hold_amount": "0", "is_liquidation": False, "last_fill_time": None, "edit_history": [],
           "leverage": "", "margin_type": "UNKNOWN_MARGIN_TYPE", "retail_portfolio_id": "p-0001"}
    row.update(kw)
    return row


OPEN_ORDER = _order(order_id="0a1b2c3d-0000-4000-8000-000000000007", client_order_id=OURS_7,
                    completion_percentage="25", filled_size="0.005", average_filled_price="24990",
                    number_of_fills="1", filled_value="124.95", total_fees="0.3123",
                    outstanding_hold_amount="374.85", last_fill_time="2026-01-01T00:00:50Z")
FOREIGN_ORDER = _order(order_id="0a1b2c3d-0000-4000-8000-000000000008",
                       client_order_id="e2f1a3b4-7c6d-4e5f-9a8b-1c2d3e4f5a6b", side="SELL",
                       order_configuration={"limit_limit_gtc": {"base_size": "0.01", "limit_price": "26000",
                                                                "post_only": False}})
FILL = {"entry_id": "b2d5f9d0-1111-2222-3333-444444444444", "trade_id": "f0e1d2c3-0000-4000-8000-00000000aaaa",
        "order_id": "0a1b2c3d-0000-4000-8000-000000000007", "trade_time": "2026-01-01T00:00:50.123Z",
        "trade_type": "FILL", "price": "24990", "size": "0.005", "commission": "0.3123", "product_id": "BTC-USDT",
        "sequence_timestamp": "2026-01-01T00:00:50.124Z", "liquidity_indicator": "MAKER", "size_in_quote": False,
        "user_id": "2a0c7f0e-0000-0000-0000-000000000001", "side": "BUY", "retail_portfolio_id": "p-0001"}


def _account(currency, available, hold):
    return {"uuid": f"acc-{currency}", "name": f"{currency} Wallet", "currency": currency,
            "available_balance": {"value": available, "currency": currency}, "default": False, "active": True,
            "created_at": "2025-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "deleted_at": None,
            "type": "ACCOUNT_TYPE_CRYPTO", "ready": True, "hold": {"value": hold, "currency": currency},
            "retail_portfolio_id": "p-0001"}


def routes():
    return {
        ("GET", "/api/v3/brokerage/market/products"): {"products": [PRODUCT], "num_products": 1},
        ("GET", "/api/v3/brokerage/transaction_summary"): SUMMARY,
        ("POST", "/api/v3/brokerage/orders"): created,
        ("POST", "/api/v3/brokerage/orders/edit"): {"success": True, "errors": []},
        ("POST", "/api/v3/brokerage/orders/batch_cancel"): lambda s: {"results": [
            {"success": True, "failure_reason": "UNKNOWN_CANCEL_FAILURE_REASON", "order_id": s.payload["order_ids"][0]}]},
        ("GET", "/api/v3/brokerage/orders/historical/batch"): {"orders": [OPEN_ORDER, FOREIGN_ORDER], "sequence": "0",
                                                               "has_next": False, "cursor": ""},
        ("GET", "/api/v3/brokerage/orders/historical/fills"): {"fills": [FILL], "cursor": ""},
        ("GET", "/api/v3/brokerage/accounts"): {"accounts": [_account("BTC", "0.4", "0.1"),
                                                             _account("USDT", "9612.65", "387.35")],
                                                "has_next": False, "cursor": "", "size": 2},
    }


_CFG = "order_configuration."
EXPECT = {
    "limit_gtc": ("POST", "/api/v3/brokerage/orders", {
        "product_id": "BTC-USDT", "side": "BUY", "client_order_id": "$cid",
        _CFG + "limit_limit_gtc.base_size": "0.01", _CFG + "limit_limit_gtc.limit_price": "24990",
        _CFG + "limit_limit_gtc.post_only": False}),
    "limit_ioc": ("POST", "/api/v3/brokerage/orders", {_CFG + "sor_limit_ioc.limit_price": "24990"}),
    "limit_fok": ("POST", "/api/v3/brokerage/orders", {_CFG + "limit_limit_fok.base_size": "0.01"}),
    "post_only": ("POST", "/api/v3/brokerage/orders", {_CFG + "limit_limit_gtc.post_only": True}),
    "market_buy": "sizes a market buy in USDT",
    "market_sell": ("POST", "/api/v3/brokerage/orders", {_CFG + "market_market_ioc.base_size": "0.01",
                                                         "side": "SELL"}),
    "stop_market_sell": "stop-limit orders only",
    "stop_limit_buy": ("POST", "/api/v3/brokerage/orders", {  # a buy stop fires on the way UP
        _CFG + "stop_limit_stop_limit_gtc.stop_price": "26000", _CFG + "stop_limit_stop_limit_gtc.limit_price": "26010",
        _CFG + "stop_limit_stop_limit_gtc.stop_direction": "STOP_DIRECTION_STOP_UP"}),
    "take_profit_limit_sell": ("POST", "/api/v3/brokerage/orders", {
        _CFG + "stop_limit_stop_limit_gtc.stop_price": "26000",
        _CFG + "stop_limit_stop_limit_gtc.stop_direction": "STOP_DIRECTION_STOP_UP"}),
    "take_profit_market_buy": "stop-limit orders only",
    "trailing_percent": "stop-limit orders only",
    "stop_mark": "stop-limit orders only",
    "amend": ("POST", "/api/v3/brokerage/orders/edit", {"order_id": "$vid", "price": "24980"}),
    "cancel_by_client_id": None,  # Coinbase cancels by its own order id only: see test_coinbase_cancels_by_its_id
}
del EXPECT["cancel_by_client_id"]

PARSED_OPEN = {"client_order_id": "ws0b1e2c3d00000007", "status": "partially_filled", "filled": "0.005",
               "amount": "0.02", "price": "24990", "side": "buy", "symbol": SPOT}
PARSED_FOREIGN = {"client_order_id": "e2f1a3b4-7c6d-4e5f-9a8b-1c2d3e4f5a6b", "status": "open", "side": "sell"}
PARSED_FILL = {"trade_id": "f0e1d2c3-0000-4000-8000-00000000aaaa", "client_order_id": "",
               "venue_order_id": "0a1b2c3d-0000-4000-8000-000000000007", "price": "24990", "amount": "0.005",
               "fee": "0.3123", "liquidity": "maker"}
PARSED_BALANCE = {"BTC": ("0.5", "0.1"), "USDT": ("10000", "387.35")}

ERRORS = [
    ("insufficient fund (a failed preview)", "create_order", ("POST", "/api/v3/brokerage/orders"),
     Reply({"success": False, "failure_reason": "UNKNOWN_FAILURE_REASON", "order_id": "", "error_response": {
         "error": "INSUFFICIENT_FUND", "message": "Insufficient balance in source account", "error_details": "",
         "preview_failure_reason": "PREVIEW_INSUFFICIENT_FUND"}}), K.PERMANENT),
    ("internal server error on a write: it may have been placed", "create_order",
     ("POST", "/api/v3/brokerage/orders"),
     Reply({"error": "internal_server_error", "error_details": "", "message": "internal error"}, 500),
     K.UNKNOWN_OUTCOME),
    ("rate limit", "create_order", ("POST", "/api/v3/brokerage/orders"),
     Reply({"error": "rate_limit_exceeded", "message": "Too many requests"}, 429), K.RATE_LIMITED),
    ("unauthorized", "fetch_balance", ("GET", "/api/v3/brokerage/accounts"),
     Reply({"error": "unauthorized", "message": "Unauthorized"}, 401), K.AUTH),
    ("cancel of an order that is gone", "cancel_order", ("POST", "/api/v3/brokerage/orders/batch_cancel"),
     Reply({"results": [{"success": False, "failure_reason": "UNKNOWN_CANCEL_ORDER", "order_id": "12345"}]}),
     K.NOT_FOUND),
]


def check_signature(sent: Sent) -> None:
    """An ES256 JWT for this exact request ("POST api.coinbase.com/api/v3/brokerage/orders"), signed by our key."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, utils

    token = sent.header("Authorization").removeprefix("Bearer ")
    head, body, signature = token.split(".")

    def unb64(part: str) -> bytes:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

    raw = unb64(signature)
    der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    _key().public_key().verify(der, f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    claims = json.loads(unb64(body))
    assert claims["sub"] == KEY_NAME and claims["uri"] == f"{sent.method} api.coinbase.com{sent.path}"
