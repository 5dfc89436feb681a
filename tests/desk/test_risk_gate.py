"""The risk gate: each rule denies what it should and allows what it should, right at its limit.

Rules are plain functions over (spec, context, limits): the property tests drive them at the edge
of every limit; the Desk tests show the same rules on the real path, journaled with rule and limit.
"""

import dataclasses
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from workstation.desk import risk
from workstation.desk.desk import DeskError
from workstation.desk.risk import RiskContext, RiskGate, RiskLimits, TradingState
from workstation.domain.book import Book
from workstation.domain.market import Market
from workstation.domain.orders import Fill, Order, OrderSpec, OrderStatus as S, OrderType as T, Origin, Side
from workstation.domain.positions import Position
from workstation.domain.reports import Balance

SPOT = Market("paper", "ETH/USDT", "ETH", "USDT", tick=D("0.01"), lot=D("0.0001"), min_cost=D("5"))
PERP = Market("paper", "BTC/USDT:USDT", "BTC", "USDT", kind="swap", settle="USDT", tick=D("0.1"), lot=D("0.001"))
MID = D("1000")
NOW = 1_000_000

prices = st.decimals(min_value=D("10"), max_value=D("100000"), places=2)
amounts = st.decimals(min_value=D("0.001"), max_value=D("50"), places=3)
cfg = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def book(mid=MID, half_spread=D("0.5"), size=D("1000")):
    return Book("ETH/USDT", ((mid - half_spread, size),), ((mid + half_spread, size),))


def ctx(market=SPOT, **kw):
    base = dict(market=market, book=book(), balances={"USDT": Balance("USDT", D("1e9"), D(0), D("1e9")),
                                                      "ETH": Balance("ETH", D("1e6"), D(0), D("1e6"))},
                position=None, working=[], now_ms=NOW, book_received_ms=NOW)
    return RiskContext(**{**base, **kw})


def limit_spec(amount, price, side=Side.BUY, market=SPOT, **kw):
    return OrderSpec("paper", market.symbol, side, T.LIMIT, D(amount), price=D(price), **kw)


def working(amount, price, side=Side.BUY, symbol="ETH/USDT", n=0):
    return Order(OrderSpec("paper", symbol, side, T.LIMIT, D(amount), price=D(price)), f"w{n}", status=S.OPEN)


def rules(problems):
    return {p.rule for p in problems}


# -- per-order size ----------------------------------------------------------------------------------
@cfg
@given(limit=st.integers(min_value=10, max_value=10**6), price=prices)
def test_max_order_notional_is_inclusive_at_the_limit(limit, price):
    limits = RiskLimits(max_order_notional=D(limit))
    at = (D(limit) / price).quantize(D("0.0001"), rounding="ROUND_FLOOR")
    assert risk.check_size(limit_spec(at, price), ctx(), limits) == [] if at > 0 else True
    over = at + D("0.0001")
    if over * price > limit:
        [p] = risk.check_size(limit_spec(over, price), ctx(), limits)
        assert p.rule == "max_order_notional" and str(limits.max_order_notional) in p.message


@cfg
@given(limit=amounts)
def test_max_order_amount(limit):
    limits = RiskLimits(max_order_amount=limit, max_order_notional=D("1e12"))
    assert risk.check_size(limit_spec(limit, "1"), ctx(), limits) == []
    assert rules(risk.check_size(limit_spec(limit + D("0.001"), "1"), ctx(), limits)) == {"max_order_amount"}


def test_unpriceable_order_is_denied_not_waved_through():
    spec = OrderSpec("paper", "ETH/USDT", Side.BUY, T.MARKET, D("1"))
    assert rules(risk.check_size(spec, ctx(book=None), RiskLimits())) == {"no_price"}


# -- price collar and data guards --------------------------------------------------------------------
@cfg
@given(pct=st.integers(min_value=1, max_value=20), above=st.booleans())
def test_price_collar_at_the_edge(pct, above):
    limits = RiskLimits(price_collar_pct=D(pct))
    edge = MID * (1 + D(pct) / 100) if above else MID * (1 - D(pct) / 100)
    assert risk.check_collar(limit_spec("1", edge), ctx(), limits) == []
    beyond = edge + (D("0.01") if above else D("-0.01"))
    [p] = risk.check_collar(limit_spec("1", beyond), ctx(), limits)
    assert p.rule == "price_collar" and f"collar {pct}%" in p.message


