"""Every order type end to end on the paper exchange: native where its features say so, emulated otherwise.

What a trader checks: the order reached the venue (or did not, while held locally), it fired at the
right price, it filled for the right amount, and the position is what it should be.
"""

import asyncio
from decimal import Decimal as D

import pytest

from tests.conftest import make_desk
from workstation.desk.desk import DeskError
from workstation.domain.orders import OrderSpec, OrderStatus as S, OrderType as T, Side, TimeInForce, TriggerSource


def spec(symbol="ETH/USDT", side=Side.BUY, type=T.LIMIT, amount="1", **kw):
    return OrderSpec("paper", symbol, side, type, D(amount), **kw)


async def settle(desk, rounds=200):
    """Let released emulated orders go out (they are sent by a task spawned on the trigger)."""
    for _ in range(rounds):
        await asyncio.sleep(0.002)
        if not desk.emulator.releasing:
            break
    await desk.refresh()


async def move(desk, symbol, price):
    """The market moves to ``price``: the paper venue fires its native triggers on last; the Desk sees
    the new book (bid/ask and mid triggers) and the ticker (last and mark triggers)."""
    desk.venues["paper"].exchange.set_mid(symbol, price)
    await desk.sync_books()
    await desk.emulator.poll()
    await settle(desk)


async def buy_now(desk, symbol, amount):
    o = await desk.approve(desk.stage(spec(symbol, type=T.MARKET, amount=amount)).client_order_id)
    assert o.status is S.FILLED
    return o


async def venue_open(desk):
    return await desk.venues["paper"].exchange.fetch_open_orders()


@pytest.fixture
async def frozen(desk):
    desk.venues["paper"].exchange.freeze()  # only the moves a test makes
    yield desk


# -- what the ticket is told ------------------------------------------------------------------------
async def test_order_types_say_what_is_native_and_what_is_emulated(frozen):
    spot = frozen.order_types("paper", "BTC/USDT")
    perp = frozen.order_types("paper", "BTC/USDT:USDT")
    for kind in ("market", "limit", "stop_market", "stop_limit", "take_profit_market", "take_profit_limit",
                 "IOC", "FOK", "post_only"):
        assert spot[kind] == "native", kind
    assert spot["trailing_stop"] == "emulated" and spot["oco"] == "emulated" and spot["bracket"] == "emulated"
    assert spot["reduce_only"] == "unsupported" and perp["reduce_only"] == "native"
    assert spot["modify"] == "in place"
    trailing = spec(side=Side.SELL, type=T.TRAILING_STOP, trailing_percent=D("1"))
    assert frozen.explain(trailing).startswith("emulated locally: needs the workstation running")
    assert "native" in frozen.explain(spec(price=D("3000"), time_in_force=TimeInForce.IOC))


# -- limits and market -----------------------------------------------------------------------------
async def test_limit_time_in_force_and_post_only_native(frozen):
    desk = frozen
    book = desk.book("paper", "ETH/USDT")
    ask, bid = book.best_ask, book.best_bid
    ioc = await desk.approve(desk.stage(spec(price=ask, amount="0.5", time_in_force=TimeInForce.IOC)).client_order_id)
    assert ioc.status is S.FILLED and ioc.filled == D("0.5")
    away = desk.market("paper", "ETH/USDT").round_price(bid * D("0.98"), Side.BUY)
    ioc_away = await desk.approve(desk.stage(spec(price=away, amount="0.5", time_in_force=TimeInForce.IOC)).client_order_id)
    assert ioc_away.status is S.CANCELED and ioc_away.filled == 0  # nothing crossed: the rest is canceled
    more_than_at_ask = str((book.asks[0][1] + 1).normalize())
    fok = await desk.approve(desk.stage(spec(price=ask, amount=more_than_at_ask,
                                             time_in_force=TimeInForce.FOK)).client_order_id)
    assert fok.status is S.EXPIRED and fok.filled == 0  # all or nothing: not all at the limit, so nothing
    fok = await desk.approve(desk.stage(spec(price=ask, amount="1", time_in_force=TimeInForce.FOK)).client_order_id)
    assert fok.status is S.FILLED and fok.filled == D("1")
    po = await desk.approve(desk.stage(spec(price=bid, amount="0.5", post_only=True)).client_order_id)
    assert po.status is S.OPEN  # rests as a maker
    crossing = await desk.approve(desk.stage(spec(price=ask, amount="0.6", post_only=True)).client_order_id)
    assert crossing.status in (S.REJECTED, S.CANCELED) and crossing.filled == 0  # would take: refused
    gtc = await desk.approve(desk.stage(spec(price=away, amount="0.7")).client_order_id)
    assert gtc.status is S.OPEN
    assert {o["clientOrderId"] for o in await venue_open(desk)} == {po.client_order_id, gtc.client_order_id}


