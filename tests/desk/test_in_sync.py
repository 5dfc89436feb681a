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


def frozen_paper() -> PaperExchange:
    """The paper venue with its market held still: only what a test does moves it."""
    exchange = PaperExchange(seed=5, latency=None)
    exchange.freeze()
    return exchange


async def connected(path, exchange: PaperExchange, clock: ManualClock | None = None) -> Desk:
    desk = build(path / "j.sqlite3", exchange, clock)
    await desk.connect()
    return desk


async def venue_order(exchange: PaperExchange, client_order_id: str) -> dict:
    found = [o for o in await exchange.fetch_closed_orders() + await exchange.fetch_open_orders()
             if o["clientOrderId"] == client_order_id]
    assert len(found) == 1, found
    return found[0]


# -- finding 2: a fill booked before the order's venue id is known ----------------------------------------
async def test_a_fill_that_arrives_before_the_venue_id_is_attached_when_the_id_becomes_known(tmp_path):
    exchange = binance_like(PaperExchange(seed=5, latency=None))
    exchange.freeze()
    desk = await connected(tmp_path, exchange)
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
    exchange = frozen_paper()
    clock = ManualClock()
    desk = await connected(tmp_path, exchange, clock)
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
    desk = await connected(tmp_path, exchange, clock)
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


# -- finding 1: the kill switch and an order still on its way ------------------------------------------
async def test_kill_chases_an_order_that_lands_after_it(tmp_path):
    import asyncio
    from workstation.desk.clock import Clock

    exchange = frozen_paper()
    desk = build(tmp_path / "j.sqlite3", exchange, Clock())
    await desk.connect()
    market = desk.market("paper", "BTC/USDT")
    price = market.round_price(desk.book("paper", "BTC/USDT").best_bid * D("0.99"), Side.BUY)
    order = desk.stage(OrderSpec("paper", "BTC/USDT", Side.BUY, OrderType.LIMIT, D("0.01"), price=price))
    real_create = exchange.create_order

    async def slow_create(*args, **kwargs):
        await asyncio.sleep(1.0)  # the venue takes a second to answer
        return await real_create(*args, **kwargs)

    exchange.create_order = slow_create
    sending = asyncio.create_task(desk.approve(order.client_order_id))
    await asyncio.sleep(0.2)
    report = await desk.kill(actor="human", reason="test")
    await sending
    assert await exchange.fetch_open_orders() == []  # the venue holds nothing live
    assert desk.order(order.client_order_id).status is S.CANCELED
    assert report.in_flight_at_kill == 1 and report.canceled == 1 and report.venue_open_after == {"paper": 0}
    await desk.refresh()
    assert await exchange.fetch_open_orders() == [] and desk.working_orders() == []
    await desk.stop()


async def test_an_order_that_lands_while_halted_is_canceled_by_the_next_refresh(tmp_path):
    exchange = frozen_paper()
    clock = ManualClock()
    desk = await connected(tmp_path, exchange, clock)
    market = desk.market("paper", "BTC/USDT")
    price = market.round_price(desk.book("paper", "BTC/USDT").best_bid * D("0.99"), Side.BUY)
    order = desk.stage(OrderSpec("paper", "BTC/USDT", Side.BUY, OrderType.LIMIT, D("0.01"), price=price))
    real_create = exchange.create_order

    async def accept_then_time_out(*args, **kwargs):
        from ccxt.base.errors import RequestTimeout
        await real_create(*args, **kwargs)
        raise RequestTimeout("paper request timed out")

    exchange.create_order = accept_then_time_out
    await desk.approve(order.client_order_id)
    exchange.create_order = real_create
    assert desk.order(order.client_order_id).status is S.IN_DOUBT
    desk.controls.set_state("paper", "halted", "human", "test")  # halted while the outcome is unknown
    clock.advance(3000)
    await desk.refresh()  # finds it open at the venue: canceled, not left live
    assert await exchange.fetch_open_orders() == []
    assert desk.order(order.client_order_id).status is S.CANCELED


