"""Websocket endpoints: market streams, private streams and the WebSocket API can each have their own base (a
proxy that serves them apart), and a stream that is down is said plainly, with what stands in for it."""

from __future__ import annotations

import asyncio
import gc
import logging
from decimal import Decimal as D

import pytest

from tests.fakes.binance import SPOT, FakeBinance
from tests.venues.multi_desk import desk_over, limit, place, until
from workstation.config import parse
from workstation.credentials import Credentials
from workstation.desk.events import RiskAlert
from workstation.domain.orders import OrderStatus as S
from workstation.venues.connect import VenueSetupError, build_exchange

KEY, SECRET = "AKfakeAPIKEY0123456789", "SKfakeSECRET0123456789abcdef"


def vc(exchange="binance", **kw):
    return parse({"venues": {"v": {"exchange": exchange, "environment": "testnet", **kw}}}).venues[0]


def test_each_stream_class_takes_its_own_base():
    ex = build_exchange(vc(ws_url="ws://proxy:1/{host}", ws_api_url="ws://proxy:2/api/{host}"), Credentials())
    assert ex.urls["api"]["ws"]["spot"] == "ws://proxy:1/stream.testnet.binance.vision/ws"
    assert ex.urls["api"]["ws"]["ws-api"]["spot"] == "ws://proxy:2/api/ws-api.testnet.binance.vision/ws-api/v3"
    bybit = build_exchange(vc("bybit", ws_public_url="ws://pub/{host}", ws_private_url="ws://priv/{host}"),
                           Credentials())
    ws = bybit.urls["api"]["ws"]
    assert ws["public"]["linear"].startswith("ws://pub/") and ws["private"]["contract"].startswith("ws://priv/")
    assert ws["private"]["trade"].startswith("wss://")  # the WS API had no base given: left alone


def test_a_venue_with_one_websocket_url_cannot_be_split():
    with pytest.raises(VenueSetupError, match="okx builds every stream from one websocket URL"):
        build_exchange(vc("okx", ws_url="ws://a/{host}", ws_private_url="ws://b/{host}"), Credentials())


async def test_a_user_stream_behind_a_wrong_path_is_said_clearly_and_trading_goes_on_by_polling(tmp_path, caplog):
    async with FakeBinance(KEY, SECRET, hang_seconds=5.0) as server:
        server.set_book("BTC/USDT", [[25000, 1]], [[25001, 1]], last_update_id=100)
        venues = {"bn": {"exchange": "binance", "environment": "testnet", "symbols": ["BTC/USDT"],
                         "rest_url": server.base_url, "ws_url": server.ws_base + "/{host}",
                         "ws_api_url": server.ws_base + "/wrong-prefix/{host}"}}  # the proxy serves it elsewhere
        caplog.set_level(logging.INFO)
        async with desk_over(tmp_path, venues, {"bn": {"api_key": KEY, "secret": SECRET}}, start=False) as desk:
            alerts: list[RiskAlert] = []
            desk.bus.subscribe(lambda e: alerts.append(e) if isinstance(e, RiskAlert) else None)
            await desk.start()
            await until(lambda: any("user stream down" in a.message for a in alerts), timeout=8, what="the alert")
            state = desk.venue_states()[0]
            assert "user stream down (HTTP 404 at ws://127.0.0.1" in state.streams
            assert "/wrong-prefix/ws-api.testnet.binance.vision/ws-api/v3" in state.streams
            assert "orders by the refresh" in state.streams and "market stream" not in state.streams
            order = await place(desk, limit("bn", "BTC/USDT", amount="0.001", price="24990"))
            await server.fill(order.client_order_id, "0.001")
            await desk.refresh()  # no user stream: the refresh finds the fill
            assert desk.order(order.client_order_id).status is S.FILLED
            await asyncio.sleep(0.2)
            gc.collect()  # orphaned futures report themselves when collected
            await asyncio.sleep(0)
        # asyncio's default handler would print these over the TUI (ERROR on the "asyncio" logger)
        assert not [r for r in caplog.records if "never retrieved" in r.getMessage() and r.levelname == "ERROR"]
        assert any("nobody waiting" in r.getMessage() for r in caplog.records)


async def test_with_its_own_base_the_user_stream_works(tmp_path):
    async with FakeBinance(KEY, SECRET, hang_seconds=5.0) as server:
        server.set_book("BTC/USDT", [[25000, 1]], [[25001, 1]], last_update_id=100)
        venues = {"bn": {"exchange": "binance", "environment": "testnet", "symbols": ["BTC/USDT"],
                         "rest_url": server.base_url, "ws_url": server.ws_base + "/{host}",
                         "ws_api_url": server.ws_base + "/{host}"}}
        async with desk_over(tmp_path, venues, {"bn": {"api_key": KEY, "secret": SECRET}}) as desk:
            order = await place(desk, limit("bn", "BTC/USDT", amount="0.001", price="24990"))
            await server.wait_user_stream(SPOT)
            await server.fill(order.client_order_id, "0.001")
            await until(lambda: desk.order(order.client_order_id).filled == D("0.001"), what="the streamed fill")
            await until(lambda: desk.venue_states()[0].streams == "live", what="every stream live")