async def test_reduce_only_on_the_perpetual(frozen):
    desk = frozen
    await buy_now(desk, "BTC/USDT:USDT", "0.01")
    close = await desk.approve(desk.stage(spec("BTC/USDT:USDT", Side.SELL, T.MARKET, "0.02",
                                               reduce_only=True)).client_order_id)
    assert close.filled == D("0.01")  # capped by the venue at the position: never flips short
    await desk.refresh()
    assert desk.position("paper", "BTC/USDT:USDT").size == 0
    spot = desk.stage(spec("BTC/USDT", Side.SELL, T.MARKET, "0.01", reduce_only=True))
    assert spot.status is S.DENIED and "reduce_only" in spot.reason


# -- triggers: native on paper, emulated when asked or when the venue cannot ----------------------
@pytest.mark.parametrize("emulate", [False, True], ids=["native", "emulated"])
async def test_stop_market_sells_when_price_falls_through(frozen, emulate):
    desk = frozen
    await buy_now(desk, "ETH/USDT", "1")
    mid = desk.mark("paper", "ETH/USDT")
    stop = desk.stage(spec(side=Side.SELL, type=T.STOP_MARKET, trigger_price=mid - D("20"), emulate=emulate))
    armed = await desk.approve(stop.client_order_id)
    if emulate:
        assert armed.status is S.EMULATED and await venue_open(desk) == []  # held here, the venue knows nothing
    else:
        assert armed.status is S.OPEN and len(await venue_open(desk)) == 1
    await move(desk, "ETH/USDT", mid - D("10"))
    assert desk.order(stop.client_order_id).filled == 0  # not yet
    await move(desk, "ETH/USDT", mid - D("25"))
    done = desk.order(stop.client_order_id)
    assert done.status is S.FILLED and done.filled == D("1")
    assert desk.position("paper", "ETH/USDT").size == 0
    if emulate:
        assert done.spec.type is T.MARKET  # released as a market order through the normal path
        assert [e.kind for e in desk.journal.events(client_order_id=stop.client_order_id)
                if e.kind in ("armed", "released", "intent")] == ["armed", "released", "intent"]


@pytest.mark.parametrize("emulate", [False, True], ids=["native", "emulated"])
async def test_stop_limit_and_take_profits(frozen, emulate):
    desk = frozen
    await buy_now(desk, "ETH/USDT", "3")
    mid = desk.mark("paper", "ETH/USDT")
    stop_limit = await desk.approve(desk.stage(spec(side=Side.SELL, type=T.STOP_LIMIT, trigger_price=mid - D("20"),
                                                    price=mid - D("40"), emulate=emulate)).client_order_id)
    tp_market = await desk.approve(desk.stage(spec(side=Side.SELL, type=T.TAKE_PROFIT_MARKET,
                                                   trigger_price=mid + D("30"), emulate=emulate)).client_order_id)
    tp_limit = await desk.approve(desk.stage(spec(side=Side.SELL, type=T.TAKE_PROFIT_LIMIT, trigger_price=mid + D("30"),
                                                  price=mid + D("25"), emulate=emulate)).client_order_id)
    await move(desk, "ETH/USDT", mid + D("35"))
    assert desk.order(tp_market.client_order_id).status is S.FILLED
    assert desk.order(tp_limit.client_order_id).status is S.FILLED
    assert desk.order(tp_limit.client_order_id).average >= mid + D("25")  # never below its limit
    assert desk.order(stop_limit.client_order_id).filled == 0
    await move(desk, "ETH/USDT", mid - D("25"))
    sl = desk.order(stop_limit.client_order_id)
    assert sl.status is S.FILLED and sl.average >= mid - D("40")
    assert desk.position("paper", "ETH/USDT").size == 0