def test_trigger_prices_have_their_own_wider_collar():
    stop = OrderSpec("paper", "ETH/USDT", Side.SELL, T.STOP_MARKET, D("1"), trigger_price=MID * D("0.85"))
    assert risk.check_collar(stop, ctx(), RiskLimits()) == []  # 15% away: fine for a stop
    far = stop.with_changes(trigger_price=MID * D("0.70"))
    assert rules(risk.check_collar(far, ctx(), RiskLimits())) == {"price_collar"}


@cfg
@given(limit_ms=st.integers(min_value=100, max_value=60_000))
def test_stale_book_guard_at_the_edge(limit_ms):
    limits = RiskLimits(stale_book_ms=limit_ms)
    assert risk.check_book_fresh(limit_spec("1", MID), ctx(book_received_ms=NOW - limit_ms), limits) == []
    [p] = risk.check_book_fresh(limit_spec("1", MID), ctx(book_received_ms=NOW - limit_ms - 1), limits)
    assert p.rule == "stale_book"


def test_no_book_crossed_book_and_wide_spread_all_deny():
    limits = RiskLimits(max_spread_bps=D("100"))
    assert rules(risk.check_book_fresh(limit_spec("1", MID), ctx(book=None), limits)) == {"no_book"}
    crossed = Book("ETH/USDT", ((D("1001"), D(1)),), ((D("1000"), D(1)),))
    assert rules(risk.check_book_fresh(limit_spec("1", MID), ctx(book=crossed), limits)) == {"crossed_book"}
    wide = book(half_spread=D("6"))  # 120 bps
    assert rules(risk.check_book_fresh(limit_spec("1", MID), ctx(book=wide), limits)) == {"wide_spread"}
    assert risk.check_book_fresh(limit_spec("1", MID), ctx(book=book(half_spread=D("4"))), limits) == []


# -- open orders and exposure --------------------------------------------------------------------------
@cfg
@given(limit=st.integers(min_value=1, max_value=60))
def test_max_open_orders_at_the_edge(limit):
    limits = RiskLimits(max_open_orders=limit)
    below = [working("1", "900", n=i) for i in range(limit - 1)]
    assert risk.check_open_orders(limit_spec("1", MID), ctx(working=below), limits) == []
    full = below + [working("1", "900", n=limit)]
    assert rules(risk.check_open_orders(limit_spec("1", MID), ctx(working=full), limits)) == {"max_open_orders"}


@cfg
@given(position=st.integers(min_value=0, max_value=20), pending=st.integers(min_value=0, max_value=20),
       this=st.integers(min_value=1, max_value=20))
def test_exposure_counts_position_plus_working_plus_this_order(position, pending, this):
    pos = Position("paper", "ETH/USDT", size=D(position), average_entry=MID)
    work = [working(pending, MID, n=1)] if pending else []
    total = (position + pending + this) * MID
    at_limit = RiskLimits(max_position_notional=total)
    assert risk.check_exposure(limit_spec(this, MID), ctx(position=pos, working=work), at_limit) == []
    tight = RiskLimits(max_position_notional=total - 1)
    assert rules(risk.check_exposure(limit_spec(this, MID), ctx(position=pos, working=work), tight)) == {"max_exposure"}


def test_exposure_never_blocks_a_reducing_order_and_sells_on_the_perp_count_short():
    pos = Position("paper", "ETH/USDT", size=D("10"), average_entry=MID)
    tiny = RiskLimits(max_position_notional=D("1"))
    assert risk.check_exposure(limit_spec("10", MID, Side.SELL), ctx(position=pos), tiny) == []
    short = OrderSpec("paper", PERP.symbol, Side.SELL, T.LIMIT, D("1"), price=MID)
    assert rules(risk.check_exposure(short, ctx(market=PERP), tiny)) == {"max_exposure"}


