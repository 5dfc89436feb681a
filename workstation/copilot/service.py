"""The Copilot service: what the app starts, stops, toggles and asks. It never blocks the UI.

    copilot = Copilot.from_desk(desk, config.copilot)
    unsubscribe = copilot.subscribe(callback)   # ProposalMade | CopilotError | CopilotReply | StatusChanged | TurnLogged
    await copilot.start()                       # starts the auto-propose timer if auto_propose_s > 0
    copilot.ask("scale into 0.5 ETH below 3,000 over the next hour")   # returns a Task at once
    copilot.toggle(); copilot.set_auto_propose(30)
    copilot.what_moved(proposal_id)             # for the proposal detail view
    copilot.record_decision(proposal_id, "approved" | "rejected" | "edited", reason, edits)
    copilot.forget()                            # clear the bounded memory of this session's turns
    await copilot.stop()

The service holds a ``CopilotView``, never the Desk: its only way to act is staging, so the
orders it makes wait in PENDING_APPROVAL until a human approves them at the Desk. A cancel
or modify proposal is a suggestion the UI shows; on the human's confirmation the UI calls
``desk.cancel``/``desk.modify`` itself and reports the decision here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Awaitable, Callable, Protocol

from ..config import CopilotConfig
from ..domain.orders import OrderStatus
from .calllog import LoggedSession
from .proposals import Proposal, take_snapshot, what_moved
from .rules import Outcome, RuleStrategist
from .tools import ToolResult, ToolSession, _currencies
from .view import CopilotView

log = logging.getLogger(__name__)


# -- events for the UI ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ProposalMade:
    proposal: Proposal


@dataclass(frozen=True, slots=True)
class CopilotError:
    """Something went wrong that the trader should see. ``scenario`` is a stable id."""

    scenario: str  # unknown_tool | malformed_arguments | missing_field | ... | timeout | http | refusal | ...
    message: str
    tool: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CopilotReply:
    prompt: str | None  # None: an auto-propose round
    text: str
    refused: bool = False
    proposals: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StatusChanged:
    status: str  # off | idle | thinking | error
    detail: str = ""


class Brain(Protocol):
    name: str

    async def turn(self, prompt: str | None, session: ToolSession, *,
                   skip_symbols: frozenset = frozenset()) -> Outcome: ...


Listener = Callable[[object], None]


class Copilot:
    def __init__(self, view: CopilotView, brain: Brain, config: CopilotConfig | None = None, *,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep, max_pending: int = 5,
                 turn_timeout_s: float | None = None):
        self.view = view
        self.brain = brain
        self.config = config or CopilotConfig()
        self._sleep = sleep
        self.max_pending = max_pending
        steps = getattr(brain, "max_steps", 1)
        self.turn_timeout_s = turn_timeout_s or self.config.timeout_s * (steps + 1)
        self.enabled = self.config.kind != "off"
        self.auto_propose_s = float(self.config.auto_propose_s)
        self.status = "idle" if self.enabled else "off"
        self.last_reply: CopilotReply | None = None
        self._proposals: dict[str, Proposal] = {}
        self._listeners: list[Listener] = []
        self._lock = asyncio.Lock()
        self._timer: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._started = False
        self.ticks = 0  # auto-propose rounds run (for the status bar and tests)

    @classmethod
    def from_desk(cls, desk: Any, config: CopilotConfig, **kwargs: Any) -> "Copilot":
        """Build from the app's Desk: the copilot keeps only a restricted view of it."""
        view = CopilotView.of(desk)
        return cls(view, make_brain(config), config, **kwargs)

    # -- events ---------------------------------------------------------------------------------
    def subscribe(self, callback: Listener) -> Callable[[], None]:
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def _emit(self, event: object) -> None:
        for callback in list(self._listeners):
            try:
                callback(event)
            except Exception:
                log.exception("copilot listener failed on %s", type(event).__name__)

    def _set_status(self, status: str, detail: str = "") -> None:
        self.status = status
        self._emit(StatusChanged(status, detail))

    # -- lifecycle --------------------------------------------------------------------------------
    async def start(self) -> None:
        self._started = True
        self._arm_timer()

    async def stop(self) -> None:
        self._started = False
        tasks = [t for t in (self._timer, *self._tasks) if t is not None]
        self._timer = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        closer = getattr(self.brain, "close", None)
        if closer is not None:
            with contextlib.suppress(Exception):
                await closer()

    def enable(self) -> None:
        self.enabled = True
        self._set_status("idle")
        self._arm_timer()

    def disable(self) -> None:
        """Off: no new turns, the timer stops. A turn already running finishes (it can only stage)."""
        self.enabled = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._set_status("off")

    def toggle(self, on: bool | None = None) -> bool:
        on = (not self.enabled) if on is None else on
        self.enable() if on else self.disable()
        return self.enabled

    def set_auto_propose(self, seconds: float) -> None:
        """0 turns auto-propose off; otherwise a round every ``seconds`` while enabled."""
        self.auto_propose_s = max(float(seconds), 0.0)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._arm_timer()

    def _arm_timer(self) -> None:
        if self._started and self.enabled and self.auto_propose_s > 0 and (self._timer is None or self._timer.done()):
            self._timer = asyncio.ensure_future(self._timer_loop())

    async def _timer_loop(self) -> None:
        while True:
            await self._sleep(self.auto_propose_s)
            try:
                await self.auto_tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("auto-propose round failed")

    # -- asking -------------------------------------------------------------------------------------
    def ask(self, prompt: str) -> asyncio.Task:
        """Queue a request and return at once; the answer arrives as events (and as the task's result)."""
        task = asyncio.ensure_future(self._ask(prompt))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _ask(self, prompt: str) -> CopilotReply:
        if not self.enabled:
            reply = CopilotReply(prompt, "The copilot is off; turn it on to ask.")
            self._emit(reply)
            return reply
        async with self._lock:
            return await self._turn(prompt)

    async def auto_tick(self) -> CopilotReply | None:
        """One auto-propose round. Skipped when off, busy, or when enough proposals already wait."""
        if not self.enabled or self._lock.locked():
            return None
        pending = self.proposals("pending")
        if len(pending) >= self.max_pending:
            self._emit(StatusChanged(self.status, f"{len(pending)} proposals waiting: auto-propose paused until "
                                     f"you decide on some"))
            return None
        skip = frozenset((p.venue, p.symbol) for p in pending)
        async with self._lock:
            self.ticks += 1
            return await self._turn(None, skip)

    async def _turn(self, prompt: str | None, skip: frozenset = frozenset()) -> CopilotReply:
        origin = f"copilot:{self.brain.name}"
        session = LoggedSession(self.view, origin, expiry_s=self.config.proposal_expiry_s, prompt=prompt,
                                on_proposal=self._on_proposal, on_error=self._on_tool_error)
        self._set_status("thinking", prompt or "auto-propose")
        status, detail = "idle", ""
        try:
            outcome = await asyncio.wait_for(self.brain.turn(prompt, session, skip_symbols=skip),
                                             self.turn_timeout_s)
        except asyncio.CancelledError:
            self._set_status("idle" if self.enabled else "off")
            raise
        except Exception as exc:
            scenario, message = _classify(exc, self.turn_timeout_s)
            self._error(scenario, message, origin, prompt)
            outcome = Outcome(f"The copilot could not answer: {message}")
            status, detail = "error", message
        if outcome.refused:
            self._error("refusal", outcome.text, origin, prompt)
        ids = tuple(p.id for p in session.proposals)
        reply = CopilotReply(prompt, outcome.text, outcome.refused, ids)
        self.last_reply = reply
        with contextlib.suppress(Exception):
            self.view.record("copilot_turn", {"prompt": prompt, "reply": outcome.text, "refused": outcome.refused,
                                              "proposals": list(ids), "errors": len(session.failures)}, actor=origin)
        self._emit(reply)
        self._emit(session.logged(prompt, outcome.text))  # the log panel: every call, result and error
        self._set_status(status if self.enabled else "off", detail)
        return reply

    def _error(self, scenario: str, message: str, origin: str, prompt: str | None) -> None:
        with contextlib.suppress(Exception):
            self.view.record("copilot_error", {"scenario": scenario, "message": message, "prompt": prompt,
                                               "tool": None}, actor=origin)
        self._emit(CopilotError(scenario, message))

    def _on_proposal(self, proposal: Proposal) -> None:
        self._proposals[proposal.id] = proposal
        self._emit(ProposalMade(proposal))

    def _on_tool_error(self, result: ToolResult, raw_arguments: Any) -> None:
        self._emit(CopilotError(result.scenario or "invalid_call", result.message(), result.tool,
                                {"errors": [e.as_dict() for e in result.errors]}))

    # -- proposals, for the approval queue and detail view ---------------------------------------------
    def proposal(self, proposal_id: str) -> Proposal:
        return self._proposals[proposal_id]

    def proposals(self, status: str | None = None) -> list[Proposal]:
        """All proposals (newest last), or those in one status: pending | rejected | denied | decided | ..."""
        statuses = {o.client_order_id: o.status for o in self.view.orders()}
        out = list(self._proposals.values())
        return out if status is None else [p for p in out if p.status(statuses) == status]

    def what_moved(self, proposal_id: str) -> dict[str, Any]:
        """Price, book and balances then vs now; expired / beyond tolerance; approvable."""
        p = self._proposals[proposal_id]
        market = self.view.market(p.venue, p.symbol)
        now = take_snapshot(self.view.now_ms(), self.view.book(p.venue, p.symbol), self.view.balances(p.venue),
                            _currencies(market))
        return what_moved(p, now, Decimal(str(self.config.price_tolerance_bps)))

    def record_decision(self, proposal_id: str, decision: str, reason: str = "",
                        edits: dict[str, Any] | None = None, actor: str = "human") -> None:
        """Journal the human's decision on a proposal (the Desk journals each order's own transition)."""
        p = self._proposals[proposal_id]
        p.decision, p.decision_reason = decision, reason
        self.view.record("copilot_decision", {"proposal_id": p.id, "kind": p.kind, "decision": decision,
                                              "reason": reason, "edits": edits or {}, "orders": p.client_order_ids,
                                              "target_order_id": p.target_order_id}, actor=actor)

    def forget(self) -> None:
        """Start the conversation afresh: the copilot's memory of this session's earlier turns is cleared."""
        memory = getattr(self.brain, "memory", None)
        if memory is not None:
            memory.clear()

    def pending_orders(self) -> list[str]:
        """Client order ids of copilot orders still waiting for approval."""
        statuses = {o.client_order_id: o.status for o in self.view.orders()}
        return [cid for p in self._proposals.values() for cid in p.client_order_ids
                if statuses.get(cid) is OrderStatus.PENDING_APPROVAL]


def _classify(exc: BaseException, timeout_s: float) -> tuple[str, str]:
    from .llm import LLMError

    if isinstance(exc, LLMError):
        return exc.kind, exc.message
    if isinstance(exc, asyncio.TimeoutError):
        return "timeout", f"the copilot took longer than {timeout_s:g}s and was stopped"
    return "internal", f"{type(exc).__name__}: {exc}"


def make_brain(config: CopilotConfig) -> Brain:
    """rules (and off, so toggling on works offline) -> RuleStrategist; llm -> LLMCopilot."""
    if config.kind == "llm":
        from .llm import ChatClient, LLMCopilot, api_key

        return LLMCopilot(ChatClient(config.base_url, config.model, key=api_key(), timeout_s=config.timeout_s))
    return RuleStrategist()
