"""Findings 1 and 2 of issue 13: a number typed by a human or a model is taken as written or refused with a
message; an OrderSpec that cannot exist is refused at construction; the Desk's verbs raise DeskError only."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from workstation.desk.errors import DeskError
from workstation.domain.money import NumberError, parse_typed
from workstation.domain.orders import InvalidSpec, OrderSpec, OrderStatus


@pytest.mark.parametrize("typed, says", [
    ("0,5", "use a dot for decimals: 0.5"),  # was read as 5: ten times the size
    ("-5", "negative"),  # was read as 5
    ("5abc", "not a number"),  # letters were dropped
    ("1e9", "write the number out in full"),
    ("1,000", "ambiguous"),
    ("1.2.3", "not a number"),
    ("nan", "not a number"),
    ("Infinity", "not a number"),
    ("9" * 30, "too large"),
    ("0." + "0" * 20 + "1", "decimal places"),
])
def test_typed_numbers_that_cannot_be_taken_as_written_are_refused_with_a_way_forward(typed, says):
    with pytest.raises(NumberError) as err:
        parse_typed(typed, "amount")
    assert says in str(err.value) and str(err.value).startswith("amount")


@pytest.mark.parametrize("typed, value", [
    ("0.5", "0.5"), (" 12 ", "12"), (".5", "0.5"), ("1,000.5", "1000.5"), ("1,000,000", "1000000"),
    ("1_000", "1000"), ("+3", "3"), ("", None),
])
def test_typed_numbers_that_can_only_mean_one_thing_are_taken(typed, value):
    assert parse_typed(typed, "amount") == (None if value is None else D(value))


def spec(**kw):
    base = dict(venue="paper", symbol="BTC/USDT", side="buy", type="limit", amount=D("1"), price=D("100"))
    return OrderSpec(**{**base, **kw})


@pytest.mark.parametrize("changes, says", [
    ({"amount": D("NaN")}, "amount must be a finite number"),
    ({"amount": D("sNaN")}, "amount must be a finite number"),
    ({"price": D("Infinity")}, "price must be a finite number"),
    ({"amount": D("1e999999")}, "amount is too large"),
    ({"amount": "1e999999"}, "amount is too large"),
    ({"amount": D("1e-30")}, "decimal places"),
    ({"decision_mid": D("NaN")}, "decision mid must be a finite number"),
    ({"decision_mid": D("-Infinity")}, "decision mid must be a finite number"),
    ({"decided_at_ms": 1.5}, "epoch milliseconds"),
    ({"decided_at_ms": "soon"}, "epoch milliseconds"),
    ({"decided_at_ms": 10**20}, "epoch milliseconds"),
    ({"decided_at_ms": True}, "epoch milliseconds"),
    ({"side": "long"}, "side 'long' is not one of buy, sell"),
    ({"type": None}, "type None is not one of"),
    ({"post_only": "yes"}, "post-only must be true or false"),
    ({"venue": ""}, "venue must be a name"),
    ({"symbol": "X" * 500}, "symbol must be a name"),
    ({"amount": 0.1}, "float"),
    ({"amount": None}, "amount is missing"),
    ({"type": "trailing_stop", "price": None, "trailing_percent": D("150")}, "below 100"),
])
def test_an_order_that_cannot_exist_is_refused_at_construction(changes, says):
    with pytest.raises(InvalidSpec) as err:
        spec(**changes)
    assert says in str(err.value)


def test_with_changes_refuses_what_construction_refuses():
    good = spec()
    for changes in ({"amount": D("NaN")}, {"price": 5.0}, {"colour": "red"}, {"decided_at_ms": 0.5}):
        with pytest.raises(InvalidSpec):
            good.with_changes(**changes)


@pytest.mark.parametrize("edits", [
    {"amount": D("NaN")}, {"amount": "1e999999"}, {"price": 3000.5}, {"price": "abc"}, {"amount": D("-1")},
    {"time_in_force": "forever"}, {"post_only": "maybe"}, {"trigger_price": D("Infinity")},
])
async def test_approve_with_impossible_edits_raises_desk_error_and_sends_nothing(desk, edits):
    order = desk.stage(spec(symbol="ETH/USDT", amount=D("0.1"), price=desk.book("paper", "ETH/USDT").best_bid))
    with pytest.raises(DeskError) as err:
        await desk.approve(order.client_order_id, edits=edits)
    assert "unchanged" in str(err.value)
    assert desk.order(order.client_order_id).status is OrderStatus.PENDING_APPROVAL
    assert desk.journal.count("intent") == 0


@pytest.mark.parametrize("changes", [
    {"amount": D("NaN")}, {"amount": 0.5}, {"price": D("1e999999")}, {"price": "1,5"}, {"amount": D("-2")},
])
async def test_modify_with_impossible_values_raises_desk_error(desk, changes):
    order = desk.stage(spec(symbol="ETH/USDT", amount=D("0.1"), price=desk.book("paper", "ETH/USDT").best_bid
                            - 50))
    await desk.approve(order.client_order_id)
    with pytest.raises(DeskError):
        await desk.modify(order.client_order_id, **changes)
    assert desk.order(order.client_order_id).spec.amount == D("0.1")


async def test_group_verbs_raise_desk_error_for_impossible_arguments(desk):
    base = spec(symbol="ETH/USDT", amount=D("0.1"), price=desk.book("paper", "ETH/USDT").best_bid - 50)
    for kwargs in ({"total": "abc", "start": D("3000"), "end": D("2990"), "count": 3},
                   {"total": 0.3, "start": D("3000"), "end": D("2990"), "count": 3},
                   {"total": D("0.3"), "start": D("NaN"), "end": D("2990"), "count": 3},
                   {"total": D("0.3"), "start": D("3000"), "end": D("2990"), "count": 2.5}):
        with pytest.raises(DeskError):
            desk.stage_scaled(base, **kwargs)
    for children in ({"stop_price": 2900.0}, {"stop_price": D("NaN")}, {"take_profit_price": "x"}):
        with pytest.raises(DeskError):
            desk.stage_bracket(base, **children)
    with pytest.raises(DeskError):
        desk.stage("not a spec")
    assert desk.orders() == []