# -- finding 6: a fill that arrives during a send timeout -----------------------------------------------
async def test_a_fill_seen_before_the_send_times_out_stands(tmp_path):
    import asyncio
    from ccxt.base.errors import RequestTimeout

    exchange = frozen_paper()
    desk = await connected(tmp_path, exchange)
    desk.spawn(desk.feeds.fill_stream("paper"))  # the stream's trades carry our client id, as Binance's do
    desk.spawn(desk.feeds.order_stream("paper"))
    await asyncio.sleep(0.01)
    order = desk.stage(OrderSpec("paper", "BTC/USDT", Side.BUY, OrderType.MARKET, D("0.01")))
    real_create = exchange.create_order

    async def filled_then_time_out(*args, **kwargs):
        await real_create(*args, **kwargs)
        for _ in range(5):
            await asyncio.sleep(0.01)  # the fill reaches us by the stream before the lost answer
        raise RequestTimeout("paper request timed out")

    exchange.create_order = filled_then_time_out
    done = await desk.approve(order.client_order_id)
    assert done.status is S.FILLED and done.filled == D("0.01")
    assert desk.ledger.illegal_transitions == 0
    assert desk.journal.count("illegal_transition") == 0
    await desk.stop()


# -- finding 7: a restart within moments of an ack --------------------------------------------------
async def test_a_restart_right_after_an_ack_still_looks_up_what_changed(tmp_path):
    exchange = frozen_paper()
    clock = ManualClock()
    desk = await connected(tmp_path, exchange, clock)
    market = desk.market("paper", "ETH/USDT")
    price = market.round_price(desk.book("paper", "ETH/USDT").best_bid * D("0.98"), Side.BUY)
    order = await desk.approve(desk.stage(OrderSpec("paper", "ETH/USDT", Side.BUY, OrderType.LIMIT, D("0.05"),
                                                    price=price)).client_order_id)
    assert order.status is S.OPEN
    await exchange.cancel_order(order.venue_order_id, "ETH/USDT")  # canceled at the venue meanwhile
    desk.journal.close()  # and the process restarts at once (the clock has not moved)
    restarted = build(tmp_path / "j.sqlite3", exchange, clock)
    await restarted.connect()
    assert restarted.order(order.client_order_id).status is S.CANCELED
    assert order.client_order_id in restarted.recovery["orders_updated"]


# -- finding 9: the kill switch counts what happened at the venue ------------------------------------
async def test_kill_counts_the_cancels_the_venue_confirmed_even_when_the_stream_won_the_race(tmp_path):
    exchange = frozen_paper()
    desk = await connected(tmp_path, exchange)
    venue = desk.venues["paper"]
    market = desk.market("paper", "ETH/USDT")
    bid = desk.book("paper", "ETH/USDT").best_bid
    for i in range(5):
        price = market.round_price(bid * D("0.98") - market.tick * i, Side.BUY)
        await desk.approve(desk.stage(OrderSpec("paper", "ETH/USDT", Side.BUY, OrderType.LIMIT, D("0.05"),
                                                price=price)).client_order_id)
    for i in range(3):
        await desk.approve(desk.stage(OrderSpec("paper", "ETH/USDT", Side.SELL, OrderType.STOP_MARKET, D("0.01"),
                                                trigger_price=market.round_price(bid * D("0.9") - i, Side.SELL),
                                                emulate=True)).client_order_id)
    preview = desk.controls.preview()
    assert (preview.working, preview.emulated) == (5, 3)  # what the confirmation says, before anything is done
    real_cancel_all = exchange.cancel_all_orders

    async def stream_first(symbol=None, params=None):
        result = await real_cancel_all(symbol, params)
        for raw in result:  # the stream's CANCELED reports are applied before the cancel's own answer
            report = venue.order_report(raw)
            desk.ledger.apply_report(desk.ledger.find("paper", report.client_order_id, report.venue_order_id),
                                     report, "stream")
        return result

    exchange.cancel_all_orders = stream_first
    report = await desk.kill(actor="human", reason="test")
    assert report.canceled == 5 and report.disarmed == 3
    assert await exchange.fetch_open_orders() == []


# -- findings 3, 4, 5: modify where the venue cannot amend in place (Binance spot) --------------------------
async def resting(desk, exchange, amount="0.002", symbol="BTC/USDT"):
    market = desk.market("paper", symbol)
    price = market.round_price(desk.book("paper", symbol).best_bid, Side.BUY)
    order = await desk.approve(desk.stage(OrderSpec("paper", symbol, Side.BUY, OrderType.LIMIT, D(amount),
                                                    price=price)).client_order_id)
    assert order.status is S.OPEN
    return order, price


