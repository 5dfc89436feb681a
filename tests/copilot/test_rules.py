"""The offline strategist on the paper market: sensible orders, sizes within limits, plain words."""

from __future__ import annotations

from decimal import Decimal

from workstation.copilot import CopilotReply, ProposalMade
from workstation.desk.risk import RiskLimits
from workstation.domain.orders import OrderStatus, OrderType, Origin, Side

from .conftest import errors_of, move_mid


def _orders(desk, proposal):
    return [desk.order(c) for c in proposal.client_order_ids]


def _on_grid(desk, order):
    m = desk.market(order.venue, order.symbol)
    for price in (order.spec.price, order.spec.trigger_price):
        if price is not None:
            assert price % m.tick == 0, (price, m.tick)
    assert order.amount % m.lot == 0 and order.amount >= m.min_amount


async def test_mean_reversion_below_the_band_buys_at_the_bid_within_limits(desk, rules_copilot):
    await move_mid(desk, "ETH/USDT", "3100")
    reply = await rules_copilot.auto_tick()
    eth = [p for p in rules_copilot.proposals() if p.symbol == "ETH/USDT"]
    assert len(eth) == 1, reply.text
    (order,) = _orders(desk, eth[0])
    assert order.status is OrderStatus.PENDING_APPROVAL and order.spec.origin is Origin.COPILOT
    assert order.side is Side.BUY and order.spec.type is OrderType.LIMIT
    assert order.spec.price == desk.book("paper", "ETH/USDT").best_bid
    _on_grid(desk, order)
    limit = desk.gate.limits_for("paper", "ETH/USDT").max_order_notional
    assert order.amount * order.spec.price <= limit * Decimal("0.1")
    text = order.spec.rationale
    assert "Mean reversion" in text and "standard deviations below" in text and "average" in text
    assert "10% of the 25,000 USDT per-order limit" in text
    assert eth[0].origin == "copilot:rules"


async def test_breakout_on_the_perp_proposes_a_bracket(desk, rules_copilot):
    await move_mid(desk, "BTC/USDT:USDT", "66000")
    await rules_copilot.auto_tick()
    (p,) = [p for p in rules_copilot.proposals() if p.symbol == "BTC/USDT:USDT"]
    entry, stop, take = _orders(desk, p)
    for o in (entry, stop, take):
        assert o.status is OrderStatus.PENDING_APPROVAL
        _on_grid(desk, o)
    assert entry.side is Side.BUY and stop.side is take.side is Side.SELL
    assert stop.spec.trigger_price < entry.spec.price < take.spec.price
    assert take.spec.price - entry.spec.price == 2 * (entry.spec.price - stop.spec.trigger_price) or \
        abs((take.spec.price - entry.spec.price) - 2 * (entry.spec.price - stop.spec.trigger_price)) <= Decimal("0.2")
    assert stop.spec.reduce_only and take.spec.reduce_only
    assert entry.amount * entry.spec.price <= Decimal("2500")
    assert "Breakout" in p.rationale and "stop-loss" in p.rationale and "take-profit" in p.rationale


async def test_quiet_markets_get_no_proposal(desk, rules_copilot):
    reply = await rules_copilot.auto_tick()
    assert rules_copilot.proposals() == [] and desk.orders() == []
    assert "No setup right now" in reply.text


async def test_smaller_risk_limits_make_smaller_orders(desk, rules_copilot):
    desk.gate.per_symbol[("paper", "ETH/USDT")] = RiskLimits(max_order_notional=Decimal("1000"))
    await move_mid(desk, "ETH/USDT", "3100")
    await rules_copilot.auto_tick()
    (p,) = [p for p in rules_copilot.proposals() if p.symbol == "ETH/USDT"]
    (order,) = _orders(desk, p)
    assert order.amount * order.spec.price <= Decimal("100")
    assert "10% of the 1,000 USDT per-order limit" in order.spec.rationale


async def test_scale_into_request(desk, rules_copilot):
    events = []
    rules_copilot.subscribe(events.append)
    reply = await rules_copilot.ask("scale into 0.5 ETH below 3,150")
    (p,) = rules_copilot.proposals()
    orders = _orders(desk, p)
    assert len(orders) == 5 and sum(o.amount for o in orders) == Decimal("0.5")
    assert all(o.side is Side.BUY and o.spec.type is OrderType.LIMIT and o.spec.price <= Decimal("3150") for o in orders)
    assert orders[0].spec.price == Decimal("3150.00") and orders[-1].spec.price == Decimal("3118.50")
    for o in orders:
        _on_grid(desk, o)
        assert o.status is OrderStatus.PENDING_APPROVAL
    assert "scale into 0.5 ETH below 3,150.00" in p.rationale
    assert p.prompt == "scale into 0.5 ETH below 3,150"
    assert any(isinstance(e, ProposalMade) for e in events)
    assert any(isinstance(e, CopilotReply) and "Proposed for your approval" in e.text for e in events)
    assert reply.proposals == (p.id,)


async def test_plain_buy_request_and_a_refused_price(desk, rules_copilot):
    reply = await rules_copilot.ask("buy 0.2 ETH at 3,150")
    (p,) = rules_copilot.proposals()
    assert desk.order(p.client_order_ids[0]).spec.price == Decimal("3150.00")
    reply = await rules_copilot.ask("buy 0.2 ETH at 2,000")
    assert "could not propose" in reply.text and "price_collar" in reply.text and "between" in reply.text
    assert len(rules_copilot.proposals()) == 1
    assert errors_of(desk)[-1].payload["scenario"] == "price_collar"


async def test_requests_it_does_not_understand_get_help(desk, rules_copilot):
    reply = await rules_copilot.ask("make me rich")
    assert "did not understand" in reply.text and "scale into" in reply.text
    reply = await rules_copilot.ask("buy 1 DOGE")
    assert "no spot market for DOGE" in reply.text
    assert desk.orders() == []
