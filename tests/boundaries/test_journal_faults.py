"""Findings 7 and 8 of issue 13, headless: a journal that vanishes or fills up while running refuses the
write with a clear error, and nothing is sent whose intent is not on disk."""

from __future__ import annotations

import shutil
from decimal import Decimal as D

import pytest

from tests.conftest import make_desk
from workstation.desk.errors import DeskError
from workstation.desk.journal import JournalError
from workstation.domain.orders import OrderSpec, OrderStatus

from .faults import fill_journal, fill_up, small_tmpfs, space_returns


def counting(desk) -> list:
    exchange = desk.venues["paper"].exchange
    calls: list = []
    original = exchange.create_order

    async def create_order(*args, **kwargs):
        calls.append(args)
        return await original(*args, **kwargs)
    exchange.create_order = create_order
    return calls


def bid_order(desk, below: str = "20") -> OrderSpec:
    bid = desk.book("paper", "ETH/USDT").best_bid
    return OrderSpec(venue="paper", symbol="ETH/USDT", side="buy", type="limit", amount=D("0.1"), price=bid - D(below))


async def test_a_data_directory_removed_while_running_refuses_writes_and_sends_nothing(tmp_path):
    data = tmp_path / "data"
    desk = make_desk(data / "journal.sqlite3")
    await desk.connect()
    sent = counting(desk)
    try:
        first = desk.stage(bid_order(desk))
        waiting = desk.stage(bid_order(desk, "30"))
        await desk.approve(first.client_order_id)
        assert len(sent) == 1
        shutil.rmtree(data)
        with pytest.raises(DeskError, match="removed or replaced while running"):
            await desk.approve(waiting.client_order_id)
        with pytest.raises(DeskError, match="removed or replaced while running"):
            desk.stage(bid_order(desk, "40"))
        assert len(sent) == 1  # nothing reached the venue that the journal could not record
    finally:
        await desk.stop()


async def test_a_full_disk_refuses_staging_and_sending_until_space_returns(tmp_path):
    with small_tmpfs(tmp_path / "small", size_kb=8192) as mount:
        desk = make_desk(mount / "journal.sqlite3")
        await desk.connect()
        sent = counting(desk)
        try:
            waiting = desk.stage(bid_order(desk))
            fill_up(mount)
            errors = []
            for attempt in range(20):  # SQLite may still have room in pages it holds: go until it is full
                try:
                    desk.stage(bid_order(desk, str(30 + attempt)))
                except DeskError as exc:
                    errors.append(str(exc))
                    break
            assert errors and "is full" in errors[0] and "nothing was sent" in errors[0]
            with pytest.raises(DeskError, match="is full"):
                await desk.approve(waiting.client_order_id)
            assert sent == [] and desk.order(waiting.client_order_id).status is OrderStatus.PENDING_APPROVAL
            (mount / "ballast").unlink()
            await desk.approve(waiting.client_order_id)  # space is back: the same order goes, once
            assert len(sent) == 1 and desk.order(waiting.client_order_id).status is OrderStatus.OPEN
            assert desk.journal.count("intent") == 1
        finally:
            await desk.stop()


async def test_fills_that_arrive_while_the_journal_is_full_are_journaled_when_space_returns(tmp_path):
    desk = make_desk(tmp_path / "journal.sqlite3")
    await desk.connect()
    try:
        order = desk.stage(bid_order(desk, "0"))
        await desk.approve(order.client_order_id)
        exchange = desk.venues["paper"].exchange
        fill_journal(desk.journal)
        exchange.set_mid("ETH/USDT", str(desk.book("paper", "ETH/USDT").best_bid - 50))  # trades through our bid
        for _ in range(20):
            exchange.step(500)
            try:
                await desk.refresh()
            except DeskError:
                pass
        space_returns(desk.journal)
        await desk.refresh()
        venue_fills = await desk.venues["paper"].fetch_my_trades("ETH/USDT", None)
        assert venue_fills, "the paper exchange should have filled the order"
        for fill in venue_fills:
            assert desk.journal.has_fill("paper", fill.trade_id), f"fill {fill.trade_id} never journaled"
    finally:
        await desk.stop()


async def test_an_intent_the_journal_refuses_leaves_the_order_approvable(tmp_path, monkeypatch):
    desk = make_desk(tmp_path / "journal.sqlite3")
    await desk.connect()
    sent = counting(desk)
    try:
        order = desk.stage(bid_order(desk))
        append = desk.journal.append

        def refuse_intents(kind, **kwargs):
            if kind == "intent":
                raise JournalError("the disk holding the journal is full (test)")
            return append(kind, **kwargs)
        monkeypatch.setattr(desk.journal, "append", refuse_intents)
        with pytest.raises(DeskError):
            await desk.approve(order.client_order_id)
        assert sent == []
        assert desk.order(order.client_order_id).status is OrderStatus.PENDING_APPROVAL
    finally:
        await desk.stop()