async def test_emulated_trigger_on_bid_ask_and_mark(frozen):
    desk = frozen
    await buy_now(desk, "ETH/USDT", "1")
    mid = desk.mark("paper", "ETH/USDT")
    on_bid = spec(side=Side.SELL, type=T.STOP_MARKET, amount="0.5", trigger_price=mid - D("20"),
                  trigger_by=TriggerSource.BID_ASK)
    assert "bid_ask is watched here" in desk.explain(on_bid)  # paper triggers on last only: held here
    a = await desk.approve(desk.stage(on_bid).client_order_id)
    b = await desk.approve(desk.stage(spec(side=Side.SELL, type=T.STOP_MARKET, amount="0.5",
                                           trigger_price=mid - D("30"), trigger_by=TriggerSource.MID)).client_order_id)
    assert a.status is S.EMULATED and b.status is S.EMULATED
    desk.venues["paper"].exchange.set_mid("ETH/USDT", mid - D("19.98"))  # bid now below the trigger, mid not
    await desk.sync_books()
    await settle(desk)
    assert desk.order(a.client_order_id).status is S.FILLED
    assert desk.order(b.client_order_id).status is S.EMULATED
    await move(desk, "ETH/USDT", mid - D("31"))
    assert desk.order(b.client_order_id).status is S.FILLED


async def test_trailing_stop_by_amount_follows_the_high_then_fires(frozen):
    desk = frozen
    await buy_now(desk, "ETH/USDT", "1")
    mid = desk.mark("paper", "ETH/USDT")
    trail = await desk.approve(desk.stage(spec(side=Side.SELL, type=T.TRAILING_STOP, trailing_amount=D("20"),
                                               trigger_by=TriggerSource.MID)).client_order_id)
    assert trail.status is S.EMULATED
    assert desk.emulated_orders()[0].trigger_level == mid - D("20")
    await move(desk, "ETH/USDT", mid + D("50"))
    assert desk.emulated_orders()[0].trigger_level == mid + D("30")  # followed the high
    await move(desk, "ETH/USDT", mid + D("35"))
    assert desk.order(trail.client_order_id).status is S.EMULATED  # above the trailed level: still held
    await move(desk, "ETH/USDT", mid + D("29"))
    done = desk.order(trail.client_order_id)
    assert done.status is S.FILLED and done.filled == D("1") and done.spec.type is T.MARKET


async def test_trailing_stop_by_percent_with_activation_price_for_a_short(frozen):
    desk = frozen
    mid = desk.mark("paper", "ETH/USDT")
    # a buy trailing stop (covering, or a breakout entry): inactive until price drops to the activation
    trail = await desk.approve(desk.stage(spec(side=Side.BUY, type=T.TRAILING_STOP, trailing_percent=D("1"),
                                               trigger_price=mid - D("40"), trigger_by=TriggerSource.MID)).client_order_id)
    await move(desk, "ETH/USDT", mid + D("100"))  # would fire a non-activated trail; this one is not active
    assert desk.order(trail.client_order_id).status is S.EMULATED
    assert desk.emulated_orders()[0].trigger_level is None
    await move(desk, "ETH/USDT", mid - D("50"))  # activates at the low
    low = mid - D("50")
    assert desk.emulated_orders()[0].trigger_level == low + low * D("0.01")
    await move(desk, "ETH/USDT", low + low * D("0.011"))
    done = desk.order(trail.client_order_id)
    assert done.status is S.FILLED and done.side is Side.BUY


