"""The evaluation approves as ``eval:<run id>``, journaled as such, and only ever on the paper exchange."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workstation.desk.desk import Desk, DeskError
from workstation.desk.journal import Journal
from workstation.domain.orders import OrderSpec, OrderStatus, OrderType, Side
from workstation.evaluation.copilots import scripted_factory
from workstation.venues.ccxt_venue import ExchangeVenue
from workstation.venues.paper.exchange import PaperExchange


async def _staged(tmp_path, environment: str):
    name = "paper" if environment == "paper" else "binance-testnet"
    desk = Desk({name: ExchangeVenue(name, PaperExchange(seed=3, latency=None), environment)},
                Journal(tmp_path / f"{environment}.sqlite3"), symbols={name: ["ETH/USDT"]})
    await desk.connect()
    bid = desk.book(name, "ETH/USDT").best_bid
    order = desk.stage(OrderSpec(name, "ETH/USDT", Side.BUY, OrderType.LIMIT, Decimal("0.1"), price=bid - 10))
    return desk, order


async def test_the_harness_approvals_are_journaled_with_the_evaluations_actor(run_ids, tmp_path):
    run = await run_ids(["confirm-multi-turn-cancel"], scripted_factory())
    assert run.results[0].passed
    (path,) = tmp_path.glob("test-*/confirm-multi-turn-cancel.sqlite3")
    journal = Journal(path)
    approvals = list(journal.events(("approved",)))
    decisions = list(journal.events(("copilot_decision",)))
    # the set-up has no orders here: the one approval is the copilot's proposal, by eval:<run id>
    assert [e.actor for e in approvals] == ["eval:test"]
    assert [(e.actor, e.payload["decision"]) for e in decisions] == [("eval:test", "approved")]
    assert {e.actor for e in journal.events() if e.kind in ("approved", "copilot_decision")} == {"eval:test"}
    journal.close()


async def test_an_eval_approval_on_paper_goes_through_and_names_its_actor(tmp_path):
    desk, order = await _staged(tmp_path, "paper")
    done = await desk.approve(order.client_order_id, "eval:run1")
    assert done.status is OrderStatus.OPEN
    (approved,) = desk.journal.events(("approved",))
    assert approved.actor == "eval:run1"
    await desk.stop()


async def test_an_eval_approval_on_any_other_venue_is_refused(tmp_path):
    desk, order = await _staged(tmp_path, "testnet")
    sent_before = desk.journal.count("intent")
    try:
        with pytest.raises(DeskError):
            await desk.approve(order.client_order_id, "eval:run1")
        assert desk.journal.count("intent") == sent_before
        assert desk.order(order.client_order_id).status is OrderStatus.PENDING_APPROVAL
    finally:
        await desk.stop()
