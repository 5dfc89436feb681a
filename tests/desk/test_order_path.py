"""A whole order, staged to filled, with no UI: the Desk is the engine and runs headless."""

from decimal import Decimal as D

import pytest

from workstation.desk.desk import DeskError
from workstation.domain.orders import OrderSpec, OrderStatus as S, OrderType, Side


def spec(**kw):
    base = dict(venue="paper", symbol="BTC/USDT", side=Side.BUY, type=OrderType.MARKET, amount=D("0.1"))
    return OrderSpec(**{**base, **kw})


async def test_market_order_from_stage_to_position(desk):
    ex = desk.venues["paper"].exchange
    book = desk.book("paper", "BTC/USDT")
    expected = book.walk(Side.BUY, D("0.1"))
    order = desk.stage(spec())
    assert order.status is S.PENDING_APPROVAL
    assert order.spec.decision_mid == book.mid
    # staged is not sent: the venue has never heard of it
    assert await ex.fetch_open_orders() == [] and await ex.fetch_my_trades() == []

    done = await desk.approve(order.client_order_id)
    assert done.status is S.FILLED
    assert done.filled == D("0.1")
    assert done.average == expected.average  # the paper venue walked the same book we priced
    market = desk.market("paper", "BTC/USDT")
    assert done.fee == expected.cost * market.taker_fee  # a market order pays the taker fee on what it walked
    trades = await ex.fetch_my_trades("BTC/USDT")
    assert {t["order"] for t in trades} == {done.venue_order_id}  # REST trades name the venue's id only (as Binance)

    execution = desk.executions()[0]
    assert execution.client_order_id == order.client_order_id
    assert execution.slippage_decision_bps == ((expected.average - book.mid) / book.mid * 10000).quantize(D("0.01"))
    assert execution.slippage_decision_bps > 0  # a buy that walks the asks pays over mid
    assert not execution.partial_fill and execution.fill_ratio == 1
    for leg in ("decided", "staged", "approved", "sent", "acked", "first_fill", "done"):
        assert leg in execution.legs_wall_ms, leg
    assert execution.latency_ms is not None and execution.latency_ms >= 0

    position = desk.position("paper", "BTC/USDT")
    assert position.size == D("0.1") and position.average_entry == expected.average
    assert position.fees == done.fee


async def test_resting_limit_fills_partially_then_fully(desk):
    ex = desk.venues["paper"].exchange
    ex.freeze()  # no random flow: only the flow this test injects
    bid = desk.book("paper", "ETH/USDT").best_bid
    queue_ahead = desk.book("paper", "ETH/USDT").bids[0][1]
    order = desk.stage(spec(symbol="ETH/USDT", type=OrderType.LIMIT, amount=D("2"), price=bid))
    sent = await desk.approve(order.client_order_id)
    assert sent.status is S.OPEN and sent.venue_order_id

    ex.inject_flow("ETH/USDT", "sell", queue_ahead + D("0.5"))  # eats the queue ahead, then 0.5 of ours
    await desk.refresh()
    partial = desk.order(order.client_order_id)
    assert partial.status is S.PARTIALLY_FILLED and partial.filled == D("0.5")
    assert desk.position("paper", "ETH/USDT").size == D("0.5")

    ex.inject_flow("ETH/USDT", "sell", D("1.5"))
    await desk.refresh()
    full = desk.order(order.client_order_id)
    assert full.status is S.FILLED and full.filled == D("2") and full.average == bid
    execution = desk.executions()[0]
    assert execution.slippage_bps == 0  # filled at our limit: no cost against the intended price
    assert desk.position("paper", "ETH/USDT").size == D("2")
    # every fill was a maker fill at our price, and each is counted once even after more refreshes
    await desk.refresh()
    assert len(full.trade_ids) == len(desk.order(order.client_order_id).trade_ids)


async def test_cancel_releases_the_order(desk):
    ex = desk.venues["paper"].exchange
    bid = desk.book("paper", "BTC/USDT").best_bid
    price = desk.market("paper", "BTC/USDT").round_price(bid * D("0.99"), Side.BUY)
    order = desk.stage(spec(type=OrderType.LIMIT, price=price, amount=D("0.05")))
    await desk.approve(order.client_order_id)
    await desk.refresh()
    used_before = desk.balances["paper"]["USDT"].used
    assert used_before > 0
    canceled = await desk.cancel(order.client_order_id)
    assert canceled.status is S.CANCELED
    assert await ex.fetch_open_orders() == []
    await desk.refresh()
    assert desk.balances["paper"]["USDT"].used < used_before
    with pytest.raises(DeskError, match="nothing to cancel"):
        await desk.cancel(order.client_order_id)


