"""One soak: the paper exchange (every fault on) in this process, the Desk in a child process killed with
SIGKILL again and again, a trader placing every kind of order, and the referee checking as it goes.

The run, decision by decision (each a few hundred ms of venue time):
- the trader stages and approves (or modifies, or cancels); other traders' flow hits the books;
  now and then someone else places an order on the same account;
- every ``kill_every`` orders the Desk's process dies: as a create_order reaches the venue (before or
  after the venue applied it), during a cancel or a modify (before or after), at a random request, or
  idle. The venue keeps running; a new process starts from the journal, reconciles, and carries on;
- every ``switch_every`` orders the kill switch is pressed while a send is in flight (the venue holds
  that create_order for a second of venue time), then the trader tries an order (denied: HALTED) and
  re-arms;
- every ``check_every`` orders (and after every restart) the referee checks while the faults go on;
- every ``converge_every`` orders, and at the end, the faults pause, the market holds still, and the
  Desk refreshes until it equals the venue; the referee checks everything once more.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..venues.paper.exchange import DEFAULT_BALANCES, PaperExchange
from .child import SYMBOLS
from .facts import VenueFacts
from .intents import Intents
from .journal_view import JournalView
from .referee import Referee
from .result import MAX_CONVERGE_REFRESHES, SoakResult
from .supervisor import ChildDied, CommandFailed, DeskProcess, Hung
from .trader import Trader
from .venue_server import DEFAULT_FAULTS, Hold, KillPlan, VenueServer
from .wirelog import WireLog

# (kind, the request it waits for, after the venue applied it?, the trader's action that makes one)
KILLS = (("create_before_send", "create_order", False, "market"),
         ("create_after_apply", "create_order", True, "limit"),
         ("cancel_before_send", "cancel_order", False, "cancel"),
         ("cancel_after_apply", "cancel_order", True, "cancel"),
         ("modify_before_send", "write", False, "modify"), ("modify_after_apply", "write", True, "modify"),
         ("random", "any", False, None), ("idle", "", False, None))
DECISION_MS = (50, 250)  # venue time between two decisions: a busy trader (the Desk's timers run per venue second)
REFRESH_MS = 3000
PERPETUAL = "BTC/USDT:USDT"
AFTER_KILL_MS = 6000  # venue time the Desk gets, after its kill switch, to chase what landed late


class Soak:
    def __init__(self, orders: int = 10_000, seed: int = 1, *, faults: dict[str, float] | None = None,
                 kill_every: int | None = None, switch_every: int | None = None, check_every: int | None = None,
                 converge_every: int = 2500, late_snapshot_p: float = 0.05, workdir: Path | None = None,
                 keep: bool = False):
        self.target, self.seed = orders, seed
        self.rng = random.Random(f"soak:{seed}")
        # About a dozen kills (each kind at least once) and sixty checks, however long the run: a restart
        # replays the whole journal and a check reads the whole venue, so more of either costs O(run).
        self.kill_every = kill_every or max(50, orders // 12)
        self.switch_every = switch_every or max(120, orders // 6)
        self.check_every = check_every or max(100, orders // 60)
        self.converge_every = converge_every
        self.keep = keep
        self._own_dir = workdir is None
        base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None  # a kill, not a power cut: no fsync needed
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="workstation-soak-", dir=base))
        self.balances = {k: Decimal(v) for k, v in DEFAULT_BALANCES.items()}
        self.exchange = PaperExchange(seed, latency=None, faults=dict(DEFAULT_FAULTS if faults is None else faults),
                                      balances={k: str(v) for k, v in self.balances.items()}, rate_limit=6000,
                                      maintenance_ms=1500)
        self.log = WireLog()
        self.server = VenueServer(self.exchange, self.log, seed, late_snapshot_p)
        self.proc = DeskProcess(self.server, self.workdir, f"{seed % 10 ** 8:08d}")
        self.intents = Intents()
        self.journal = JournalView(self.workdir / "journal.sqlite3")
        self.referee = Referee(self.intents, self.journal, self.balances)
        self.trader = Trader(seed, self.exchange, self.proc, self.intents)
        self.result = SoakResult(seed=seed)
        self.orders = 0
        self.externals = 0
        self.drift = 0
        self.last_snapshot: dict[str, Any] | None = None  # the Desk as the last converge check saw it

    # -- the run -----------------------------------------------------------------------------------
    async def run(self) -> SoakResult:
        started, cpu = time.perf_counter(), time.process_time()
        venue_start = self.exchange.milliseconds()
        try:
            await self.proc.open()
            await self._restart(first=True)
            await self._trade()
            for _ in range(3):  # the last word: faults paused, everything compared
                if await self._guard(self._converge()):
                    break
        finally:
            await self.proc.shutdown()
            self.journal.close()
            if self._own_dir and not self.keep:
                shutil.rmtree(self.workdir, ignore_errors=True)
        self._finish(time.perf_counter() - started, venue_start)
        self.result.cpu_s = time.process_time() - cpu + self.proc.child_cpu_s
        return self.result

    async def _trade(self) -> None:
        kinds = list(KILLS)
        self.rng.shuffle(kinds)
        next_kill, next_switch = self.kill_every, self.switch_every
        next_check, next_converge = self.check_every, self.converge_every
        kill = 0
        while self.orders < self.target:
            if self.orders >= next_kill:
                next_kill += self.kill_every
                kill += 1
                await self._guard(self._crash(kinds[(kill - 1) % len(kinds)]))
            if self.orders >= next_switch:
                next_switch += self.switch_every
                await self._guard(self._kill_switch())
            if self.orders >= next_check:
                next_check += self.check_every
                await self._guard(self._check())
            if self.orders >= next_converge:
                next_converge += self.converge_every
                await self._guard(self._converge())
            staged = await self._guard(self.trader.act())
            self.orders += staged or 0
            self._other_traders()
            await self._guard(self._external())
            await self._guard(self.proc.step(self.rng.randint(*DECISION_MS)))

    async def _guard(self, coro: Any) -> Any:
        """Run one step of the soak; if the Desk's process died in it (planned), start the next one."""
        try:
            return await coro
        except ChildDied:
            pass
        except Hung as exc:
            self.result.problems.append(f"the Desk hung at order {self.orders}: {exc}")
            await self.proc.dump_stacks()
            self.proc.kill("hung")
        await self._restart()
        return None

    async def _restart(self, first: bool = False) -> None:
        """A new Desk process from the journal: start, wait for its first reconcile, check at once."""
        while True:
            if not first:
                await self.proc.reap()
                await self.proc.step(self.rng.randint(0, 2000))  # the venue runs on while the Desk is down
            first = False
            try:
                await self.proc.spawn()
                await self.proc.command("start")
                await self.proc.command("ready")
                if self.proc.number == 1:
                    await self._leverage()
                await self._check(full=True)
                return
            except ChildDied:
                continue  # a planned kill fired during the start: start again
            except Hung as exc:
                self.result.problems.append(f"a Desk process did not start: {exc}")
                await self.proc.dump_stacks()
                self.proc.kill("hung at start")

    async def _leverage(self) -> None:
        """The trader's first act, as the gate asks: the perpetual's leverage within the default limit (the
        venue's default is above it, and the gate denies every order on a symbol set above the limit)."""
        try:
            await self.proc.command("set_leverage", symbol=PERPETUAL, leverage=5)
        except CommandFailed as exc:
            self.result.problems.append(f"could not set the perpetual's leverage: {exc.message}")

    # -- crashes -------------------------------------------------------------------------------------
    async def _crash(self, kill: tuple[str, str, bool, str | None]) -> None:
        kind, method, after, action = kill
        if kind == "idle":
            self.server.fired[kind] += 1
            self.proc.kill(kind)
            raise ChildDied(kind)
        self.server.plan = KillPlan(kind, method, after, self.rng.randint(0, 40) if method == "any" else 0)
        if action is None:
            return  # a random request will do it
        for _ in range(40):  # the trader's next decisions make the request the kill waits for
            self.orders += await self.trader.act(force=action)
            if not self.proc.alive:
                raise ChildDied(kind)
            await self.proc.step(self.rng.randint(*DECISION_MS))
        self.server.plan = None
        self.server.fired[f"{kind}_missed"] += 1

    async def _kill_switch(self) -> None:
        """The kill switch pressed while a send is in flight (the venue holds it for 1 s of venue time);
        then a last look at the venue, an order tried while HALTED (the gate must deny it), and re-arm."""
        self.server.plan = None
        trader = self.trader
        trader.n += 1
        symbol = self.rng.choice(SYMBOLS)
        side = trader.side(symbol)
        away = (1 if side == "buy" else -1) * trader.steps(symbol, 20)
        spec = trader.spec(symbol, side, "limit", trader.amount(symbol, Decimal(200)),
                           price=trader.price(symbol, trader.touch(symbol, side) - away, side))
        self.server.hold = Hold(ms=1000)
        try:
            order = await trader.stage(spec, "limit")
            self.orders += 1
            approving = self.proc.link.command("approve", cid=order["cid"]) if order and self.proc.link else None
            while approving is not None and not (self.server.holding or approving.done()):
                await self.proc.settle(until=approving)
                if not (self.server.holding or approving.done()):
                    await self.proc.step(100)
            report = await self.proc.command("kill")
            self.server.release()  # if the kill came back first, the send lands now: after the kill
            if approving is not None:
                try:
                    await self.proc.run(approving)
                except CommandFailed:
                    pass
        finally:
            self.server.release()
            self.server.hold = None
        await self.proc.step(AFTER_KILL_MS)
        facts = VenueFacts(self.exchange, self.log)
        for vid in facts.open_ids:
            self.referee.note("open_after_kill", vid, f"venue order {vid} ({facts.orders[vid].owner}) open "
                              f"{AFTER_KILL_MS / 1000:.0f}s after the kill switch returned {report}")
        self.result.kill_switch.append({**report, "send_in_flight": approving is not None,
                                        "open_after": len(facts.open_ids)})
        self.orders += await trader.act(force="market")
        await self.proc.command("rearm")
        await self._check()

    # -- the market around us ------------------------------------------------------------------------
    def _other_traders(self) -> None:
        if self.rng.random() < 0.4:
            symbol = self.rng.choice(SYMBOLS)
            amount = self.trader.amount(symbol, Decimal(self.rng.randint(200, 3000)))
            self.exchange.inject_flow(symbol, self.rng.choice(["buy", "sell"]), amount)

    async def _external(self) -> None:
        """Someone else (another app, the venue's web page) places an order on the same account."""
        if self.rng.random() >= 0.003:
            return
        price = self.trader.price("ETH/USDT", self.trader.touch("ETH/USDT", "sell") * Decimal("0.995"), "buy")
        if await self.server.place_external("ETH/USDT", "limit", "buy", Decimal("0.01"), price):
            self.externals += 1

    # -- the referee ------------------------------------------------------------------------------------
    async def _snapshot(self, full: bool) -> tuple[dict[str, Any], VenueFacts]:
        """The Desk's state and the venue's, taken at the same moment (the venue's as the answer arrives)."""
        self.journal.read_to()
        also = sorted(self.journal.changed)
        self.journal.changed.clear()
        facts: list[VenueFacts] = []
        snapshot = await self.proc.command("snapshot", on_answer=lambda: facts.append(
            VenueFacts(self.exchange, self.log)), full=full, also=also)
        return snapshot, facts[0]

    async def _check(self, full: bool = False) -> None:
        snapshot, facts = await self._snapshot(full)
        self.referee.check(snapshot, facts)

    async def _converge(self) -> bool:
        """Faults off, the market still: refresh until the Desk equals the venue; then check everything."""
        self.server.plan = None
        saved, late = self.exchange.faults, self.server.late_snapshot_p
        for name in saved:
            self.exchange.set_fault(name, 0.0)
        self.server.late_snapshot_p = 0.0
        self.exchange.freeze()
        try:
            for refreshes in range(1, MAX_CONVERGE_REFRESHES + 1):
                await self.proc.step(REFRESH_MS)
                await self.proc.command("refresh")
                snapshot, facts = await self._snapshot(full=True)
                if not self.referee.drift(snapshot, facts):
                    break
            drift = self.referee.check(snapshot, facts, converge=True)
            self.last_snapshot = snapshot
            self.result.converge_phases += 1
            self.result.refreshes_to_converge = max(self.result.refreshes_to_converge,
                                                    refreshes if not drift else refreshes + 1)
            self.drift += len(drift)
            examples = self.result.examples.setdefault("drift_after_converge", [])
            examples += drift[: max(0, 6 - len(examples))]
            return True
        finally:
            self.exchange.freeze(frozen=False)
            for name, p in saved.items():
                self.exchange.set_fault(name, p)
            self.server.late_snapshot_p = late

    def _finish(self, elapsed: float, venue_start: int) -> None:
        res, referee, server = self.result, self.referee, self.server
        for cid in server.sent_before_reconcile:
            referee.note("sent_before_reconcile", cid, f"create_order {cid} reached the venue before the new Desk "
                         f"process had read its open orders, balance and trades")
        res.invariants.update(referee.counts())
        res.invariants["illegal_transitions"] = self.journal.illegal_transitions
        res.invariants["drift_after_converge"] = self.drift
        res.examples.update({k: v for k, v in referee.examples.items() if v})
        if self.journal.illegal:
            res.examples["illegal_transitions"] = list(self.journal.illegal)
        res.orders, res.modifies, res.contingent_orders = self.orders, self.trader.modifies, self.trader.contingent
        res.process_kills = self.proc.kills
        res.kills = dict(server.fired)
        res.denied = dict(self.trader.denied)
        res.order_types = dict(self.intents.kinds)
        res.actions = dict(self.trader.actions)
        res.outcomes = dict(self.trader.outcomes)
        res.refused = dict(self.trader.refusals.most_common(10))
        res.faults = {**{k: v for k, v in self.exchange.fault_counts.items() if v}, **dict(server.counts),
                      "process_kill": self.proc.kills, "external_order": self.externals}
        res.checks = sum(referee.checks.values())
        res.requests = dict(self.log.calls)
        res.elapsed_s = elapsed
        res.venue_time_s = (self.exchange.milliseconds() - venue_start) / 1000


async def run_soak(orders: int = 10_000, seed: int = 1, **options: Any) -> SoakResult:
    return await Soak(orders, seed, **options).run()
