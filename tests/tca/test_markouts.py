"""The markout recorder: mids at +1 s, +5 s, +60 s, +300 s after a fill, from BookChanged and the desk clock."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from workstation.desk.clock import ManualClock
from workstation.desk.desk import Desk
from workstation.desk.events import BookChanged, ExecutionRecorded, FillRecorded
from workstation.desk.journal import Journal
from workstation.desk.markouts import MarkoutRecorder
from workstation.domain.book import Book
from workstation.domain.orders import Fill, Side


def book(mid: str, symbol: str = "BTC/USDT") -> Book:
    m = D(mid)
    return Book(symbol, ((m - D("0.5"), D("1")),), ((m + D("0.5"), D("1")),), venue="paper")


def fill(trade_id: str, side: Side = Side.BUY, price: str = "100", amount: str = "1", cid: str = "ws1") -> Fill:
    return Fill("paper", trade_id, cid, "v1", "BTC/USDT", side, D(price), D(amount), D("0"), "USDT", "taker", 5)


@pytest.fixture
def desk(tmp_path):
    d = Desk({}, Journal(tmp_path / "j.sqlite3"), clock=ManualClock())
    yield d
    d.journal.close()


def feed(desk: Desk, mid: str, advance_ms: int = 0, symbol: str = "BTC/USDT") -> None:
    desk.clock.advance(advance_ms)
    desk.books[("paper", symbol)] = book(mid, symbol)
    desk.bus.publish(BookChanged("paper", symbol, book(mid, symbol)))


def test_the_desk_wires_a_recorder(desk):
    assert isinstance(desk.markouts, MarkoutRecorder)


def test_samples_the_first_book_at_or_after_each_horizon(desk):
    rec = desk.markouts
    desk.bus.publish(FillRecorded(fill("t1", Side.BUY, "100")))
    desk.bus.publish(FillRecorded(fill("t2", Side.SELL, "100", cid="ws2")))
    assert rec.pending() == 8
    feed(desk, "100.5", 999)  # too early for +1 s
    assert rec.for_order("ws1") == []
    feed(desk, "100.1", 1)  # exactly +1 s
    feed(desk, "101", 3_000)  # +4 s: nothing due
    feed(desk, "99.9", 2_500)  # +6.5 s: the +5 s sample, late, takes this book
    feed(desk, "100.2", 60_000)
    feed(desk, "100.3", 240_000)
    samples = {(s.horizon_s): s for s in rec.for_order("ws1")}
    assert [samples[h].mid for h in (1, 5, 60, 300)] == [D("100.1"), D("99.9"), D("100.2"), D("100.3")]
    assert [samples[h].markout_bps for h in (1, 5, 60, 300)] == [D("10"), D("-10"), D("20"), D("30")]
    assert samples[5].mid_ms - samples[5].fill_ms == 6_500  # the lag is kept, not hidden
    sells = {s.horizon_s: s.markout_bps for s in rec.for_order("ws2")}
    assert sells == {1: D("-10"), 5: D("10"), 60: D("-20"), 300: D("-30")}
    assert rec.pending() == 0
    assert desk.journal.count("markout") == 8


def test_other_symbols_and_one_sided_books_do_not_sample(desk):
    rec = desk.markouts
    desk.bus.publish(FillRecorded(fill("t1")))
    feed(desk, "200", 2_000, "ETH/USDT")
    assert rec.for_order("ws1") == []
    desk.bus.publish(BookChanged("paper", "BTC/USDT", Book("BTC/USDT", ((D("99"), D("1")),), ())))
    assert rec.for_order("ws1") == []
    feed(desk, "100.1")
    assert [s.horizon_s for s in rec.for_order("ws1")] == [1]


def test_end_mid_and_reload_from_the_journal(tmp_path):
    path = tmp_path / "j.sqlite3"
    desk = Desk({}, Journal(path), clock=ManualClock())
    desk.bus.publish(FillRecorded(fill("t1")))
    feed(desk, "100.1", 1_000)

    class E:  # the recorder only reads these attributes of an Execution
        client_order_id, venue, symbol = "ws1", "paper", "BTC/USDT"

    desk.bus.publish(ExecutionRecorded(E()))
    assert desk.markouts.end_mids == {"ws1": D("100.1")}
    version = desk.markouts.version
    assert version > 0
    desk.journal.close()

    again = Desk({}, Journal(path), clock=ManualClock())
    assert again.markouts.end_mids == {"ws1": D("100.1")}
    assert [(s.trade_id, s.horizon_s, s.markout_bps) for s in again.markouts.for_order("ws1")] == [("t1", 1, D("10"))]
    again.journal.close()