# -- loss, margin, leverage ---------------------------------------------------------------------------
@cfg
@given(limit=st.integers(min_value=1, max_value=100_000), cents=st.integers(min_value=1, max_value=10_000))
def test_daily_loss_limit(limit, cents):
    limits = RiskLimits(daily_loss_limit=D(limit))
    just_inside = -D(limit) + D(cents) / 100 if D(cents) / 100 < limit else D(0)
    assert risk.check_daily_loss(limit_spec("1", MID), ctx(daily_pnl=just_inside), limits) == []
    [p] = risk.check_daily_loss(limit_spec("1", MID), ctx(daily_pnl=-D(limit)), limits)
    assert p.rule == "daily_loss_limit" and f"-{limit}" in p.message
    pos = Position("paper", "ETH/USDT", size=D("2"), average_entry=MID)
    assert risk.check_daily_loss(limit_spec("1", MID, Side.SELL), ctx(daily_pnl=-D(limit) * 2, position=pos), limits) == []


def test_daily_pnl_counts_realized_today_net_of_fees_plus_unrealized():
    day = 86_400_000 * 100
    f = lambda tid, side, price, amt, ts: Fill("paper", tid, "c", None, "ETH/USDT", side, D(price), D(amt), D("1"),
                                               "USDT", None, ts)
    fills = [f("1", Side.BUY, "1000", "2", day - 5), f("2", Side.SELL, "990", "1", day + 5)]
    # yesterday's buy is today's realized loss on the part sold today: -10 and today's fee 1; 1 left, mark 980: -20
    assert risk.daily_pnl(fills, day, {"ETH/USDT": D("980")}) == D("-31")


@cfg
@given(pct=st.integers(min_value=1, max_value=100))
def test_max_margin_at_the_edge(pct):
    equity = D("10000")
    balances = {"USDT": Balance("USDT", equity, D(0), equity)}
    limits = RiskLimits(max_margin_pct=D(pct), max_leverage=D(1000), max_order_notional=D("1e12"))
    # margin at the assumed 10x: notional / 10; at the limit: equity * pct% * 10
    notional = equity * pct / 100 * 10
    spec = OrderSpec("paper", PERP.symbol, Side.BUY, T.LIMIT, notional / MID, price=MID)
    assert risk.check_margin(spec, ctx(market=PERP, balances=balances), limits) == []
    bigger = spec.with_changes(amount=spec.amount + D("0.001"))
    assert "max_margin" in rules(risk.check_margin(bigger, ctx(market=PERP, balances=balances), limits))


def test_max_leverage_counts_positions_and_the_venue_setting():
    equity = D("10000")
    balances = {"USDT": Balance("USDT", equity, D(0), equity)}
    limits = RiskLimits(max_leverage=D(2), max_margin_pct=D(100))
    pos = {PERP.symbol: Position("paper", PERP.symbol, size=D("15"), average_entry=MID)}
    spec = OrderSpec("paper", PERP.symbol, Side.BUY, T.LIMIT, D("5"), price=MID)  # 15k + 5k = 2x: at the limit
    assert risk.check_margin(spec, ctx(market=PERP, balances=balances, positions=pos, marks={PERP.symbol: MID}), limits) == []
    more = spec.with_changes(amount=D("5.001"))
    assert "max_leverage" in rules(risk.check_margin(more, ctx(market=PERP, balances=balances, positions=pos,
                                                               marks={PERP.symbol: MID}), limits))
    assert "max_leverage" in rules(risk.check_margin(spec.with_changes(amount=D("1")),
                                                     ctx(market=PERP, balances=balances, venue_leverage=D(20)), limits))
    assert rules(risk.check_margin(spec, ctx(market=PERP, balances={}), limits)) == {"no_equity"}  # fail closed


# -- duplicates, throttles, trading state ---------------------------------------------------------------
@cfg
@given(window_ms=st.integers(min_value=100, max_value=60_000))
def test_duplicate_guard_window(window_ms):
    limits = RiskLimits(duplicate_window_s=window_ms / 1000)
    first = working("1", MID)
    first.wall_ms["staged"] = NOW - window_ms
    assert rules(risk.check_duplicate(limit_spec("1", MID), ctx(recent=[first]), limits)) == {"duplicate_order"}
    assert risk.check_duplicate(limit_spec("1", MID), ctx(recent=[first], confirmed_duplicate=True), limits) == []
    assert risk.check_duplicate(limit_spec("1.0001", MID), ctx(recent=[first]), limits) == []
    first.wall_ms["staged"] = NOW - window_ms - 1
    assert risk.check_duplicate(limit_spec("1", MID), ctx(recent=[first]), limits) == []


