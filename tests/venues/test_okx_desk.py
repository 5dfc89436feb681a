"""OKX v5 (demo trading: the x-simulated-trading header, a passphrase) through the full Desk, offline: real
ccxt.pro classes against the fake OKX, REST and websockets, real signing. Every check compares the Desk with
the venue's own records."""

from __future__ import annotations

import contextlib
from decimal import Decimal as D

import pytest

from tests.fakes.okx import API_KEY, PASSPHRASE, SECRET, FakeOkx
from tests.venues.multi_desk import desk_over, limit, place, pointed_at, until
from workstation.domain.orders import OrderSpec, OrderStatus as S, OrderType, Side
from workstation.venues.errors import ErrorKind, VenueError

VENUE, SPOT, PERP = "okx_demo", "BTC/USDT", "BTC/USDT:USDT"
KEYS = {"api_key": API_KEY, "secret": SECRET, "passphrase": PASSPHRASE}


def okx_config(server: FakeOkx, environment: str = "testnet") -> dict:
    """The README's OKX demo-trading section (environment "testnet"), plus the lines that point it at the fake."""
    return {VENUE: {"exchange": "okx", "environment": environment, "symbols": [SPOT, PERP],
                    "options": {"fetchMarkets": {"types": ["spot", "swap"]}}, **pointed_at(server)}}


@contextlib.asynccontextmanager
async def okx_desk(tmp_path, keys=KEYS, **kw):
    async with FakeOkx(hang_seconds=5.0) as server:
        server.set_book(SPOT, [[25000, 1], [24999.9, 2]], [[25000.1, 1], [25000.2, 2]])
        server.set_book(PERP, [[25000, 500]], [[25000.1, 500]])
        server.set_mark_price(PERP, 25000)
        async with desk_over(tmp_path, okx_config(server), {VENUE: keys}, **kw) as desk:
            yield server, desk
        assert not server.errors, "the fake OKX itself crashed:\n" + "\n".join(server.errors)


async def test_demo_account_with_passphrase_loads_and_streams(tmp_path):
    async with okx_desk(tmp_path) as (server, desk):
        assert desk.ready and {s.name: s for s in desk.venue_states()}[VENUE].environment == "testnet"
        perp = desk.market(VENUE, PERP)
        assert (perp.tick, perp.lot, perp.contract_size) == (D("0.1"), D("0.01"), D("0.01"))
        assert not {"stop_market", "trailing_stop"} & perp.capabilities  # OKX's algo book: held here
        await until(lambda: any(c.host == "wspap.okx.com" and c.private and c.authed for c in server.connections),
                    what="the demo private stream, logged in")
        await until(lambda: any(("books", "BTC-USDT") in c.topics for c in server.connections), what="books")
        await server.push_book(SPOT, bids=[[25000, 3]])
        await until(lambda: desk.book(VENUE, SPOT).bids[0] == (D("25000"), D("3")), what="the streamed update")
        private = [s for s in server.request_log if s.path.startswith("/api/v5/account")]
        assert private  # and every one of them carried the demo header (authorize() refuses otherwise)


async def test_a_wrong_passphrase_is_one_clear_authentication_error(tmp_path):
    async with okx_desk(tmp_path, keys=dict(KEYS, passphrase="wrong"), start=False) as (server, desk):
        await desk.venues[VENUE].connect()  # markets are public; in demo ccxt loads no currencies
        with pytest.raises(VenueError) as refused:
            await desk.venues[VENUE].fetch_balance()
        assert refused.value.kind is ErrorKind.AUTH and "PASSPHRASE incorrect" in refused.value.message


async def test_a_demo_key_without_the_demo_header_is_refused(tmp_path):
    async with FakeOkx(hang_seconds=5.0) as server:
        async with desk_over(tmp_path, {VENUE: okx_config(server, "live")[VENUE] | {"confirm_live": True}},
                             {VENUE: KEYS}, start=False) as desk:
            with pytest.raises(VenueError) as refused:
                await desk.venues[VENUE].connect()  # live: ccxt loads currencies with the keys
            assert refused.value.kind is ErrorKind.AUTH and "does not match current environment" in refused.value.message


