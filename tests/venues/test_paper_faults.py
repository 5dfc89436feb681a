"""Switchable faults, the rate limit, latency and the live clock."""

from __future__ import annotations

import asyncio
import statistics
from decimal import Decimal

import ccxt
import pytest

from workstation.venues.paper import FAULT_NAMES, LatencyModel, PaperExchange

BTC = "BTC/USDT"
D = Decimal


def frozen(**kw: object) -> PaperExchange:
    ex = PaperExchange(seed=2, **kw)  # type: ignore[arg-type]
    ex.freeze()
    return ex


def test_faults_are_off_by_default_and_unknown_names_are_refused() -> None:
    ex = PaperExchange()
    assert ex.faults == dict.fromkeys(FAULT_NAMES, 0.0)
    assert set(FAULT_NAMES) == {"timeout_after_accept", "rate_limit", "server_error",
                                "drop_fill_message", "stream_disconnect", "maintenance"}
    with pytest.raises(ValueError, match="timeout_after_accept.*maintenance"):
        ex.set_fault("gremlins", 0.5)
    with pytest.raises(ValueError):
        PaperExchange(faults={"nope": 1.0})
    ex.set_fault("rate_limit", 0.25)
    assert ex.faults["rate_limit"] == 0.25


@pytest.mark.asyncio
async def test_timeout_after_accept_applies_then_times_out() -> None:
    ex = frozen(faults={"timeout_after_accept": 1.0})
    bid = (await ex.fetch_order_book(BTC))["bids"][3][0]
    with pytest.raises(ccxt.RequestTimeout):
        await ex.create_order(BTC, "limit", "buy", "0.01", str(bid), {"clientOrderId": "t-1"})
    ex.set_fault("timeout_after_accept", 0.0)
    found = await ex.fetch_order(None, BTC, {"clientOrderId": "t-1"})
    assert found["status"] == "open" and found["price"] == bid
    with pytest.raises(ccxt.DuplicateOrderId):  # a blind retry is refused, as on a real venue
        await ex.create_order(BTC, "limit", "buy", "0.01", str(bid), {"clientOrderId": "t-1"})
    ex.set_fault("timeout_after_accept", 1.0)
    with pytest.raises(ccxt.RequestTimeout):
        await ex.cancel_order(None, BTC, {"clientOrderId": "t-1"})
    ex.set_fault("timeout_after_accept", 0.0)
    assert (await ex.fetch_order(found["id"]))["status"] == "canceled"
    assert ex.fault_counts["timeout_after_accept"] == 2


@pytest.mark.asyncio
@pytest.mark.parametrize(("fault", "error", "code"), [
    ("rate_limit", ccxt.RateLimitExceeded, "429"),
    ("server_error", ccxt.ExchangeNotAvailable, "503"),
])
async def test_rejecting_faults_apply_nothing(fault: str, error: type[Exception], code: str) -> None:
    ex = frozen()
    bid = (await ex.fetch_order_book(BTC))["bids"][3][0]
    ex.set_fault(fault, 1.0)
    with pytest.raises(error, match=code):
        await ex.create_order(BTC, "limit", "buy", "0.01", str(bid), {"clientOrderId": "x-1"})
    with pytest.raises(error):
        await ex.fetch_balance()
    ex.set_fault(fault, 0.0)
    assert await ex.fetch_open_orders() == []
    with pytest.raises(ccxt.OrderNotFound):
        await ex.fetch_order(None, params={"clientOrderId": "x-1"})
    assert ex.fault_counts[fault] == 2
    retry = await ex.create_order(BTC, "limit", "buy", "0.01", str(bid), {"clientOrderId": "x-1"})
    assert retry["status"] == "open"


@pytest.mark.asyncio
async def test_dropped_fill_is_missing_from_the_stream_but_not_from_rest() -> None:
    ex = frozen(faults={"drop_fill_message": 1.0})
    trades_task = asyncio.create_task(ex.watch_my_trades())
    orders_task = asyncio.create_task(ex.watch_orders())
    await asyncio.sleep(0)
    lost = await ex.create_order(BTC, "market", "buy", "0.01")
    ex.set_fault("drop_fill_message", 0.0)
    seen = await ex.create_order(BTC, "market", "buy", "0.02")
    pushed = await asyncio.wait_for(trades_task, 5)
    assert [t["order"] for t in pushed] == [seen["id"]]
    orders = await asyncio.wait_for(orders_task, 5)
    lost_pushes = [o for o in orders if o["id"] == lost["id"]]
    assert all(o["status"] == "open" and o["filled"] == 0 for o in lost_pushes)  # only "new"
    rest = await ex.fetch_my_trades(BTC)
    assert {t["order"] for t in rest} == {lost["id"], seen["id"]}
    assert (await ex.fetch_order(lost["id"]))["status"] == "closed"
    assert ex.fault_counts["drop_fill_message"] == 1