@cfg
@given(limit=st.integers(min_value=1, max_value=500))
def test_order_rate_at_the_edge(limit):
    limits = RiskLimits(orders_per_s=limit)
    assert risk.check_order_rate(limit_spec("1", MID), ctx(sends_last_s=limit - 1), limits) == []
    [p] = risk.check_order_rate(limit_spec("1", MID), ctx(sends_last_s=limit), limits)
    assert p.rule == "order_rate" and f"{limit}/s" in p.message
    assert risk.check_order_rate(limit_spec("1", MID), ctx(sends_last_s=None), limits) == []  # staging only


def test_cancel_rate_throttle():
    gate = RiskGate(default_limits=RiskLimits(cancels_per_s=3))
    for t in range(3):
        assert gate.check_cancel("paper", "ETH/USDT", NOW + t) == []
        gate.record_cancel("paper", NOW + t)
    assert rules(gate.check_cancel("paper", "ETH/USDT", NOW + 10)) == {"cancel_rate"}
    assert gate.check_cancel("paper", "ETH/USDT", NOW + 1001) == []  # a second later


def test_trading_states():
    pos = Position("paper", "ETH/USDT", size=D("2"), average_entry=MID)
    buy, sell = limit_spec("1", MID), limit_spec("1", MID, Side.SELL)
    assert risk.check_trading_state(buy, ctx(position=pos, state=TradingState.ACTIVE), RiskLimits()) == []
    assert rules(risk.check_trading_state(buy, ctx(position=pos, state=TradingState.REDUCING), RiskLimits())) == {"reducing_only"}
    assert risk.check_trading_state(sell, ctx(position=pos, state=TradingState.REDUCING), RiskLimits()) == []
    too_much = limit_spec("3", MID, Side.SELL)  # would flip short: not a reduction
    assert rules(risk.check_trading_state(too_much, ctx(position=pos, state=TradingState.REDUCING), RiskLimits())) == {"reducing_only"}
    assert rules(risk.check_trading_state(sell, ctx(position=pos, state=TradingState.HALTED), RiskLimits())) == {"halted"}
    flat = OrderSpec("paper", PERP.symbol, Side.SELL, T.MARKET, D("1"), reduce_only=True)
    assert risk.check_trading_state(flat, ctx(market=PERP, state=TradingState.HALTED, flattening=True), RiskLimits()) == []


# -- on the Desk -------------------------------------------------------------------------------------
def eth(amount="0.1", side=Side.BUY, type=T.MARKET, **kw):
    return OrderSpec("paper", "ETH/USDT", side, type, D(amount), **kw)


async def test_with_no_configuration_size_above_the_conservative_default_is_denied(desk):
    assert desk.gate.per_symbol == {}  # nothing configured
    big = desk.stage(OrderSpec("paper", "BTC/USDT", Side.BUY, T.MARKET, D("1")))  # ~65k USDT
    assert big.status is S.DENIED and "max_order_notional" in big.reason and "25000" in big.reason
    [row] = list(desk.journal.events(kinds=("denied",), client_order_id=big.client_order_id))
    assert "max_order_notional" in row.payload["problems"]
    assert any("limit 25000" in r for r in row.payload["reasons"])  # the limit it hit, in the journal


async def test_every_origin_meets_the_same_gate(desk):
    for origin in (Origin.HUMAN, Origin.COPILOT):
        o = desk.stage(OrderSpec("paper", "BTC/USDT", Side.BUY, T.MARKET, D("1"), origin=origin))
        assert o.status is S.DENIED and "max_order_notional" in o.reason
    mid = desk.mark("paper", "BTC/USDT")
    held = await desk.approve(desk.stage(OrderSpec("paper", "BTC/USDT", Side.BUY, T.STOP_MARKET, D("0.01"),
                                                   trigger_price=mid + D("100"), emulate=True)).client_order_id)
    desk.set_risk_limits("paper", "BTC/USDT", max_order_notional=D("10"), reason="tighten")
    desk.emulator.set_price("paper", "BTC/USDT", last=mid + D("200"))
    import asyncio
    for _ in range(100):
        await asyncio.sleep(0.002)
        if not desk.emulator.releasing:
            break
    released = desk.order(held.client_order_id)
    assert released.status is S.DENIED and "max_order_notional" in released.reason  # emulator releases too
    assert await desk.venues["paper"].exchange.fetch_my_trades() == []


