"""The paper venue is as unfriendly as Binance where it matters for staying in sync (issue 12,
findings 18-20): REST trades carry no client id, modify is cancel-replace (or amend where
configured), and the depth stream sends only when the book changed."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import ccxt
import pytest

from tests.venues.test_paper_orders import BTC, frozen
from workstation.venues.paper import PaperExchange

D = Decimal


def contains(value: Any, needle: str) -> bool:
    """Whether `needle` appears anywhere in a nested structure (keys or values)."""
    if isinstance(value, dict):
        return any(contains(k, needle) or contains(v, needle) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(contains(v, needle) for v in value)
    return value == needle


async def stream(ex: PaperExchange, method: str, *args: Any) -> asyncio.Task:
    task = asyncio.ensure_future(getattr(ex, method)(*args))
    await asyncio.sleep(0)  # subscribed from here on
    return task


# -- finding 18: REST trades carry only the venue's order id -------------------------------------------
async def test_rest_trades_carry_no_client_id_but_the_stream_does() -> None:
    ex = frozen()
    trades_task = await stream(ex, "watch_my_trades")
    order = await ex.create_order(BTC, "market", "buy", "0.01", None, {"clientOrderId": "mine-1"})
    pushed = await asyncio.wait_for(trades_task, 5)
    rest = await ex.fetch_my_trades(BTC)
    assert rest and [t["order"] for t in rest] == [order["id"]] * len(rest)
    assert not contains(rest, "mine-1"), "Binance's myTrades has no clientOrderId, info included"
    assert not any("clientOrderId" in t or "clientOrderId" in t["info"] for t in rest)
    assert [t["id"] for t in pushed] == [t["id"] for t in rest]
    assert all(t["info"]["clientOrderId"] == "mine-1" for t in pushed)  # the executionReport has it


# -- finding 19: modify is Binance spot's cancelReplace by default -------------------------------------
async def test_cancel_replace_cancels_the_original_and_places_a_new_order() -> None:
    ex = frozen()
    assert ex.features["spot"]["editOrder"]["mode"] == "cancel_replace"
    bid = (await ex.fetch_order_book(BTC))["bids"][3][0]
    original = await ex.create_order(BTC, "limit", "buy", "0.01", bid, {"clientOrderId": "orig-1"})
    orders_task = await stream(ex, "watch_orders")
    new = await ex.edit_order(original["id"], BTC, "limit", "buy", "0.02", bid - 1,
                              {"clientOrderId": "repl-1"})
    assert new["id"] != original["id"] and new["clientOrderId"] == "repl-1"
    assert (new["amount"], new["price"], new["status"]) == (D("0.02"), bid - 1, "open")

    pushed = await asyncio.wait_for(orders_task, 5)
    assert [(o["id"], o["clientOrderId"], o["status"]) for o in pushed] == [
        (original["id"], "orig-1", "canceled"), (new["id"], "repl-1", "open")]
    old = await ex.fetch_order(original["id"], BTC)
    assert (old["status"], old["clientOrderId"]) == ("canceled", "orig-1")
    assert [o["id"] for o in await ex.fetch_open_orders(BTC)] == [new["id"]]
    # the original's funds were released, the replacement's reserved: nothing counted twice
    assert (await ex.fetch_balance())["USDT"]["used"] == D("0.02") * (bid - 1) * D("1.001")


async def test_cancel_replace_without_a_client_id_gets_a_random_one() -> None:
    ex = frozen()
    bid = (await ex.fetch_order_book(BTC))["bids"][3][0]
    original = await ex.create_order(BTC, "limit", "buy", "0.01", bid, {"clientOrderId": "orig-2"})
    new = await ex.edit_order(original["id"], BTC, "limit", "buy", "0.01", bid - 1)
    assert new["clientOrderId"] not in (None, "", "orig-2") and new["clientOrderId"].startswith("x-")
    again = await ex.edit_order(new["id"], BTC, "limit", "buy", "0.01", bid - 2)
    assert again["clientOrderId"] != new["clientOrderId"]


async def test_cancel_replace_after_a_partial_fill_buys_the_whole_new_amount_again() -> None:
    """Binance's replacement quantity is the new order's own: re-sending the full amount overfills."""
    ex = frozen()
    bid, ahead = (await ex.fetch_order_book(BTC))["bids"][0]
    original = await ex.create_order(BTC, "limit", "buy", "0.002", bid, {"clientOrderId": "pf-1"})
    ex.inject_flow(BTC, "sell", ahead + D("0.0005"))  # the queue ahead of us, then 0.0005 of ours
    part = await ex.fetch_order(original["id"], BTC)
    assert (part["status"], part["filled"]) == ("open", D("0.0005"))
    new = await ex.edit_order(original["id"], BTC, "limit", "buy", "0.002", bid, {"clientOrderId": "pf-2"})
    assert (new["amount"], new["filled"]) == (D("0.002"), 0)
    ex.inject_flow(BTC, "sell", ex.markets[BTC]["limits"]["amount"]["max"] / 100)  # sweeps our level
    orders = {o["clientOrderId"]: o for o in await ex.fetch_orders(BTC)}
    assert (orders["pf-1"]["status"], orders["pf-1"]["filled"]) == ("canceled", D("0.0005"))
    assert (orders["pf-2"]["status"], orders["pf-2"]["filled"]) == ("closed", D("0.002"))
    bought = sum(t["amount"] for t in await ex.fetch_my_trades(BTC))
    assert bought == D("0.0025") > D("0.002")  # more than the trader meant: the venue's rule, visible


async def test_cancel_replace_of_a_closed_order_places_nothing() -> None:
    ex = frozen()
    done = await ex.create_order(BTC, "market", "buy", "0.01")
    with pytest.raises(ccxt.OrderNotFound, match="nothing was canceled"):
        await ex.edit_order(done["id"], BTC, "market", "buy", "0.01", None, {"clientOrderId": "never"})
    assert [o["id"] for o in await ex.fetch_orders(BTC)] == [done["id"]]


async def test_cancel_replace_refused_new_order_leaves_the_original_canceled() -> None:
    ex = frozen(balances={"USDT": "1000", "BTC": "0"})
    bid = (await ex.fetch_order_book(BTC))["bids"][3][0]
    original = await ex.create_order(BTC, "limit", "buy", "0.01", bid, {"clientOrderId": "big-1"})
    with pytest.raises(ccxt.InsufficientFunds, match="was canceled"):
        await ex.edit_order(original["id"], BTC, "limit", "buy", "1", bid, {"clientOrderId": "big-2"})
    assert (await ex.fetch_order(original["id"], BTC))["status"] == "canceled"
    assert await ex.fetch_open_orders(BTC) == []


async def test_amend_mode_keeps_the_venue_id_and_takes_the_total_amount() -> None:
    ex = frozen(modify="amend")
    assert ex.features["swap"]["linear"]["editOrder"] == {"mode": "amend", "newId": False, "amount": "total"}
    bid = (await ex.fetch_order_book(BTC))["bids"][3][0]
    original = await ex.create_order(BTC, "limit", "buy", "0.01", bid, {"clientOrderId": "am-1"})
    orders_task = await stream(ex, "watch_orders")
    amended = await ex.edit_order(original["id"], BTC, "limit", "buy", "0.02", bid - 1)
    assert (amended["id"], amended["clientOrderId"], amended["amount"]) == (original["id"], "am-1", D("0.02"))
    assert [(o["id"], o["status"]) for o in await asyncio.wait_for(orders_task, 5)] == [(original["id"], "open")]
    assert len(await ex.fetch_orders(BTC)) == 1


def test_unknown_modify_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="cancel_replace, amend"):
        PaperExchange(modify="replace")


# -- finding 20: the depth stream sends only on change ------------------------------------------------
async def test_depth_stream_is_silent_while_the_book_does_not_change() -> None:
    ex = frozen()
    first = await ex.fetch_order_book(BTC)
    await ex.create_order(BTC, "market", "buy", "0.5")  # takes liquidity: the makers refill it
    for _ in range(60):
        ex.step(100)  # ... to their targets; then nothing changes
    settled = await ex.watch_order_book(BTC)  # a first call answers at once (the snapshot)
    waiting = await stream(ex, "watch_order_book", BTC)
    for _ in range(50):
        ex.step(100)  # five quiet seconds
        await asyncio.sleep(0)
    assert not waiting.done(), "a book that did not change was sent again"
    assert (await ex.fetch_order_book(BTC))["nonce"] == settled["nonce"] >= first["nonce"]

    bid = settled["bids"][2][0]
    await ex.create_order(BTC, "limit", "buy", "0.5", bid)  # our order changes the displayed book
    changed = await asyncio.wait_for(waiting, 5)
    assert changed["nonce"] == settled["nonce"] + 1
    assert [lv for lv in changed["bids"] if lv[0] == bid][0][1] == \
        [lv for lv in settled["bids"] if lv[0] == bid][0][1] + D("0.5")
    await ex.close()