async def test_modify_of_a_partly_filled_order_replaces_only_what_is_left(tmp_path):
    exchange = frozen_paper()
    exchange.modify_semantics = "cancel_replace"  # as Binance spot: a new order for the quantity sent
    desk = await connected(tmp_path, exchange)
    order, price = await resting(desk, exchange)
    queue = desk.book("paper", "BTC/USDT").bids[0][1]  # ahead of ours (the book was read before we joined)
    exchange.inject_flow("BTC/USDT", "sell", queue + D("0.0005"))  # 0.0005 of ours fills; the Desk has not heard
    assert desk.order(order.client_order_id).filled == 0
    new = await desk.modify(order.client_order_id, price=price - 10)
    venue_new = await venue_order(exchange, new.client_order_id)
    assert D(str(venue_new["amount"])) == D("0.0015") and new.amount == D("0.0015")
    assert new.client_order_id.startswith(order.client_order_id) and new.client_order_id != order.client_order_id
    assert desk.order(order.client_order_id).filled == D("0.0005")  # the original's fill was fetched
    exchange.inject_flow("BTC/USDT", "sell", D("5"))  # everything resting at our price fills
    exchange.set_mid("BTC/USDT", price - 1000)
    exchange.step(100)
    await desk.refresh()
    ours = [o for o in await exchange.fetch_closed_orders() + await exchange.fetch_open_orders()
            if o["clientOrderId"].startswith(order.client_order_id)]
    assert sum(D(str(o["filled"])) for o in ours) == D("0.002")  # never more than the trader asked for
    assert desk.order(new.client_order_id).status is S.FILLED
    assert desk.position("paper", "BTC/USDT").size == D("0.002")


async def test_modify_with_the_stream_on_shows_the_replacement_live(tmp_path):
    import asyncio

    exchange = frozen_paper()
    exchange.modify_semantics = "cancel_replace"
    desk = await connected(tmp_path, exchange)
    desk.spawn(desk.feeds.order_stream("paper"))
    desk.spawn(desk.feeds.fill_stream("paper"))
    order, price = await resting(desk, exchange)
    await asyncio.sleep(0.01)
    new = await desk.modify(order.client_order_id, price=price - 10)
    for _ in range(5):
        await asyncio.sleep(0.01)  # every stream report delivered, the original's CANCELED included
    live = {o["clientOrderId"] for o in await exchange.fetch_open_orders()}
    assert live == {new.client_order_id}
    assert {o.client_order_id for o in desk.working_orders()} == live
    assert desk.order(new.client_order_id).status is S.OPEN
    await desk.refresh()
    assert desk.reconcile_status("paper")[0].state == "in_sync"
    await desk.stop()


async def test_a_lost_answer_to_the_replacement_is_found_by_its_own_id(tmp_path):
    from ccxt.base.errors import RequestTimeout

    exchange = frozen_paper()
    exchange.modify_semantics = "cancel_replace"
    clock = ManualClock()
    desk = await connected(tmp_path, exchange, clock)
    order, price = await resting(desk, exchange)
    real_create = exchange.create_order

    async def accept_then_time_out(*args, **kwargs):
        await real_create(*args, **kwargs)
        raise RequestTimeout("paper request timed out")

    exchange.create_order = accept_then_time_out
    new = await desk.modify(order.client_order_id, price=price - 10)
    exchange.create_order = real_create
    assert new.status is S.IN_DOUBT
    clock.advance(3000)
    await desk.refresh()
    [live] = await exchange.fetch_open_orders()
    assert live["clientOrderId"] == new.client_order_id
    assert desk.order(new.client_order_id).status is S.OPEN
    assert [o.client_order_id for o in desk.working_orders()] == [new.client_order_id]  # nothing adopted as external