async def test_duplicate_needs_a_second_confirmation_and_only_a_human_can_give_it(desk):
    first = desk.stage(eth())
    again = desk.stage(eth())
    assert again.status is S.DENIED and "duplicate_order" in again.reason and first.client_order_id in again.reason
    confirmed = desk.stage(eth(), confirm_duplicate=True)
    assert confirmed.status is S.PENDING_APPROVAL
    assert (await desk.approve(confirmed.client_order_id)).status is S.FILLED
    copilot = desk.stage(eth(origin=Origin.COPILOT), confirm_duplicate=True)
    assert copilot.status is S.DENIED and "duplicate_order" in copilot.reason


async def test_reducing_state_allows_only_risk_reducing_orders(desk):
    await desk.approve(desk.stage(eth("1")).client_order_id)
    desk.set_trading_state("paper", TradingState.REDUCING, reason="end of day")
    assert desk.trading_state("paper") is TradingState.REDUCING
    buy = desk.stage(eth("0.2"))
    assert buy.status is S.DENIED and "reducing_only" in buy.reason
    sell = desk.stage(eth("0.5", Side.SELL))
    assert sell.status is S.PENDING_APPROVAL
    assert (await desk.approve(sell.client_order_id)).status is S.FILLED


async def test_daily_loss_limit_on_the_desk(desk):
    ex = desk.venues["paper"].exchange
    ex.freeze()
    await desk.approve(desk.stage(eth("1")).client_order_id)
    desk.set_risk_limits("paper", daily_loss_limit=D("50"), reason="test")
    mid = desk.mark("paper", "ETH/USDT")
    ex.set_mid("ETH/USDT", mid - D("60"))
    await desk.sync_books()
    assert desk.daily_pnl("paper") < D("-50")
    more = desk.stage(eth("0.2"))
    assert more.status is S.DENIED and "daily_loss_limit" in more.reason
    out = desk.stage(eth("1", Side.SELL))
    assert out.status is S.PENDING_APPROVAL  # getting out is always allowed


async def test_order_and_cancel_throttles_on_the_desk(desk):
    desk.set_risk_limits("paper", orders_per_s=2, cancels_per_s=2, reason="test")
    bid = desk.book("paper", "ETH/USDT").best_bid
    orders = []
    for i in range(3):
        price = desk.market("paper", "ETH/USDT").round_price(bid * D("0.98") - i, Side.BUY)
        orders.append(desk.stage(eth("0.1", type=T.LIMIT, price=price)))
    sent = [await desk.approve(o.client_order_id) for o in orders]
    assert [o.status for o in sent[:2]] == [S.OPEN, S.OPEN]
    assert sent[2].status is S.DENIED and "order_rate" in sent[2].reason and "2/s" in sent[2].reason
    desk.set_risk_limits("paper", cancels_per_s=1, reason="test")
    assert (await desk.cancel(sent[0].client_order_id)).status is S.CANCELED
    with pytest.raises(DeskError, match="cancel_rate.*1/s"):
        await desk.cancel(sent[1].client_order_id)
    assert desk.order(sent[1].client_order_id).status is S.OPEN
    assert list(desk.journal.events(kinds=("cancel_denied",)))


async def test_the_copilot_cannot_change_limits_or_rearm(desk):
    from workstation.copilot.view import CopilotView
    view = CopilotView.of(desk)
    assert not any(hasattr(view, name) for name in ("set_risk_limits", "rearm", "set_trading_state", "kill", "gate"))
    limits = view.limits("paper", "BTC/USDT")
    with pytest.raises(dataclasses.FrozenInstanceError):
        limits.max_order_notional = D("1e12")
    assert desk.limits("paper", "BTC/USDT").max_order_notional == D("25000")
    # even a caller holding the Desk is refused unless it is the human, and the attempt is journaled
    with pytest.raises(DeskError, match="only a human may change risk limits"):
        desk.set_risk_limits("paper", max_order_notional=D("1e9"), actor="copilot")
    await desk.kill(actor="human", reason="test")
    with pytest.raises(DeskError, match="only a human may re-arm"):
        desk.rearm(actor="copilot")
    with pytest.raises(DeskError, match="only a human"):
        desk.set_trading_state("paper", TradingState.ACTIVE, actor="copilot")
    assert desk.trading_state("paper") is TradingState.HALTED
    kinds = [e.kind for e in desk.journal.events()]
    assert {"risk_change_refused", "rearm_refused", "trading_state_refused"} <= set(kinds)
    assert desk.limits("paper", "BTC/USDT").max_order_notional == D("25000")


