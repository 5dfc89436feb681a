"""Reconciliation: the Desk's view is brought in line with the venue's on every refresh, by stated rules,
and what needs a human is listed with the verbs the trader has (adopt, cancel, ignore)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from workstation.desk.clock import ManualClock
from workstation.desk.desk import Desk, DeskError, DeskSettings
from workstation.desk.journal import Journal
from workstation.domain.orders import OrderSpec, OrderStatus as S, OrderType, Origin, Side
from workstation.domain.positions import VenuePositionInfo
from workstation.domain.reports import Balance
from workstation.venues.ccxt_venue import ExchangeVenue
from workstation.venues.paper.exchange import PaperExchange

SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BTC/USDT:USDT"]


def build(path, exchange: PaperExchange | None = None, clock: ManualClock | None = None, **settings) -> Desk:
    exchange = exchange or PaperExchange(seed=7, latency=None)
    settings = {"in_doubt_grace_s": 2.0, "in_doubt_poll_s": 3600.0, **settings}
    return Desk({"paper": ExchangeVenue("paper", exchange, "paper", read_retries=1)}, Journal(path),
                clock=clock or ManualClock(), settings=DeskSettings(**settings), symbols={"paper": list(SYMBOLS)})


@pytest.fixture
async def world(tmp_path):
    exchange = PaperExchange(seed=7, latency=None)
    exchange.freeze()  # only the flow a test injects
    clock = ManualClock()
    desk = build(tmp_path / "j.sqlite3", exchange, clock)
    await desk.connect()
    yield desk, exchange, clock
    await desk.stop()


def tick(desk: Desk, exchange: PaperExchange, clock: ManualClock, ms: int = 3000) -> None:
    exchange.step(ms)
    clock.advance(ms)


async def refresh(desk, exchange, clock, ms: int = 3000):
    tick(desk, exchange, clock, ms)
    await desk.sync_books()
    await desk.refresh()
    return desk.reconciler.last["paper"]


def resting_buy(desk: Desk, symbol: str = "ETH/USDT", amount: str = "0.05", away: str = "0.98") -> OrderSpec:
    book, market = desk.book("paper", symbol), desk.market("paper", symbol)
    return OrderSpec("paper", symbol, Side.BUY, OrderType.LIMIT, D(amount),
                     price=market.round_price(book.best_bid * D(away), Side.BUY))


def fall_below(desk: Desk, exchange: PaperExchange, symbol: str, price: D) -> None:
    """The market falls 1% through a price: resting buys there fill (as makers, at their price)."""
    exchange.set_mid(symbol, desk.market("paper", symbol).round_price(price * D("0.99"), Side.BUY))


async def send(desk: Desk, spec: OrderSpec):
    desk.clock.advance(150)  # under the gate's order-rate limit
    staged = desk.stage(spec)
    assert staged.status is S.PENDING_APPROVAL, staged.reason
    sent = await desk.approve(staged.client_order_id)
    assert sent.status is not S.DENIED, sent.reason
    return sent


def status(desk: Desk):
    return desk.reconcile_status("paper")[0]


def counting(exchange: PaperExchange) -> dict[str, int]:
    """Count every private REST call the Desk makes to the venue."""
    calls: dict[str, int] = {}
    for name in ("fetch_open_orders", "fetch_closed_orders", "fetch_order", "fetch_my_trades", "fetch_balance",
                 "fetch_positions"):
        real = getattr(exchange, name)

        async def wrapper(*a, _real=real, _name=name, **k):
            calls[_name] = calls.get(_name, 0) + 1
            return await _real(*a, **k)

        setattr(exchange, name, wrapper)
    return calls


async def test_calls_per_refresh_do_not_grow_with_open_orders(world):
    desk, exchange, clock = world
    calls = counting(exchange)
    await send(desk, resting_buy(desk))
    await refresh(desk, exchange, clock)
    calls.clear()
    await refresh(desk, exchange, clock)
    with_one = dict(calls)
    for i in range(30):
        await send(desk, resting_buy(desk, away=str(D("0.97") + D(i) / 1000)))
    await refresh(desk, exchange, clock)
    calls.clear()
    await refresh(desk, exchange, clock)
    assert len(desk.working_orders()) == 31
    assert calls == with_one  # the same handful of calls for 1 or 31 open orders
    assert sum(with_one.values()) <= 4 and "fetch_order" not in with_one
    assert status(desk).state == "in_sync"


async def test_lookups_for_vanished_orders_are_capped(world):
    desk, exchange, clock = world
    for i in range(14):
        await send(desk, resting_buy(desk, away=str(D("0.97") + D(i) / 1000)))
    await refresh(desk, exchange, clock)
    for o in list(exchange.sim.open.values()):  # the venue drops them all (a venue-side mass cancel)
        exchange.sim.cancel(o)
    calls = counting(exchange)
    report = await refresh(desk, exchange, clock)
    assert calls.get("fetch_order", 0) == desk.reconciler.max_lookups == 10
    assert sum(1 for o in desk.orders() if o.status is S.CANCELED) == 10
    await refresh(desk, exchange, clock)  # the rest on the next refresh
    assert all(o.status is S.CANCELED for o in desk.orders())
    assert any(d.kind == "missing_order" and "canceled" in d.detail for d in report.differences)


async def test_an_unknown_venue_order_is_adopted_as_external_and_can_be_canceled(world):
    desk, exchange, clock = world
    price = resting_buy(desk).price
    placed = await exchange.create_order("ETH/USDT", "limit", "buy", D("0.02"), price, {})  # another app
    await refresh(desk, exchange, clock)
    adopted = [o for o in desk.working_orders() if o.venue_order_id == placed["id"]]
    assert len(adopted) == 1 and adopted[0].external and adopted[0].spec.origin is Origin.EXTERNAL
    assert adopted[0].amount == D("0.02") and adopted[0].spec.price == price
    st = status(desk)
    assert st.state == "differences" and st.differences == 1 and st.text == "1 difference"
    assert desk.venue_states()[0].reconcile_ok is False and desk.venue_states()[0].differences == 1
    row = desk.reconcile_differences("paper")[0]
    assert row.kind == "unknown_order" and row.needs_human and row.verbs == ("adopt", "cancel", "ignore")
    assert "not placed by this workstation" in row.detail and "adopted as external" in row.action

    await refresh(desk, exchange, clock)  # adopted once, not again
    assert len([o for o in desk.orders() if o.external]) == 1

    done = await desk.cancel_difference(row.key)
    assert done.resolution == "canceled" and not done.needs_human
    assert exchange.sim.orders[placed["id"]].status == "canceled"
    assert status(desk).state == "in_sync"
    with pytest.raises(DeskError, match="already canceled"):
        desk.ignore_difference(row.key)
    assert [e.payload["difference"]["kind"] for e in desk.journal.events(kinds=("difference_canceled",))] == ["unknown_order"]


async def test_an_adopted_external_order_is_managed_and_its_fills_count(world):
    desk, exchange, clock = world
    bid = desk.book("paper", "ETH/USDT").best_bid
    ahead = desk.book("paper", "ETH/USDT").bids[0][1]
    await exchange.create_order("ETH/USDT", "limit", "buy", D("0.03"), bid, {})
    await refresh(desk, exchange, clock)
    key = desk.reconcile_differences("paper")[0].key
    assert desk.adopt(key).resolution == "adopted"
    assert status(desk).state == "in_sync"
    exchange.inject_flow("ETH/USDT", "sell", ahead + D("0.03"))
    await refresh(desk, exchange, clock)
    external = [o for o in desk.orders() if o.external][0]
    assert external.status is S.FILLED and external.filled == D("0.03")
    assert desk.position("paper", "ETH/USDT").size == D("0.03")


async def test_an_order_canceled_at_the_venue_is_found_by_one_lookup(world):
    desk, exchange, clock = world
    order = await send(desk, resting_buy(desk))
    await refresh(desk, exchange, clock)
    await exchange.cancel_order(order.venue_order_id, "ETH/USDT")  # canceled behind our back
    report = await refresh(desk, exchange, clock)
    assert desk.order(order.client_order_id).status is S.CANCELED
    diff = [d for d in report.differences if d.client_order_id == order.client_order_id]
    assert diff[0].kind == "missing_order" and diff[0].action == "now canceled"
    assert status(desk).state == "in_sync"


async def test_send_timeout_after_accept_is_in_doubt_blocks_a_duplicate_then_resolves(world):
    desk, exchange, clock = world
    spec = resting_buy(desk)
    exchange.set_fault("timeout_after_accept", 1.0)
    order = await send(desk, spec)
    exchange.set_fault("timeout_after_accept", 0.0)
    assert order.status is S.IN_DOUBT
    again = desk.stage(spec)  # the trader, unsure, tries the same order again
    assert again.status is S.DENIED and "in_doubt_duplicate" in again.reason and order.client_order_id in again.reason
    assert status(desk).in_doubt == 1 and "1 in doubt" in status(desk).text
    await refresh(desk, exchange, clock)
    assert desk.order(order.client_order_id).status is S.OPEN  # found by client order id, never re-sent
    assert len([o for o in exchange.sim.orders.values() if o.client_id == order.client_order_id]) == 1
    clock.advance(6000)  # past the gate's duplicate window too
    await desk.sync_books()
    assert desk.stage(spec).status is S.PENDING_APPROVAL  # no longer in doubt: a second order is the trader's call


async def test_an_order_that_never_reached_the_venue_is_lost_only_after_a_proven_absence(world):
    desk, exchange, clock = world
    spec = resting_buy(desk)
    exchange.set_fault("server_error", 1.0)  # a 503 on the send: unknown outcome (nothing was placed)
    order = await send(desk, spec)
    assert order.status is S.IN_DOUBT
    tick(desk, exchange, clock)
    report = await desk.reconciler.reconcile("paper")  # every call fails: nothing is proven
    assert not report.ok and status(desk).state == "failing" and "failing" in status(desk).text
    assert desk.venue_states()[0].reconcile_ok is None
    tick(desk, exchange, clock, 10_000)
    await desk.refresh()
    assert desk.order(order.client_order_id).status is S.IN_DOUBT  # grace long over, but no look-up succeeded
    exchange.set_fault("server_error", 0.0)
    report = await refresh(desk, exchange, clock)
    lost = desk.order(order.client_order_id)
    assert lost.status is S.LOST
    row = [v for v in desk.reconcile_differences("paper") if v.client_order_id == order.client_order_id][0]
    assert row.kind == "lost_order" and row.needs_human and row.verbs == ("cancel", "ignore")
    assert status(desk).state == "differences"

    # The venue had it after all (it arrived late): the lost order comes back and its fill counts.
    await exchange.create_order("ETH/USDT", "limit", "buy", spec.amount, spec.price,
                                {"clientOrderId": order.client_order_id})
    fall_below(desk, exchange, "ETH/USDT", spec.price)  # the market falls through our price: we fill
    tick(desk, exchange, clock, 100)
    await refresh(desk, exchange, clock)
    back = desk.order(order.client_order_id)
    assert back.status is S.FILLED and back.filled == spec.amount
    assert desk.position("paper", "ETH/USDT").size == spec.amount
    assert desk.ledger.illegal_transitions == 0
    assert status(desk).state == "in_sync"  # the venue settled the lost-order item


async def test_modify_timeout_takes_the_venues_terms_and_keeps_every_fill(world):
    desk, exchange, clock = world
    exchange.set_modify("amend")  # an amend in place (a lost cancel-replace: tests/desk/test_in_sync_venue.py)
    bid = desk.book("paper", "ETH/USDT").best_bid
    order = await send(desk, OrderSpec("paper", "ETH/USDT", Side.BUY, OrderType.LIMIT, D("0.05"), price=bid))
    exchange.set_fault("timeout_after_accept", 1.0)
    modified = await desk.modify(order.client_order_id, amount=D("0.08"))
    exchange.set_fault("timeout_after_accept", 0.0)
    assert modified.status is S.IN_DOUBT and modified.amount == D("0.05")  # we do not know if it took
    await refresh(desk, exchange, clock)
    assert desk.order(order.client_order_id).amount == D("0.08")  # the venue's terms win
    fall_below(desk, exchange, "ETH/USDT", bid)
    await refresh(desk, exchange, clock)
    done = desk.order(order.client_order_id)
    assert done.status is S.FILLED and done.filled == D("0.08")
    assert not desk.ledger.unmatched_fills


async def test_a_stale_snapshot_never_undoes_a_newer_fill(world):
    desk, exchange, clock = world
    bid = desk.book("paper", "ETH/USDT").best_bid
    order = await send(desk, OrderSpec("paper", "ETH/USDT", Side.BUY, OrderType.LIMIT, D("0.05"), price=bid))
    venue = desk.venues["paper"]
    stale = await venue.fetch_open_orders()  # taken while the order was open
    fall_below(desk, exchange, "ETH/USDT", bid)
    await refresh(desk, exchange, clock)
    assert desk.order(order.client_order_id).status is S.FILLED
    position = desk.position("paper", "ETH/USDT")

    async def late(symbol=None):
        return stale

    venue.fetch_open_orders = late
    await refresh(desk, exchange, clock)
    await refresh(desk, exchange, clock)
    assert desk.order(order.client_order_id).status is S.FILLED
    assert desk.position("paper", "ETH/USDT") == position
    assert desk.ledger.illegal_transitions == 0


async def test_reconciling_twice_changes_nothing_the_second_time(world):
    desk, exchange, clock = world
    exchange.set_fault("drop_fill_message", 1.0)
    bid = desk.book("paper", "ETH/USDT").best_bid
    await send(desk, OrderSpec("paper", "ETH/USDT", Side.BUY, OrderType.LIMIT, D("0.05"), price=bid))
    await send(desk, resting_buy(desk))
    await send(desk, OrderSpec("paper", "BTC/USDT:USDT", Side.BUY, OrderType.MARKET, D("0.002")))
    await exchange.create_order("SOL/USDT", "limit", "sell", D("1"), D(str(round(desk.book("paper", "SOL/USDT").best_ask * D("1.02"), 2))), {})
    fall_below(desk, exchange, "ETH/USDT", bid)
    await refresh(desk, exchange, clock)

    def state():
        return ({o.client_order_id: (o.status, o.filled, o.amount, o.spec.price) for o in desk.orders()},
                set(desk.ledger.fills), {k: p.size for k, p in desk.ledger.positions.items()})

    first, events = state(), desk.journal.count()
    second = await desk.reconciler.reconcile("paper")
    assert state() == first
    assert desk.journal.count() == events  # nothing new journaled either
    assert not any(d.action in ("recorded", "adopted as external: tracked, counts against limits") for d in second.differences)


async def test_position_drift_asks_for_a_human_after_two_refreshes_and_can_be_adopted(world):
    desk, exchange, clock = world
    await send(desk, OrderSpec("paper", "BTC/USDT:USDT", Side.BUY, OrderType.MARKET, D("0.002")))
    await refresh(desk, exchange, clock)
    assert status(desk).state == "in_sync"
    venue = desk.venues["paper"]
    real = venue.fetch_positions

    async def more(*a, **k):  # the venue reports 0.001 more than any fill here explains
        out = await real()
        info = out["BTC/USDT:USDT"]
        return {**out, "BTC/USDT:USDT": VenuePositionInfo(info.size + D("0.001"), info.entry_price)}

    venue.fetch_positions = more
    report = await refresh(desk, exchange, clock)
    drift = [d for d in report.differences if d.kind == "position_drift"][0]
    assert not drift.needs_human and "seen once" in drift.action  # a snapshot may predate a fill
    await refresh(desk, exchange, clock)
    row = [v for v in desk.reconcile_differences("paper") if v.kind == "position_drift"][0]
    assert row.needs_human and row.amount == D("0.001") and "0.001 that no fill here explains" in row.detail
    assert status(desk).state == "differences"
    assert desk.adopt(row.key).resolution == "adopted"
    await refresh(desk, exchange, clock)
    assert status(desk).state == "in_sync"
    assert desk.position("paper", "BTC/USDT:USDT").size == D("0.002")  # positions stay the sum of fills


async def test_balance_drift_names_the_unexplained_amount_and_can_be_ignored(world):
    desk, exchange, clock = world
    await send(desk, OrderSpec("paper", "BTC/USDT", Side.BUY, OrderType.MARKET, D("0.001")))
    report = await refresh(desk, exchange, clock)
    assert not [d for d in report.differences if d.kind == "balance_drift"]  # the fill explains the move
    venue = desk.venues["paper"]
    real = venue.fetch_balance

    async def deposit(*a, **k):
        out = await real()
        btc = out["BTC"]
        return {**out, "BTC": Balance("BTC", btc.free + D("0.1"), btc.used, btc.total + D("0.1"))}

    venue.fetch_balance = deposit
    await refresh(desk, exchange, clock)
    await refresh(desk, exchange, clock)
    row = [v for v in desk.reconcile_differences("paper") if v.kind == "balance_drift"][0]
    assert row.symbol == "BTC" and row.amount == D("0.1") and row.needs_human
    desk.ignore_difference(row.key, note="a deposit")
    await refresh(desk, exchange, clock)
    assert status(desk).state == "in_sync"  # quiet while the amount stays the same


async def test_no_approval_before_a_successful_first_reconcile(tmp_path):
    exchange = PaperExchange(seed=7, latency=None)
    clock = ManualClock()
    desk = build(tmp_path / "j.sqlite3", exchange, clock)
    real = exchange.fetch_balance

    async def down(*a, **k):
        raise __import__("ccxt").ExchangeNotAvailable("paper 503")

    exchange.fetch_balance = down
    await desk.connect()
    assert not desk.ready
    staged = desk.stage(OrderSpec("paper", "BTC/USDT", Side.BUY, OrderType.MARKET, D("0.001")))
    with pytest.raises(DeskError, match="reconciled"):
        await desk.approve(staged.client_order_id)
    exchange.fetch_balance = real
    await desk.refresh()
    assert desk.ready
    await desk.stop()


async def test_restart_reconciles_and_shows_what_it_found_once(tmp_path):
    exchange = PaperExchange(seed=7, latency=None)
    exchange.freeze()
    clock = ManualClock()
    desk = build(tmp_path / "j.sqlite3", exchange, clock)
    await desk.connect()
    assert desk.take_recovery() is None  # a clean start has nothing to tell
    spec = resting_buy(desk)
    staged = desk.stage(spec)
    real = exchange.create_order

    class Crash(BaseException):
        pass

    async def accept_then_die(*a, **k):
        await real(*a, **k)
        raise Crash()

    exchange.create_order = accept_then_die
    with pytest.raises(Crash):
        await desk.approve(staged.client_order_id)
    exchange.create_order = real
    bid = desk.book("paper", "SOL/USDT").best_bid
    await exchange.create_order("SOL/USDT", "limit", "buy", D("1"), D(str(round(bid * D("0.99"), 2))), {})  # placed elsewhere meanwhile
    exchange.set_fault("drop_fill_message", 1.0)
    await exchange.create_order("BTC/USDT", "market", "buy", D("0.001"), None, {})  # and a fill we never saw

    clock.advance(5000)
    again = build(tmp_path / "j.sqlite3", exchange, clock)
    await again.connect()
    summary = again.take_recovery()
    assert summary is not None and summary["reconciled"]
    assert staged.client_order_id in summary["orders_updated"] + summary["intents_found"]
    assert len(summary["orders_adopted"]) == 1 and len(summary["fills_recovered"]) == 1
    assert again.take_recovery() is None  # shown once ...
    assert list(again.journal.events(kinds=("recovery_summary",)))  # ... kept in the journal
    assert again.order(staged.client_order_id).status is S.OPEN
    await again.stop()
