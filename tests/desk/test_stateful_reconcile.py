"""A stateful property test: the whole Desk against the paper exchange with faults switched on and off.

Hypothesis draws a sequence of actions (submit, cancel, modify, other traders' flow, time passing,
refreshes, faults on and off: timeouts after accept, 429s, 503s, dropped fill and order messages, stream
disconnects, maintenance; crash and restart at the worst moments; late snapshots; orders placed by
someone else) and checks after every step that

- no intent has more than one order at the venue (and the venue never holds two orders for one client id);
- no fill is counted twice: every fill here is a venue trade, each trade belongs to at most one order, and
  an order's filled amount is the sum of its fills;
- each position is the sum of its fills;
- no order is filled past its amount;
- no transition was illegal;

and, at the end, that once the faults stop the Desk equals the venue within one refresh, with no venue
trade missing here.

WS_STATEFUL_EXAMPLES / WS_STATEFUL_STEPS make a longer run (defaults keep the suite fast).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections import Counter
from decimal import ROUND_DOWN, Decimal as D
from pathlib import Path

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from workstation.desk.desk import DeskError
from workstation.domain.orders import OrderSpec, OrderStatus as S, OrderType, Side
from workstation.soak import VENUE, Crash, Soak

EXAMPLES = int(os.environ.get("WS_STATEFUL_EXAMPLES", "60"))
STEPS = int(os.environ.get("WS_STATEFUL_STEPS", "40"))
SYMBOLS = ["BTC/USDT", "ETH/USDT", "BTC/USDT:USDT"]
FAULTS = ["timeout_after_accept", "rate_limit", "server_error", "drop_fill_message", "stream_disconnect",
          "maintenance"]


class DeskAgainstTheVenue(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.dir = Path(tempfile.mkdtemp(prefix="ws-stateful-"))
        self.soak = Soak(0, seed=17, workdir=self.dir, faults={}, late_snapshot_p=0.0)
        self.soak.exchange.freeze()  # the market moves only when a rule says so
        # In place: `one_venue_order_per_intent` (the soak's intent count) takes a cancel-replace's replacement
        # for a second order of the intent. Cancel-replace itself: tests/desk/test_in_sync_venue.py.
        self.soak.exchange.set_modify("amend")
        self.n = 0
        self.run(self.soak.start())

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    @property
    def desk(self):
        assert self.soak.desk is not None
        return self.soak.desk

    def teardown(self) -> None:
        try:
            if self.soak.desk is not None:
                self.run(self.final_check())
        finally:
            if self.soak.desk is not None:
                self.run(self.soak.crash())
            self.loop.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- actions -------------------------------------------------------------------------------
    def _spec(self, symbol: str, side: Side, kind: str, notional: int, ticks: int) -> OrderSpec | None:
        book, market = self.desk.book(VENUE, symbol), self.desk.market(VENUE, symbol)
        if book is None or book.mid is None:
            return None
        amount = (D(notional) / book.mid / market.lot).to_integral_value(ROUND_DOWN) * market.lot
        if amount <= 0:
            return None
        self.n += 1
        tag = f"soak:{self.n}"
        if kind == "market":
            return OrderSpec(VENUE, symbol, side, OrderType.MARKET, amount, rationale=tag)
        touch = (book.best_ask if side is Side.BUY else book.best_bid) or book.mid
        price = market.round_price(touch + market.tick * ticks * (1 if side is Side.BUY else -1), side)
        return OrderSpec(VENUE, symbol, side, OrderType.LIMIT, amount, price=price, rationale=tag)

    @rule(symbol=st.sampled_from(SYMBOLS), side=st.sampled_from(list(Side)),
          kind=st.sampled_from(["market", "limit", "limit"]), notional=st.integers(20, 300),
          ticks=st.integers(-5, 2))
    def submit(self, symbol, side, kind, notional, ticks):
        spec = self._spec(symbol, side, kind, notional, ticks)
        if spec is None:
            return
        self.desk.clock.advance(150)
        staged = self.desk.stage(spec)
        if staged.status is S.DENIED:
            return
        try:
            done = self.run(self.desk.approve(staged.client_order_id))
        except DeskError:
            return
        if self.desk.order(done.client_order_id).status is S.IN_DOUBT:  # (a stream may have resolved it already)
            again = self.desk.stage(spec)  # the same order again while the first is in doubt: refused
            assert again.status is S.DENIED and "in_doubt_duplicate" in again.reason, again.reason

    def _working(self):
        return [o for o in self.desk.ledger.working(VENUE) if o.status in (S.OPEN, S.PARTIALLY_FILLED)]

    @precondition(lambda self: self.soak.desk is not None and self._working())
    @rule(pick=st.integers(0, 1000))
    def cancel(self, pick):
        working = self._working()
        try:
            self.run(self.desk.cancel(working[pick % len(working)].client_order_id))
        except DeskError:
            pass

    @precondition(lambda self: self.soak.desk is not None and self._working())
    @rule(pick=st.integers(0, 1000), lots=st.integers(1, 5))
    def modify(self, pick, lots):
        working = [o for o in self._working() if o.spec.type is OrderType.LIMIT]
        if not working:
            return
        order = working[pick % len(working)]
        market = self.desk.market(VENUE, order.symbol)
        try:
            self.run(self.desk.modify(order.client_order_id, amount=order.amount + market.lot * lots))
        except DeskError:
            pass

    @rule(symbol=st.sampled_from(SYMBOLS), side=st.sampled_from(["buy", "sell"]), notional=st.integers(100, 5000))
    def flow(self, symbol, side, notional):
        book, market = self.desk.book(VENUE, symbol), self.desk.market(VENUE, symbol)
        amount = max((D(notional) / book.mid / market.lot).to_integral_value(ROUND_DOWN) * market.lot, market.lot)
        self.soak.exchange.inject_flow(symbol, side, amount)

    @rule(ms=st.sampled_from([100, 500, 1500, 3000]))
    def time_passes(self, ms):
        self.soak.advance(ms)
        self.run(self.soak.pump())

    @rule()
    def refresh(self):
        self.soak.advance(500)
        self.run(self.soak._refresh())

    @rule(name=st.sampled_from(FAULTS), p=st.sampled_from([0.0, 0.3, 1.0]))
    def fault(self, name, p):
        if name == "maintenance" and p:
            p = 0.05  # a window of refusals, not a permanently closed venue
        self.soak.exchange.set_fault(name, p)
        self.soak.faults[name] = p

    @rule()
    def late_snapshot(self):
        self.soak.force_stale = True

    @rule()
    def someone_else_places_an_order(self):
        self.run(self.soak.external())

    @rule(mode=st.sampled_from(["before_send", "after_accept", "idle"]), symbol=st.sampled_from(SYMBOLS),
          side=st.sampled_from(list(Side)))
    def crash_and_restart(self, mode, symbol, side):
        if mode != "idle":
            spec = self._spec(symbol, side, "limit", 100, -2)
            if spec is not None:
                staged = self.desk.stage(spec)
                if staged.status is S.PENDING_APPROVAL:
                    real = self.soak.exchange.create_order

                    async def die(*a, **k):
                        if mode == "after_accept":
                            await real(*a, **k)
                        raise Crash()

                    self.soak.exchange.create_order = die
                    try:
                        self.run(self.desk.approve(staged.client_order_id))
                    except (Crash, DeskError):
                        pass
                    finally:
                        self.soak.exchange.create_order = real
        self.run(self.soak.crash())
        self.soak.advance(100)
        try:
            self.run(self.soak.start(attempts=10))
        except RuntimeError:  # the venue refuses everything: the outage ends, then the Desk starts
            for name in ("rate_limit", "server_error", "maintenance"):
                self.fault(name, min(self.soak.faults.get(name, 0.0), 0.3))
            self.run(self.soak.start())
        assert self.desk.ready  # reconciled before any approval

    # -- invariants after every step -----------------------------------------------------------
    @invariant()
    def one_venue_order_per_intent(self):
        if self.soak.desk is None:
            return
        sim, ledger = self.soak.exchange.sim, self.desk.ledger
        per_cid = Counter(o.client_id for o in sim.orders.values())
        assert all(c == 1 for c in per_cid.values())
        intents = Counter(ledger.orders[o.client_id].spec.rationale for o in sim.orders.values()
                          if o.client_id in ledger.orders and ledger.orders[o.client_id].spec.rationale)
        assert all(c == 1 for c in intents.values()), intents.most_common(3)

    @invariant()
    def no_fill_counted_twice(self):
        if self.soak.desk is None:
            return
        ledger = self.desk.ledger
        venue = {(VENUE, t.id) for t in self.soak.exchange.sim.trades}
        assert set(ledger.fills) <= venue  # nothing here the venue never traded
        owners = Counter(t for o in ledger.orders.values() for t in o.trade_ids)
        assert all(c == 1 for c in owners.values())
        for order in ledger.orders.values():
            assert order.filled == sum((ledger.fills[(VENUE, t)].amount for t in order.trade_ids), D(0))
            assert order.filled <= order.amount, order

    @invariant()
    def position_is_the_sum_of_fills(self):
        if self.soak.desk is None:
            return
        ledger = self.desk.ledger
        for (venue, symbol), pos in ledger.positions.items():
            assert pos.size == sum((f.amount * f.side.sign for f in ledger.fills.values() if f.symbol == symbol), D(0))

    @invariant()
    def only_legal_transitions(self):
        if self.soak.desk is None:
            return
        assert self.soak.illegal_before + self.desk.ledger.illegal_transitions == 0

    # -- once the faults stop ------------------------------------------------------------------
    async def final_check(self):
        soak = self.soak
        soak.result.refreshes_to_converge = 0
        await soak.converge()
        assert not soak.result.problems, soak.result.problems
        assert soak.result.refreshes_to_converge <= 1, soak.result.refreshes_to_converge
        soak.check_fills_and_duplicates()
        assert soak.result.lost_fills == 0
        assert soak.result.double_counted_fills == 0
        assert soak.result.duplicates == 0


DeskAgainstTheVenue.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_desk_against_the_venue = DeskAgainstTheVenue.TestCase
