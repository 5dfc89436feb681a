"""The linear perpetual: isolated margin, liquidation price, reduce-only, liquidation."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import ccxt
import pytest

from workstation.venues.paper import PaperExchange

PERP = "BTC/USDT:USDT"
D = Decimal
Q8 = D("0.00000001")


def frozen(seed: int = 4) -> PaperExchange:
    ex = PaperExchange(seed=seed)
    ex.freeze()
    return ex


def liq_long(entry: Decimal, margin: Decimal, qty: Decimal, mmr: Decimal = D("0.005")) -> Decimal:
    return ((entry - margin / qty) / (1 - mmr)).quantize(Q8, ROUND_HALF_EVEN)


def liq_short(entry: Decimal, margin: Decimal, qty: Decimal, mmr: Decimal = D("0.005")) -> Decimal:
    return ((entry + margin / qty) / (1 + mmr)).quantize(Q8, ROUND_HALF_EVEN)


@pytest.mark.asyncio
async def test_perp_market_metadata() -> None:
    ex = frozen()
    markets = await ex.load_markets()
    m = markets[PERP]
    assert m["swap"] and m["contract"] and m["linear"] and m["settle"] == "USDT"
    assert m["precision"] == {"amount": D("0.001"), "price": D("0.1"), "cost": None,
                              "base": None, "quote": None}
    assert m["limits"]["leverage"] == {"min": 1, "max": 100}
    assert (m["maker"], m["taker"]) == (D("0.0002"), D("0.0005"))
    assert ex.features["swap"]["linear"]["createOrder"]["triggerPrice"] is True


@pytest.mark.asyncio
async def test_long_position_margin_and_liquidation_price() -> None:
    ex = frozen()
    await ex.set_leverage(20, PERP)
    order = await ex.create_order(PERP, "market", "buy", "0.1")
    entry = order["average"]
    [pos] = await ex.fetch_positions([PERP])
    margin = (entry * D("0.1") / 20).quantize(Q8)
    assert pos["side"] == "long" and pos["contracts"] == D("0.1") and pos["contractSize"] == 1
    assert pos["entryPrice"] == entry and pos["leverage"] == 20
    assert pos["initialMargin"] == margin and pos["marginMode"] == "isolated"
    assert pos["markPrice"] == (await ex.fetch_ticker(PERP))["markPrice"]
    assert pos["notional"] == pos["markPrice"] * D("0.1")
    assert pos["maintenanceMargin"] == (pos["notional"] * D("0.005")).quantize(Q8)
    assert pos["unrealizedPnl"] == (pos["markPrice"] - entry) * D("0.1")
    assert pos["liquidationPrice"] == liq_long(entry, margin, D("0.1"))
    assert entry * D("0.94") < pos["liquidationPrice"] < entry * D("0.96")  # ~1/20 away
    bal = await ex.fetch_balance()
    assert bal["USDT"]["used"] == margin
    assert bal["USDT"]["total"] == D(100000) - order["fee"]["cost"]
    assert order["fee"]["cost"] == order["cost"] * D("0.0005")


@pytest.mark.asyncio
async def test_short_position_liquidation_price() -> None:
    ex = frozen()
    order = await ex.create_order(PERP, "market", "sell", "0.2")
    [pos] = await ex.fetch_positions()
    margin = (order["average"] * D("0.2") / 5).quantize(Q8)  # default leverage 5 (the gate's default limit)
    assert pos["side"] == "short" and pos["initialMargin"] == margin
    assert pos["liquidationPrice"] == liq_short(order["average"], margin, D("0.2"))
    assert pos["liquidationPrice"] > order["average"]


@pytest.mark.asyncio
async def test_reduce_only_refuses_to_increase_and_clips_to_position() -> None:
    ex = frozen()
    with pytest.raises(ccxt.InvalidOrder, match="increase"):
        await ex.create_order(PERP, "market", "sell", "0.1", None, {"reduceOnly": True})
    with pytest.raises(ccxt.InvalidOrder, match="perpetual"):
        await ex.create_order("BTC/USDT", "market", "sell", "0.1", None, {"reduceOnly": True})
    opened = await ex.create_order(PERP, "market", "buy", "0.1")
    with pytest.raises(ccxt.InvalidOrder, match="increase"):
        await ex.create_order(PERP, "market", "buy", "0.1", None, {"reduceOnly": True})
    closed = await ex.create_order(PERP, "market", "sell", "0.5", None, {"reduceOnly": True})
    assert closed["amount"] == D("0.1") and closed["status"] == "closed" and closed["reduceOnly"]
    assert await ex.fetch_positions() == []
    bal = await ex.fetch_balance()
    assert bal["USDT"]["used"] == 0
    realized = (closed["average"] - opened["average"]) * D("0.1")
    fees = opened["fee"]["cost"] + closed["fee"]["cost"]
    assert bal["USDT"]["total"] == D(100000) + realized - fees
    assert sum(t["info"]["realizedPnl"] for t in closed["trades"]) == realized


@pytest.mark.asyncio
async def test_maker_and_taker_fees_differ() -> None:
    ex = frozen()
    bid = (await ex.fetch_order_book(PERP))["bids"][0][0]
    maker = await ex.create_order(PERP, "limit", "buy", "0.05", str(bid))
    ex.inject_flow(PERP, "sell", "20")
    maker = await ex.fetch_order(maker["id"])
    taker = await ex.create_order(PERP, "market", "sell", "0.05")
    assert maker["status"] == "closed" and maker["trades"][0]["takerOrMaker"] == "maker"
    assert maker["fee"]["cost"] == maker["cost"] * D("0.0002")
    assert maker["trades"][0]["fee"]["rate"] == D("0.0002")
    assert taker["trades"][0]["fee"]["rate"] == D("0.0005")
    assert taker["fee"]["cost"] == taker["cost"] * D("0.0005")


@pytest.mark.asyncio
async def test_position_flips_through_zero() -> None:
    ex = frozen()
    await ex.create_order(PERP, "market", "buy", "0.1")
    flip = await ex.create_order(PERP, "market", "sell", "0.3")
    [pos] = await ex.fetch_positions()
    assert pos["side"] == "short" and pos["contracts"] == D("0.2")
    assert pos["entryPrice"] == flip["trades"][-1]["price"]
    assert pos["initialMargin"] == (pos["entryPrice"] * D("0.2") / 5).quantize(Q8)  # the default 5x


@pytest.mark.asyncio
async def test_liquidation_closes_at_mark_and_loses_the_margin() -> None:
    ex = frozen()
    await ex.set_leverage(50, PERP)
    bid = (await ex.fetch_order_book(PERP))["bids"][0][0]
    order = await ex.create_order(PERP, "market", "buy", "0.1")
    [pos] = await ex.fetch_positions()
    reduce_later = await ex.create_order(PERP, "limit", "sell", "0.1", str(bid + 500),
                                         {"reduceOnly": True})
    liq = pos["liquidationPrice"]
    ex.set_mid(PERP, str((liq + 1).quantize(D("0.1"))))  # still above: nothing happens
    assert len(await ex.fetch_positions()) == 1
    ex.set_mid(PERP, str((liq - 1).quantize(D("0.1"))))
    assert await ex.fetch_positions() == []
    bal = await ex.fetch_balance()
    assert bal["USDT"]["total"] == D(100000) - order["fee"]["cost"] - pos["initialMargin"]
    assert bal["USDT"]["used"] == 0
    trades = await ex.fetch_my_trades(PERP)
    assert trades[-1]["info"]["liquidation"] is True and trades[-1]["side"] == "sell"
    assert trades[-1]["info"]["realizedPnl"] == -pos["initialMargin"]
    liq_order = await ex.fetch_order(trades[-1]["order"])
    assert liq_order["status"] == "closed" and liq_order["clientOrderId"].startswith("liquidation-")
    assert (await ex.fetch_order(reduce_later["id"]))["status"] == "canceled"


@pytest.mark.asyncio
async def test_margin_is_checked_and_leverage_validated() -> None:
    ex = frozen()
    with pytest.raises(ccxt.InsufficientFunds):
        await ex.create_order(PERP, "market", "buy", "20")  # 1.3M notional at 5x
    with pytest.raises(ccxt.BadRequest):
        await ex.set_leverage(101, PERP)
    with pytest.raises(ccxt.BadRequest):
        await ex.set_leverage(5, "BTC/USDT")
    await ex.set_leverage(100, PERP)
    ok = await ex.create_order(PERP, "market", "buy", "10")
    assert ok["status"] == "closed"


@pytest.mark.asyncio
async def test_perp_mark_tracks_spot_with_a_small_basis() -> None:
    ex = PaperExchange(seed=9)
    for _ in range(600):
        ex.step(100)
    spot = await ex.fetch_ticker("BTC/USDT")
    perp = await ex.fetch_ticker(PERP)
    assert perp["indexPrice"] == spot["info"]["mid"]
    assert abs(perp["markPrice"] - perp["indexPrice"]) < 30
    assert spot["markPrice"] is None
