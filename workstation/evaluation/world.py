"""One scenario's world: a fresh paper exchange and Desk, set up and driven through public methods only.

The account is built by trading, not by editing state: positions are market orders and open orders
are limit or stop orders, staged at the Desk and approved by the evaluation's own actor
(``eval:<run id>``), so the Desk, the journal and the venue agree from the first turn. Partial fills
come from other traders' flow (``inject_flow``), in-doubt orders from a fault switched on for one send.

Time is virtual: the exchange moves only on ``step()`` and the Desk runs on a ManualClock that moves
with it, so a run is fast and the same scenario gives the same market. The harness's own reads run
with faults off; a scenario's faults hit the copilot's reads and the sends the harness approves.

``facts()`` is what placeholders such as ``{position[BTC/USDT:USDT]}`` resolve to: the venue's own
records (positions, balances, orders), never the Desk's belief.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

from ..copilot.view import CopilotView
from ..desk.clock import ManualClock
from ..desk.desk import Desk, DeskError, DeskSettings
from ..desk.journal import Journal
from ..desk.risk import RiskGate, RiskLimits
from ..desk.schedule import ScheduleError
from ..domain.money import ZERO
from ..domain.orders import OrderSpec, OrderStatus, OrderType, Origin, Side
from ..soak import _VirtualTimeVenue  # the adapter's 429 cool-off would wait on the wall clock
from ..venues.paper.exchange import PaperExchange
from .scenario import Action, Scenario, ScenarioError, SetupOrder

VENUE = "paper"
SYMBOLS = ["ETH/USDT", "BTC/USDT", "SOL/USDT", "BTC/USDT:USDT"]
STEP_MS = 100
TURN_GAP_MS = 6_000  # the human reads the answer: more than the duplicate guard's window
MAX_FILL_PIECES = 500
REGIME_SEARCH_STEPS = 400  # of 5 s each: the regime a scenario asks for is found by stepping the seeded market


def eval_actor(run_id: str) -> str:
    return f"eval:{run_id}"


def _limits(overrides: dict[str, Any]) -> RiskLimits:
    base = RiskLimits()
    values: dict[str, Any] = {}
    for f in fields(RiskLimits):
        if f.name not in overrides:
            continue
        default, raw = getattr(base, f.name), overrides[f.name]
        values[f.name] = int(raw) if isinstance(default, int) else float(raw) if isinstance(default, float) \
            else Decimal(str(raw))
    return RiskLimits(**{**{f.name: getattr(base, f.name) for f in fields(RiskLimits)}, **values})


@dataclass
class Proposed:
    """What the harness knows of one copilot proposal (from the recorded tool calls)."""

    id: str
    kind: str  # stage | cancel | modify | schedule
    client_order_ids: list[str] = field(default_factory=list)
    target_order_id: str | None = None
    new_amount: Decimal | None = None
    new_price: Decimal | None = None
    schedule_id: str | None = None


class World:
    def __init__(self, scenario: Scenario, exchange: PaperExchange, desk: Desk, clock: ManualClock, actor: str):
        self.scenario, self.exchange, self.desk, self.clock, self.actor = scenario, exchange, desk, clock, actor
        self.view = CopilotView.of(desk)
        self.named: dict[str, str] = {}  # set-up order name (and "proposed") -> client order id
        self.approved: list[str] = []  # client order ids of copilot orders the harness approved
        self.notes: list[str] = []  # what the harness did and what happened, for the trace

    # -- building ------------------------------------------------------------------------------------
    @classmethod
    async def build(cls, scenario: Scenario, workdir: Path, actor: str) -> "World":
        balances = {k: str(v) for k, v in scenario.balances.items()} if scenario.balances is not None else None
        exchange = PaperExchange(seed=scenario.seed, latency=None, balances=balances)
        if scenario.regime != "frozen":
            _find_regime(exchange, scenario)
        for symbol, mid in scenario.mids.items():
            if symbol not in exchange.markets:
                raise ScenarioError(f"{scenario.source}: scenario {scenario.id!r}: mids: paper has no market "
                                    f"{symbol}; markets are {', '.join(exchange.markets)}")
            exchange.set_mid(symbol, mid)
        if scenario.regime == "frozen":
            exchange.freeze()
        clock = ManualClock(exchange.milliseconds())
        venue = _VirtualTimeVenue(VENUE, exchange, "paper")
        settings = DeskSettings(refresh_interval_s=3600, in_doubt_grace_s=3600, in_doubt_poll_s=3600)
        desk = Desk({VENUE: venue}, Journal(workdir / f"{scenario.id}.sqlite3"),
                    gate=RiskGate(default_limits=_limits(scenario.limits)), clock=clock, settings=settings,
                    symbols={VENUE: list(SYMBOLS)})
        world = cls(scenario, exchange, desk, clock, actor)
        try:
            await desk.connect()
            await world._set_up()
        except DeskError as exc:  # e.g. an approval refused at set-up: the scenario cannot run as written
            await world.close()
            raise ScenarioError(f"{scenario.source}: scenario {scenario.id!r}: set-up failed: {exc}") from None
        except BaseException:
            await world.close()
            raise
        return world

    async def _set_up(self) -> None:
        for p in self.scenario.positions:
            order = await self._trade(p)
            if order.status is not OrderStatus.FILLED:
                raise self._setup_error(p, f"the market order ended {order.status.value}: {order.reason}")
        for o in [o for o in self.scenario.orders if not o.fault]:
            order = await self._trade(o)
            self.named[o.name] = order.client_order_id
            if o.fill is not None:
                await self.fill(order.client_order_id, o.fill)
        with self.quiet():
            await self.desk.refresh()
        for o in [o for o in self.scenario.orders if o.fault]:  # last: a refresh would resolve an in-doubt order
            self.named[o.name] = (await self._trade(o)).client_order_id
        for name, p in self.scenario.faults.items():
            self.exchange.set_fault(name, p)

    def _setup_error(self, o: SetupOrder, why: str) -> ScenarioError:
        return ScenarioError(f"{self.scenario.source}: scenario {self.scenario.id!r}: set-up of {o.name} "
                             f"({o.side} {o.amount} {o.symbol} {o.type}) failed: {why}")

    async def _trade(self, o: SetupOrder):
        spec = OrderSpec(venue=VENUE, symbol=o.symbol, side=Side(o.side), type=OrderType(o.type), amount=o.amount,
                         price=o.price, trigger_price=o.trigger_price, origin=Origin.HUMAN,
                         rationale=f"evaluation set-up: {o.name}")
        staged = self.desk.stage(spec, self.actor)
        if staged.status is not OrderStatus.PENDING_APPROVAL:
            raise self._setup_error(o, f"the gate denied it: {staged.reason}")
        if o.fault:
            self.exchange.set_fault(o.fault, 1.0)
        try:
            with self.quiet(keep=o.fault):
                return await self.desk.approve(staged.client_order_id, self.actor)
        finally:
            if o.fault:
                self.exchange.set_fault(o.fault, 0.0)

    # -- time and faults ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def quiet(self, keep: str | None = None) -> Iterator[None]:
        """The harness's own calls run without the scenario's faults (``keep`` one on purpose)."""
        saved = self.exchange.faults
        for name, p in saved.items():
            if p and name != keep:
                self.exchange.set_fault(name, 0.0)
        try:
            yield
        finally:
            for name, p in saved.items():
                if name != keep:
                    self.exchange.set_fault(name, p)

    def advance(self, ms: int) -> None:
        """Move the market and the Desk's clock together."""
        steps, rest = divmod(ms, STEP_MS)
        for _ in range(steps):
            self.exchange.step(STEP_MS)
        if rest:
            self.exchange.step(rest)
        self.clock.advance(ms)

    async def before_turn(self) -> None:
        self.advance(TURN_GAP_MS)
        with self.quiet():
            await self.desk.sync_books()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.desk.stop()
        with contextlib.suppress(Exception):
            self.desk.journal.close()

    # -- facts: what placeholders resolve to ---------------------------------------------------------
    async def facts(self) -> dict[str, dict[str, str]]:
        """Prices from the books the copilot saw; orders, positions and balances from the venue's records."""
        out: dict[str, dict[str, str]] = {k: {} for k in ("mid", "bid", "ask", "order", "remaining", "filled",
                                                          "position", "size", "free")}
        for symbol in SYMBOLS:
            book = self.desk.book(VENUE, symbol)
            if book is not None:
                for key, value in (("mid", book.mid), ("bid", book.best_bid), ("ask", book.best_ask)):
                    if value is not None:
                        out[key][symbol] = str(value)
        with self.quiet():
            balance = await self.exchange.fetch_balance()
            positions = await self.exchange.fetch_positions()
            for name, cid in self.named.items():
                out["order"][name] = cid
                report = await self._venue_order(cid)
                if report is not None:
                    out["filled"][name] = str(report["filled"])
                    out["remaining"][name] = str(report["remaining"])
        for ccy, free in balance.get("free", {}).items():
            out["free"][ccy] = str(free)
        for symbol in SYMBOLS:
            market = self.desk.market(VENUE, symbol)
            if market.is_derivative:
                size = ZERO
                for p in positions:
                    if p["symbol"] == symbol and p.get("contracts"):
                        size = Decimal(str(p["contracts"])) * (1 if p.get("side") == "long" else -1)
            else:
                size = Decimal(str(balance.get("total", {}).get(market.base, 0) or 0))
            out["size"][symbol] = str(size)
            out["position"][symbol] = str(abs(size))
        return out

    async def _venue_order(self, cid: str) -> dict[str, Any] | None:
        try:
            symbol = self.desk.order(cid).symbol  # only to know which market to ask the venue about
            return await self.exchange.fetch_order(None, symbol, {"clientOrderId": cid})
        except Exception:  # noqa: BLE001 - never reached the venue (denied, in doubt and absent): no record
            return None

    # -- the harness's actions -----------------------------------------------------------------------
    async def act(self, action: Action, proposals: list[Proposed]) -> None:
        handler = getattr(self, "_do_" + action.do)
        try:
            await handler(action.params, proposals)
        except (DeskError, ScheduleError, ValueError) as exc:  # the human's act was refused: noted, the run goes on
            self.notes.append(f"{action.do}: {exc}")

    async def _do_approve(self, params: dict[str, Any], proposals: list[Proposed]) -> None:
        fault = params.get("fault")
        if not proposals:
            self.notes.append("approve: nothing was proposed")
        for p in proposals:
            await self._decide(p, fault)
        if fault:  # no refresh after a faulted send: it would resolve an order in doubt before the next turn
            self.exchange.set_fault(fault, 0.0)
            return
        with self.quiet():
            await self.desk.refresh()

    async def _decide(self, p: Proposed, fault: str | None) -> None:
        if fault:
            self.exchange.set_fault(fault, 1.0)
        self.desk.journal.append("copilot_decision", actor=self.actor, payload={
            "proposal_id": p.id, "kind": p.kind, "decision": "approved", "orders": p.client_order_ids,
            "target_order_id": p.target_order_id})
        if p.kind == "stage" and p.client_order_ids:
            first = p.client_order_ids[0]
            if self.desk.order(first).status is not OrderStatus.PENDING_APPROVAL:
                self.notes.append(f"approve: {first} is {self.desk.order(first).status.value}, not waiting")
                return
            order = await self.desk.approve(first, self.actor)
            self.named["proposed"] = first
            self.approved.extend(p.client_order_ids)
            self.notes.append(f"approved {p.id} ({first}): {order.status.value}")
        elif p.kind == "cancel" and p.target_order_id:
            order = await self.desk.cancel(p.target_order_id, self.actor)
            self.notes.append(f"canceled {p.target_order_id}: {order.status.value}")
        elif p.kind == "modify" and p.target_order_id:
            order = await self.desk.modify(p.target_order_id, amount=p.new_amount, price=p.new_price, actor=self.actor)
            self.approved.append(order.client_order_id)
            self.notes.append(f"modified {p.target_order_id}: now {order.client_order_id} {order.status.value}")
        elif p.kind == "schedule" and p.schedule_id:
            schedule = self.desk.schedules.approve(p.schedule_id, self.actor)
            self.notes.append(f"approved schedule {p.schedule_id}: {schedule.status}")

    async def _do_reject(self, params: dict[str, Any], proposals: list[Proposed]) -> None:
        reason = params.get("reason", "rejected by the evaluation's trader")
        for p in proposals:
            self.desk.journal.append("copilot_decision", actor=self.actor, payload={
                "proposal_id": p.id, "kind": p.kind, "decision": "rejected", "reason": reason,
                "orders": p.client_order_ids, "target_order_id": p.target_order_id})
            if p.kind == "stage" and p.client_order_ids:
                if self.desk.order(p.client_order_ids[0]).status is OrderStatus.PENDING_APPROVAL:
                    self.desk.reject(p.client_order_ids[0], reason, self.actor)
            self.notes.append(f"rejected {p.id}: {reason}")

    async def _do_fill(self, params: dict[str, Any], proposals: list[Proposed]) -> None:
        cid = self.named.get(params["order"])
        if cid is None:
            self.notes.append(f"fill: no order {params['order']!r} (nothing was approved?)")
            return
        await self.fill(cid, params["fraction"])

    async def fill(self, cid: str, fraction: Decimal) -> None:
        """Other traders' flow fills ``fraction`` of a resting limit order: the queue ahead of it, then it.

        The flow comes in pieces no larger than what is still to fill, so it can never fill more than
        asked, whatever stands ahead (makers who refilled the level after we joined queue behind us)."""
        order = self.desk.order(cid)
        market = self.desk.market(VENUE, order.symbol)
        want = market.round_amount(order.amount * fraction)
        with self.quiet():
            report = await self._venue_order(cid)
            if report is None or report["status"] != "open" or order.spec.price is None or want <= 0:
                self.notes.append(f"fill: {cid} is not resting at the venue; nothing filled")
                return
            filled = Decimal(str(report["filled"]))
            for _ in range(MAX_FILL_PIECES):
                if filled >= want:
                    break
                self.exchange.inject_flow(order.symbol, order.side.opposite.value, want - filled)
                report = await self._venue_order(cid)
                filled = Decimal(str(report["filled"])) if report else want
            await self.desk.refresh()
            await self.desk.sync_books()
        self.notes.append(f"fill: {cid} filled {filled} of {order.amount} at the venue")

    async def _do_flow(self, params: dict[str, Any], proposals: list[Proposed]) -> None:
        traded = self.exchange.inject_flow(params["symbol"], params["side"], params["amount"])
        self.notes.append(f"flow: {params['side']} {params['amount']} {params['symbol']} traded {traded}")
        with self.quiet():
            await self.desk.sync_books()
            await self.desk.refresh()

    async def _do_mid(self, params: dict[str, Any], proposals: list[Proposed]) -> None:
        self.exchange.set_mid(params["symbol"], params["price"])
        self.notes.append(f"mid: {params['symbol']} moved to {params['price']}")
        with self.quiet():
            await self.desk.sync_books()
            await self.desk.refresh()

    async def _do_fault(self, params: dict[str, Any], proposals: list[Proposed]) -> None:
        self.exchange.set_fault(params["name"], float(params["probability"]))
        self.notes.append(f"fault: {params['name']} = {params['probability']}")

    async def _do_wait(self, params: dict[str, Any], proposals: list[Proposed]) -> None:
        self.advance(int(params["seconds"]) * 1000)
        with self.quiet():
            await self.desk.sync_books()
            await self.desk.refresh()
        schedules = getattr(self.desk, "schedules", None)
        if schedules is not None:
            await schedules.tick()

    async def _do_refresh(self, params: dict[str, Any], proposals: list[Proposed]) -> None:
        with self.quiet():
            await self.desk.sync_books()
            await self.desk.refresh()

    async def _do_cancel(self, params: dict[str, Any], proposals: list[Proposed]) -> None:
        cid = self.named.get(params["order"])
        if cid is None:
            self.notes.append(f"cancel: no order {params['order']!r}")
            return
        order = await self.desk.cancel(cid, self.actor)
        self.notes.append(f"cancel: {cid} {order.status.value}")


def _find_regime(exchange: PaperExchange, scenario: Scenario) -> None:
    """Step the seeded market until the scenario's regime holds on its first market (deterministic per seed)."""
    symbol = next(iter(scenario.mids), "ETH/USDT")
    for _ in range(REGIME_SEARCH_STEPS):
        if exchange.regime(symbol) == scenario.regime:
            return
        exchange.step(5_000)
    raise ScenarioError(f"{scenario.source}: scenario {scenario.id!r}: seed {scenario.seed} does not reach the "
                        f"{scenario.regime} regime on {symbol} within {REGIME_SEARCH_STEPS * 5} s; try another seed")
