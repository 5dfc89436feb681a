"""What the trader sees is what the venue holds: each check compares the Desk with the venue's own
records (issue: "in sync" must never lie). Every test here failed before its fix."""

from __future__ import annotations

import sqlite3
from decimal import Decimal as D

import pytest

from workstation.desk.clock import ManualClock
from workstation.desk.desk import Desk, DeskSettings
from workstation.desk.journal import Journal
from workstation.domain.orders import OrderSpec, OrderStatus as S, OrderType, Side
from workstation.venues.ccxt_venue import ExchangeVenue
from workstation.venues.paper.exchange import PaperExchange

SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BTC/USDT:USDT"]


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs, no cleanup, no ack processed."""


def binance_like(exchange: PaperExchange) -> PaperExchange:
    """REST trades carry only the venue's order id, as Binance's myTrades: no client order id anywhere."""
    real = exchange.fetch_my_trades

    async def fetch_my_trades(*args, **kwargs):
        trades = await real(*args, **kwargs)
        out = []
        for t in trades:
            t = dict(t, clientOrderId=None)
            t["info"] = {k: v for k, v in (t.get("info") or {}).items() if k not in ("clientOrderId", "c")}
            out.append(t)
        return out

    exchange.fetch_my_trades = fetch_my_trades
    return exchange


def build(path, exchange: PaperExchange, clock: ManualClock | None = None, **settings) -> Desk:
    settings = {"in_doubt_grace_s": 2.0, "in_doubt_poll_s": 3600.0, **settings}
    return Desk({"paper": ExchangeVenue("paper", exchange, "paper", read_retries=1)}, Journal(path),
                clock=clock or ManualClock(), settings=DeskSettings(**settings), symbols={"paper": list(SYMBOLS)})


async def venue_order(exchange: PaperExchange, client_order_id: str) -> dict:
    found = [o for o in await exchange.fetch_closed_orders() + await exchange.fetch_open_orders()
             if o["clientOrderId"] == client_order_id]
    assert len(found) == 1, found
    return found[0]


# -- finding 2: a fill booked before the order's venue id is known ----------------------------------------
async def test_a_fill_that_arrives_before_the_venue_id_is_attached_when_the_id_becomes_known(tmp_path):
    exchange = binance_like(PaperExchange(seed=5, latency=None))
    exchange.freeze()
    desk = build(tmp_path / "j.sqlite3", exchange)
    await desk.connect()
    order = desk.stage(OrderSpec("paper", "BTC/USDT", Side.BUY, OrderType.MARKET, D("0.01")))
    real_create = exchange.create_order

    async def accept_then_die(*args, **kwargs):
        await real_create(*args, **kwargs)
        raise Crash()

    exchange.create_order = accept_then_die
    with pytest.raises(Crash):
        await desk.approve(order.client_order_id)
    exchange.create_order = real_create
    desk.journal.close()

    restarted = build(tmp_path / "j.sqlite3", exchange)
    await restarted.connect()
    truth = await venue_order(exchange, order.client_order_id)
    mine = restarted.order(order.client_order_id)
    assert truth["status"] == "closed" and D(str(truth["filled"])) == D("0.01")
    assert (mine.status, mine.filled, mine.venue_order_id) == (S.FILLED, D("0.01"), truth["id"])
    assert restarted.ledger.unmatched_fills == {}
    assert restarted.reconcile_status("paper")[0].state == "in_sync"
    # and the journal alone tells the same story
    restarted.journal.close()
    again = build(tmp_path / "j.sqlite3", exchange)
    assert (again.order(order.client_order_id).status, again.order(order.client_order_id).filled) == (S.FILLED, D("0.01"))
    assert again.ledger.unmatched_fills == {}


# -- finding 10: fills that arrive while the journal cannot be written -----------------------------------
async def test_a_fill_the_journal_could_not_take_is_journaled_when_it_can(tmp_path):
    exchange = PaperExchange(seed=5, latency=None)
    exchange.freeze()
    clock = ManualClock()
    desk = build(tmp_path / "j.sqlite3", exchange, clock)
    await desk.connect()
    bid = desk.book("paper", "ETH/USDT").best_bid
    order = await desk.approve(desk.stage(OrderSpec("paper", "ETH/USDT", Side.BUY, OrderType.LIMIT, D("0.05"),
                                                    price=bid)).client_order_id)
    exchange.inject_flow("ETH/USDT", "sell", D("100"))  # fills our resting buy
    real_append = desk.journal.append

    def full_disk(kind, **kwargs):
        if kind == "fill":
            raise sqlite3.OperationalError("database or disk is full")
        return real_append(kind, **kwargs)

    desk.journal.append = full_disk
    exchange.step(1000)
    clock.advance(1000)
    await desk.refresh()
    assert desk.ledger.fills == {}  # not counted: it is not durable
    desk.journal.append = real_append  # space is back
    exchange.step(1000)
    clock.advance(1000)
    await desk.refresh()
    assert desk.order(order.client_order_id).status is S.FILLED
    assert desk.journal.count("fill") == len(desk.ledger.fills) == 1


# -- finding 15: the daily loss is bucketed by the Desk's UTC day -----------------------------------------
async def test_daily_loss_counts_fills_of_the_desks_day_whatever_the_venue_clock_says(tmp_path):
    exchange = PaperExchange(seed=5, latency=None, start_ms=1_735_689_600_000)  # the venue thinks it is 2025
    exchange.freeze()
    clock = ManualClock()  # the Desk's day: 2026-01-01
    desk = build(tmp_path / "j.sqlite3", exchange, clock)
    await desk.connect()
    buy = await desk.approve(desk.stage(OrderSpec("paper", "ETH/USDT", Side.BUY, OrderType.MARKET, D("1"))).client_order_id)
    mid = desk.mark("paper", "ETH/USDT")
    exchange.set_mid("ETH/USDT", mid * D("0.9"))
    exchange.step(100)
    await desk.sync_books()
    sell = await desk.approve(desk.stage(OrderSpec("paper", "ETH/USDT", Side.SELL, OrderType.MARKET, D("1"))).client_order_id)
    realized = sum((f.amount * f.price * (1 if f.side is Side.SELL else -1) - f.fee
                    for f in desk.ledger.fills.values()), D(0))
    assert buy.status is sell.status is S.FILLED and realized < -100
    assert desk.daily_pnl("paper") == realized  # flat again: today's PnL is the realized loss, net of fees