async def test_an_amend_whose_answer_is_lost_after_the_order_was_declared_lost_stays_legal(tmp_path):
    """Found by the soak (seed 12, 10,000 orders): an amend hung; meanwhile the refresh found the order
    missing, in doubt, then lost; the amend's timeout then tried lost -> in_doubt, an illegal move (and an
    error alert). The timeout must not step a settled order back; one look-up brings the venue's word."""
    import asyncio

    from ccxt.base.errors import RequestTimeout

    exchange = frozen_paper()
    exchange.set_modify("amend")
    desk = await connected(tmp_path, exchange)
    order, price = await resting(desk, exchange)
    real_edit = exchange.edit_order
    asked = asyncio.Event()

    async def applied_then_silent(*args, **kwargs):
        await real_edit(*args, **kwargs)
        asked.set()
        await asyncio.sleep(0.05)
        raise RequestTimeout("paper request timed out")

    exchange.edit_order = applied_then_silent
    modify = asyncio.ensure_future(desk.modify(order.client_order_id, price=price - 10))
    await asked.wait()
    live = desk.order(order.client_order_id)
    desk.ledger.move(desk.ledger.orders[order.client_order_id], S.IN_DOUBT, "in_doubt")  # as the refresh does
    desk.ledger.move(desk.ledger.orders[order.client_order_id], S.LOST, "lost")  # ... once the grace ran out
    assert live is not None
    await modify
    exchange.edit_order = real_edit
    for _ in range(5):
        await asyncio.sleep(0)
    assert desk.ledger.illegal_transitions == 0
    assert not list(desk.journal.events(kinds=("illegal_transition",)))
    venue = await venue_order(exchange, order.client_order_id)
    assert venue["status"] == "open" and D(str(venue["price"])) == price - 10
    await desk.refresh()
    here = desk.order(order.client_order_id)
    assert (here.status, here.spec.price) == (S.OPEN, price - 10)  # the venue's word, not "lost"


async def test_a_refresh_does_not_step_back_an_order_declared_lost_while_it_looked_up_another(tmp_path):
    """Found by the soak (seed 12, 10,000 orders): the refresh listed two in-doubt orders to look up; while
    it asked about the first, the resolver declared the second lost; the refresh, not finding the second
    either, moved it lost -> in_doubt (an illegal move and an error alert)."""
    from ccxt.base.errors import RequestTimeout

    exchange = frozen_paper()
    desk = await connected(tmp_path, exchange)
    real_create = exchange.create_order

    async def never_arrives(*args, **kwargs):
        raise RequestTimeout("paper request timed out")  # the venue never had it

    exchange.create_order = never_arrives
    market = desk.market("paper", "BTC/USDT")
    price = market.round_price(desk.book("paper", "BTC/USDT").best_bid - 50, Side.BUY)
    doubted = []
    for amount in ("0.001", "0.002"):
        order = desk.stage(OrderSpec("paper", "BTC/USDT", Side.BUY, OrderType.LIMIT, D(amount), price=price))
        doubted.append((await desk.approve(order.client_order_id)).client_order_id)
    exchange.create_order = real_create
    assert [desk.order(c).status for c in doubted] == [S.IN_DOUBT, S.IN_DOUBT]
    venue = desk.venues["paper"]
    real_find = venue.find_order
    asked: list[str] = []

    async def find_while_the_resolver_gives_up(client_order_id, *args, **kwargs):
        asked.append(client_order_id)
        if len(asked) == 1:  # the resolver's grace ran out for the other one meanwhile
            other = next(c for c in doubted if c != client_order_id)
            desk.ledger.move(desk.ledger.orders[other], S.LOST, "lost")
        return await real_find(client_order_id, *args, **kwargs)

    venue.find_order = find_while_the_resolver_gives_up
    await desk.refresh()
    assert desk.ledger.illegal_transitions == 0 and desk.journal.count("illegal_transition") == 0
    assert len(asked) == 1  # a settled order is not looked up again by this refresh
    assert await exchange.fetch_open_orders() == []
    await desk.stop()


# -- finding 8: a quiet book is not a stale book ---------------------------------------------------------
async def test_a_calm_book_that_sends_nothing_does_not_block_trading(tmp_path):
    import asyncio
    from workstation.desk.clock import Clock

    exchange = frozen_paper()
    first: set[str] = set()
    real_watch = exchange.watch_order_book

    async def only_on_change(symbol, limit=None, params=None):  # the depth stream of a calm book: one message, then silence
        if symbol in first:
            await asyncio.Event().wait()
        first.add(symbol)
        return await real_watch(symbol, limit, params)

    exchange.watch_order_book = only_on_change
    desk = build(tmp_path / "j.sqlite3", exchange, Clock(), book_quiet_s=0.2)
    desk.set_risk_limits(None, stale_book_ms=600, reason="test")
    await desk.connect()
    for symbol in SYMBOLS:
        desk.spawn(desk.feeds.book_loop("paper", symbol))
    await asyncio.sleep(1.2)  # twice the stale limit without a single depth update
    spec = OrderSpec("paper", "ETH/USDT", Side.BUY, OrderType.MARKET, D("0.01"))
    assert [p.rule for p in desk.check(spec)] == []
    await desk.stop()


