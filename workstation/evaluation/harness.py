"""The harness: run a copilot through scenarios, playing the human and the market between turns.

For each scenario: build its world, then for each turn move time on (the human reads), take the
facts, ask the copilot through a recording tool session, grade what it proposed, and carry out the
turn's ``then`` actions (approve, reject, fill, fault, move, wait) before the next turn. At the end,
grade the hygiene of every call and price what was approved with the TCA formulas.

Approvals are the evaluation's own (``eval:<run id>``), journaled as such, and only ever on the paper
exchange: the world has no other venue, and the harness refuses to build one.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from ..copilot.llm import LLMError
from ..domain.execution import Execution
from ..tca import execution_row
from .copilots import Factory
from .grading import Facts, Grade, Made, grade_hygiene, grade_turn, in_doubt_orders, score
from .recorder import CATEGORIES, CallRecord, RecordingSession, transcript
from .scenario import Scenario, ScenarioError
from .world import VENUE, World, eval_actor

TURN_TIMEOUT_S = 120.0
log = logging.getLogger(__name__)


@dataclass
class TurnResult:
    index: int
    say: str
    reply: str
    refused: bool
    error: str | None  # the copilot failed to answer (timeout, HTTP, malformed response, crash)
    records: list[CallRecord]
    grades: list[Grade]
    notes: list[str]  # what the harness did after the turn, and what happened
    elapsed_s: float
    messages: list[dict[str, Any]]  # the turn in chat format
    context: dict[str, Any] = field(default_factory=dict)  # the state block beside the trader's words
    facts: dict[str, Any] = field(default_factory=dict)  # placeholder values at the start of the turn

    def passed(self) -> bool:
        return all(g.passed for g in self.grades)


@dataclass
class ScenarioResult:
    scenario: Scenario
    copilot: str
    turns: list[TurnResult] = field(default_factory=list)
    hygiene: list[Grade] = field(default_factory=list)
    costs: list[dict[str, Any]] = field(default_factory=list)  # one TCA row per approved order that was sent
    elapsed_s: float = 0.0
    error: str | None = None  # the scenario could not run (its set-up failed): every check counts as failed

    @property
    def grades(self) -> list[Grade]:
        return [g for t in self.turns for g in t.grades] + self.hygiene

    @property
    def score(self) -> Decimal:
        return Decimal(0) if self.error else score(self.grades)

    @property
    def passed(self) -> bool:
        return self.error is None and all(g.passed for g in self.grades)

    def counts(self) -> dict[str, int]:
        """Calls per error category (a call refused for three reasons of one kind counts once)."""
        out = dict.fromkeys(CATEGORIES, 0)
        for t in self.turns:
            for r in t.records:
                for c in set(r.categories()):
                    out[c] += 1
        return out

    def cost(self) -> dict[str, Decimal | None]:
        """Notional-weighted slippage and shortfall (bps) against the decision mid, over approved orders."""
        return aggregate_costs(self.costs)


def aggregate_costs(rows: list[dict[str, Any]]) -> dict[str, Any]:
    filled = [r for r in rows if r.get("filled") and r.get("slippage_decision_bps") is not None]
    weight = sum((r["filled"] * (r["actual_entry"] or 0) for r in filled), Decimal(0))
    slip = (sum((r["slippage_decision_bps"] * r["filled"] * r["actual_entry"] for r in filled), Decimal(0)) / weight
            if weight else None)
    shortfalls = [r["implementation_shortfall_bps"] for r in rows if r.get("implementation_shortfall_bps") is not None]
    return {"orders": len(rows), "filled": len(filled),
            "slippage_decision_bps": _q(slip),
            "shortfall_bps": _q(sum(shortfalls, Decimal(0)) / len(shortfalls)) if shortfalls else None}


def _q(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.01"))


@dataclass
class Run:
    run_id: str
    copilot: str
    results: list[ScenarioResult]
    elapsed_s: float


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(2)


def _context(world: World) -> dict[str, Any]:
    """The state block the LLM copilot puts beside the trader's words (for the chat-format trace)."""
    view = world.view
    markets = []
    for venue, symbol in view.watched():
        book = view.book(venue, symbol)
        markets.append({"venue": venue, "symbol": symbol, "mid": book.mid if book else None,
                        "bid": book.best_bid if book else None, "ask": book.best_ask if book else None})
    return {"watched": markets, "venues": [{"name": v.name, "environment": v.environment, "connected": v.connected}
                                           for v in view.venue_status()]}


def _made(world: World, records: list[CallRecord]) -> list[Made]:
    out = []
    schedules = getattr(world.desk, "schedules", None)
    for r in records:
        p = r.proposal
        if p is None:
            continue
        if p.kind == "stage":
            orders = [world.desk.order(cid) for cid in p.client_order_ids]
        else:
            orders = [world.desk.order(p.target_order_id)] if p.target_order_id else []
        schedule = schedules.get(p.schedule_id) if schedules is not None and p.schedule_id else None
        out.append(Made(p.kind, r.tool, orders, p.new_amount, p.new_price, schedule))
    return out