@pytest.mark.asyncio
async def test_stream_disconnect_raises_once_then_works() -> None:
    ex = frozen(faults={"stream_disconnect": 1.0})
    with pytest.raises(ccxt.NetworkError):
        await ex.watch_orders()
    with pytest.raises(ccxt.NetworkError):
        await ex.watch_order_book(BTC)
    ex.set_fault("stream_disconnect", 0.0)
    book = await ex.watch_order_book(BTC)
    assert book["bids"]
    task = asyncio.create_task(ex.watch_orders())
    await asyncio.sleep(0)
    await ex.create_order(BTC, "market", "buy", "0.01")
    assert len(await asyncio.wait_for(task, 5)) == 1
    assert ex.fault_counts["stream_disconnect"] == 2


@pytest.mark.asyncio
async def test_maintenance_window_refuses_private_calls_for_its_duration() -> None:
    ex = frozen(maintenance_ms=5_000)
    ex.set_fault("maintenance", 1.0)
    with pytest.raises(ccxt.OnMaintenance):
        await ex.fetch_balance()
    ex.set_fault("maintenance", 0.0)
    with pytest.raises(ccxt.OnMaintenance):  # the window outlives the switch
        await ex.create_order(BTC, "market", "buy", "0.01")
    assert (await ex.fetch_ticker(BTC))["last"] > 0  # public data still flows
    ex.step(4_900)
    with pytest.raises(ccxt.OnMaintenance):
        await ex.fetch_open_orders()
    ex.step(100)
    assert (await ex.fetch_balance())["USDT"]["total"] == D(100000)
    ex.start_maintenance(1_000)
    with pytest.raises(ccxt.OnMaintenance):
        await ex.fetch_positions()
    assert ex.fault_counts["maintenance"] == 4


@pytest.mark.asyncio
async def test_rate_limit_bucket_empties_and_refills_with_simulated_time() -> None:
    ex = frozen(rate_limit=10, rate_window_ms=1_000)
    assert ex.rate_budget() == (10, 10)
    for _ in range(10):
        await ex.fetch_ticker(BTC)
    assert ex.rate_budget() == (0, 10)
    with pytest.raises(ccxt.RateLimitExceeded, match="429"):
        await ex.fetch_ticker(BTC)
    with pytest.raises(ccxt.RateLimitExceeded):
        await ex.create_order(BTC, "market", "buy", "0.01")
    ex.step(100)
    assert ex.rate_budget() == (1, 10)
    ex.step(1_000)
    assert ex.rate_budget() == (10, 10)
    assert await ex.fetch_orders() == []  # the refused create left nothing behind


@pytest.mark.asyncio
async def test_faults_use_their_own_rng_so_the_market_path_is_unchanged() -> None:
    calm, faulty = PaperExchange(seed=8), PaperExchange(seed=8)
    for name in FAULT_NAMES:
        faulty.set_fault(name, 0.3)
    for _ in range(50):
        calm.step(100)
        faulty.step(100)
        for ex in (calm, faulty):
            try:
                await ex.fetch_ticker(BTC)
            except ccxt.NetworkError:
                pass
    assert calm.sim.markets[BTC].mid == faulty.sim.markets[BTC].mid
    for name in FAULT_NAMES:
        faulty.set_fault(name, 0.0)
    assert (await calm.fetch_trades(BTC)) == (await faulty.fetch_trades(BTC))
    assert sum(faulty.fault_counts.values()) > 0


def test_latency_model_is_seeded_lognormal() -> None:
    a, b = LatencyModel(seed=3), LatencyModel(seed=3)
    xs = [a.sample_ms() for _ in range(2000)]
    assert xs[:10] == [b.sample_ms() for _ in range(10)]
    assert 35 < statistics.median(xs) < 45
    assert min(xs) > 0
    assert LatencyModel(median_ms=0).sample_ms() == 0


@pytest.mark.asyncio
async def test_calls_work_with_latency_set() -> None:
    ex = PaperExchange(seed=2, latency=LatencyModel(median_ms=0.01, sigma=0.1))
    order = await ex.create_order(BTC, "market", "buy", "0.01")
    assert order["status"] == "closed"


@pytest.mark.asyncio
async def test_start_runs_the_clock_and_close_is_idempotent() -> None:
    await PaperExchange().close()  # without start
    ex = PaperExchange(seed=2, speed=10.0)
    t0 = ex.milliseconds()
    await ex.start()
    await ex.watch_order_book(BTC)
    await asyncio.wait_for(ex.watch_order_book(BTC), 5)  # needs a background step
    assert ex.milliseconds() >= t0 + 1_000
    waiter = asyncio.create_task(ex.watch_my_trades())
    await asyncio.sleep(0)
    await ex.close()
    with pytest.raises(ccxt.ExchangeClosedByUser):
        await asyncio.wait_for(waiter, 5)
    await ex.close()
    stopped = ex.milliseconds()
    ex.step(100)
    assert ex.milliseconds() == stopped + 100