# -- finding 14: the venue's leverage is read at connect, before the first order -------------------------
async def test_the_first_perpetual_order_is_checked_at_the_venues_leverage(tmp_path):
    exchange = frozen_paper()
    exchange.has["fetchLeverage"] = True

    async def fetch_leverage(symbol, params=None):  # the account is set to 10x at the venue
        return {"symbol": symbol, "longLeverage": 10, "shortLeverage": 10, "info": {}}

    exchange.fetch_leverage = fetch_leverage
    desk = await connected(tmp_path, exchange)
    assert desk.position("paper", "BTC/USDT:USDT").size == 0  # no position yet: nothing else could tell
    spec = OrderSpec("paper", "BTC/USDT:USDT", Side.BUY, OrderType.MARKET, D("0.01"))
    denied = desk.stage(spec)
    assert denied.status is S.DENIED and "set to 10x at the venue (limit 5x)" in denied.reason


async def test_hedge_mode_is_named_and_refused(tmp_path):
    exchange = frozen_paper()
    exchange.has["fetchPositionMode"] = True

    async def fetch_position_mode(symbol=None, params=None):
        return {"info": {}, "hedged": True}

    exchange.fetch_position_mode = fetch_position_mode
    desk = await connected(tmp_path, exchange)
    denied = desk.stage(OrderSpec("paper", "BTC/USDT:USDT", Side.BUY, OrderType.MARKET, D("0.01")))
    assert denied.status is S.DENIED and "hedge mode" in denied.reason


# -- finding 16: only a human approves; the copilot holds copies ----------------------------------------
async def test_only_a_human_may_approve(tmp_path):
    from workstation.desk.errors import DeskError

    exchange = frozen_paper()
    desk = await connected(tmp_path, exchange)
    order = desk.stage(OrderSpec("paper", "ETH/USDT", Side.BUY, OrderType.MARKET, D("0.01")))
    with pytest.raises(DeskError, match="only a human may approve"):
        await desk.approve(order.client_order_id, actor="copilot:rules")
    assert desk.order(order.client_order_id).status is S.PENDING_APPROVAL and await exchange.fetch_my_trades() == []
    assert [e.actor for e in desk.journal.events(kinds=("approve_refused",))] == ["copilot:rules"]
    assert not any(e.actor.startswith("copilot") for e in desk.journal.events(kinds=("approved",)))
    done = await desk.approve(order.client_order_id, actor="eval:run1")  # the evaluation harness, on paper only
    assert done.status is S.FILLED
    desk.venues["paper"].environment = "testnet"
    other = desk.stage(OrderSpec("paper", "ETH/USDT", Side.BUY, OrderType.MARKET, D("0.02")))
    with pytest.raises(DeskError, match="only a human may approve"):
        await desk.approve(other.client_order_id, actor="eval:run1")


async def test_the_copilot_view_hands_out_copies_it_cannot_use_to_change_the_desk(tmp_path):
    from workstation.copilot.view import CopilotView

    exchange = frozen_paper()
    desk = await connected(tmp_path, exchange)
    order = await desk.approve(desk.stage(OrderSpec("paper", "ETH/USDT", Side.BUY, OrderType.MARKET,
                                                    D("0.01"))).client_order_id)
    view = CopilotView.of(desk)
    seen = view.order(order.client_order_id)
    seen.trade_ids.clear()
    seen.wall_ms.clear()
    seen.errors.append("injected")
    [listed] = [o for o in view.orders() if o.client_order_id == order.client_order_id]
    listed.trade_ids.add("forged")
    mine = desk.ledger.orders[order.client_order_id]
    assert mine.trade_ids and "forged" not in mine.trade_ids and "sent" in mine.wall_ms and mine.errors == []


