"""The kill switch: HALTED everywhere, every working order canceled, emulated orders disarmed,
optionally flattened; re-arming is a deliberate human act. And the measurement for the closing note:
``python -m tests.desk.test_kill_switch`` prints the milliseconds from kill() to zero working orders
with 200 open orders across symbols on the paper exchange."""

import asyncio
import sys
import tempfile
import time
from decimal import Decimal as D
from pathlib import Path

import pytest

from tests.conftest import make_desk
from workstation.desk.desk import DeskError
from workstation.desk.risk import TradingState
from workstation.domain.orders import OrderSpec, OrderStatus as S, OrderType as T, Side

SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "BTC/USDT:USDT")


async def open_many(desk, n: int) -> list[str]:
    """``n`` resting buy limits spread over the four paper markets, each through the normal path."""
    desk.set_risk_limits("paper", max_open_orders=n + 10, orders_per_s=100_000, reason="kill-switch measurement")
    cids = []
    for i in range(n):
        if i and i % 40 == 0:
            await desk.sync_books()  # headless: no book streams running, keep the data fresh
        symbol = SYMBOLS[i % len(SYMBOLS)]
        market = desk.market("paper", symbol)
        bid = desk.book("paper", symbol).best_bid
        price = market.round_price(bid * D("0.97") - market.tick * (i // len(SYMBOLS)), Side.BUY)
        amount = market.round_amount(max(D("6") / price, market.min_amount or market.lot) * D("1.5")) + market.lot
        order = desk.stage(OrderSpec("paper", symbol, Side.BUY, T.LIMIT, amount, price=price))
        assert order.status is S.PENDING_APPROVAL, order.reason
        sent = await desk.approve(order.client_order_id)
        assert sent.status is S.OPEN, sent.reason
        cids.append(sent.client_order_id)
    return cids


async def measure_kill(path: Path, n: int = 200, latency_ms: float = 0.0) -> tuple[float, float, object]:
    """Open ``n`` orders, press the kill switch; returns (ms to zero at the venue, ms of kill(), report).
    ``latency_ms``: the paper venue's median request latency (0 = none; the app's default is 40)."""
    from workstation.venues.paper.exchange import LatencyModel, PaperExchange
    latency = LatencyModel(median_ms=latency_ms, sigma=0.5, seed=3) if latency_ms else None
    desk = make_desk(path, PaperExchange(seed=11, latency=latency))
    await desk.connect()
    ex = desk.venues["paper"].exchange
    ex.freeze()
    await open_many(desk, n)
    assert len(await ex.fetch_open_orders()) == n
    t0 = time.perf_counter()
    report = await desk.kill(actor="human", reason="measurement")
    total_ms = (time.perf_counter() - t0) * 1000
    assert await ex.fetch_open_orders() == [] and desk.working_orders() == []
    await desk.stop()
    return report.elapsed_ms, total_ms, report


async def test_kill_with_200_open_orders_leaves_zero_working(tmp_path, capsys):
    elapsed_ms, total_ms, report = await measure_kill(tmp_path / "j.sqlite3", 200)
    assert report.canceled == 200 and report.remaining == [] and report.errors == []
    assert report.venue_open_after == {"paper": 0} and "paper" in report.venue_zero_ms
    with capsys.disabled():
        print(f"\n[kill switch] 200 open orders across {len(SYMBOLS)} symbols: zero open at the venue after "
              f"{report.venue_zero_ms['paper']:.1f} ms, zero working in the Desk after {elapsed_ms:.1f} ms")


async def test_kill_halts_disarms_declines_and_blocks_everything_until_a_human_rearms(tmp_path):
    desk = make_desk(tmp_path / "j.sqlite3")
    await desk.connect()
    ex = desk.venues["paper"].exchange
    ex.freeze()
    [resting] = await open_many(desk, 1)
    mid = desk.mark("paper", "ETH/USDT")
    held = await desk.approve(desk.stage(OrderSpec("paper", "ETH/USDT", Side.BUY, T.STOP_MARKET, D("0.1"),
                                                   trigger_price=mid + D("20"), emulate=True)).client_order_id)
    waiting = desk.stage(OrderSpec("paper", "ETH/USDT", Side.BUY, T.MARKET, D("0.1")))
    report = await desk.kill(actor="human", reason="fat finger upstream")
    assert desk.trading_states() == {"paper": TradingState.HALTED}
    assert desk.order(resting).status is S.CANCELED
    assert desk.order(held.client_order_id).status is S.CANCELED and report.disarmed == 1
    assert desk.order(waiting.client_order_id).status is S.DECLINED and report.declined == 1
    desk.emulator.set_price("paper", "ETH/USDT", last=mid + D("50"))  # its trigger: nothing happens
    denied = desk.stage(OrderSpec("paper", "ETH/USDT", Side.SELL, T.MARKET, D("0.1")))
    assert denied.status is S.DENIED and "halted" in denied.reason
    assert await ex.fetch_open_orders() == [] and await ex.fetch_my_trades() == []

    desk.journal.close()
    again = make_desk(tmp_path / "j.sqlite3", ex)  # a restart does not re-arm
    await again.connect()
    assert again.trading_state("paper") is TradingState.HALTED
    assert "halted" in again.stage(OrderSpec("paper", "ETH/USDT", Side.BUY, T.MARKET, D("0.1"))).reason
    with pytest.raises(DeskError, match="only a human"):
        again.rearm(actor="copilot")
    assert again.rearm(actor="human", reason="checked the feed") == ["paper"]
    assert again.trading_state("paper") is TradingState.ACTIVE
    ok = again.stage(OrderSpec("paper", "ETH/USDT", Side.BUY, T.MARKET, D("0.1")))
    assert ok.status is S.PENDING_APPROVAL
    kinds = [(a.kind, a.actor) for a in again.audit()]
    assert ("kill", "human") in kinds and ("rearm", "human") in kinds and ("kill_done", "human") in kinds
    why = {a.kind: a.why for a in again.audit()}
    assert why["kill"] == "fat finger upstream" and why["rearm"] == "checked the feed"
    await again.stop()


async def test_kill_with_flatten_closes_the_perp_with_reduce_only_market_orders(desk):
    ex = desk.venues["paper"].exchange
    ex.freeze()
    o = await desk.approve(desk.stage(OrderSpec("paper", "BTC/USDT:USDT", Side.BUY, T.MARKET, D("0.02"))).client_order_id)
    assert o.status is S.FILLED
    await desk.refresh()
    report = await desk.kill(flatten=True, actor="human", reason="flatten all")
    [cid] = report.flatten_orders
    flat = desk.order(cid)
    assert flat.spec.reduce_only and flat.spec.type is T.MARKET and flat.side is Side.SELL
    assert flat.status is S.FILLED and flat.filled == D("0.02")
    await desk.refresh()
    assert desk.position("paper", "BTC/USDT:USDT").size == 0
    assert desk.trading_state("paper") is TradingState.HALTED  # still halted after the flatten
    with pytest.raises(DeskError, match="only a human"):
        await desk.kill(flatten=True, actor="copilot")


async def test_rearm_to_reducing_then_active(desk):
    await desk.kill(actor="human")
    desk.rearm(actor="human", to=TradingState.REDUCING, reason="step back in slowly")
    assert desk.trading_state("paper") is TradingState.REDUCING
    desk.set_trading_state("paper", TradingState.ACTIVE, reason="all good")
    assert desk.trading_state("paper") is TradingState.ACTIVE


if __name__ == "__main__":  # the figure for the closing note
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    for latency_ms in (0.0, 40.0):
        with tempfile.TemporaryDirectory() as tmp:
            runs = [asyncio.run(measure_kill(Path(tmp) / f"j{i}.sqlite3", n, latency_ms)) for i in range(3)]
        for elapsed, total, report in runs:
            print(f"paper latency {latency_ms:.0f} ms: {n} open orders -> zero open at the venue in "
                  f"{report.venue_zero_ms['paper']:.1f} ms, zero working in the Desk in {elapsed:.1f} ms "
                  f"(kill() total {total:.1f} ms, {report.canceled} canceled)")