@pytest.mark.parametrize(("kw", "rule"), [
    ({"amount": D("0.00001"), "type": OrderType.MARKET}, "cost_min"),
    ({"type": OrderType.LIMIT, "price": D("65000.005")}, "price_tick"),
    ({"symbol": "DOGE/USDT"}, "unknown_symbol"),
    ({"amount": D("0.000015")}, "amount_step"),
    ({"amount": D("100")}, "max_order_notional"),
])
async def test_bad_orders_are_denied_before_anything_is_sent(desk, kw, rule):
    ex = desk.venues["paper"].exchange
    if "price" in kw:
        kw["price"] = desk.market("paper", "BTC/USDT").round_price(desk.book("paper", "BTC/USDT").best_bid, Side.BUY) + D("0.005")
    order = desk.stage(spec(**kw))
    assert order.status is S.DENIED
    assert rule in order.reason
    assert await ex.fetch_open_orders() == [] and await ex.fetch_my_trades() == []
    with pytest.raises(DeskError, match="not waiting for approval"):
        await desk.approve(order.client_order_id)


async def test_negative_amount_never_becomes_an_order():
    from workstation.domain.orders import InvalidSpec
    with pytest.raises(InvalidSpec, match="amount must be positive"):
        spec(amount=D("-1"))


async def test_reject_is_journaled_with_the_reason(desk):
    order = desk.stage(spec())
    declined = desk.reject(order.client_order_id, "too big for now")
    assert declined.status is S.DECLINED
    rows = list(desk.journal.events(kinds=("declined",)))
    assert rows[-1].actor == "human" and rows[-1].payload["reason"] == "too big for now"


async def test_edit_then_approve_is_journaled_with_the_proposal(desk):
    order = desk.stage(spec(amount=D("0.1")))
    done = await desk.approve(order.client_order_id, edits={"amount": D("0.05")})
    assert done.filled == D("0.05")
    edited = list(desk.journal.events(kinds=("edited",), client_order_id=order.client_order_id))
    assert edited[0].payload == {"before": {"amount": "0.1"}, "after": {"amount": "0.05"}}


async def test_a_stale_copilot_proposal_cannot_be_approved(desk):
    from workstation.domain.orders import Origin
    ex = desk.venues["paper"].exchange
    old = desk.stage(spec(origin=Origin.COPILOT, rationale="test"))
    desk.ledger.orders[old.client_order_id].wall_ms["staged"] -= 10 * 60 * 1000  # staged ten minutes ago
    with pytest.raises(DeskError, match="old"):
        await desk.approve(old.client_order_id)
    assert desk.order(old.client_order_id).status is S.EXPIRED

    moved = desk.stage(spec(origin=Origin.COPILOT, rationale="test"))
    ex.set_mid("BTC/USDT", desk.book("paper", "BTC/USDT").mid * D("1.02"))
    await desk.sync_books()
    with pytest.raises(DeskError, match="moved"):
        await desk.approve(moved.client_order_id)
    assert desk.order(moved.client_order_id).status is S.DENIED
    assert await ex.fetch_my_trades() == []


async def test_a_cancel_refused_by_a_rate_limit_leaves_the_order_working(desk):
    ex = desk.venues["paper"].exchange
    bid = desk.book("paper", "BTC/USDT").best_bid
    price = desk.market("paper", "BTC/USDT").round_price(bid * D("0.99"), Side.BUY)
    order = desk.stage(spec(type=OrderType.LIMIT, price=price, amount=D("0.05")))
    await desk.approve(order.client_order_id)
    desk.settings.send_retries = 0
    ex.set_fault("rate_limit", 1.0)
    with pytest.raises(DeskError, match="still working"):
        await desk.cancel(order.client_order_id)
    ex.set_fault("rate_limit", 0.0)
    assert desk.order(order.client_order_id).status is S.OPEN  # not in doubt: a 429 proves nothing happened
    assert (await desk.cancel(order.client_order_id)).status is S.CANCELED
