"""Order behaviour a trader would check on the paper venue (spot markets)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import ccxt
import pytest

from workstation.venues.paper import PaperExchange

BTC = "BTC/USDT"
D = Decimal


def frozen(seed: int = 3, **kw: Any) -> PaperExchange:
    """An exchange whose markets only move when the test says so."""
    ex = PaperExchange(seed=seed, **kw)
    ex.freeze()
    return ex


def walk(levels: list[list[Decimal]], amount: Decimal) -> tuple[Decimal, Decimal]:
    """(cost, average) of taking `amount` from a book side snapshot."""
    cost, left = D(0), amount
    for price, size in levels:
        q = min(left, size)
        cost += price * q
        left -= q
        if left == 0:
            break
    assert left == 0, "snapshot too thin for this test"
    return cost, cost / amount


@pytest.mark.asyncio
async def test_market_buy_walks_the_book_and_bigger_pays_more() -> None:
    averages = []
    for amount in (D("0.2"), D("1.2")):
        ex = frozen()
        book = await ex.fetch_order_book(BTC)
        cost, avg = walk(book["asks"], amount)
        order = await ex.create_order(BTC, "market", "buy", str(amount))
        assert order["status"] == "closed"
        assert order["filled"] == amount and order["remaining"] == 0
        assert order["cost"] == cost
        assert abs(order["average"] - avg) < D("0.00000001")
        assert order["average"] >= book["asks"][0][0]
        assert {t["takerOrMaker"] for t in order["trades"]} == {"taker"}
        averages.append(order["average"])
        after = await ex.fetch_order_book(BTC)
        assert after["asks"][0][0] > book["asks"][0][0] or after["asks"][0][1] < book["asks"][0][1]
    assert averages[1] > averages[0]


@pytest.mark.asyncio
async def test_consumed_levels_refill_over_time() -> None:
    ex = frozen()
    before = await ex.fetch_order_book(BTC)
    top_price, top_size = before["asks"][0]
    await ex.create_order(BTC, "market", "buy", str(top_size))
    after = await ex.fetch_order_book(BTC)
    assert after["asks"][0][0] > top_price
    for _ in range(40):
        ex.step(100)
    refilled = await ex.fetch_order_book(BTC)
    assert refilled["asks"][0] == [top_price, top_size]


@pytest.mark.asyncio
async def test_resting_limit_keeps_queue_and_fills_partially_then_fully() -> None:
    ex = frozen()
    book = await ex.fetch_order_book(BTC)
    bid, ahead = book["bids"][0]
    order = await ex.create_order(BTC, "limit", "buy", "0.01", str(bid), {"clientOrderId": "q-1"})
    assert order["status"] == "open" and order["info"]["queueAhead"] == ahead

    assert ex.inject_flow(BTC, "sell", ahead - D("0.001")) == ahead - D("0.001")
    mine = await ex.fetch_order(order["id"])
    assert mine["filled"] == 0 and mine["info"]["queueAhead"] == D("0.001")

    ex.inject_flow(BTC, "sell", "0.005")  # 0.001 ahead of us, then 0.004 of ours
    mine = await ex.fetch_order(order["id"])
    assert mine["status"] == "open" and mine["filled"] == D("0.004")
    assert mine["remaining"] == D("0.006")

    ex.inject_flow(BTC, "sell", "0.01")
    mine = await ex.fetch_order(None, params={"clientOrderId": "q-1"})
    assert mine["status"] == "closed" and mine["filled"] == D("0.01")
    assert [t["amount"] for t in mine["trades"]] == [D("0.004"), D("0.006")]
    assert all(t["takerOrMaker"] == "maker" and t["price"] == bid for t in mine["trades"])
    mine_trades = await ex.fetch_my_trades(BTC)
    assert [t["id"] for t in mine_trades] == [t["id"] for t in mine["trades"]]


@pytest.mark.asyncio
async def test_limit_that_crosses_takes_then_rests() -> None:
    ex = frozen()
    book = await ex.fetch_order_book(BTC)
    (a1, s1), (a2, _) = book["asks"][0], book["asks"][1]
    amount = s1 + D("0.5")
    order = await ex.create_order(BTC, "limit", "buy", str(amount), str(a1))
    assert order["status"] == "open" and order["filled"] == s1
    assert order["trades"][0]["takerOrMaker"] == "taker"
    after = await ex.fetch_order_book(BTC)
    assert after["bids"][0] == [a1, D("0.5")]  # the rest now rests at the top
    assert after["asks"][0][0] == a2


@pytest.mark.asyncio
async def test_ioc_fills_what_crosses_and_cancels_the_rest() -> None:
    ex = frozen()
    book = await ex.fetch_order_book(BTC)
    ask, size = book["asks"][0]
    order = await ex.create_order(BTC, "limit", "buy", str(size + 1), str(ask), {"timeInForce": "IOC"})
    assert order["status"] == "canceled"
    assert order["filled"] == size and order["remaining"] == 1
    assert await ex.fetch_open_orders(BTC) == []


@pytest.mark.asyncio
async def test_fok_all_or_nothing() -> None:
    ex = frozen()
    book = await ex.fetch_order_book(BTC)
    ask, size = book["asks"][0]
    order = await ex.create_order(BTC, "limit", "buy", str(size + 1), str(ask), {"timeInForce": "FOK"})
    assert order["status"] == "expired" and order["filled"] == 0
    assert (await ex.fetch_order_book(BTC))["asks"][0] == [ask, size]
    whole = await ex.create_order(BTC, "limit", "buy", str(size), str(ask), {"timeInForce": "FOK"})
    assert whole["status"] == "closed" and whole["filled"] == size


@pytest.mark.asyncio
async def test_post_only_rejected_when_it_would_cross() -> None:
    ex = frozen()
    book = await ex.fetch_order_book(BTC)
    with pytest.raises(ccxt.OrderImmediatelyFillable):
        await ex.create_order(BTC, "limit", "buy", "0.01", str(book["asks"][0][0]), {"postOnly": True})
    with pytest.raises(ccxt.OrderImmediatelyFillable):
        await ex.create_order(BTC, "limit", "sell", "0.01", str(book["bids"][0][0]),
                              {"timeInForce": "PO"})
    resting = await ex.create_order(BTC, "limit", "buy", "0.01", str(book["bids"][0][0]),
                                    {"postOnly": True})
    assert resting["status"] == "open" and resting["postOnly"] and resting["timeInForce"] == "PO"


@pytest.mark.asyncio
async def test_spot_fees_and_balances_after_a_round_trip() -> None:
    ex = frozen()
    start = await ex.fetch_balance()
    buy = await ex.create_order(BTC, "market", "buy", "0.1")
    assert buy["fee"] == {"cost": buy["cost"] * D("0.001"), "currency": "USDT"}
    assert buy["trades"][0]["fee"]["rate"] == D("0.001")
    bal = await ex.fetch_balance()
    assert bal["BTC"]["total"] == start["BTC"]["total"] + D("0.1")
    assert bal["USDT"]["total"] == start["USDT"]["total"] - buy["cost"] - buy["fee"]["cost"]
    assert bal["USDT"]["used"] == 0 and bal["free"]["USDT"] == bal["total"]["USDT"]


@pytest.mark.asyncio
async def test_resting_orders_reserve_funds_and_cancel_releases_them() -> None:
    ex = frozen()
    book = await ex.fetch_order_book(BTC)
    low = book["bids"][5][0]
    buy = await ex.create_order(BTC, "limit", "buy", "0.5", str(low))
    bal = await ex.fetch_balance()
    reserved = low * D("0.5") * D("1.001")
    assert bal["USDT"]["used"] == reserved
    assert bal["USDT"]["free"] == D(100000) - reserved
    high = book["asks"][5][0]
    sell = await ex.create_order(BTC, "limit", "sell", "0.4", str(high))
    assert (await ex.fetch_balance())["BTC"] == {"free": D("0.6"), "used": D("0.4"), "total": D(1)}
    with pytest.raises(ccxt.InsufficientFunds):
        await ex.create_order(BTC, "limit", "sell", "0.7", str(high))
    await ex.cancel_order(buy["id"], BTC)
    await ex.cancel_order(sell["id"], BTC)
    bal = await ex.fetch_balance()
    assert bal["USDT"] == {"free": D(100000), "used": D(0), "total": D(100000)}
    assert bal["BTC"]["used"] == 0


@pytest.mark.asyncio
async def test_market_buy_is_checked_against_the_walk() -> None:
    ex = frozen(balances={"USDT": "1000"})
    with pytest.raises(ccxt.InsufficientFunds):
        await ex.create_order(BTC, "market", "buy", "0.02")  # ~1300 USDT
    ok = await ex.create_order(BTC, "market", "buy", "0.01")
    assert ok["status"] == "closed"


@pytest.mark.asyncio
async def test_duplicate_client_order_id_refused() -> None:
    ex = frozen()
    book = await ex.fetch_order_book(BTC)
    first = await ex.create_order(BTC, "limit", "buy", "0.01", str(book["bids"][3][0]),
                                  {"clientOrderId": "dup-1"})
    await ex.cancel_order(first["id"])
    with pytest.raises(ccxt.DuplicateOrderId):
        await ex.create_order(BTC, "limit", "buy", "0.01", str(book["bids"][3][0]),
                              {"clientOrderId": "dup-1"})


@pytest.mark.asyncio
@pytest.mark.parametrize(("amount", "price", "rule"), [
    ("0", "60000", "positive"),
    ("-1", "60000", "positive"),
    ("0.000001", "60000", "limits.amount.min"),
    ("0.000015", "60000", "precision.amount"),
    ("0.01", "60000.005", "precision.price"),
    ("0.01", "-5", "price must be positive"),
    ("0.00001", "60000", "limits.cost.min"),
    ("abc", "60000", "amount must be a number"),
])
async def test_venue_refuses_orders_that_break_market_rules(amount: str, price: str, rule: str) -> None:
    ex = frozen()
    with pytest.raises(ccxt.InvalidOrder, match=rule.replace(".", r"\.")):
        await ex.create_order(BTC, "limit", "buy", amount, price)


@pytest.mark.asyncio
async def test_unknown_symbol_and_unknown_orders() -> None:
    ex = frozen()
    with pytest.raises(ccxt.BadSymbol):
        await ex.create_order("DOGE/USDT", "market", "buy", "1")
    with pytest.raises(ccxt.BadSymbol):
        await ex.fetch_order_book("DOGE/USDT")
    with pytest.raises(ccxt.OrderNotFound):
        await ex.cancel_order("999999", BTC)
    with pytest.raises(ccxt.OrderNotFound):
        await ex.fetch_order(None, params={"clientOrderId": "never"})
    done = await ex.create_order(BTC, "market", "buy", "0.01")
    with pytest.raises(ccxt.OrderNotFound):
        await ex.cancel_order(done["id"])


@pytest.mark.asyncio
async def test_inputs_as_int_decimal_and_float_are_accepted() -> None:
    ex = frozen()
    bid = (await ex.fetch_order_book(BTC))["bids"][2][0]
    a = await ex.create_order(BTC, "limit", "buy", D("0.01"), bid)
    b = await ex.create_order(BTC, "limit", "buy", 0.01, float(bid))
    c = await ex.create_order(BTC, "limit", "buy", 1, int(bid))
    assert a["amount"] == b["amount"] == D("0.01") and c["amount"] == 1
    assert a["price"] == b["price"] == bid and c["price"] == int(bid)


@pytest.mark.asyncio
async def test_amend_keeps_queue_only_when_price_same_and_amount_smaller() -> None:
    ex = frozen(modify="amend")
    bid, ahead = (await ex.fetch_order_book(BTC))["bids"][0]
    order = await ex.create_order(BTC, "limit", "buy", "0.05", str(bid))
    ex.inject_flow(BTC, "sell", ahead / 2 - (ahead / 2) % D("0.00001"))
    for _ in range(10):
        ex.step(100)  # makers refill the level behind us
    queued = (await ex.fetch_order(order["id"]))["info"]["queueAhead"]
    assert queued < ahead

    smaller = await ex.edit_order(order["id"], BTC, "limit", "buy", "0.03")
    assert smaller["id"] == order["id"] and smaller["amount"] == D("0.03")
    assert smaller["info"]["queueAhead"] == queued

    bigger = await ex.edit_order(order["id"], BTC, "limit", "buy", "0.04")
    displayed = (await ex.fetch_order_book(BTC))["bids"][0][1] - D("0.04")
    assert bigger["info"]["queueAhead"] == displayed > queued

    lower = bid - 10
    moved = await ex.edit_order(order["id"], BTC, "limit", "buy", None, str(lower))
    assert moved["price"] == lower and moved["status"] == "open"
    used = (await ex.fetch_balance())["USDT"]["used"]
    assert used == lower * D("0.04") * D("1.001")


@pytest.mark.asyncio
async def test_stop_market_triggers_on_last_trade_price() -> None:
    ex = frozen()
    ex.set_mid(BTC, "65000")
    stop = await ex.create_order(BTC, "market", "sell", "0.1", None, {"triggerPrice": "64000"})
    assert stop["status"] == "open" and stop["triggerPrice"] == D(64000) and stop["filled"] == 0
    assert (await ex.fetch_balance())["BTC"]["used"] == D("0.1")
    ex.set_mid(BTC, "64500")
    ex.step(100)
    assert (await ex.fetch_order(stop["id"]))["status"] == "open"
    ex.set_mid(BTC, "63990")
    done = await ex.fetch_order(stop["id"])
    assert done["status"] == "closed" and done["filled"] == D("0.1")
    assert done["average"] < D(64000)
    assert done["info"]["triggered"] is True


@pytest.mark.asyncio
async def test_stop_limit_rests_after_trigger() -> None:
    ex = frozen()
    ex.set_mid(BTC, "65000")
    stop = await ex.create_order(BTC, "limit", "buy", "0.1", "65900", {"triggerPrice": "66000"})
    assert stop["status"] == "open"
    ex.set_mid(BTC, "66100")  # triggers; 65900 is below the new book, so it rests
    after = await ex.fetch_order(stop["id"])
    assert after["status"] == "open" and after["info"]["triggered"] is True
    assert [D(65900), D("0.1")] in (await ex.fetch_order_book(BTC))["bids"]


@pytest.mark.asyncio
async def test_cancel_all_and_order_lists() -> None:
    ex = frozen()
    bids = (await ex.fetch_order_book(BTC))["bids"]
    for i in range(3):
        await ex.create_order(BTC, "limit", "buy", "0.01", str(bids[i + 2][0]))
    await ex.create_order("ETH/USDT", "market", "buy", "0.1")
    assert len(await ex.fetch_open_orders()) == 3
    canceled = await ex.cancel_all_orders(BTC)
    assert [o["status"] for o in canceled] == ["canceled"] * 3
    closed = await ex.fetch_closed_orders()
    assert sorted(o["status"] for o in closed) == ["canceled"] * 3 + ["closed"]
    assert len(await ex.fetch_closed_orders("ETH/USDT")) == 1
    assert await ex.fetch_open_orders() == []


@pytest.mark.asyncio
async def test_watch_orders_and_my_trades_push_updates() -> None:
    ex = frozen()
    orders_task = asyncio.create_task(ex.watch_orders())
    trades_task = asyncio.create_task(ex.watch_my_trades())
    await asyncio.sleep(0)  # subscribe
    order = await ex.create_order(BTC, "market", "buy", "0.01", None, {"clientOrderId": "w-1"})
    pushed = await asyncio.wait_for(orders_task, 5)
    trades = await asyncio.wait_for(trades_task, 5)
    assert [o["id"] for o in pushed] == [order["id"]] and pushed[0]["status"] == "closed"
    assert [t["id"] for t in trades] == [t["id"] for t in order["trades"]]
    assert trades[0]["info"]["clientOrderId"] == "w-1"

    nxt = asyncio.create_task(ex.watch_orders(BTC))
    await asyncio.sleep(0)
    assert not nxt.done()
    bid = (await ex.fetch_order_book(BTC))["bids"][3][0]
    resting = await ex.create_order(BTC, "limit", "buy", "0.01", str(bid))
    assert [o["id"] for o in await asyncio.wait_for(nxt, 5)] == [resting["id"]]


@pytest.mark.asyncio
async def test_watch_order_book_returns_on_the_next_change() -> None:
    ex = PaperExchange(seed=5)
    first = await ex.watch_order_book(BTC)
    waiting = asyncio.create_task(ex.watch_order_book(BTC))
    await asyncio.sleep(0)
    assert not waiting.done()
    ex.step(100)
    second = await asyncio.wait_for(waiting, 5)
    assert second["nonce"] > first["nonce"]
    await ex.close()



@pytest.mark.asyncio
async def test_market_moving_through_a_resting_limit_fills_it_at_its_price() -> None:
    ex = frozen()
    ex.set_mid(BTC, "65000")
    sell = await ex.create_order(BTC, "limit", "sell", "0.1", "65010")
    ex.set_mid(BTC, "65100")  # makers now bid above our offer: they trade with us
    done = await ex.fetch_order(sell["id"])
    assert done["status"] == "closed" and done["average"] == D(65010)
    assert done["trades"][0]["takerOrMaker"] == "maker"
    assert (await ex.fetch_balance())["BTC"]["total"] == D("0.9")
