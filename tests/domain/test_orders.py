from decimal import Decimal as D

import pytest

from workstation.domain.orders import (
    TRANSITIONS, Fill, IllegalTransition, InvalidSpec, Order, OrderSpec, OrderStatus as S, OrderType, Side,
    TimeInForce, can_transition,
)


def spec(**kw):
    base = dict(venue="paper", symbol="BTC/USDT", side=Side.BUY, type=OrderType.LIMIT, amount=D("1"), price=D("100"))
    return OrderSpec(**{**base, **kw})


def fill(tid, amount, price="100", side=Side.BUY):
    return Fill("paper", tid, "c1", "v1", "BTC/USDT", side, D(price), D(amount))


LEGAL = [(old, new) for old, targets in TRANSITIONS.items() for new in targets]
ILLEGAL = [(old, new) for old in S for new in S if old != new and new not in TRANSITIONS[old]]


@pytest.mark.parametrize(("old", "new"), LEGAL)
def test_every_legal_transition_is_applied(old, new):
    order = Order(spec(), "c1", status=old)
    assert order.transition(new) is True
    assert order.status is new


@pytest.mark.parametrize(("old", "new"), ILLEGAL)
def test_every_illegal_transition_is_refused_and_leaves_the_order_alone(old, new):
    order = Order(spec(), "c1", status=old)
    with pytest.raises(IllegalTransition) as err:
        order.transition(new)
    assert order.status is old
    assert old.value in str(err.value) and new.value in str(err.value)


def test_terminal_states_only_allow_a_late_fill():
    for status in (S.FILLED, S.REJECTED, S.DENIED, S.DECLINED):
        assert TRANSITIONS[status] == frozenset()
    assert can_transition(S.CANCELED, S.FILLED)  # real venues report fills that raced the cancel
    assert can_transition(S.EXPIRED, S.FILLED)


def test_nothing_reaches_the_venue_states_without_approval():
    # From PENDING_APPROVAL the only ways on are approval (NEW / EMULATED) or refusal.
    assert TRANSITIONS[S.PENDING_APPROVAL] == {S.NEW, S.EMULATED, S.DENIED, S.DECLINED, S.EXPIRED}


def test_fill_counts_once_and_drives_status():
    order = Order(spec(amount=D("1")), "c1", status=S.OPEN)
    assert order.apply_fill(fill("t1", "0.4", "100"))
    assert order.status is S.PARTIALLY_FILLED
    assert not order.apply_fill(fill("t1", "0.4", "100"))  # same trade id again
    assert order.filled == D("0.4")
    assert order.apply_fill(fill("t2", "0.6", "110"))
    assert order.status is S.FILLED
    assert order.average == D("106")
    assert order.remaining == 0


def test_fill_after_cancel_is_counted_and_status_stays_canceled_unless_complete():
    order = Order(spec(amount=D("1")), "c1", status=S.CANCELED)
    order.apply_fill(fill("t1", "0.5"))
    assert order.status is S.CANCELED and order.filled == D("0.5")
    order.apply_fill(fill("t2", "0.5"))
    assert order.status is S.FILLED


def test_overfill_is_refused():
    order = Order(spec(amount=D("1")), "c1", status=S.OPEN)
    with pytest.raises(ValueError, match="overfill"):
        order.apply_fill(fill("t1", "1.5"))
    assert order.filled == 0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"amount": D("-1")}, "amount must be positive"),
    ({"amount": D("0")}, "amount must be positive"),
    ({"price": None}, "needs a positive price"),
    ({"type": OrderType.MARKET, "price": D("1")}, "market order takes no price"),
    ({"type": OrderType.STOP_MARKET, "price": None}, "trigger price"),
    ({"type": OrderType.TRAILING_STOP, "price": None}, "exactly one of trailing"),
    ({"type": OrderType.MARKET, "price": None, "post_only": True}, "post-only applies to limit"),
    ({"post_only": True, "time_in_force": TimeInForce.IOC}, "post-only cannot be combined"),
])
def test_impossible_specs_are_refused_with_a_reason(kwargs, message):
    with pytest.raises(InvalidSpec, match=message):
        spec(**kwargs)


def test_floats_never_become_money():
    with pytest.raises(InvalidSpec, match="float"):
        spec(amount=0.1)
    assert spec(amount="0.1").amount == D("0.1")