async def test_spot_partial_fill_amend_in_place_then_cancel(tmp_path):
    async with okx_desk(tmp_path) as (server, desk):
        order = await place(desk, limit(VENUE, SPOT, amount="0.002", price="24990"))
        venue_order = server.order(order.client_order_id)
        assert order.status is S.OPEN and venue_order.order_id == order.venue_order_id
        sent = server.sent("POST", "/api/v5/trade/batch-orders")[-1].params
        assert (sent["clOrdId"], sent["tdMode"], sent["ordType"]) == (order.client_order_id, "cash", "limit")
        await until(lambda: server.private_streams(), what="the orders channel")
        await server.fill(order.client_order_id, "0.0005")
        await until(lambda: desk.order(order.client_order_id).filled == D("0.0005"), what="the streamed fill")
        modified = await desk.modify(order.client_order_id, price=D("24980.5"))
        assert server.count("POST /api/v5/trade/amend-order") == 1 and modified.venue_order_id == venue_order.order_id
        assert (venue_order.price, venue_order.qty) == (D("24980.5"), D("0.002"))
        await desk.cancel(order.client_order_id)  # OKX answers with ids and an sCode: the stream says when
        await until(lambda: desk.order(order.client_order_id).status is S.CANCELED, what="the streamed cancel")
        assert venue_order.status == "canceled"
        await desk.refresh()
        done = desk.order(order.client_order_id)
        assert (done.status, done.filled, len(done.trade_ids)) == (S.CANCELED, D("0.0005"), 1)
        assert desk.balances[VENUE]["BTC"].total == server.balance("BTC")
        assert desk.reconciler.last[VENUE].ok


async def test_perp_in_contracts_position_matches_the_venue(tmp_path):
    async with okx_desk(tmp_path) as (server, desk):
        order = await place(desk, limit(VENUE, PERP, amount="2", price="24900"))  # 2 contracts = 0.02 BTC
        await until(lambda: server.private_streams(), what="the orders channel")
        await server.fill(order.client_order_id, "2")
        await until(lambda: desk.order(order.client_order_id).status is S.FILLED, what="the perp fill")
        await desk.refresh()
        theirs = desk.venue_positions[VENUE][PERP]
        # in contracts, like the orders and fills that make the Desk's position: 2 contracts = 0.02 BTC
        assert desk.position(VENUE, PERP).size == theirs.size == server.position(PERP).size == D("2")
        assert theirs.entry_price == D("24900")
        assert not [d for d in desk.reconciler.last[VENUE].differences if d.kind == "position_drift"]
        close = await place(desk, OrderSpec(venue=VENUE, symbol=PERP, side=Side.SELL, type=OrderType.MARKET,
                                            amount=D("2"), reduce_only=True))
        assert server.sent("POST", "/api/v5/trade/batch-orders")[-1].params["reduceOnly"] is True
        await until(lambda: desk.order(close.client_order_id).status is S.FILLED, what="the close")
        await desk.refresh()
        assert server.position(PERP).size == 0 and PERP not in desk.venue_positions[VENUE]


async def test_timeout_after_accept_is_in_doubt_then_found_by_clordid(tmp_path):
    async with okx_desk(tmp_path) as (server, desk):
        server.fail_next("POST /api/v5/trade/batch-orders", "timeout_after_accept")
        order = await place(desk, limit(VENUE, SPOT, amount="0.001", price="24990"))
        assert order.status is S.IN_DOUBT
        await until(lambda: desk.order(order.client_order_id).status is S.OPEN, what="found by clOrdId")
        assert server.count("POST /api/v5/trade/batch-orders") == 1
        lookups = server.sent("GET", "/api/v5/trade/order")
        assert lookups and lookups[0].params.get("clOrdId") == order.client_order_id


async def test_reconcile_adopts_an_order_placed_elsewhere_and_a_missed_fill(tmp_path):
    async with okx_desk(tmp_path) as (server, desk):
        for task in list(desk.router.tasks):
            task.cancel()
        ours = await place(desk, limit(VENUE, PERP, amount="1", price="24900"))
        foreign = server.engine.place(server.engine.market(SPOT), "sell", "limit", "0.01", "26000")
        await server.fill(ours.client_order_id, "1")
        await desk.refresh()
        assert desk.order(ours.client_order_id).status is S.FILLED
        adopted = [d for d in desk.reconcile_differences(VENUE) if d.kind == "unknown_order"]
        assert len(adopted) == 1 and foreign.order_id in adopted[0].detail


async def test_kill_switch_cancels_one_by_one_where_there_is_no_cancel_all(tmp_path):
    async with okx_desk(tmp_path) as (server, desk):
        desk.set_risk_limits(max_open_orders=20, duplicate_window_s=0.0, reason="the test opens several orders")
        assert not desk.venues[VENUE].has("cancelAllOrders")
        for i in range(3):
            await place(desk, limit(VENUE, SPOT, amount="0.001", price=str(24900 + i)))
            await place(desk, limit(VENUE, PERP, amount="1", price=str(24800 + i)))
        report = await desk.kill(reason="test")
        assert not server.engine.open_orders() and not report.remaining and not report.errors
        assert server.count("POST /api/v5/trade/cancel-order") == 6
        assert not desk.working_orders()
