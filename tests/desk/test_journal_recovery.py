"""The journal: the intent is durable before the venue sees the order, and a restart never sends twice."""

import asyncio
import subprocess
import sys
import textwrap
from decimal import Decimal as D

import pytest

from tests.conftest import make_desk
from workstation.desk.journal import DuplicateIntent, Journal
from workstation.domain.orders import OrderSpec, OrderStatus as S, OrderType, Side
from workstation.venues.paper.exchange import PaperExchange


def market_buy(amount="0.01", symbol="BTC/USDT"):
    return OrderSpec("paper", symbol, Side.BUY, OrderType.MARKET, D(amount))


def test_client_order_ids_are_unique_and_never_reused_across_restarts(tmp_path):
    path = tmp_path / "j.sqlite3"
    first = Journal(path)
    ids = [first.next_client_order_id() for _ in range(5)]
    first.close()
    second = Journal(path)
    more = [second.next_client_order_id() for _ in range(5)]
    assert len(set(ids + more)) == 10
    assert all(i.isalnum() and len(i) <= 32 for i in ids + more)  # fits OKX's 32 alphanumerics, Binance's 36
    assert Journal(tmp_path / "other.sqlite3").next_client_order_id() not in ids  # another journal, another tag


def test_the_database_refuses_a_second_intent_and_a_second_fill(tmp_path):
    from workstation.domain.orders import Fill, Order
    j = Journal(tmp_path / "j.sqlite3")
    order = Order(market_buy(), j.next_client_order_id(), status=S.NEW)
    j.append("intent", order=order)
    with pytest.raises(DuplicateIntent):
        j.append("intent", order=order)
    fill = Fill("paper", "t1", order.client_order_id, "1", "BTC/USDT", Side.BUY, D("1"), D("0.01"))
    j.append("fill", fill=fill)
    with pytest.raises(Exception, match="UNIQUE"):
        j.append("fill", fill=fill)
    mode = j._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


async def test_restart_rebuilds_orders_fills_and_positions(tmp_path):
    exchange = PaperExchange(seed=3, latency=None)
    desk = make_desk(tmp_path / "j.sqlite3", exchange)
    await desk.connect()
    filled = await desk.approve(desk.stage(market_buy("0.02")).client_order_id)
    pending = desk.stage(market_buy("0.01", "ETH/USDT"))
    before = (desk.position("paper", "BTC/USDT"), len(desk.ledger.fills))
    desk.journal.close()

    again = make_desk(tmp_path / "j.sqlite3", exchange)
    assert again.order(filled.client_order_id).status is S.FILLED
    assert again.order(pending.client_order_id).status is S.PENDING_APPROVAL
    assert (again.position("paper", "BTC/USDT"), len(again.ledger.fills)) == before
    assert again.executions()[0].client_order_id == filled.client_order_id


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs, no cleanup, no ack processed."""


async def test_crash_after_the_venue_accepted_but_before_the_ack(tmp_path):
    exchange = PaperExchange(seed=5, latency=None)
    exchange.freeze()
    desk = make_desk(tmp_path / "j.sqlite3", exchange)
    await desk.connect()
    price = desk.book("paper", "BTC/USDT").best_bid
    order = desk.stage(OrderSpec("paper", "BTC/USDT", Side.BUY, OrderType.LIMIT, D("0.01"), price=price))
    real_create = exchange.create_order

    async def accept_then_die(*args, **kwargs):
        await real_create(*args, **kwargs)
        raise Crash()

    exchange.create_order = accept_then_die
    with pytest.raises(Crash):
        await desk.approve(order.client_order_id)
    exchange.create_order = real_create
    # the process is gone; a new one starts from the same journal against the same venue
    restarted = make_desk(tmp_path / "j.sqlite3", exchange)
    assert restarted.order(order.client_order_id).status is S.NEW  # known from the durable intent
    await restarted.connect()  # reconciles before any approval is possible
    recovered = restarted.order(order.client_order_id)
    assert recovered.status is S.OPEN and recovered.venue_order_id
    at_venue = [o for o in await exchange.fetch_open_orders() if o["clientOrderId"] == order.client_order_id]
    assert len(at_venue) == 1  # found, not sent again


CRASH_SCRIPT = textwrap.dedent('''
    import asyncio, os, sys
    from decimal import Decimal as D
    sys.path.insert(0, {root!r})
    from tests.conftest import make_desk
    from workstation.domain.orders import OrderSpec, OrderType, Side

    async def main():
        desk = make_desk({path!r})
        await desk.connect()
        order = desk.stage(OrderSpec("paper", "BTC/USDT", Side.BUY, OrderType.MARKET, D("0.01")))
        print(order.client_order_id, flush=True)
        venue = desk.venues["paper"]
        async def die(*a, **k):
            os._exit(9)  # a hard kill: no finally blocks, no atexit, no sqlite close
        venue.exchange.create_order = die
        await desk.approve(order.client_order_id)

    asyncio.run(main())
''')


async def test_hard_kill_between_intent_commit_and_send(tmp_path):
    import pathlib
    root = str(pathlib.Path(__file__).resolve().parents[2])
    path = str(tmp_path / "j.sqlite3")
    proc = subprocess.run([sys.executable, "-c", CRASH_SCRIPT.format(root=root, path=path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 9, proc.stderr
    cid = proc.stdout.strip()
    exchange = PaperExchange(seed=11, latency=None)
    desk = make_desk(path, exchange, in_doubt_grace_s=0.2, in_doubt_poll_s=0.01)
    assert desk.order(cid).status is S.NEW  # the intent survived the kill
    await desk.connect()
    for _ in range(100):
        if desk.order(cid).status is S.LOST:
            break
        await asyncio.sleep(0.02)
    assert desk.order(cid).status is S.LOST  # looked up, never found, never re-sent
    assert await exchange.fetch_my_trades() == [] and await exchange.fetch_open_orders() == []
    await desk.stop()
