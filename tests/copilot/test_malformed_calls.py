"""Finding 3 of issue 13: a malformed call gets a short error naming the field and a fix, never an abort of
the turn, a class repr, or a wall of repeated characters."""

from __future__ import annotations

import json

import pytest

from workstation.copilot.schema import MAX_DEPTH
from workstation.copilot.tools import SCHEMAS

from .conftest import errors_of
from .test_tools import GOOD, bad


async def test_deeply_nested_arguments_are_refused_not_a_recursion_error(desk, session):
    deep_text = '{"symbol": ' + "[" * 5000 + "]" * 5000 + "}"
    deep_dict: dict = {}
    node = deep_dict
    for _ in range(5000):
        node["x"] = {}
        node = node["x"]
    for raw in (deep_text, deep_dict, {**GOOD, "amount": [[[[[[[[[["1"]]]]]]]]]]}):
        result = await session.call("stage_order", raw)
        assert not result.ok
        assert len(result.message()) < 400, result.message()
    assert "nested more than" in (await session.call("stage_order", deep_text)).message()
    rows = errors_of(desk)
    assert len(rows) == 4 and all(len(r.payload["arguments"]) <= 2000 for r in rows)
    assert desk.orders() == []


@pytest.mark.parametrize("raw, field, says", [
    ('{"symbol": "ETH/USDT", "side": "buy", "type": "limit", "amount": 1e999999, "price": "3190", '
     '"rationale": "overflow"}', "amount", "too large"),
    (json.dumps(bad(amount="1e999999")), "amount", "exponent"),
    (json.dumps(bad(price="9" * 30)), "price", "too large"),
    (json.dumps(bad(price="9" * 60)), "price", "too long to be a number"),
    (json.dumps(bad(amount="0." + "0" * 25 + "1")), "amount", "decimal places"),
    (json.dumps(bad(amount="0,5")), "amount", "use a dot for decimals: 0.5"),
    (json.dumps(bad(amount="5abc")), "amount", "decimal number"),
    ('{"symbol": "ETH/USDT", "side": "buy", "type": "limit", "amount": -1e999999, "price": "3190", '
     '"rationale": "overflow"}', "amount", "too large"),
])
async def test_overflowing_and_ambiguous_numbers_name_the_field(desk, session, raw, field, says):
    result = await session.call("stage_order", raw)
    assert not result.ok and field in {e.field for e in result.errors}, result.message()
    assert says in result.message()
    assert "class" not in result.message() and "Overflow" not in result.message()
    assert desk.orders() == []


async def test_long_values_are_shown_short_and_once(desk, session):
    long_symbol = "A" * 600
    for args in (bad(symbol=long_symbol), bad(side=long_symbol), bad(type=long_symbol),
                 bad(rationale="x" * 5000), bad(venue=long_symbol, symbol=long_symbol)):
        result = await session.call("stage_order", args)
        message = result.message()
        assert not result.ok and len(message) < 500, message
        assert "A" * 60 not in message
        assert len(set(map(str, result.errors))) == len(result.errors)  # no error twice


def test_the_schemas_the_model_sees_are_generated_from_the_validating_models():
    stage = SCHEMAS["stage_order"][2]
    assert stage["properties"]["amount"]["format"] == "decimal"
    assert stage["properties"]["amount"]["maximum"] == 10**15
    assert stage["properties"]["side"]["enum"] == ["buy", "sell"]
    assert set(stage["required"]) == {"symbol", "side", "type", "amount", "rationale"}
    assert all("title" not in spec and "anyOf" not in spec for spec in stage["properties"].values())
    assert MAX_DEPTH >= 2