async def test_emulated_orders_survive_a_restart_trailing_high_included(tmp_path):
    from workstation.venues.paper.exchange import PaperExchange
    exchange = PaperExchange(seed=11, latency=None)
    exchange.freeze()
    desk = make_desk(tmp_path / "j.sqlite3", exchange)
    await desk.connect()
    await buy_now(desk, "ETH/USDT", "1")
    mid = desk.mark("paper", "ETH/USDT")
    trail = await desk.approve(desk.stage(spec(side=Side.SELL, type=T.TRAILING_STOP, trailing_amount=D("20"),
                                               trigger_by=TriggerSource.MID)).client_order_id)
    await move(desk, "ETH/USDT", mid + D("50"))
    desk.journal.close()
    again = make_desk(tmp_path / "j.sqlite3", exchange)  # a new process, the same journal
    await again.connect()
    view = again.emulated_orders()
    assert [v.order.client_order_id for v in view] == [trail.client_order_id]
    assert view[0].order.status is S.EMULATED and view[0].note.startswith("emulated locally")
    await again.sync_books()
    assert again.emulated_orders()[0].trigger_level == mid + D("30")  # the high survived
    await move(again, "ETH/USDT", mid + D("29"))
    assert again.order(trail.client_order_id).status is S.FILLED
    await again.stop()


# -- OCO ---------------------------------------------------------------------------------------------
async def test_oco_one_leg_fires_the_other_is_canceled(frozen):
    desk = frozen
    await buy_now(desk, "ETH/USDT", "1")
    mid = desk.mark("paper", "ETH/USDT")
    legs = desk.stage_oco([spec(side=Side.SELL, type=T.LIMIT, price=mid + D("30")),
                           spec(side=Side.SELL, type=T.STOP_MARKET, trigger_price=mid - D("30"),
                                trigger_by=TriggerSource.MID)])
    assert [o.status for o in legs] == [S.PENDING_APPROVAL] * 2
    await desk.approve(legs[1].client_order_id)  # one decision for the group
    assert [desk.order(o.client_order_id).status for o in legs] == [S.EMULATED] * 2
    await move(desk, "ETH/USDT", mid + D("31"))
    tp, sl = (desk.order(o.client_order_id) for o in legs)
    assert tp.status is S.FILLED and tp.average >= mid + D("30")
    assert sl.status is S.CANCELED and tp.client_order_id in sl.reason
    await move(desk, "ETH/USDT", mid - D("40"))
    assert desk.order(legs[1].client_order_id).filled == 0 and desk.position("paper", "ETH/USDT").size == 0


async def test_oco_legs_triggered_at_the_same_moment_exactly_one_stands(frozen):
    desk = frozen
    await buy_now(desk, "ETH/USDT", "1")
    mid = desk.mark("paper", "ETH/USDT")
    # Two different prices say "fire" in the same instant: the take-profit watches last, the stop the mid.
    legs = desk.stage_oco([spec(side=Side.SELL, type=T.TAKE_PROFIT_MARKET, trigger_price=mid + D("10")),
                           spec(side=Side.SELL, type=T.STOP_MARKET, trigger_price=mid - D("10"),
                                trigger_by=TriggerSource.MID)])
    await desk.approve(legs[0].client_order_id)
    desk.emulator.prices[("paper", "ETH/USDT")] = {}
    fired = []
    fired += desk.emulator.set_price("paper", "ETH/USDT", mid=mid - D("11")) or []
    fired += desk.emulator.set_price("paper", "ETH/USDT", last=mid + D("11")) or []
    await settle(desk)
    states = sorted(desk.order(o.client_order_id).status.value for o in legs)
    assert states == ["canceled", "filled"]
    assert desk.position("paper", "ETH/USDT").size == 0  # sold once, not twice


async def test_oco_group_is_denied_as_a_whole(frozen):
    desk = frozen
    mid = desk.mark("paper", "ETH/USDT")
    legs = desk.stage_oco([spec(side=Side.SELL, type=T.LIMIT, price=mid + D("30")),
                           spec(side=Side.SELL, type=T.LIMIT, price=mid * 2)])  # a fat finger on one leg
    assert [o.status for o in legs] == [S.DENIED, S.DENIED]
    assert "price_collar" in legs[0].reason
    with pytest.raises(DeskError, match="market order"):
        desk.stage_oco([spec(side=Side.SELL, type=T.MARKET), spec(side=Side.SELL, price=mid + D("1"))])


