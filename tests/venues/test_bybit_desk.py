"""Bybit v5 (unified account, demo trading) through the full Desk, offline: real ccxt.pro classes against the
fake Bybit, REST and websockets, real signing. Every check compares the Desk with the venue's own records."""

from __future__ import annotations

import contextlib
from decimal import Decimal as D

import pytest

from tests.fakes.bybit import API_KEY, SECRET, FakeBybit
from tests.venues.multi_desk import desk_over, limit, place, pointed_at, until
from workstation.domain.orders import OrderSpec, OrderStatus as S, OrderType, Side
from workstation.venues.errors import ErrorKind, VenueError

VENUE, SPOT, PERP = "bybit_demo", "BTC/USDT", "BTC/USDT:USDT"


def bybit_config(server: FakeBybit, environment: str = "demo") -> dict:
    """The README's Bybit demo section, plus the two lines that point it at the fake."""
    return {VENUE: {"exchange": "bybit", "environment": environment, "symbols": [SPOT, PERP],
                    "options": {"fetchMarkets": {"types": ["spot", "linear"]}}, **pointed_at(server)}}


@contextlib.asynccontextmanager
async def bybit_desk(tmp_path, keys=None, **kw):
    async with FakeBybit(keys=keys, hang_seconds=5.0) as server:
        server.set_book(SPOT, [[25000, 1], [24999, 2]], [[25001, 1], [25002, 2]])
        server.set_book(PERP, [[25000, 5]], [[25000.1, 5]])
        server.set_mark_price(PERP, 25000)
        async with desk_over(tmp_path, bybit_config(server), {VENUE: {"api_key": API_KEY, "secret": SECRET}},
                             **kw) as desk:
            yield server, desk
        assert not server.errors, "the fake Bybit itself crashed:\n" + "\n".join(server.errors)


async def test_demo_account_loads_both_kinds_and_streams(tmp_path):
    async with bybit_desk(tmp_path) as (server, desk):
        state = {s.name: s for s in desk.venue_states()}[VENUE]
        assert state.environment == "demo" and state.connected and desk.ready
        spot, perp = desk.market(VENUE, SPOT), desk.market(VENUE, PERP)
        assert (spot.tick, spot.lot, spot.min_cost, perp.tick, perp.lot) == (D("0.01"), D("0.000001"), D("1"),
                                                                            D("0.1"), D("0.001"))
        assert "stop_market" in perp.capabilities and "stop_market" not in spot.capabilities
        assert {"trigger_by_last", "trigger_by_mark"} <= perp.capabilities
        # the public streams live on the live host even in demo; the private one on the demo host
        await until(lambda: any(c.host == "stream-demo.bybit.com" and c.authed for c in server.connections),
                    what="the authenticated private stream")
        await until(lambda: any(c.path == "/v5/public/linear" and "orderbook.50.BTCUSDT" in c.topics
                                for c in server.connections), what="the linear book subscription")
        await server.push_book(PERP, bids=[[25000, 7]])
        await until(lambda: desk.book(VENUE, PERP).bids[0] == (D("25000"), D("7")), what="the streamed delta")
        assert {h for h in (s.host for s in server.request_log)} == {"api-demo.bybit.com"}


async def test_a_demo_key_on_the_live_host_is_refused_clearly(tmp_path):
    async with FakeBybit(hang_seconds=5.0) as server:
        async with desk_over(tmp_path, bybit_config(server, environment="live") | {
                VENUE: bybit_config(server, "live")[VENUE] | {"confirm_live": True}},
                {VENUE: {"api_key": API_KEY, "secret": SECRET}}, start=False) as desk:
            with pytest.raises(VenueError) as refused:  # ccxt loads Bybit's coins with the keys, first thing
                await desk.venues[VENUE].connect()
            assert refused.value.kind is ErrorKind.AUTH and "API key is invalid" in refused.value.message
            assert {s.host for s in server.request_log} == {"api.bybit.com"}


async def test_spot_limit_partial_fill_amend_in_place_then_cancel(tmp_path):
    async with bybit_desk(tmp_path) as (server, desk):
        order = await place(desk, limit(VENUE, SPOT, amount="0.002", price="24990"))
        assert order.status is S.OPEN
        venue_order = server.order(order.client_order_id)
        assert venue_order.client_id == order.client_order_id and venue_order.order_id == order.venue_order_id
        await until(lambda: server.private_streams(), what="the order stream")
        await server.fill(order.client_order_id, "0.0005")
        await until(lambda: desk.order(order.client_order_id).filled == D("0.0005"), what="the streamed fill")
        assert desk.order(order.client_order_id).status is S.PARTIALLY_FILLED

        modified = await desk.modify(order.client_order_id, price=D("24980"))
        assert server.count("POST /v5/order/amend") == 1 and server.count("POST /v5/order/cancel") == 0
        assert (venue_order.price, venue_order.qty, venue_order.status) == (D("24980"), D("0.002"), "partially_filled")
        assert modified.venue_order_id == venue_order.order_id  # amended in place: the same order at Bybit

        await desk.cancel(order.client_order_id)  # Bybit answers a cancel with the ids only: the stream says when
        assert venue_order.status == "canceled"
        await until(lambda: desk.order(order.client_order_id).status is S.CANCELED, what="the streamed cancel")
        await desk.refresh()
        done = desk.order(order.client_order_id)
        assert (done.status, done.filled, len(done.trade_ids)) == (S.CANCELED, D("0.0005"), 1)
        assert desk.balances[VENUE]["BTC"].total == server.balance("BTC")
        assert desk.reconciler.last[VENUE].ok


