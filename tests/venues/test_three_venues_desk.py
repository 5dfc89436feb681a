"""Binance, Bybit and OKX at the same time in one Desk, offline: three fake venues, three real ccxt.pro classes,
one journal, one risk gate, one kill switch. Checked against each venue's own records."""

from __future__ import annotations

from decimal import Decimal as D

from tests.fakes.binance import FakeBinance
from tests.fakes.bybit import API_KEY as BYBIT_KEY, SECRET as BYBIT_SECRET, FakeBybit
from tests.fakes.okx import API_KEY as OKX_KEY, PASSPHRASE, SECRET as OKX_SECRET, FakeOkx
from tests.venues.multi_desk import desk_over, limit, place, until
from tests.venues.test_bybit_desk import bybit_config
from tests.venues.test_okx_desk import okx_config
from workstation.domain.orders import OrderStatus as S

BINANCE_KEY, BINANCE_SECRET = "AKfakeAPIKEY0123456789", "SKfakeSECRET0123456789abcdef"


async def test_three_venues_trade_reconcile_and_stop_together(tmp_path):
    async with FakeBinance(BINANCE_KEY, BINANCE_SECRET, hang_seconds=5.0) as binance, \
            FakeBybit(hang_seconds=5.0) as bybit, FakeOkx(hang_seconds=5.0) as okx:
        binance.set_book("BTC/USDT", [[25000, 1]], [[25001, 1]], last_update_id=100)
        bybit.set_book("BTC/USDT", [[25000, 1]], [[25001, 1]])
        bybit.set_book("BTC/USDT:USDT", [[25000, 5]], [[25000.1, 5]])
        okx.set_book("BTC/USDT", [[25000, 1]], [[25000.1, 1]])
        okx.set_book("BTC/USDT:USDT", [[25000, 500]], [[25000.1, 500]])
        venues = {
            "binance_testnet": {"exchange": "binance", "environment": "testnet", "symbols": ["BTC/USDT"],
                                "rest_url": binance.base_url, "ws_url": binance.ws_base + "/{host}"},
            **bybit_config(bybit), **okx_config(okx)}
        keys = {"binance_testnet": {"api_key": BINANCE_KEY, "secret": BINANCE_SECRET},
                "bybit_demo": {"api_key": BYBIT_KEY, "secret": BYBIT_SECRET},
                "okx_demo": {"api_key": OKX_KEY, "secret": OKX_SECRET, "passphrase": PASSPHRASE}}
        async with desk_over(tmp_path, venues, keys) as desk:
            states = {s.name: s for s in desk.venue_states()}
            assert {n: s.environment for n, s in states.items()} == {
                "binance_testnet": "testnet", "bybit_demo": "demo", "okx_demo": "testnet"}
            assert desk.ready and all(s.connected and not s.last_error for s in states.values())

            orders = {name: await place(desk, limit(name, "BTC/USDT", amount="0.001", price="24990"))
                      for name in venues}
            assert all(o.status is S.OPEN for o in orders.values())
            assert binance.order(orders["binance_testnet"].client_order_id).status == "NEW"
            assert bybit.order(orders["bybit_demo"].client_order_id).status == "new"
            assert okx.order(orders["okx_demo"].client_order_id).status == "new"
            # each venue saw only its own order, under our id, in its own field
            assert len(binance.orders("BTC/USDT")) == len(bybit.orders()) == len(okx.orders()) == 1

            await binance.wait_user_stream("spot")
            await until(lambda: bybit.private_streams() and okx.private_streams(), what="all private streams")
            await binance.fill(orders["binance_testnet"].client_order_id, "0.001")
            await bybit.fill(orders["bybit_demo"].client_order_id, "0.0004")
            await okx.fill(orders["okx_demo"].client_order_id, "0.001")
            await until(lambda: (desk.order(orders["binance_testnet"].client_order_id).status is S.FILLED
                                 and desk.order(orders["bybit_demo"].client_order_id).filled == D("0.0004")
                                 and desk.order(orders["okx_demo"].client_order_id).status is S.FILLED),
                        what="fills from three streams")
            perp = await place(desk, limit("okx_demo", "BTC/USDT:USDT", amount="1", price="24800"))
            await desk.refresh()
            assert all(r.ok for r in desk.reconciler.last.values())
            assert all(not [d for d in desk.reconciler.last[n].differences if d.needs_human] for n in venues)

            report = await desk.kill(reason="three venues")
            assert not report.remaining and not report.errors
            assert not bybit.engine.open_orders() and not okx.engine.open_orders()
            assert not [o for o in binance.orders("BTC/USDT") if o.status in ("NEW", "PARTIALLY_FILLED")]
            assert desk.order(perp.client_order_id).status is S.CANCELED
            assert desk.order(orders["bybit_demo"].client_order_id).status is S.CANCELED
            assert set(report.venue_zero_ms) == set(venues)
        for server in (binance, bybit, okx):
            assert not server.errors, server.errors
