"""The service the UI wires: on/off, ask, what moved since a proposal, decisions journaled."""

from __future__ import annotations

from decimal import Decimal

from workstation.config import CopilotConfig
from workstation.copilot import Copilot, CopilotReply, StatusChanged

from .conftest import move_mid


async def test_off_means_no_turns_and_toggle_brings_it_back(desk):
    copilot = Copilot.from_desk(desk, CopilotConfig(kind="off"))
    events = []
    copilot.subscribe(events.append)
    assert not copilot.enabled and copilot.status == "off"
    answer = await copilot.ask("buy 0.1 ETH at 3,150")
    assert "off" in answer.text and desk.orders() == []
    assert await copilot.auto_tick() is None
    assert copilot.toggle() is True and copilot.status == "idle"
    answer = await copilot.ask("buy 0.1 ETH at 3,150")
    assert len(answer.proposals) == 1
    copilot.toggle(False)
    assert [e.status for e in events if isinstance(e, StatusChanged)] == ["idle", "thinking", "idle", "off"]


async def test_timer_starts_and_stops_with_the_toggle(desk):
    copilot = Copilot.from_desk(desk, CopilotConfig(kind="rules", auto_propose_s=30))
    await copilot.start()
    assert copilot._timer is not None and not copilot._timer.done()
    copilot.disable()
    assert copilot._timer is None
    copilot.enable()
    assert copilot._timer is not None
    copilot.set_auto_propose(0)
    assert copilot._timer is None
    await copilot.stop()


async def test_what_moved_flags_price_moves_and_expiry(desk):
    copilot = Copilot.from_desk(desk, CopilotConfig(kind="rules", proposal_expiry_s=60,
                                                     price_tolerance_bps=Decimal("50")))
    await copilot.ask("buy 0.1 ETH at 3,150")
    (p,) = copilot.proposals("pending")
    moved = copilot.what_moved(p.id)
    assert moved["approvable"] and moved["mid_move_bps"] == 0 and not moved["expired"]
    assert moved["balances_then"]["USDT"] == Decimal("100000")
    await move_mid(desk, "ETH/USDT", "3232")  # +100 bps
    moved = copilot.what_moved(p.id)
    assert moved["mid_then"] == Decimal("3200.00") and moved["mid_now"] == Decimal("3232.00")
    assert moved["mid_move_bps"] == Decimal("100.00") and moved["beyond_tolerance"] and not moved["approvable"]
    assert "re-stage" in moved["reasons"][0]
    p.expires_at_ms = p.decided_at_ms - 1  # as if a minute had passed
    moved = copilot.what_moved(p.id)
    assert moved["expired"] and len(moved["reasons"]) == 2


async def test_decisions_are_journaled_with_the_proposal(desk):
    copilot = Copilot.from_desk(desk, CopilotConfig(kind="rules"))
    await copilot.ask("buy 0.1 ETH at 3,150")
    (p,) = copilot.proposals("pending")
    desk.reject(p.client_order_ids[0], "not now")  # the human, at the Desk
    copilot.record_decision(p.id, "rejected", "not now", edits=None)
    assert copilot.proposals("pending") == [] and copilot.proposals("rejected") == [p]
    (row,) = desk.journal.events(("copilot_decision",))
    assert row.payload["proposal_id"] == p.id and row.payload["reason"] == "not now"
    assert row.payload["orders"] == p.client_order_ids and row.actor == "human"
    turns = list(desk.journal.events(("copilot_turn",)))
    assert turns[0].payload["proposals"] == [p.id] and turns[0].actor == "copilot:rules"


async def test_a_listener_that_raises_does_not_break_the_copilot(desk):
    copilot = Copilot.from_desk(desk, CopilotConfig(kind="rules"))
    copilot.subscribe(lambda e: 1 / 0)
    got = []
    copilot.subscribe(got.append)
    await copilot.ask("scan")
    assert any(isinstance(e, CopilotReply) for e in got)


async def test_the_desk_refuses_a_moved_proposal_at_approval_and_allows_edit_then_approve(desk, sent):
    from workstation.desk.desk import DeskError

    copilot = Copilot.from_desk(desk, CopilotConfig(kind="rules"))
    await copilot.ask("buy 0.1 ETH at 3,150")
    await copilot.ask("buy 0.2 ETH at 3,160")
    first, second = copilot.proposals("pending")
    edited = await desk.approve(second.client_order_ids[0], edits={"price": Decimal("3155.00")})
    assert edited.spec.price == Decimal("3155.00") and [n for n, _ in sent] == ["create_order"]
    await move_mid(desk, "ETH/USDT", "3232")  # +100 bps, beyond the 50 bps tolerance
    assert not copilot.what_moved(first.id)["approvable"]
    try:
        await desk.approve(first.client_order_ids[0])
        raise AssertionError("a moved proposal was approved")
    except DeskError as exc:
        assert "re-stage" in str(exc)
    assert len(sent) == 1
    assert copilot.proposals("pending") == []
