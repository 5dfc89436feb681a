"""The rate budget drives the refresh: its cadence and its per-symbol calls fit the account's capacity."""

from __future__ import annotations

import pytest

from tests.fakes.binance import FakeBinance
from tests.venues.multi_desk import desk_over, limit, place
from workstation.desk.refresh_plan import MAX_INTERVAL_S, RefreshPlanner, plan, refresh_calls

# Binance spot in ccxt's cost units (0.2 x Binance weight): openOrders without a symbol 16, account 4, myTrades 4
BINANCE = {("fetch_open_orders", False): 16.0, ("fetch_balance", False): 4.0, ("fetch_my_trades", True): 4.0}


def binance_plan(n_symbols: int, remaining: int = 1200, hot: frozenset = frozenset()):
    symbols = [f"S{i:03d}/USDT" for i in range(n_symbols)]
    calls = refresh_calls(BINANCE, symbols, open_per_symbol=False, trades_per_symbol=True, positions=False)
    return plan("binance", calls, 1200, remaining, 3.0, hot)


@pytest.mark.parametrize("symbols,interval", [(1, 3.0), (2, 3.0), (5, 4.0), (10, 6.0), (70, 30.0)])
def test_the_cadence_keeps_the_refresh_within_half_the_budget(symbols, interval):
    p = binance_plan(symbols)
    assert p.interval_s == pytest.approx(interval) and not p.rotated
    assert p.per_minute <= 600 + 1e-9  # half of 1,200 a minute (6,000 Binance weight)
    # what the issue counts: ten symbols at the default 3 s would spend the whole 1,200 a minute
    assert binance_plan(10).cost * 60 / 3.0 == 1200


def test_past_the_longest_interval_quiet_symbols_rotate_and_busy_ones_stay():
    p = binance_plan(100, hot=frozenset({"S007/USDT"}))
    assert p.interval_s == pytest.approx(MAX_INTERVAL_S) and p.per_minute <= 600 + 1e-9
    assert "S007/USDT" not in p.rotated and len(p.rotated) == 99 and p.per_refresh == 69
    assert {c.symbol for c in p.calls if c.operation == "fetch_my_trades"} >= {"S007/USDT"}
    assert "trades of 99 quiet symbol(s) 69 a refresh" in p.note


def test_a_budget_running_low_slows_the_refresh_further():
    assert binance_plan(2, remaining=200).interval_s == pytest.approx(9.0)  # under 20 % left: x3
    assert binance_plan(2, remaining=50).interval_s == pytest.approx(30.0)  # under 5 %: x10


async def test_measured_ccxt_costs_price_the_refresh_and_symbols_rotate_at_the_venue(tmp_path):
    key, secret = "AKfakeAPIKEY0123456789", "SKfakeSECRET0123456789abcdef"
    async with FakeBinance(key, secret, hang_seconds=5.0) as server:
        server.set_book("BTC/USDT", [[25000, 1]], [[25001, 1]], last_update_id=100)
        server.set_book("ETH/USDT", [[1500, 1]], [[1501, 1]], last_update_id=100)
        venues = {"bn": {"exchange": "binance", "environment": "testnet", "symbols": ["BTC/USDT", "ETH/USDT"],
                         "rest_url": server.base_url, "ws_url": server.ws_base + "/{host}"}}
        async with desk_over(tmp_path, venues, {"bn": {"api_key": key, "secret": secret}}, refresh_s=3.0) as desk:
            for task in list(desk.router.tasks):
                task.cancel()  # the refresh runs by hand here
            venue = desk.venues["bn"]
            assert {k: venue.call_costs[k] for k in BINANCE} == BINANCE  # ccxt's own weights, as measured
            planner = RefreshPlanner.of(desk)
            assert planner.plan("bn").interval_s == pytest.approx(3.0)
            assert "↻" not in desk.venue_states()[0].refresh and desk.venue_states()[0].refresh == "every 3.0s"
            venue.budget.capacity = 60  # a tight account: 0.5 a second for the refresh
            assert planner.plan("bn").rotated == ("BTC/USDT", "ETH/USDT")

            def trade_symbols_asked() -> list[str]:
                return [r.params["symbol"] for r in server.request_log if r.path == "/api/v3/myTrades"]

            server.reset_counters()
            await desk.refresh()
            await desk.refresh()
            assert sorted(trade_symbols_asked()) == ["BTCUSDT", "ETHUSDT"]  # one each, in turn
            desk.set_risk_limits(duplicate_window_s=0.0, reason="test")
            venue.budget.capacity = 1200
            await place(desk, limit("bn", "ETH/USDT", amount="0.01", price="1490"))
            venue.budget.capacity = 60
            server.reset_counters()
            await desk.refresh()
            await desk.refresh()
            assert trade_symbols_asked().count("ETHUSDT") == 2  # a symbol with a working order: every refresh
