"""Time-sliced schedules: approved once within their bounds, released slice by slice through the risk gate,
never beyond the total or the price limit, cancellable as a whole, surviving a restart."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from workstation.desk.clock import ManualClock
from workstation.desk.desk import Desk, DeskSettings
from workstation.desk.journal import Journal
from workstation.desk.schedule import ScheduleError
from workstation.domain.orders import OrderStatus, OrderType, TimeInForce
from workstation.venues.ccxt_venue import ExchangeVenue
from workstation.venues.paper.exchange import PaperExchange

SLOT_MS = 300_000  # 12 slices over an hour


class World:
    def __init__(self, tmp_path, environment="paper"):
        self.exchange = PaperExchange(seed=5, latency=None)
        self.exchange.freeze()
        self.exchange.set_mid("ETH/USDT", "2990")
        self.clock = ManualClock(self.exchange.milliseconds())
        self.path = tmp_path / "journal.sqlite3"
        self.environment = environment
        self.sent: list = []
        original = self.exchange.create_order

        async def counted(*args, **kwargs):
            self.sent.append(args)
            return await original(*args, **kwargs)
        self.exchange.create_order = counted

    async def desk(self) -> Desk:
        desk = Desk({"paper": ExchangeVenue("paper", self.exchange, self.environment)}, Journal(self.path),
                    clock=self.clock, settings=DeskSettings(), symbols={"paper": ["ETH/USDT"]})
        await desk.connect()
        return desk

    async def later(self, desk: Desk, ms: int = SLOT_MS) -> None:
        self.exchange.step(100)
        self.clock.advance(ms)
        await desk.sync_books()


@pytest.fixture
async def world(tmp_path):
    return World(tmp_path)


def propose(desk, total="0.5", limit="3000", slices=12):
    return desk.schedules.propose("paper", "ETH/USDT", "buy", D(total), D(limit), 3600, slices, "copilot:rules",
                                  "scale into 0.5 ETH below 3,000 over the next hour")


async def test_approved_once_then_released_slice_by_slice_through_the_gate(world):
    desk = await world.desk()
    s = propose(desk)
    assert await desk.schedules.tick() == [] and world.sent == []  # nothing before the approval
    desk.schedules.approve(s.id, "human")
    (first,) = await desk.schedules.tick()
    assert await desk.schedules.tick() == []  # one slice per slot
    order = desk.order(first)
    assert order.spec.type is OrderType.LIMIT and order.spec.time_in_force is TimeInForce.IOC
    assert order.amount == D("0.0416") and order.spec.price <= D("3000")
    assert order.status is OrderStatus.FILLED and order.spec.price == desk.book("paper", "ETH/USDT").best_ask
    approved = [e for e in desk.journal.events(("approved",)) if e.client_order_id == first]
    assert [(e.actor, e.payload["via"]) for e in approved] == [("human", "schedule")]
    assert desk.journal.count("intent") == 1  # through the ordinary send path: the intent first

    world.exchange.set_mid("ETH/USDT", "3100")  # the market goes above the limit: that slot releases nothing
    await world.later(desk)
    assert await desk.schedules.tick() == []
    assert s.slots[1].startswith("skipped: touch 3100.05 beyond the limit 3000")
    world.exchange.set_mid("ETH/USDT", "2990")
    released = [first]
    for _ in range(10):
        await world.later(desk)
        released += await desk.schedules.tick()
    assert len(released) == 11 and len(world.sent) == 11
    orders = [desk.order(cid) for cid in released]
    assert sum(o.filled for o in orders) == D("0.5")  # the skipped slot's share went to the later ones
    assert all(o.spec.price <= D("3000") for o in orders)
    await world.later(desk)
    assert await desk.schedules.tick() == [] and s.status == "done"
    await desk.stop()


async def test_a_slice_the_gate_refuses_is_journaled_and_skipped(world):
    desk = await world.desk()
    s = propose(desk)
    desk.schedules.approve(s.id, "human")
    desk.set_trading_state("paper", "halted", reason="test")
    assert await desk.schedules.tick() == []
    assert s.slots[0].startswith("denied: halted") and s.status == "running" and world.sent == []
    (slice_event,) = desk.journal.events(("schedule_slice",))
    assert slice_event.payload["outcome"].startswith("denied")
    await desk.stop()


async def test_cancel_stops_the_whole_schedule(world):
    desk = await world.desk()
    s = propose(desk)
    desk.schedules.approve(s.id, "human")
    await desk.schedules.tick()
    await desk.schedules.cancel(s.id, "human", "changed my mind")
    for _ in range(3):
        await world.later(desk)
        assert await desk.schedules.tick() == []
    assert s.status == "canceled" and len(world.sent) == 1
    with pytest.raises(ScheduleError, match="canceled: nothing to cancel"):
        await desk.schedules.cancel(s.id)
    await desk.stop()


async def test_a_schedule_survives_a_restart_without_a_burst(world):
    desk = await world.desk()
    s = propose(desk)
    desk.schedules.approve(s.id, "human")
    (first,) = await desk.schedules.tick()
    await desk.stop()
    desk.journal.close()

    world.clock.advance(3 * SLOT_MS)  # down for three slots
    again = await world.desk()
    restored = again.schedules.get(s.id)
    assert restored.status == "running" and restored.orders == [first] and restored.approved_by == "human"
    await again.sync_books()
    (second,) = await again.schedules.tick()  # only the current slot: the missed ones are not sent in a burst
    assert await again.schedules.tick() == []
    left = D("0.5") - D("0.0416")
    assert again.order(second).amount == again.market("paper", "ETH/USDT").round_amount(left / 9)  # slot 3 of 12
    assert len(world.sent) == 2
    await again.stop()


async def test_only_a_human_approves_and_the_evaluation_only_on_paper(world, tmp_path):
    desk = await world.desk()
    s = propose(desk)
    with pytest.raises(ScheduleError, match="'copilot:rules' may not approve"):
        desk.schedules.approve(s.id, "copilot:rules")
    desk.schedules.approve(s.id, "eval:run1")  # the evaluation's own actor, on the paper exchange
    await desk.stop()

    testnet = World(tmp_path / "t", environment="testnet")
    desk = await testnet.desk()
    s = propose(desk)
    with pytest.raises(ScheduleError, match=r"'eval:run1' may not approve a schedule on paper \(testnet\)"):
        desk.schedules.approve(s.id, "eval:run1")
    assert desk.schedules.approve(s.id, "human").status == "running"
    await desk.stop()


async def test_a_schedule_that_could_never_trade_is_refused_when_proposed(world):
    desk = await world.desk()
    with pytest.raises(ScheduleError, match="off the tick"):
        propose(desk, limit="3000.005")
    with pytest.raises(ScheduleError, match="cost_min"):
        propose(desk, total="0.01", slices=12)  # 0.0008 ETH a slice: under the 5 USDT minimum
    with pytest.raises(ScheduleError, match="not waiting for approval"):
        s = propose(desk)
        desk.schedules.reject(s.id, "human", "no")
        desk.schedules.approve(s.id, "human")
    await desk.stop()


async def test_the_kill_switch_stops_every_schedule_and_its_slices_carry_their_approval(world):
    desk = await world.desk()
    s = propose(desk)
    desk.schedules.approve(s.id)
    await world.later(desk, 0)
    [first] = await desk.schedules.tick()
    slice_ = desk.order(first)
    assert slice_.approval_mid is not None and "approved" in slice_.wall_ms  # the schedule's approval, stamped
    report = await desk.kill(actor="human", reason="test")
    assert report.schedules_stopped == [s.id] and desk.schedules.get(s.id).status == "canceled"
    sent = len(world.sent)
    for _ in range(3):
        await world.later(desk)
        assert await desk.schedules.tick() == []
    assert len(world.sent) == sent  # nothing more left for the venue