async def test_perp_fill_position_matches_the_venue_and_reduce_only_closes(tmp_path):
    async with bybit_desk(tmp_path) as (server, desk):
        order = await place(desk, limit(VENUE, PERP, amount="0.01", price="24900"))
        await until(lambda: server.private_streams(), what="the order stream")
        await server.fill(order.client_order_id, "0.01")
        await until(lambda: desk.order(order.client_order_id).status is S.FILLED, what="the perp fill")
        await desk.refresh()
        theirs = desk.venue_positions[VENUE][PERP]
        assert desk.position(VENUE, PERP).size == theirs.size == server.position(PERP).size == D("0.01")
        assert theirs.entry_price == server.position(PERP).entry == D("24900")
        close = await place(desk, OrderSpec(venue=VENUE, symbol=PERP, side=Side.SELL, type=OrderType.MARKET,
                                            amount=D("0.01"), reduce_only=True))
        sent = server.sent("POST", "/v5/order/create")[-1].params
        assert sent["reduceOnly"] is True and sent["orderLinkId"] == close.client_order_id
        await until(lambda: desk.order(close.client_order_id).status is S.FILLED, what="the close")
        await desk.refresh()
        assert server.position(PERP).size == 0 and desk.position(VENUE, PERP).size == 0
        assert PERP not in desk.venue_positions[VENUE]


async def test_native_stop_on_the_perp_and_a_held_one_on_spot(tmp_path):
    async with bybit_desk(tmp_path) as (server, desk):
        stop = OrderSpec(venue=VENUE, symbol=PERP, side=Side.SELL, type=OrderType.STOP_MARKET, amount=D("0.01"),
                         trigger_price=D("24000"), reduce_only=False)
        native = await place(desk, stop)
        at_venue = server.order(native.client_order_id)
        assert (at_venue.status, at_venue.trigger_price, at_venue.trigger_direction) == ("untriggered", D("24000"), 2)
        held = await place(desk, stop.with_changes(symbol=SPOT, amount=D("0.001")))
        assert held.status is S.EMULATED and "separate list" in desk.emulation_reason(held.spec)
        assert len(server.orders(SPOT)) == 0  # nothing sent for the held one
        await desk.refresh()
        assert desk.order(native.client_order_id).status is S.OPEN  # the refresh lists linear conditional orders


async def test_timeout_after_accept_is_in_doubt_then_found_never_resent(tmp_path):
    async with bybit_desk(tmp_path) as (server, desk):
        server.fail_next("POST /v5/order/create", "timeout_after_accept")
        order = await place(desk, limit(VENUE, PERP, amount="0.01", price="24900"))
        assert order.status is S.IN_DOUBT
        await until(lambda: desk.order(order.client_order_id).status is S.OPEN, what="found by our id")
        assert desk.order(order.client_order_id).venue_order_id == server.order(order.client_order_id).order_id
        assert server.count("POST /v5/order/create") == 1  # looked up, never sent again
        looked = server.sent("GET", "/v5/order/realtime")
        assert any(s.params.get("category") == "linear" for s in looked)


async def test_reconcile_adopts_an_order_placed_elsewhere_and_finds_a_missed_fill(tmp_path):
    async with bybit_desk(tmp_path) as (server, desk):
        for task in list(desk.router.tasks):  # no streams: the refresh alone must see it all
            task.cancel()
        ours = await place(desk, limit(VENUE, SPOT, amount="0.001", price="24990"))
        foreign = server.engine.place(server.engine.market(PERP), "sell", "limit", "0.01", "26000")  # the web UI
        await server.fill(ours.client_order_id, "0.001")
        await desk.refresh()
        assert desk.order(ours.client_order_id).status is S.FILLED
        diffs = desk.reconcile_differences(VENUE)
        adopted = [d for d in diffs if d.kind == "unknown_order"]
        assert len(adopted) == 1 and foreign.order_id in adopted[0].detail
        await desk.refresh()  # twice in a row: nothing new
        assert len([d for d in desk.reconcile_differences(VENUE) if d.kind == "unknown_order"]) == 1


async def test_kill_switch_leaves_nothing_open_at_bybit(tmp_path):
    async with bybit_desk(tmp_path) as (server, desk):
        desk.set_risk_limits(max_open_orders=20, duplicate_window_s=0.0, reason="the test opens several orders")
        for i in range(3):
            await place(desk, limit(VENUE, SPOT, amount="0.001", price=str(24900 + i)))
            await place(desk, limit(VENUE, PERP, amount="0.01", price=str(24800 + i)))
        assert len(server.engine.open_orders()) == 6
        report = await desk.kill(reason="test")
        assert not server.engine.open_orders() and not report.remaining and not report.errors
        assert server.count("POST /v5/order/cancel-all") >= 2  # one per symbol: spot and linear
        assert not desk.working_orders()
