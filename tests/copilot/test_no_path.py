"""No path from the copilot to the venue that skips the human, auto-propose or not."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import pytest

from workstation.config import CopilotConfig
from workstation.copilot import Copilot, CopilotReply, CopilotView
from workstation.copilot.llm import ChatClient, LLMCopilot
from workstation.desk.desk import Desk
from workstation.domain.orders import OrderStatus, Origin
from workstation.venues.ccxt_venue import ExchangeVenue

from .conftest import refresh_books
from .fake_llm import reply, tool_calls

PACKAGE = Path(__file__).resolve().parents[2] / "workstation" / "copilot"
FORBIDDEN_CALLS = {"approve", "cancel", "modify", "kill", "create_order", "edit_order", "cancel_order",
                   "cancel_all_orders", "_send", "send", "refresh", "connect"}


class Ticker:
    """The auto-propose timer, driven by the test: each fire() lets exactly one round run."""

    def __init__(self, copilot: Copilot):
        self.gate: asyncio.Queue = asyncio.Queue()
        self.rounds = 0
        self._done = asyncio.Event()
        copilot._sleep = self.sleep
        copilot.subscribe(self._on)

    async def sleep(self, seconds: float) -> None:
        await self.gate.get()

    def _on(self, event):
        if isinstance(event, CopilotReply) and event.prompt is None:
            self.rounds += 1
            self._done.set()

    async def fire(self) -> None:
        self._done.clear()
        self.gate.put_nowait(None)
        await asyncio.wait_for(self._done.wait(), 5)


async def test_auto_propose_for_a_while_sends_nothing(desk, sent):
    copilot = Copilot.from_desk(desk, CopilotConfig(kind="rules", auto_propose_s=1.0), max_pending=100)
    ticker = Ticker(copilot)
    await copilot.start()
    exchange = desk.venues["paper"].exchange
    shocks = {3: ("ETH/USDT", "3100"), 6: ("BTC/USDT:USDT", "66000"), 9: ("SOL/USDT", "143"),
              12: ("ETH/USDT", "3290"), 15: ("BTC/USDT:USDT", "64000")}
    for i in range(20):
        for _ in range(10):
            exchange.step(100)  # one simulated second per round
        if i in shocks:
            exchange.set_mid(*shocks[i])
        await refresh_books(desk)
        await ticker.fire()
    await copilot.stop()
    assert ticker.rounds == 20
    copilot_orders = [o for o in desk.orders() if o.spec.origin is Origin.COPILOT]
    assert len(copilot.proposals()) >= 3 and copilot_orders  # it did propose
    assert sent == []  # and the exchange saw nothing
    assert {o.status for o in copilot_orders} <= {OrderStatus.PENDING_APPROVAL, OrderStatus.DENIED}
    assert all(o.venue_order_id is None and "approved" not in o.wall_ms for o in copilot_orders)
    assert desk.journal.count("intent") == 0 and desk.journal.count("approved") == 0


async def test_auto_propose_with_an_llm_that_tries_to_send(desk, sent, fake_llm):
    for i in range(5):
        fake_llm.push(tool_calls(("stage_order", {"symbol": "ETH/USDT", "side": "buy", "type": "market",
                                                  "amount": f"0.0{i + 1}", "rationale": "go go go"}),
                                 ("approve_order", {"client_order_id": "*"}),
                                 ("execute", {"order": "all"})),
                      reply("sent!"))
    config = CopilotConfig(kind="llm", base_url=fake_llm.base_url, model="fake-1", auto_propose_s=0.5)
    copilot = Copilot(CopilotView.of(desk), LLMCopilot(ChatClient(config.base_url, "fake-1", timeout_s=5)), config,
                      max_pending=100)
    ticker = Ticker(copilot)
    await copilot.start()
    for _ in range(5):
        await ticker.fire()
    await copilot.stop()
    assert len(copilot.proposals()) == 5 and sent == []
    assert all(o.status is OrderStatus.PENDING_APPROVAL for o in desk.orders())


async def test_the_human_path_still_works(desk, sent, rules_copilot):
    reply_ = await rules_copilot.ask("buy 0.1 ETH at 3,150")
    (p,) = rules_copilot.proposals()
    assert sent == []
    order = await desk.approve(p.client_order_ids[0])  # the human's act, at the Desk
    assert [name for name, _ in sent] == ["create_order"] and order.status is OrderStatus.OPEN


async def test_the_auto_propose_pause_when_many_wait(desk, sent):
    copilot = Copilot.from_desk(desk, CopilotConfig(kind="rules"), max_pending=2)
    for prompt in ("buy 0.1 ETH at 3,150", "buy 0.1 SOL at 149", "buy 0.001 BTC at 64,900"):
        await copilot.ask(prompt)
    assert len(copilot.proposals("pending")) == 3
    assert await copilot.auto_tick() is None  # paused: the human has enough to decide on


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            yield node.func.attr, node


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_no_copilot_module_calls_a_sending_verb_or_imports_a_venue(path):
    tree = ast.parse(path.read_text())
    for name, node in _calls(tree):
        receiver = ast.unparse(node.func.value)
        if name == "cancel" and ("task" in receiver or "timer" in receiver) and not node.args:
            continue  # an asyncio task, not an order
        assert name not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno} calls {receiver}.{name}()"
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert "venues" not in (node.module or ""), f"{path.name} imports {node.module}"
            assert not (node.module or "").endswith("desk.desk"), f"{path.name} imports the Desk"
    if path.name not in ("view.py", "service.py"):
        assert "desk." not in path.read_text().replace("desk.journal import", ""), path.name


def test_the_copilot_holds_no_desk_and_no_venue(desk):
    copilot = Copilot.from_desk(desk, CopilotConfig(kind="rules"))
    seen = set()

    def walk(obj, depth=0):
        if id(obj) in seen or depth > 3:
            return
        seen.add(id(obj))
        assert not isinstance(obj, (Desk, ExchangeVenue)), f"reachable: {type(obj).__name__}"
        attrs = getattr(obj, "__dict__", {})
        for value in list(attrs.values()):
            walk(value, depth + 1)

    walk(copilot)
    walk(copilot.brain)
    assert CopilotView.__slots__ == ("_ops",)
    view_public = {n for n in dir(copilot.view) if not n.startswith("_")}
    assert not view_public & {"approve", "cancel", "modify", "send", "kill", "desk", "venues", "journal"}
    assert set(copilot.view._ops) == {"markets", "market", "watched", "book", "book_seen_ms", "mark", "candles",
                                      "trades", "positions", "position", "orders", "order", "balances", "executions",
                                      "limits", "venue_status", "venue_profiles", "check", "stage", "propose_schedule",
                                      "record", "now_ms"}


async def test_the_view_cannot_journal_desk_events(view):
    with pytest.raises(Exception, match="may not journal"):
        view.record("intent", {})
    with pytest.raises(Exception, match="may not journal"):
        view.record("approved", {})