async def test_a_human_limit_change_is_journaled_and_takes_effect(desk):
    after = desk.set_risk_limits("paper", "ETH/USDT", max_order_notional="100", reason="quiet market")
    assert after.max_order_notional == D("100")
    [row] = list(desk.journal.events(kinds=("risk_change",)))
    assert row.actor == "human" and row.payload["before"] == {"max_order_notional": "25000"}
    assert row.payload["after"] == {"max_order_notional": "100"} and row.payload["reason"] == "quiet market"
    assert "max_order_notional" in desk.stage(eth("1")).reason
    with pytest.raises(DeskError, match="unknown risk limit"):
        desk.set_risk_limits("paper", max_fun=1)
    with pytest.raises(DeskError, match="float"):
        desk.set_risk_limits("paper", max_order_notional=1.5)
    audit = desk.audit()
    assert any(a.kind == "risk_change" and a.why == "quiet market" and "25000 -> 100" in a.what for a in audit)


# -- one gate for every origin: triggers on the wrong side, reduce-only that would add (issue 12, 12-13) ----
@pytest.mark.parametrize("origin", [Origin.HUMAN, Origin.COPILOT])
@pytest.mark.parametrize("kind,side,trigger,wrong", [
    (T.STOP_MARKET, Side.BUY, "950", True),  # a buy stop 5% below the market fills at once
    (T.STOP_MARKET, Side.BUY, "1050", False),
    (T.STOP_MARKET, Side.SELL, "1050", True),
    (T.STOP_MARKET, Side.SELL, "950", False),
    (T.TAKE_PROFIT_MARKET, Side.BUY, "1050", True),
    (T.TAKE_PROFIT_MARKET, Side.BUY, "950", False),
    (T.TAKE_PROFIT_MARKET, Side.SELL, "950", True),
    (T.TAKE_PROFIT_MARKET, Side.SELL, "1050", False),
])
def test_a_trigger_on_the_wrong_side_of_the_market_is_denied_for_every_origin(origin, kind, side, trigger, wrong):
    spec = OrderSpec("paper", "ETH/USDT", side, kind, D("0.1"), trigger_price=D(trigger), origin=origin)
    problems = RiskGate().check(spec, ctx())
    assert ("trigger_side" in rules(problems)) is wrong


def perp_ctx(position_size: str, working_orders=()):
    pos = Position("paper", PERP.symbol, size=D(position_size), average_entry=D("1000")) if position_size != "0" else None
    return ctx(market=PERP, position=pos, working=list(working_orders), book=Book(PERP.symbol, ((D("999.9"), D("100")),),
                                                                                   ((D("1000.1"), D("100")),)),
               balances={"USDT": Balance("USDT", D("100000"), D(0), D("100000"))}, state=TradingState.REDUCING)


@pytest.mark.parametrize("position,side,reduces", [
    ("0.5", Side.SELL, True),   # against a long: reduces (the venue caps it at the position)
    ("0.5", Side.BUY, False),   # a reduce-only buy on a long would add
    ("0", Side.SELL, False),    # nothing to reduce
    ("-0.5", Side.BUY, True),
    ("-0.5", Side.SELL, False),
])
def test_a_reduce_only_order_counts_as_reducing_only_against_the_position(position, side, reduces):
    spec = OrderSpec("paper", PERP.symbol, side, T.MARKET, D("0.2"), reduce_only=True)
    problems = rules(RiskGate().check(spec, perp_ctx(position)))
    assert ("reduce_only_adds" in problems) is not reduces
    assert ("reducing_only" in problems) is not reduces  # REDUCING lets through only what really reduces


def test_working_reduce_only_orders_count_against_what_an_order_may_close():
    closing = Order(OrderSpec("paper", PERP.symbol, Side.SELL, T.LIMIT, D("0.4"), price=D("1010"), reduce_only=True),
                    "w1", status=S.OPEN)
    spec = OrderSpec("paper", PERP.symbol, Side.SELL, T.LIMIT, D("0.2"), price=D("1010"))
    assert risk.reduces_risk(spec, perp_ctx("0.5", [closing])) is False  # 0.4 + 0.2 > 0.5: this one would open
    assert risk.reduces_risk(spec, perp_ctx("0.7", [closing])) is True