# -- bracket -----------------------------------------------------------------------------------------
async def test_bracket_children_wait_then_follow_partial_fills_and_close_exactly_what_filled(frozen):
    desk = frozen
    ex = desk.venues["paper"].exchange
    book = desk.book("paper", "ETH/USDT")
    bid, queue = book.best_bid, book.bids[0][1]
    group = desk.stage_bracket(spec(amount="2", price=bid), stop_price=bid - D("30"), take_profit_price=bid + D("40"))
    entry, sl, tp = group
    assert [o.spec.type for o in group] == [T.LIMIT, T.STOP_MARKET, T.LIMIT]
    assert sl.spec.parent_id == entry.client_order_id and sl.spec.side is Side.SELL
    await desk.approve(entry.client_order_id)
    assert desk.order(entry.client_order_id).status is S.OPEN
    views = {v.order.client_order_id: v for v in desk.emulated_orders()}
    assert views[sl.client_order_id].waiting_for == f"entry {entry.client_order_id} to fill"
    desk.emulator.set_price("paper", "ETH/USDT", last=bid - D("31"))  # through the stop: nothing to protect yet
    await settle(desk)
    assert desk.order(sl.client_order_id).status is S.EMULATED
    have = desk.position("paper", "ETH/USDT").size
    ex.inject_flow("ETH/USDT", "sell", queue + D("0.5"))  # 0.5 of 2 fills
    await desk.refresh()
    assert desk.order(entry.client_order_id).filled == D("0.5")
    assert desk.order(sl.client_order_id).amount == D("0.5") == desk.order(tp.client_order_id).amount
    ex.inject_flow("ETH/USDT", "sell", D("0.7"))  # 1.2 filled now
    await desk.refresh()
    assert desk.order(sl.client_order_id).amount == D("1.2")
    assert desk.emulated_orders()[0].waiting_for is None
    # the stop triggers while the entry still works: the rest of the entry is canceled, the stop sells 1.2
    desk.emulator.set_price("paper", "ETH/USDT", last=bid - D("31"))
    await settle(desk)
    e, s, t = (desk.order(o.client_order_id) for o in (entry, sl, tp))
    assert e.status is S.CANCELED and e.filled == D("1.2")
    assert s.status is S.FILLED and s.filled == D("1.2")
    assert t.status is S.CANCELED
    assert desk.position("paper", "ETH/USDT").size == have


async def test_bracket_entry_that_never_fills_cancels_its_children(frozen):
    desk = frozen
    bid = desk.book("paper", "ETH/USDT").best_bid
    price = desk.market("paper", "ETH/USDT").round_price(bid * D("0.98"), Side.BUY)
    entry, sl, tp = desk.stage_bracket(spec(amount="1", price=price), stop_price=price - D("30"),
                                       take_profit_trigger=price + D("40"))
    assert tp.spec.type is T.TAKE_PROFIT_MARKET
    await desk.approve(entry.client_order_id)
    await desk.cancel(entry.client_order_id)
    assert desk.order(sl.client_order_id).status is S.CANCELED
    assert desk.order(tp.client_order_id).status is S.CANCELED
    assert "nothing filled" in desk.order(sl.client_order_id).reason


async def test_bracket_market_entry_on_the_perp_take_profit_closes_reduce_only(frozen):
    desk = frozen
    mid = desk.mark("paper", "BTC/USDT:USDT")
    entry, sl, tp = desk.stage_bracket(spec("BTC/USDT:USDT", type=T.MARKET, amount="0.01"),
                                       stop_price=mid - D("500"), take_profit_trigger=mid + D("500"))
    assert sl.spec.reduce_only and tp.spec.reduce_only
    await desk.approve(entry.client_order_id)
    await desk.refresh()
    assert desk.order(entry.client_order_id).status is S.FILLED
    assert desk.order(tp.client_order_id).amount == D("0.01")
    await move(desk, "BTC/USDT:USDT", mid + D("600"))
    assert desk.order(tp.client_order_id).status is S.FILLED
    assert desk.order(sl.client_order_id).status is S.CANCELED
    assert desk.position("paper", "BTC/USDT:USDT").size == 0


