"""The adapter's edges, against the fake Binance with real ccxt classes: config -> exchange set-up, the
order look-up chain, client order ids, and errors that must read clearly."""

from __future__ import annotations

import logging
from decimal import Decimal as D

import ccxt
import pytest

from tests.venues.test_ccxt_desk import PERP, SPOT_VENUE, limit, open_desk, place
from workstation.config import parse
from workstation.credentials import Credentials, Secret
from workstation.domain.orders import Order, OrderStatus as S
from workstation.venues.connect import VenueSetupError, build_exchange, ccxt_venue
from workstation.venues.errors import ErrorKind, RedactingFilter, VenueError, redact, register_secret


def vc(**kw):
    return parse({"venues": {"v": {"exchange": "binance", "environment": "testnet", **kw}}}).venues[0]


def test_the_futures_testnet_is_refused_with_the_way_out():
    with pytest.raises(VenueSetupError, match='binanceusdm: ccxt no longer supports.*environment = "demo"'):
        build_exchange(vc(exchange="binanceusdm"), Credentials())
    demo = build_exchange(vc(exchange="binanceusdm", environment="demo"), Credentials())
    assert "demo-fapi" in demo.urls["api"]["fapiPrivate"]


def test_spot_testnet_loads_spot_markets_only_unless_told_otherwise():
    assert build_exchange(vc(), Credentials()).options["fetchMarkets"]["types"] == ["spot"]
    mine = build_exchange(vc(options={"fetchMarkets": {"types": ["spot", "linear"]}}), Credentials())
    assert mine.options["fetchMarkets"]["types"] == ["spot", "linear"]


def test_ws_override_keeps_the_host_where_asked_and_error_tables_still_match():
    ex = build_exchange(vc(rest_url="http://127.0.0.1:9", ws_url="ws://127.0.0.1:8/{host}"), Credentials())
    assert ex.urls["api"]["ws"]["spot"] == "ws://127.0.0.1:8/stream.testnet.binance.vision/ws"
    assert ex.urls["api"]["ws"]["ws-api"]["spot"] == "ws://127.0.0.1:8/ws-api.testnet.binance.vision/ws-api/v3"
    # binance picks spot vs futures error codes by the URL's host: behind the override it still does
    assert ex.get_exceptions_by_url("http://127.0.0.1:9/api/v3/order", "exact") == ex.exceptions["spot"]["exact"]


def test_keys_reach_ccxt_and_never_a_log(caplog):
    venue = ccxt_venue(vc(), Credentials(api_key=Secret("AKsetupKEY00001"), secret=Secret("SKsetupSECRET0001")))
    assert venue.exchange.apiKey == "AKsetupKEY00001"
    with caplog.at_level(logging.DEBUG):
        venue.exchange.logger.debug("%s %s, Request: %s %s", "GET", "https://x/api/v3/account?timestamp=1&signature=abc",
                                    {"X-MBX-APIKEY": "AKsetupKEY00001"}, None)
    assert "AKsetupKEY00001" not in caplog.text and "signature=" not in caplog.text and "signature:***" in caplog.text


def test_redaction_is_idempotent_and_catches_known_values_anywhere():
    register_secret("SKknownVALUE123")
    text = redact('{"apiKey": "AK1234567", "x": "SKknownVALUE123"} ?a=1&signature=ff00&b=2')
    assert "AK1234567" not in text and "SKknownVALUE123" not in text and "ff00" not in text and "b=2" in text
    assert redact(text) == text
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "boom %s", ("signature=abc",), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "boom signature:***"


def test_a_ccxt_bug_behind_an_auth_error_reads_as_the_auth_error():
    try:
        try:
            raise ccxt.AuthenticationError('binance {"code":-1022,"msg":"Signature for this request is not valid."}')
        except ccxt.AuthenticationError:
            raise KeyError("spot")
    except KeyError as exc:
        err = VenueError.from_exception("b", "watch_orders", exc)
    assert err.kind is ErrorKind.AUTH and "Signature for this request is not valid" in err.message


async def test_lookup_chain_open_then_closed_then_trades(tmp_path):
    async with open_desk(tmp_path) as (server, desk):
        venue = desk.venues[SPOT_VENUE]
        order = await place(desk, limit(amount="0.002", price="24990"))
        cid, vid = order.client_order_id, order.venue_order_id
        venue.exchange.has = {**venue.exchange.has, "fetchOrder": False}  # a venue without fetch_order
        found = await venue.find_order(cid, "BTC/USDT")
        assert (found.status, found.client_order_id) == (S.OPEN, cid)  # from the open orders
        await server.fill(cid, "0.002")
        found = await venue.find_order(cid, "BTC/USDT")
        assert (found.status, found.venue_order_id) == (S.FILLED, vid)  # from the closed orders
        assert server.count("GET /api/v3/allOrders") == 1
        venue.exchange.has = {**venue.exchange.has, "fetchClosedOrders": False}
        found = await venue.find_order(cid, "BTC/USDT", vid, amount=D("0.002"))
        assert (found.status, found.filled, found.average, found.raw_status) == (S.FILLED, D("0.002"), D("24990"),
                                                                               "from_trades")
        assert await venue.find_order("wsnobody000000001", "BTC/USDT") is None  # not found: None, never a guess
        # without a symbol, the steps whose features say symbolRequired are skipped, not sent
        closed, trades = server.count("GET /api/v3/allOrders"), server.count("GET /api/v3/myTrades")
        assert await venue.find_order("wsnobody000000001", None) is None
        assert (server.count("GET /api/v3/allOrders"), server.count("GET /api/v3/myTrades")) == (closed, trades)


async def test_client_order_id_must_fit_the_venue_and_cancel_keeps_ours(tmp_path):
    async with open_desk(tmp_path) as (server, desk):
        venue = desk.venues[SPOT_VENUE]
        posted = server.count("POST /api/v3/order")
        with pytest.raises(VenueError, match="does not fit binance's format"):
            await venue.create_order(Order(spec=limit(), client_order_id="x" * 37))
        with pytest.raises(VenueError, match="does not fit"):
            await venue.create_order(Order(spec=limit(), client_order_id="has space"))
        assert server.count("POST /api/v3/order") == posted
        order = await place(desk, limit())
        report = await venue.cancel_order(desk.ledger.orders[order.client_order_id])
        # Binance's cancel answer carries the cancel's own clientOrderId; the report must carry ours
        assert report.client_order_id == order.client_order_id and report.status is S.CANCELED
        assert server.order(order.client_order_id).status == "CANCELED"


async def test_perp_symbol_required_features_and_positions_only_on_derivatives(tmp_path):
    async with open_desk(tmp_path) as (server, desk):
        perp = desk.venues["binance_futures"]
        spot = desk.venues[SPOT_VENUE]
        assert perp.symbol_required("fetchMyTrades") and not perp.symbol_required("fetchOpenOrders")
        assert perp.feature("fetchClosedOrders", "daysBack", PERP) == 90
        assert spot.feature("fetchClosedOrders", "daysBack", "BTC/USDT") is None
        calls = server.count("GET /fapi/v3/positionRisk")
        assert await spot.fetch_positions() == {} and server.count("GET /fapi/v3/positionRisk") == calls
