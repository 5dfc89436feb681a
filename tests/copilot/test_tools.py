"""The tool catalogue: every bad call comes back specific and is journaled; a good one is a proposal."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from workstation.copilot.tools import ACT_TOOLS, READ_TOOLS, SCHEMAS, openai_tools
from workstation.domain.orders import OrderStatus, Origin

from .conftest import errors_of

GOOD = {"symbol": "ETH/USDT", "side": "buy", "type": "limit", "amount": "0.5", "price": "3190.00",
        "rationale": "Buy the dip toward the 20-minute average."}


def bad(**changes):
    args = dict(GOOD)
    for key, value in changes.items():
        if value is ...:
            args.pop(key)
        else:
            args[key] = value
    return args


@pytest.mark.parametrize("name, args, field, scenario, says", [
    ("place_order", GOOD, None, "unknown_tool", ["unknown tool 'place_order'", "stage_order"]),
    ("stage_order", bad(side=...), "side", "missing_field", ["is required", "one of buy, sell"]),
    ("stage_order", bad(leverage="5"), "leverage", "extra_field", ["not a field of stage_order", "remove it"]),
    ("stage_order", bad(amount=True), "amount", "wrong_type", ["decimal number", "boolean true", '"0.5"']),
    ("stage_order", bad(amount="half"), "amount", "wrong_type", ["decimal number", "'half'"]),
    ("stage_order", bad(type="iceberg"), "type", "invalid_value", ["'iceberg' is not allowed", "stop_market"]),
    ("stage_order", bad(price="3190.123"), "price", "price_tick", ["off the tick 0.01", "try 3190.12"]),
    ("stage_order", bad(amount="0.00005"), "amount", "amount_step", ["below the minimum 0.0001", "at least 0.0001"]),
    ("stage_order", bad(amount="0.001"), "amount", "cost_min", ["below the minimum 5 USDT", "at least 0.0016 ETH"]),
    ("stage_order", bad(side="sell", amount="11", price="3210.00"), "amount", "insufficient_balance",
     ["sells 11 ETH, 10 free", "the most that passes every check now is 7.7881 ETH"]),
    ("stage_order", bad(side="sell", type="stop_market", price=..., trigger_price="3300"), "trigger_price",
     "stop_wrong_side", ["above the market", "sell stop", "below 3200"]),
    ("stage_order", bad(type="stop_market", price=..., trigger_price="3100"), "trigger_price",
     "stop_wrong_side", ["below the market", "buy stop", "above 3200"]),
    ("stage_order", bad(amount="-1"), "amount", "impossible_value", ["greater than 0"]),
    ("stage_order", bad(price="3000"), "price", "price_collar", ["from mid", "between 3040.00 and 3360.00"]),
])
async def test_each_bad_call_names_the_field_says_what_passes_and_is_journaled(desk, session, name, args, field,
                                                                                scenario, says):
    result = await session.call(name, json.dumps(args))
    assert not result.ok
    assert result.proposal is None
    fields = {e.field for e in result.errors}
    assert field in fields, result.message()
    message = result.message()
    for fragment in says:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert scenario in {e.scenario for e in result.errors}
    # returned to the model as a structured error, recorded as an error scenario
    for_model = result.for_model()
    assert for_model["ok"] is False and for_model["errors"]
    rows = errors_of(desk)
    assert len(rows) == 1 and rows[0].payload["tool"] == name
    assert scenario in {e["scenario"] for e in rows[0].payload["errors"]}
    assert rows[0].actor == "copilot:test"
    # nothing staged
    assert desk.orders() == []


async def test_more_than_the_buy_balance(desk, session):
    result = await session.call("stage_order", bad(amount="7", price="3199.00"))  # under the notional cap
    desk.balances["paper"]["USDT"] = desk.balances["paper"]["USDT"].__class__("USDT", Decimal("1000"),
                                                                              Decimal(0), Decimal("1000"))
    result = await session.call("stage_order", bad(amount="1", price="3199.00"))
    assert not result.ok
    err = next(e for e in result.errors if e.scenario == "insufficient_balance")
    assert err.field == "amount"
    assert "1000.00 free" in err.problem and "the most that passes every check now is 0.3122 ETH" in err.fix


async def test_malformed_json_and_non_finite_numbers(desk, session):
    for raw in ('{"symbol": "ETH/USDT", "side": "buy",', '{"amount": NaN}', '["not", "an", "object"]'):
        result = await session.call("stage_order", raw)
        assert not result.ok and result.scenario == "malformed_arguments", result.message()
    assert "not valid JSON" in (await session.call("stage_order", "{oops")).message()
    assert len(errors_of(desk)) == 4


async def test_python_floats_are_refused(session):
    result = await session.call("stage_order", bad(amount=0.5))
    assert not result.ok and result.errors[0].scenario == "wrong_type" and "floats lose money" in result.message()


async def test_json_numbers_are_read_as_decimals_not_floats(desk, session):
    result = await session.call("stage_order", '{"symbol": "ETH/USDT", "side": "buy", "type": "limit", '
                                '"amount": 0.3, "price": 3190.1, "rationale": "numbers as JSON numbers"}')
    assert result.ok, result.message()
    order = desk.order(result.proposal.client_order_ids[0])
    assert order.spec.amount == Decimal("0.3") and order.spec.price == Decimal("3190.1")


async def test_good_stage_is_pending_copilot_order_with_rationale_decision_and_cost(desk, session):
    before_ms = desk.clock.wall_ms()
    result = await session.call("stage_order", GOOD)
    assert result.ok, result.message()
    p = result.proposal
    order = desk.order(p.client_order_ids[0])
    assert order.status is OrderStatus.PENDING_APPROVAL
    assert order.spec.origin is Origin.COPILOT
    assert order.spec.rationale.startswith("Buy the dip toward the 20-minute average.")
    assert "fee" in order.spec.rationale and "bps vs mid" in order.spec.rationale
    assert order.spec.decision_mid == desk.mark("paper", "ETH/USDT") == Decimal("3200.00")
    assert order.spec.decided_at_ms >= before_ms
    cost = p.costs[order.client_order_id]
    assert cost["expected_price"] == Decimal("3190.00")
    assert cost["slippage_bps"] == Decimal("-31.25")  # resting 10 below a 3200 mid: better than mid
    assert cost["fee"] == Decimal("1.5950")  # 0.5 * 3190 * 0.1% maker
    assert p.decision_mid == Decimal("3200.00") and p.origin == "copilot:test"
    assert p.impact["position_before"] == Decimal("10") and p.impact["position_after"] == Decimal("10.5") and p.impact["quote_used"] == Decimal("1595.00")
    # journaled as a proposal linked to the order
    rows = list(desk.journal.events(("proposal",)))
    assert rows[-1].payload["orders"] == [order.client_order_id]
    assert rows[-1].payload["expected_cost"][order.client_order_id]["fee"] == "1.5950"


async def test_market_order_cost_walks_the_book(desk, session):
    book = desk.book("paper", "ETH/USDT")
    amount = book.asks[0][1] + min(book.asks[1][1], Decimal("0.5"))  # into the second level
    result = await session.call("stage_order", {"symbol": "ETH/USDT", "side": "buy", "type": "market",
                                                "amount": str(amount), "rationale": "take two levels"})
    assert result.ok, result.message()
    cost = result.proposal.costs[result.proposal.client_order_ids[0]]
    walk = book.walk(result.proposal.specs[0].side, amount)
    assert cost["slippage_bps"] == walk.slippage_bps.quantize(Decimal("0.01")) and cost["slippage_bps"] > 0
    assert "walks 2 level(s)" in cost["basis"]
    assert cost["fee"] == (walk.cost * Decimal("0.001")).quantize(Decimal("0.0001"))


async def test_bracket_on_the_perp_links_its_legs(desk, session):
    result = await session.call("stage_bracket", {
        "symbol": "BTC/USDT:USDT", "side": "buy", "amount": "0.01", "entry_type": "limit", "price": "65000.0",
        "stop_loss": "64500", "take_profit": "66000", "rationale": "Breakout test"})
    assert result.ok, result.message()
    entry, stop, take = (desk.order(c) for c in result.proposal.client_order_ids)
    assert all(o.status is OrderStatus.PENDING_APPROVAL and o.spec.origin is Origin.COPILOT for o in (entry, stop, take))
    assert stop.spec.type.value == "stop_market" and stop.spec.side.value == "sell" and stop.spec.reduce_only
    assert stop.spec.parent_id == take.spec.parent_id == entry.client_order_id
    assert stop.spec.oco_group == take.spec.oco_group is not None


async def test_bracket_with_the_stop_on_the_wrong_side(session):
    result = await session.call("stage_bracket", {
        "symbol": "BTC/USDT:USDT", "side": "buy", "amount": "0.01", "entry_type": "market",
        "stop_loss": "66000", "take_profit": "67000", "rationale": "bad stop"})
    assert not result.ok and result.errors[0].field == "stop_loss"
    assert "stop below the entry" in result.message()


async def test_scaled_ladder_splits_the_amount_on_the_tick(desk, session):
    result = await session.call("stage_scaled", {"symbol": "ETH/USDT", "side": "buy", "total_amount": "0.5",
                                                 "from_price": "3195", "to_price": "3170", "orders": 4,
                                                 "rationale": "scale in"})
    assert result.ok, result.message()
    orders = [desk.order(c) for c in result.proposal.client_order_ids]
    assert sum(o.amount for o in orders) == Decimal("0.5")
    m = desk.market("paper", "ETH/USDT")
    assert all(o.spec.price % m.tick == 0 and o.amount % m.lot == 0 for o in orders)
    assert [o.spec.price for o in orders] == sorted((o.spec.price for o in orders), reverse=True)


async def test_cancel_and_modify_are_proposals_only(desk, session, sent):
    staged = desk.stage(__import__("workstation.domain.orders", fromlist=["OrderSpec"]).OrderSpec(
        venue="paper", symbol="ETH/USDT", side="buy", type="limit", amount=Decimal("0.1"), price=Decimal("3150")))
    await desk.approve(staged.client_order_id)  # a human's order, now open
    sent.clear()
    cid = staged.client_order_id
    cancel = await session.call("propose_cancel", {"client_order_id": cid, "rationale": "stale idea"})
    modify = await session.call("propose_modify", {"client_order_id": cid, "price": "3160.00",
                                                   "rationale": "closer to the touch"})
    assert cancel.ok and modify.ok, (cancel.message(), modify.message())
    assert cancel.proposal.kind == "cancel" and modify.proposal.kind == "modify"
    assert modify.proposal.new_price == Decimal("3160.00")
    assert desk.order(cid).status is OrderStatus.OPEN and desk.order(cid).spec.price == Decimal("3150")
    assert sent == []
    unknown = await session.call("propose_cancel", {"client_order_id": "nope", "rationale": "x x"})
    assert unknown.errors[0].field == "client_order_id" and "get_orders" in unknown.errors[0].fix


async def test_read_tools_answer_with_snapshots(desk, session):
    for name, args in [("list_markets", {}), ("get_market", {"symbol": "ETH/USDT"}),
                       ("get_book", {"symbol": "ETH/USDT", "depth": 3}), ("get_trades", {"symbol": "ETH/USDT"}),
                       ("get_candles", {"symbol": "ETH/USDT", "limit": 10}), ("get_positions", {}),
                       ("get_orders", {}), ("get_balances", {}), ("get_executions", {}),
                       ("get_risk_limits", {"symbol": "BTC/USDT:USDT"})]:
        result = await session.call(name, args)
        assert result.ok, (name, result.message())
        json.dumps(result.for_model(), default=str)
    book = (await session.call("get_book", {"symbol": "ETH/USDT", "depth": 3})).data
    assert len(book["bids"]) == 3 and book["mid"] == Decimal("3200.00")
    market = (await session.call("get_market", {"symbol": "ETH/USDT"})).data
    assert "stop_market" in market["supported"] and market["risk_limits"]["max_order_notional"] == Decimal("25000")
    unknown = await session.call("get_book", {"symbol": "DOGE/USDT"})
    assert unknown.errors[0].field == "symbol" and "ETH/USDT" in unknown.message()


def test_the_catalogue_cannot_approve_send_or_execute():
    names = {t["function"]["name"] for t in openai_tools()}
    assert names == set(SCHEMAS) == set(READ_TOOLS) | set(ACT_TOOLS)
    for name in names:
        assert not name.startswith(("approve", "send", "create", "execute", "submit", "cancel", "modify", "edit"))
    assert set(ACT_TOOLS) == {"stage_order", "stage_bracket", "stage_scaled", "stage_schedule", "propose_cancel",
                              "propose_modify"}
    for tool in openai_tools():
        params = tool["function"]["parameters"]
        assert params["type"] == "object" and params["additionalProperties"] is False


async def test_a_size_past_every_cap_gets_one_answer_and_it_passes(desk, session):
    """buy 1000 BTC once said "use at most 0.38418" for one rule and "the most that passes now is 1.41545" for
    another (which broke the first): every size rule now names the same amount, and that amount passes."""
    result = await session.call("stage_order", bad(symbol="BTC/USDT", amount="1000", type="market", price=...))
    assert not result.ok
    fixes = {e.scenario: e.fix for e in result.errors if e.field == "amount"}
    assert {"max_order_notional", "insufficient_balance"} <= set(fixes)
    amounts = {fix.rsplit(" is ", 1)[1] for fix in fixes.values()}
    assert len(amounts) == 1, fixes
    most = Decimal(amounts.pop().split()[0])
    assert most > 0
    from workstation.domain.orders import OrderSpec
    spec = OrderSpec("paper", "BTC/USDT", "buy", "market", most)
    assert desk.check(spec) == []
    lot = desk.market("paper", "BTC/USDT").lot
    assert any(p.rule == "max_order_notional" for p in desk.check(spec.with_changes(amount=most + lot)))