# -- scaled ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("distribution", ["equal", "increasing", "decreasing"])
async def test_scaled_entry_meets_precision_and_adds_up(frozen, distribution):
    desk = frozen
    market = desk.market("paper", "BTC/USDT")
    mid = desk.mark("paper", "BTC/USDT")
    group = desk.stage_scaled(spec("BTC/USDT", price=D("1")), total=D("0.1"), start=mid * D("0.995"),
                              end=mid * D("0.985"), count=5, distribution=distribution)
    assert [o.status for o in group] == [S.PENDING_APPROVAL] * 5
    amounts = [o.amount for o in group]
    assert sum(amounts) == D("0.1")
    assert all(market.check(o.spec) == [] for o in group)  # tick, lot and minimums, each one
    assert all(o.spec.price <= mid * D("0.995") for o in group)  # a buy never rounds up
    if distribution == "increasing":
        assert amounts == sorted(amounts)
    elif distribution == "decreasing":
        assert amounts == sorted(amounts, reverse=True)
    else:
        assert max(amounts) - min(amounts) <= market.lot * 5
    await desk.approve(group[2].client_order_id)
    at_venue = {o["clientOrderId"] for o in await venue_open(desk)}
    assert at_venue == {o.client_order_id for o in group}


async def test_scaled_exit_too_small_slices_are_refused_with_a_count_that_works(frozen):
    desk = frozen
    mid = desk.mark("paper", "BTC/USDT")
    with pytest.raises(DeskError, match=r"slice \d+ of 20 .* too small.*use at most \d+ slices"):
        desk.stage_scaled(spec("BTC/USDT", Side.SELL, price=D("1")), total=D("0.001"), start=mid * D("1.01"),
                          end=mid * D("1.02"), count=20)


# -- modify ------------------------------------------------------------------------------------------
async def test_modify_in_place_where_the_venue_can(frozen):
    desk = frozen
    desk.venues["paper"].exchange.set_modify("amend")  # the paper venue amends in place where configured
    bid = desk.book("paper", "ETH/USDT").best_bid
    price = desk.market("paper", "ETH/USDT").round_price(bid * D("0.99"), Side.BUY)
    o = await desk.approve(desk.stage(spec(price=price)).client_order_id)
    changed = await desk.modify(o.client_order_id, price=price - D("1"), amount=D("2"))
    assert changed.client_order_id == o.client_order_id and changed.spec.price == price - D("1")
    [venue] = await venue_open(desk)
    assert D(str(venue["price"])) == price - D("1") and D(str(venue["amount"])) == D("2")
    with pytest.raises(DeskError, match="modify denied: .*price_collar"):
        await desk.modify(o.client_order_id, price=price * 2)


async def test_modify_cancel_replace_where_the_venue_cannot(frozen):
    desk = frozen
    desk.venues["paper"].exchange.has["editOrder"] = False
    assert desk.order_types("paper", "ETH/USDT")["modify"] == "cancel-replace"
    bid = desk.book("paper", "ETH/USDT").best_bid
    price = desk.market("paper", "ETH/USDT").round_price(bid * D("0.99"), Side.BUY)
    o = await desk.approve(desk.stage(spec(price=price)).client_order_id)
    new = await desk.modify(o.client_order_id, price=price - D("2"))
    assert new.client_order_id != o.client_order_id  # a new order: shown as such
    assert desk.order(o.client_order_id).status is S.CANCELED and new.status is S.OPEN
    [venue] = await venue_open(desk)
    assert venue["clientOrderId"] == new.client_order_id
    steps = [e.payload.get("step") for e in desk.journal.events(kinds=("cancel_replace",))]
    assert steps == ["cancel", "replace"]
    with pytest.raises(DeskError, match="modify denied"):  # the gate runs first: nothing is canceled
        await desk.modify(new.client_order_id, amount=D("100"))
    assert desk.order(new.client_order_id).status is S.OPEN


async def test_modify_an_emulated_order_changes_it_locally(frozen):
    desk = frozen
    await buy_now(desk, "ETH/USDT", "1")
    mid = desk.mark("paper", "ETH/USDT")
    o = await desk.approve(desk.stage(spec(side=Side.SELL, type=T.STOP_MARKET, trigger_price=mid - D("50"),
                                           emulate=True)).client_order_id)
    changed = await desk.modify(o.client_order_id, trigger_price=mid - D("10"))
    assert changed.status is S.EMULATED and changed.spec.trigger_price == mid - D("10")
    assert await venue_open(desk) == []
