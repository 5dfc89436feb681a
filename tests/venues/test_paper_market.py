"""The synthetic market: determinism, book shape, flow, candles, and the ccxt shapes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ccxt
import pytest

from workstation.venues.paper import PaperExchange

BTC = "BTC/USDT"
PERP = "BTC/USDT:USDT"
D = Decimal


async def run(seed: int, steps: int = 300) -> tuple[dict[str, Any], list[dict[str, Any]], list[Any]]:
    ex = PaperExchange(seed=seed)
    bid = (await ex.fetch_order_book(BTC))["bids"][0][0]
    await ex.create_order(BTC, "limit", "buy", "0.05", str(bid), {"clientOrderId": "d-1"})
    for i in range(steps):
        ex.step(100)
        if i == steps // 2:
            await ex.create_order(BTC, "market", "sell", "0.03")
    book = await ex.fetch_order_book(BTC)
    book.pop("datetime")
    return book, await ex.fetch_trades(BTC), await ex.fetch_my_trades()


@pytest.mark.asyncio
async def test_same_seed_same_world_different_seed_different_world() -> None:
    a, b, c = await run(11), await run(11), await run(12)
    assert a == b
    assert a[0]["bids"] != c[0]["bids"] and a[1] != c[1]


@pytest.mark.asyncio
async def test_book_has_depth_and_is_well_formed_in_every_market() -> None:
    ex = PaperExchange(seed=1)
    for _ in range(50):
        ex.step(100)
    for symbol, market in ex.markets.items():
        book = await ex.fetch_order_book(symbol)
        bids, asks = book["bids"], book["asks"]
        assert len(bids) >= 25 and len(asks) >= 25
        assert bids[0][0] < asks[0][0]
        assert [p for p, _ in bids] == sorted((p for p, _ in bids), reverse=True)
        assert [p for p, _ in asks] == sorted(p for p, _ in asks)
        tick, lot = market["precision"]["price"], market["precision"]["amount"]
        for price, size in bids + asks:
            assert size > 0 and price % tick == 0 and size % lot == 0
        assert len((await ex.fetch_order_book(symbol, 5))["bids"]) == 5


@pytest.mark.asyncio
async def test_mid_wanders_and_regimes_switch() -> None:
    ex = PaperExchange(seed=1)
    mids, regimes = set(), set()
    for _ in range(6000):  # ten simulated minutes
        ex.step(100)
        mids.add(ex.sim.markets[BTC].mid)
        regimes.add(ex.regime(BTC))
    assert len(mids) > 100
    assert regimes == {"calm", "normal", "volatile"}
    last = (await ex.fetch_ticker(BTC))["last"]
    assert D(55000) < last < D(75000)


@pytest.mark.asyncio
async def test_other_traders_flow_fills_resting_orders_over_time() -> None:
    ex = PaperExchange(seed=6)
    bid = (await ex.fetch_order_book(BTC))["bids"][0][0]
    order = await ex.create_order(BTC, "limit", "buy", "0.02", str(bid))
    for _ in range(3000):
        ex.step(100)
        if (await ex.fetch_order(order["id"]))["status"] == "closed":
            break
    done = await ex.fetch_order(order["id"])
    assert done["status"] == "closed" and done["average"] == bid
    assert all(t["takerOrMaker"] == "maker" for t in done["trades"])


@pytest.mark.asyncio
async def test_public_trades_and_candles_come_from_the_simulation() -> None:
    ex = PaperExchange(seed=2)
    start = ex.milliseconds()
    for _ in range(1200):  # two simulated minutes
        ex.step(100)
    trades = await ex.fetch_trades(BTC)
    assert len(trades) > 100
    assert all(t["timestamp"] >= start for t in trades)
    assert [t["timestamp"] for t in trades] == sorted(t["timestamp"] for t in trades)
    assert {t["side"] for t in trades} == {"buy", "sell"}
    assert len(await ex.fetch_trades(BTC, limit=10)) == 10

    candles = await ex.fetch_ohlcv(BTC, "1m", since=start)
    assert [c[0] for c in candles] == [start, start + 60_000, start + 120_000]
    in_first = [t for t in trades if start <= t["timestamp"] < start + 60_000]
    ts, o, h, lo, c, v = candles[0]
    assert o == in_first[0]["price"] and c == in_first[-1]["price"]
    assert h == max(t["price"] for t in in_first) and lo == min(t["price"] for t in in_first)
    assert v == sum(t["amount"] for t in in_first)
    history = await ex.fetch_ohlcv(BTC, "1h")
    assert len(history) >= 12 and all(row[2] >= row[3] for row in history)
    assert len(await ex.fetch_ohlcv(BTC, "15m", limit=4)) == 4
    with pytest.raises(ccxt.BadRequest):
        await ex.fetch_ohlcv(BTC, "3m")


@pytest.mark.asyncio
async def test_ticker_fields() -> None:
    ex = PaperExchange(seed=2)
    for _ in range(100):
        ex.step(100)
    t = await ex.fetch_ticker(BTC)
    book = await ex.fetch_order_book(BTC, 1)
    assert t["bid"] == book["bids"][0][0] and t["ask"] == book["asks"][0][0]
    assert t["low"] <= t["last"] <= t["high"] and t["baseVolume"] > 0
    assert t["last"] == (await ex.fetch_trades(BTC))[-1]["price"]
    assert t["info"]["regime"] in ("calm", "normal", "volatile")
    assert (await ex.fetch_ticker(PERP))["markPrice"] > 0


@pytest.mark.asyncio
async def test_markets_have_and_features_look_like_ccxt() -> None:
    ex = PaperExchange()
    markets = await ex.load_markets()
    assert ex.symbols == sorted(["BTC/USDT", "ETH/USDT", "SOL/USDT", PERP])
    assert len(await ex.fetch_markets()) == 4
    btc = markets[BTC]
    assert btc["spot"] and not btc["swap"] and btc["type"] == "spot" and btc["active"]
    assert btc["precision"]["amount"] == D("0.00001") and btc["precision"]["price"] == D("0.01")
    assert btc["limits"]["cost"]["min"] == 5 and btc["maker"] == btc["taker"] == D("0.001")
    assert markets["ETH/USDT"]["precision"]["amount"] == D("0.0001")
    assert markets["SOL/USDT"]["precision"]["amount"] == D("0.001")
    for key in ("createOrder", "cancelOrder", "editOrder", "fetchOrder", "fetchOpenOrders",
                "fetchClosedOrders", "fetchMyTrades", "fetchBalance", "fetchPositions",
                "fetchOrderBook", "watchOrderBook", "watchOrders", "watchMyTrades",
                "fetchTicker", "fetchTrades", "fetchOHLCV", "setLeverage", "cancelAllOrders"):
        assert ex.has[key] is True, key
    assert ex.has["createTrailingPercentOrder"] is False
    assert ex.has["createTrailingAmountOrder"] is False
    for section in (ex.features["spot"], ex.features["swap"]["linear"]):
        co = section["createOrder"]
        assert co["triggerPrice"] is True and co["triggerDirection"] is False
        assert co["timeInForce"] == {"IOC": True, "FOK": True, "PO": True, "GTD": False, "GTC": True}
        assert co["hedged"] is False and co["trailing"] is False
        assert co["stopLossPrice"] is False and co["attachedStopLossTakeProfit"] is None
        assert section["fetchOrder"]["symbolRequired"] is False
        assert "daysBack" in section["fetchClosedOrders"]
    assert ex.timeframes == {"1m": "1m", "5m": "5m", "15m": "15m", "1h": "1h"}
    assert ex.amount_to_precision(BTC, "0.123456789") == "0.12345"
    assert ex.price_to_precision(BTC, "27123.456") == "27123.46"


def assert_no_floats(value: Any, path: str = "") -> None:
    assert not isinstance(value, float), f"float at {path}"
    if isinstance(value, dict):
        for k, v in value.items():
            assert_no_floats(v, f"{path}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            assert_no_floats(v, f"{path}[{i}]")


def assert_money_is_decimal(row: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        assert isinstance(row[key], Decimal), (key, row[key])


@pytest.mark.asyncio
async def test_every_number_is_decimal_never_float() -> None:
    ex = PaperExchange(seed=3)
    ex.step(100)
    bid = (await ex.fetch_order_book(BTC))["bids"][1][0]
    resting = await ex.create_order(BTC, "limit", "buy", 0.01, float(bid))
    filled = await ex.create_order(BTC, "market", "buy", "0.01")
    await ex.create_order(PERP, "market", "buy", "0.01")
    stop = await ex.create_order(BTC, "market", "sell", "0.01", None, {"triggerPrice": "50000"})
    outputs: list[Any] = [
        ex.markets, resting, filled, stop, await ex.fetch_order_book(BTC),
        await ex.fetch_ticker(BTC), await ex.fetch_ticker(PERP), await ex.fetch_trades(BTC),
        await ex.fetch_ohlcv(BTC), await ex.fetch_my_trades(), await ex.fetch_balance(),
        await ex.fetch_positions(), await ex.fetch_open_orders(), await ex.fetch_closed_orders(),
        await ex.set_leverage(5, PERP),
    ]
    assert_no_floats(outputs)
    for order in (resting, filled, stop):
        assert_money_is_decimal(order, ("amount", "filled", "remaining", "cost"))
    assert_money_is_decimal(filled, ("average", "price") if filled["price"] else ("average",))
    assert isinstance(filled["fee"]["cost"], Decimal)
    trade = filled["trades"][0]
    assert_money_is_decimal(trade, ("price", "amount", "cost"))
    [pos] = await ex.fetch_positions()
    assert_money_is_decimal(pos, ("contracts", "contractSize", "entryPrice", "markPrice", "notional",
                                  "unrealizedPnl", "leverage", "initialMargin",
                                  "maintenanceMargin", "liquidationPrice"))
    for candle in await ex.fetch_ohlcv(BTC, "5m", limit=3):
        assert isinstance(candle[0], int) and all(isinstance(x, Decimal) for x in candle[1:])