# -- finding 17 (the Desk's side): a venue that forgot is a difference, also after a restart -----------------
async def test_a_venue_whose_balances_the_fills_do_not_explain_is_never_in_sync(tmp_path):
    exchange = frozen_paper()
    clock = ManualClock()
    desk = await connected(tmp_path, exchange, clock)
    await desk.approve(desk.stage(OrderSpec("paper", "ETH/USDT", Side.BUY, OrderType.MARKET, D("2"))).client_order_id)
    clock.advance(3000)
    await desk.refresh()
    assert desk.reconcile_status("paper")[0].state == "in_sync"
    desk.journal.close()
    forgot = PaperExchange(seed=5, latency=None)  # the venue starts over: 10 ETH again, not 12
    forgot.freeze()
    restarted = build(tmp_path / "j.sqlite3", forgot, clock)
    await restarted.connect()
    for _ in range(2):  # a drift is shown once it is seen twice
        clock.advance(3000)
        await restarted.refresh()
    status = restarted.reconcile_status("paper")[0]
    drifts = {d.symbol: d.amount for d in restarted.reconcile_differences("paper") if d.kind == "balance_drift"}
    assert status.state == "differences" and drifts["ETH"] == D("-2")


# -- found by the soak: what the Desk learns is in the journal, and a look-up's answer is not older news ------
async def test_a_desk_rebuilt_from_the_journal_knows_every_venue_id_the_live_one_learnt(tmp_path):
    from ccxt.base.errors import RequestTimeout

    exchange = frozen_paper()
    clock = ManualClock()
    desk = await connected(tmp_path, exchange, clock)
    bid = desk.book("paper", "ETH/USDT").best_bid
    real_create = exchange.create_order

    async def accept_then_time_out(*args, **kwargs):
        await real_create(*args, **kwargs)
        raise RequestTimeout("paper request timed out")

    exchange.create_order = accept_then_time_out
    order = await desk.approve(desk.stage(OrderSpec("paper", "ETH/USDT", Side.BUY, OrderType.LIMIT, D("0.05"),
                                                    price=desk.market("paper", "ETH/USDT").round_price(
                                                        bid * D("0.98"), Side.BUY))).client_order_id)
    exchange.create_order = real_create
    assert order.status is S.IN_DOUBT and order.venue_order_id is None
    await desk.router.resolve_now(desk.ledger.orders[order.client_order_id])  # found: the venue's id learnt
    await exchange.create_order("ETH/USDT", "limit", "buy", D("0.01"),
                                desk.market("paper", "ETH/USDT").round_price(bid * D("0.97"), Side.BUY),
                                {"clientOrderId": "someone"})
    clock.advance(3000)
    await desk.refresh()  # someone else's order adopted: its venue id learnt too
    live = {cid: o.venue_order_id for cid, o in desk.ledger.orders.items()}
    assert all(live.values()) and len(live) == 2
    desk.journal.close()
    replayed = build(tmp_path / "j.sqlite3", exchange, clock)
    assert {cid: o.venue_order_id for cid, o in replayed.ledger.orders.items()} == live


async def test_a_look_up_does_not_move_an_order_that_something_else_settled_while_it_asked(tmp_path):
    exchange = frozen_paper()
    clock = ManualClock()
    desk = build(tmp_path / "j.sqlite3", exchange, clock, in_doubt_grace_s=1.0)
    await desk.connect()
    bid = desk.book("paper", "ETH/USDT").best_bid
    exchange.set_fault("server_error", 1.0)  # the send fails before the venue applies it: nothing placed
    price = desk.market("paper", "ETH/USDT").round_price(bid * D("0.98"), Side.BUY)
    order = await desk.approve(desk.stage(OrderSpec("paper", "ETH/USDT", Side.BUY, OrderType.LIMIT, D("0.05"),
                                                    price=price)).client_order_id)
    exchange.set_fault("server_error", 0.0)
    assert order.status is S.IN_DOUBT
    venue = desk.venues["paper"]
    real_find = venue.find_order

    async def meanwhile_declared_lost(*args, **kwargs):
        answer = await real_find(*args, **kwargs)
        mine = desk.ledger.orders[order.client_order_id]
        desk.ledger.move(mine, S.LOST, "lost", reason="the resolver's own look-up, while the reconciler asked")
        return answer

    venue.find_order = meanwhile_declared_lost
    clock.advance(500)
    await desk.refresh()
    assert desk.order(order.client_order_id).status is S.LOST
    assert desk.ledger.illegal_transitions == 0