async def _ask(brain: Any, say: str, session: RecordingSession, timeout_s: float) -> tuple[str, bool, str | None]:
    try:
        outcome = await asyncio.wait_for(brain.turn(say, session), timeout_s)
        return outcome.text, outcome.refused, None
    except asyncio.TimeoutError:
        return "", False, f"timeout: no answer within {timeout_s:g}s"
    except LLMError as exc:
        return "", False, f"{exc.kind}: {exc.message}"
    except Exception as exc:  # noqa: BLE001 - a copilot that crashes fails its turn, not the run
        return "", False, f"internal: {type(exc).__name__}: {exc}"


async def run_scenario(scenario: Scenario, factory: Factory, run_id: str, workdir: Path,
                       timeout_s: float = TURN_TIMEOUT_S) -> ScenarioResult:
    start = time.perf_counter()
    try:
        world = await World.build(scenario, workdir, eval_actor(run_id))
    except ScenarioError as exc:
        return ScenarioResult(scenario, "?", error=str(exc), elapsed_s=time.perf_counter() - start)
    assert set(world.desk.venues) == {VENUE} and world.desk.venues[VENUE].environment == "paper"

    async def facts() -> Facts:
        return Facts(await world.facts())

    brain = factory(scenario, facts)
    result = ScenarioResult(scenario, brain.name)
    history: list[dict[str, Any]] = []
    try:
        for index, turn in enumerate(scenario.turns):
            await world.before_turn()
            known = await facts()
            in_doubt = in_doubt_orders(world.desk.orders())
            context = _context(world)
            session = RecordingSession(world.view, f"copilot:{brain.name}", expiry_s=120.0, prompt=turn.say)
            began = time.perf_counter()
            reply, refused, error = await _ask(brain, turn.say, session, timeout_s)  # the scenario's faults are on
            elapsed = time.perf_counter() - began
            grades = grade_turn(index, turn.checks, _made(world, session.records), known, in_doubt)
            recorded = getattr(brain, "transcript", None)
            messages = (recorded(reply or error or "") if recorded else None) or transcript(
                turn.say, context, session.records, reply or error or "", history)
            history = messages[1:]  # the conversation so far, for the next turn's synthesized transcript
            world.notes = []
            for action in turn.then:
                await world.act(action, session.proposed)
            result.turns.append(TurnResult(index, turn.say, reply, refused, error, session.records, grades,
                                           list(world.notes), elapsed, messages, context, dict(known)))
        result.hygiene = grade_hygiene([r for t in result.turns for r in t.records])
        result.costs = _costs(world)
    except Exception as exc:  # noqa: BLE001 - one broken scenario is reported, the run goes on
        log.exception("scenario %s failed in the harness", scenario.id)
        result.error = f"the harness failed on turn {len(result.turns) + 1}: {type(exc).__name__}: {exc}"
    finally:
        await world.close()
        closer = getattr(brain, "close", None)
        if closer is not None:
            await closer()
    result.elapsed_s = time.perf_counter() - start
    return result


def _costs(world: World) -> list[dict[str, Any]]:
    rows = []
    for cid in world.approved:
        order = world.desk.order(cid)
        if "sent" not in order.wall_ms:
            continue
        row = execution_row(Execution.from_order(order), end_mid=world.desk.mark(order.venue, order.symbol))
        rows.append({k: row[k] for k in ("client_order_id", "symbol", "side", "order_type", "status", "amount",
                                          "filled", "actual_entry", "decision_mid", "slippage_decision_bps",
                                          "implementation_shortfall_bps", "fees")})
    return rows


async def run(scenarios: list[Scenario], factory: Factory, *, run_id: str | None = None,
              workdir: Path | None = None, timeout_s: float = TURN_TIMEOUT_S,
              progress: Callable[[ScenarioResult], None] | None = None) -> Run:
    """Every scenario, one after another (each in its own world), into one Run."""
    run_id = run_id or new_run_id()
    start = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="workstation-eval-") as tmp:
        # a fresh folder per run: a scenario's journal must never be an earlier run's
        folder = Path(tempfile.mkdtemp(prefix=f"{run_id}-", dir=workdir)) if workdir else Path(tmp)
        for scenario in scenarios:
            result = await run_scenario(scenario, factory, run_id, folder, timeout_s)
            results.append(result)
            if progress is not None:
                progress(result)
    copilot = next((r.copilot for r in results if r.copilot != "?"), "?")
    return Run(run_id, copilot, results, time.perf_counter() - start)
