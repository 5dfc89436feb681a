"""Properties that must hold after any sequence of trading: money is conserved and consistent."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import ccxt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workstation.venues.paper import PaperExchange

D = Decimal
SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BTC/USDT:USDT"]

action = st.tuples(
    st.sampled_from(["limit", "market", "ioc", "fok", "post", "stop", "cancel", "edit", "step",
                     "flow"]),
    st.sampled_from(SYMBOLS),
    st.sampled_from(["buy", "sell"]),
    st.integers(min_value=1, max_value=400),  # lots multiplier
    st.integers(min_value=0, max_value=8),  # book level
)


async def play(seed: int, actions: list[tuple[str, str, str, int, int]], modify: str = "cancel_replace",
               ) -> PaperExchange:
    ex = PaperExchange(seed=seed, modify=modify)
    ids: list[str] = []
    for kind, symbol, side, mult, level in actions:
        market = ex.markets[symbol]
        amount = market["precision"]["amount"] * mult * 10
        book = await ex.fetch_order_book(symbol)
        same = book["bids"] if side == "buy" else book["asks"]
        other = book["asks"] if side == "buy" else book["bids"]
        try:
            if kind == "step":
                ex.step(100 * mult)
            elif kind == "flow":
                ex.inject_flow(symbol, side, amount)
            elif kind == "cancel" and ids:
                await ex.cancel_order(ids.pop(level % len(ids)))
            elif kind == "edit" and ids:
                o = await ex.fetch_order(ids[level % len(ids)])
                half = o["amount"] / 2 - (o["amount"] / 2) % ex.markets[o["symbol"]]["precision"]["amount"]
                params = {"triggerPrice": o["triggerPrice"]} if o["triggerPrice"] is not None else {}
                new = await ex.edit_order(o["id"], o["symbol"], o["type"], o["side"], half, o["price"], params)
                ids.append(new["id"])
            elif kind == "market":
                await ex.create_order(symbol, "market", side, amount)
            elif kind == "stop":
                trigger = other[level][0]
                o = await ex.create_order(symbol, "market", side, amount, None, {"triggerPrice": trigger})
                ids.append(o["id"])
            else:
                tif = {"ioc": "IOC", "fok": "FOK", "post": "PO"}.get(kind, "GTC")
                price = (other if kind in ("ioc", "fok") else same)[level][0]
                o = await ex.create_order(symbol, "limit", side, amount, price, {"timeInForce": tif})
                ids.append(o["id"])
        except (ccxt.InsufficientFunds, ccxt.InvalidOrder):
            pass
    return ex


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=1, max_value=10_000), actions=st.lists(action, max_size=40),
       modify=st.sampled_from(["cancel_replace", "amend"]))
def test_balances_orders_and_trades_stay_consistent(seed: int, actions: list, modify: str) -> None:
    ex = asyncio.run(play(seed, actions, modify))
    acc = ex.sim.accounts

    async def check() -> None:
        bal = await ex.fetch_balance()
        positions = await ex.fetch_positions()
        margin = sum((p["initialMargin"] for p in positions), D(0))
        for ccy in bal["total"]:
            reserved = sum((o.reserved for o in ex.sim.open.values() if o.reserve_ccy == ccy), D(0))
            assert bal[ccy]["used"] == reserved + (margin if ccy == "USDT" else 0)
            assert bal[ccy]["free"] >= 0 and bal[ccy]["total"] >= 0
        for order in await ex.fetch_orders():
            assert 0 <= order["filled"] <= order["amount"]
            assert order["filled"] == sum((t["amount"] for t in order["trades"]), D(0))
            assert order["cost"] == sum((t["cost"] for t in order["trades"]), D(0))
            if order["status"] == "closed":
                assert order["filled"] == order["amount"]
            if order["status"] != "open":
                assert order["id"] not in ex.sim.open
        spot_base = {"BTC/USDT": "BTC", "ETH/USDT": "ETH", "SOL/USDT": "SOL"}
        trades = await ex.fetch_my_trades()
        for symbol, base in spot_base.items():
            bought = sum((t["amount"] * (1 if t["side"] == "buy" else -1)
                          for t in trades if t["symbol"] == symbol), D(0))
            assert bal["total"][base] == {"BTC": 1, "ETH": 10, "SOL": 100}[base] + bought
        assert all(o.reserved == 0 for o in ex.sim.orders.values() if not o.is_open)
        assert set(acc.used) <= set(acc.total)

    asyncio.run(check())
