"""`workstation soak`: thousands of orders through the whole Desk against the paper exchange with faults on.

Virtual time: the paper exchange has no latency and moves only on ``step()``; the Desk runs on a
ManualClock that moves with it. So a run is fast, and the same seed gives the same run.

Faults: timeouts after the venue accepted (create, cancel, modify), 429s, 503s, maintenance windows,
dropped fill and order messages, stream disconnects, late (stale) open-order snapshots, external orders
placed on the account by someone else, and at least one crash and restart per thousand orders (at
random points: between the journaled intent and the send, after the venue accepted but before the ack,
or idle). After every crash the Desk restarts from the journal, reconciles before any approval, then
the faults pause and the soak counts the refreshes until the Desk equals the venue.

Invariants (all must be 0): ``duplicates`` (an intent with more than one venue order), ``lost_fills``
(a venue trade the Desk never counted), ``double_counted_fills`` (a fill counted twice, or more filled
here than at the venue), ``illegal_transitions``, ``drift_after_converge`` (differences left once the
faults stop). The exit status is non-zero when any is broken, or when the Desk fails to converge.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

from .desk.clock import ManualClock
from .desk.desk import Desk, DeskError, DeskSettings
from .desk.journal import Journal
from .desk.risk import RiskGate, RiskLimits
from .domain.orders import OrderSpec, OrderStatus, OrderType, Side
from .venues.ccxt_venue import ExchangeVenue
from .venues.errors import VenueError
from .venues.paper.exchange import PaperExchange

SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BTC/USDT:USDT"]
VENUE = "paper"
DEFAULT_FAULTS = {
    "timeout_after_accept": 0.03,
    "rate_limit": 0.02,
    "server_error": 0.02,
    "drop_fill_message": 0.2,
    "stream_disconnect": 0.02,
    "maintenance": 0.0005,
}
INVARIANTS = ("duplicates", "lost_fills", "double_counted_fills", "illegal_transitions", "drift_after_converge")
MAX_CONVERGE_REFRESHES = 10


class _VirtualTimeVenue(ExchangeVenue):
    """The soak runs in virtual time. The adapter's cool-off after a 429 waits on the wall clock, which would
    stall the run for nothing; the 429 itself still reaches the Desk (a refused send, a failed refresh)."""

    @property
    def _cooldown_until(self) -> float:
        return 0.0

    @_cooldown_until.setter
    def _cooldown_until(self, value: float) -> None:
        pass


class Crash(BaseException):
    """The process dies here: nothing after it runs, nothing is cleaned up."""


@dataclass
class SoakResult:
    orders: int = 0
    duplicates: int = 0
    lost_fills: int = 0
    double_counted_fills: int = 0
    illegal_transitions: int = 0
    drift_after_converge: int = 0
    faults_injected: int = 0
    orders_per_s: float = 0.0
    refreshes_to_converge: int = 0
    crashes: int = 0
    converge_phases: int = 0
    elapsed_s: float = 0.0
    seed: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    denied: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(getattr(self, k) == 0 for k in INVARIANTS) and self.refreshes_to_converge <= MAX_CONVERGE_REFRESHES \
            and not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "duplicates": self.duplicates, "lost_fills": self.lost_fills,
            "double_counted_fills": self.double_counted_fills, "illegal_transitions": self.illegal_transitions,
            "drift_after_converge": self.drift_after_converge, "orders": self.orders,
            "faults_injected": self.faults_injected, "orders_per_s": round(self.orders_per_s, 1),
            "refreshes_to_converge": self.refreshes_to_converge, "crashes": self.crashes,
            "converge_phases": self.converge_phases, "elapsed_s": round(self.elapsed_s, 2), "seed": self.seed,
            "faults": self.faults, "outcomes": self.outcomes, "denied": self.denied,
            "problems": self.problems[:20], "ok": self.ok,
        }


class Soak:
    def __init__(self, orders: int = 10_000, seed: int = 1, *, workdir: Path | None = None,
                 faults: dict[str, float] | None = None, crash_every: int = 1000, step_ms: int = 100,
                 refresh_every_ms: int = 3000, grace_s: float = 2.0, late_snapshot_p: float = 0.1):
        self.target = orders
        self.seed = seed
        self.rng = random.Random(f"soak:{seed}")
        self.faults = dict(DEFAULT_FAULTS if faults is None else faults)
        self.crash_every = crash_every
        self.step_ms = step_ms
        self.refresh_every_ms = refresh_every_ms
        self.grace_s = grace_s
        self._own_dir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="workstation-soak-"))
        self.path = self.workdir / "soak.sqlite3"
        self.exchange = PaperExchange(seed, latency=None, faults=self.faults, rate_limit=100_000,
                                      maintenance_ms=1500)
        self.clock = ManualClock()
        self.desk: Desk | None = None
        self.result = SoakResult(seed=seed)
        self.illegal_before = 0
        self.sent = 0
        self.stale_snapshots = 0
        self.externals = 0
        self._snapshots: list[list[Any]] = []
        self._since_refresh = 0
        self.late_snapshot_p = late_snapshot_p
        self.force_stale = False  # the next open-orders snapshot is an old one (tests drive this)

    # -- time and plumbing -----------------------------------------------------------------
    def advance(self, ms: int) -> None:
        self.exchange.step(ms)
        self.clock.advance(ms)

    async def pump(self) -> None:
        for _ in range(4):  # let the Desk's stream tasks take what the venue pushed
            await asyncio.sleep(0)

    def _desk(self) -> Desk:
        venue = _VirtualTimeVenue(VENUE, self.exchange, "paper", read_retries=1)  # no wall-clock backoff
        settings = DeskSettings(in_doubt_grace_s=self.grace_s, in_doubt_poll_s=3600.0, send_retries=0,
                                stream_retry_s=0.0)
        # The soak tests reconciliation, not the risk limits: those that a long busy run trips by design (daily
        # loss from fees, send rate, the duplicate window that would hide the in-doubt guard) are opened up.
        limits = RiskLimits(daily_loss_limit=Decimal(10) ** 9, orders_per_s=1000, cancels_per_s=1000,
                            duplicate_window_s=0.0, max_leverage=Decimal(50), max_margin_pct=Decimal(100))
        journal = Journal(self.path, instance=f"{self.seed % 10**8:08d}")  # same seed, same client order ids
        desk = Desk({VENUE: venue}, journal, gate=RiskGate(default_limits=limits), clock=self.clock,
                    settings=settings, symbols={VENUE: list(SYMBOLS)})
        self._late_snapshots(venue)
        return desk

    def _late_snapshots(self, venue: ExchangeVenue) -> None:
        """Now and then the venue's open-orders list is one taken a while ago (a late snapshot)."""
        real = venue.fetch_open_orders

        async def maybe_stale(symbol: str | None = None):
            fresh = await real(symbol)
            self._snapshots.append(fresh)
            del self._snapshots[:-5]
            if self.force_stale and len(self._snapshots) > 1:
                self.force_stale = False
                self.stale_snapshots += 1
                return self._snapshots[-2]
            if self.faults and len(self._snapshots) > 3 and self.rng.random() < self.late_snapshot_p:
                self.stale_snapshots += 1
                return self._snapshots[-4]
            return fresh

        venue.fetch_open_orders = maybe_stale  # type: ignore[method-assign]

    async def start(self, attempts: int = 1000) -> None:
        """Start (or restart) a Desk from the journal; keep trying while the venue refuses, as a supervisor would."""
        for attempt in range(attempts):
            desk = self._desk()
            try:
                await desk.connect()
            except (VenueError, DeskError):
                desk.journal.close()
                self.advance(500)
                continue
            self.desk = desk
            for _ in range(attempts):
                if desk.ready:
                    break
                self.advance(self.refresh_every_ms)
                await self._refresh()
            if not desk.ready:
                await self.crash()
                self.result.crashes -= 1
                continue
            desk.spawn(desk.feeds.fill_stream(VENUE))
            desk.spawn(desk.feeds.order_stream(VENUE))
            await self.pump()
            return
        raise RuntimeError(f"the Desk could not start against the paper exchange in {attempts} attempts")

    async def crash(self) -> None:
        """Drop the Desk as a killed process would: its tasks stop, its connections close, nothing else."""
        desk = self.desk
        assert desk is not None
        self.illegal_before += desk.ledger.illegal_transitions
        for task in list(desk.router.tasks):
            task.cancel()
        await asyncio.gather(*desk.router.tasks, return_exceptions=True)
        desk.journal.close()
        await self.exchange.close()  # the websockets die with the process
        self.desk = None
        self.result.crashes += 1

    async def _refresh(self) -> None:
        desk = self.desk if self.desk is not None else None
        if desk is None:
            return
        try:
            await desk.sync_books()
        except VenueError:
            pass  # a book we could not fetch: the gate denies orders on stale books
        await desk.refresh()
        self._since_refresh = 0

    # -- the trader ----------------------------------------------------------------------------
    def _spec(self, n: int) -> OrderSpec | None:
        desk = self.desk
        assert desk is not None
        symbol = self.rng.choice(SYMBOLS)
        book = desk.book(VENUE, symbol)
        market = desk.market(VENUE, symbol)
        if book is None or book.mid is None:
            return None
        side = self._side(symbol)
        notional = Decimal(self.rng.randint(20, 400))
        amount = (notional / book.mid / market.lot).to_integral_value(ROUND_DOWN) * market.lot
        if amount <= 0:
            return None
        kind = self.rng.random()
        tag = f"soak:{n}"
        if kind < 0.35:
            return OrderSpec(VENUE, symbol, side, OrderType.MARKET, amount, rationale=tag)
        touch = (book.best_ask if side is Side.BUY else book.best_bid) or book.mid
        ticks = self.rng.randint(-6, 2)  # mostly resting near the touch, sometimes crossing
        away = market.tick * ticks * (1 if side is Side.BUY else -1)
        price = market.round_price(touch + away if kind < 0.9 else touch - away * 3, side)
        return OrderSpec(VENUE, symbol, side, OrderType.LIMIT, amount, price=price, rationale=tag)

    def _side(self, symbol: str) -> Side:
        """Buy and sell so that the balances wander around where they started."""
        desk = self.desk
        assert desk is not None
        if symbol.endswith(":USDT"):
            size = desk.position(VENUE, symbol).size
            bias = 0.5 - max(-0.4, min(0.4, float(size) * 2))
        else:
            base = symbol.split("/")[0]
            start = Decimal(self.exchange.sim.accounts.total.get(base, 0))  # only to steer, not to check
            target = {"BTC": Decimal(1), "ETH": Decimal(10), "SOL": Decimal(100)}[base]
            bias = 0.5 - max(-0.4, min(0.4, float((start - target) / target) * 4))
        return Side.BUY if self.rng.random() < bias else Side.SELL

    async def place(self, n: int, crash_mode: str | None = None) -> None:
        desk = self.desk
        assert desk is not None
        spec = self._spec(n)
        if spec is None:
            return
        staged = desk.stage(spec)
        if staged.status is OrderStatus.DENIED:
            self._denied(staged.reason)
            return
        real = self.exchange.create_order
        if crash_mode == "before_send":
            async def die(*a, **k):
                raise Crash()
            self.exchange.create_order = die  # type: ignore[method-assign]
        elif crash_mode == "after_accept":
            async def accept_then_die(*a, **k):
                await real(*a, **k)
                raise Crash()
            self.exchange.create_order = accept_then_die  # type: ignore[method-assign]
        try:
            done = await desk.approve(staged.client_order_id)
        except DeskError as exc:
            self._denied(str(exc))
            return
        finally:
            self.exchange.create_order = real  # type: ignore[method-assign]
        if done.status in (OrderStatus.DENIED, OrderStatus.EXPIRED, OrderStatus.PENDING_APPROVAL):
            self._denied(done.reason)
            return
        self.sent += 1
        self.result.outcomes[done.status.value] = self.result.outcomes.get(done.status.value, 0) + 1
        if desk.order(done.client_order_id).status is OrderStatus.IN_DOUBT:  # (a stream may have answered already)
            # An impatient trader tries the same order again: the Desk must refuse while it is in doubt.
            again = desk.stage(spec)
            if again.status is OrderStatus.DENIED and "in_doubt_duplicate" in again.reason:
                self.result.outcomes["duplicate_refused"] = self.result.outcomes.get("duplicate_refused", 0) + 1
            else:
                self.result.problems.append(f"an identical order was staged while {done.client_order_id} was in doubt")
                if again.status is OrderStatus.PENDING_APPROVAL:
                    await desk.approve(again.client_order_id)  # a guard failure: the duplicate check counts it

    def _denied(self, reason: str) -> None:
        rule = (reason or "?").split(":")[0]
        self.result.denied[rule] = self.result.denied.get(rule, 0) + 1

    async def cancel_some(self) -> None:
        desk = self.desk
        assert desk is not None
        working = [o for o in desk.ledger.working(VENUE) if o.status in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)]
        if not working:
            return
        count = 1 + (len(working) > 25) * (len(working) - 25)  # keep well under the open-orders limit
        for order in self.rng.sample(working, min(count, len(working))):
            try:
                await desk.cancel(order.client_order_id)
            except DeskError:
                pass

    async def modify_one(self) -> None:
        desk = self.desk
        assert desk is not None
        working = [o for o in desk.ledger.working(VENUE) if o.status in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)
                   and o.spec.type is OrderType.LIMIT]
        if not working:
            return
        order = self.rng.choice(working)
        market = desk.market(VENUE, order.symbol)
        amount = order.amount + market.lot * self.rng.randint(1, 5)
        try:
            await desk.modify(order.client_order_id, amount=amount)
        except DeskError:
            pass

    def flow(self) -> None:
        symbol = self.rng.choice(SYMBOLS)
        book = self.desk.book(VENUE, symbol) if self.desk else None
        if book is None or book.mid is None:
            return
        lots = Decimal(self.rng.randint(200, 3000)) / book.mid
        market = self.desk.market(VENUE, symbol)
        amount = max((lots / market.lot).to_integral_value(ROUND_DOWN) * market.lot, market.lot)
        self.exchange.inject_flow(symbol, self.rng.choice(["buy", "sell"]), amount)

    async def external(self) -> None:
        """Someone else (another app, the venue's web page) places an order on the same account."""
        desk = self.desk
        assert desk is not None
        book = desk.book(VENUE, "ETH/USDT")
        if book is None or book.best_bid is None:
            return
        price = desk.market(VENUE, "ETH/USDT").round_price(book.best_bid * Decimal("0.995"), Side.BUY)
        try:
            await self.exchange.create_order("ETH/USDT", "limit", "buy", Decimal("0.01"), price, {})
            self.externals += 1
        except Exception:  # noqa: BLE001 - the other app's problem
            pass

    # -- convergence and the invariants -------------------------------------------------------
    def mismatches(self) -> list[str]:
        """Every way the Desk differs from the venue's truth (read straight from the simulator)."""
        desk = self.desk
        assert desk is not None
        sim, ledger, out = self.exchange.sim, desk.ledger, []
        spec_of = {s: self.exchange.sim.specs[s] for s in sim.specs}
        venue_fill: dict[str, Decimal] = Counter()
        for t in sim.trades:
            venue_fill[t.client_id] += t.lots * spec_of[t.symbol].lot
        for o in sim.orders.values():
            if o.client_id.startswith("liquidation-"):
                continue
            local = ledger.find(VENUE, o.client_id, o.id)
            if local is None:
                if o.is_open:
                    out.append(f"venue order {o.client_id} open, unknown here")
                continue
            filled = o.filled * spec_of[o.symbol].lot
            if local.filled != filled:
                out.append(f"{local.client_order_id}: filled here {local.filled}, venue {filled}")
            if o.is_open:
                if local.status not in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED):
                    out.append(f"{local.client_order_id}: {local.status.value} here, open at the venue")
                if local.amount != o.amount * spec_of[o.symbol].lot:
                    out.append(f"{local.client_order_id}: amount {local.amount} here, venue {o.amount * spec_of[o.symbol].lot}")
            else:
                want = {"closed": OrderStatus.FILLED, "canceled": OrderStatus.CANCELED, "expired": OrderStatus.EXPIRED}
                if local.status is not want.get(o.status) and not (
                        o.status == "closed" and local.status is OrderStatus.FILLED):
                    out.append(f"{local.client_order_id}: {local.status.value} here, {o.status} at the venue")
        known = {o.client_id for o in sim.orders.values()}
        for order in ledger.working(VENUE):
            if order.client_order_id not in known:
                out.append(f"{order.client_order_id}: {order.status.value} here, never at the venue")
        for (venue, symbol), pos in ledger.positions.items():
            truth = sum((t.lots * spec_of[t.symbol].lot * (1 if t.side == "buy" else -1)
                         for t in sim.trades if t.symbol == symbol), Decimal(0))
            if pos.size != truth:
                out.append(f"position {symbol}: {pos.size} here, venue trades say {truth}")
        open_items = [v for v in desk.reconcile_differences(VENUE, include_resolved=False)
                      if v.needs_human and v.kind in ("position_drift", "balance_drift")]
        out += [f"{v.kind} {v.symbol}: {v.detail}" for v in open_items]
        return out

    async def converge(self) -> None:
        """Faults off; count the refreshes until the Desk equals the venue."""
        for name in self.faults:
            self.exchange.set_fault(name, 0.0)
        saved, self.faults = self.faults, {}
        self.force_stale = False  # late snapshots are a fault too
        self.exchange.freeze()  # no random flow while we measure: the venue holds still
        count, left = 0, self.mismatches()
        while left and count < MAX_CONVERGE_REFRESHES:
            self.advance(self.refresh_every_ms)
            await self.pump()
            await self._refresh()
            count += 1
            left = self.mismatches()
        self.result.converge_phases += 1
        self.result.refreshes_to_converge = max(self.result.refreshes_to_converge, count)
        if left:
            self.result.drift_after_converge += len(left)
            self.result.problems += left[:10]
        self.exchange.freeze(frozen=False)
        self.faults = saved
        for name, p in saved.items():
            self.exchange.set_fault(name, p)

    def check_fills_and_duplicates(self) -> None:
        desk = self.desk
        assert desk is not None
        sim, ledger = self.exchange.sim, desk.ledger
        venue_trades = {(VENUE, t.id): t for t in sim.trades}
        self.result.lost_fills = sum(1 for k in venue_trades if k not in ledger.fills)
        phantom = sum(1 for k in ledger.fills if k not in venue_trades)
        seen: Counter[str] = Counter()
        over = 0
        for order in ledger.orders.values():
            for tid in order.trade_ids:
                seen[tid] += 1
            total = sum((ledger.fills[(VENUE, t)].amount for t in order.trade_ids if (VENUE, t) in ledger.fills),
                        Decimal(0))
            if order.filled > total:
                over += 1
        self.result.double_counted_fills = phantom + over + sum(c - 1 for c in seen.values() if c > 1)
        for (venue, symbol), pos in ledger.positions.items():
            folded = sum((f.amount * f.side.sign for f in ledger.fills.values() if f.symbol == symbol), Decimal(0))
            if folded != pos.size:
                self.result.problems.append(f"position {symbol} {pos.size} is not the sum of its fills {folded}")
        intents: Counter[str] = Counter()
        for o in sim.orders.values():
            local = ledger.orders.get(o.client_id)
            if local is not None and local.spec.rationale.startswith("soak:"):
                intents[local.spec.rationale] += 1
        self.result.duplicates = sum(c - 1 for c in intents.values() if c > 1)
        self.result.illegal_transitions = self.illegal_before + ledger.illegal_transitions

    # -- the run -------------------------------------------------------------------------------
    async def run(self) -> SoakResult:
        started = time.perf_counter()
        await self.start()
        block = max(self.crash_every, 1)
        crash_at = {b * block + self.rng.randint(block // 10, block - 1) for b in range(max(1, self.target // block))}
        modes = ["before_send", "after_accept", "idle"]
        n = 0
        while self.sent < self.target:
            n += 1
            crash_here = self.sent in crash_at
            if crash_here:
                crash_at.discard(self.sent)
                mode = self.rng.choice(modes)
                try:
                    if mode == "idle":
                        raise Crash()
                    await self.place(n, mode)
                except Crash:
                    pass
                if self.desk is not None:
                    await self.crash()
                self.advance(self.step_ms)
                await self.start()
                self._recovery_check()
                await self.converge()
                continue
            await self.place(n)
            r = self.rng.random()
            if r < 0.3:
                await self.cancel_some()
            elif r < 0.4:
                await self.modify_one()
            if self.rng.random() < 0.4:
                self.flow()
            if self.rng.random() < 0.002:
                await self.external()
            self.advance(self.step_ms)
            await self.pump()
            self._since_refresh += self.step_ms
            if self._since_refresh >= self.refresh_every_ms:
                await self._refresh()
        await self.converge()
        self.check_fills_and_duplicates()
        self.result.orders = self.sent
        self.result.faults = {**{k: v for k, v in self.exchange.fault_counts.items() if v},
                              "late_snapshot": self.stale_snapshots, "crash_restart": self.result.crashes,
                              "external_order": self.externals}
        self.result.faults_injected = sum(self.result.faults.values())
        self.result.elapsed_s = time.perf_counter() - started
        self.result.orders_per_s = self.sent / self.result.elapsed_s if self.result.elapsed_s else 0.0
        if self.desk is not None:
            for task in list(self.desk.router.tasks):
                task.cancel()
            await asyncio.gather(*self.desk.router.tasks, return_exceptions=True)
            self.desk.journal.close()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return self.result

    def _recovery_check(self) -> None:
        desk = self.desk
        assert desk is not None
        summary = desk.take_recovery()
        if summary is not None and desk.take_recovery() is not None:
            self.result.problems.append("the recovery summary was shown twice")


async def run_soak(orders: int = 10_000, seed: int = 1, **kwargs: Any) -> SoakResult:
    return await Soak(orders, seed, **kwargs).run()


def _main(args: argparse.Namespace) -> int:
    if args.orders <= 0:
        print("workstation soak: --orders must be positive", file=sys.stderr)
        return 2
    result = asyncio.run(run_soak(args.orders, args.seed))
    if args.json:
        print(json.dumps(result.as_dict(), sort_keys=False))
    else:
        d = result.as_dict()
        for key in INVARIANTS:
            print(f"{key:24} {d[key]:>10}   {'ok' if d[key] == 0 else 'BROKEN'}")
        for key in ("orders", "faults_injected", "orders_per_s", "refreshes_to_converge", "crashes", "elapsed_s"):
            print(f"{key:24} {d[key]:>10}")
        print("faults: " + ", ".join(f"{k} {v}" for k, v in d["faults"].items()))
        for problem in d["problems"]:
            print(f"problem: {problem}")
        print("OK" if result.ok else "INVARIANT BROKEN")
    return 0 if result.ok else 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("soak", help="run N orders on the paper exchange with faults on and check the invariants")
    p.add_argument("--orders", type=int, default=10_000, help="orders to send (default 10000)")
    p.add_argument("--seed", type=int, default=1, help="seed: the same seed gives the same run")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_main)
