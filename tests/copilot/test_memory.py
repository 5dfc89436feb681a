"""A bounded memory of the conversation: the second question knows the first; a long session stays small."""

from __future__ import annotations

import pytest

from workstation.config import CopilotConfig
from workstation.copilot import Copilot
from workstation.copilot.llm import ChatClient, LLMCopilot
from workstation.copilot.memory import ConversationMemory

from .fake_llm import reply, tool_call

STAGE = {"symbol": "ETH/USDT", "side": "buy", "type": "limit", "amount": "0.25", "price": "3190.00",
         "rationale": "Bid under the market."}


@pytest.fixture
async def llm(desk, fake_llm):
    config = CopilotConfig(kind="llm", base_url=fake_llm.base_url, model="fake-1", timeout_s=5)
    copilot = Copilot.from_desk(desk, config)
    copilot.brain = LLMCopilot(ChatClient(config.base_url, config.model, timeout_s=5, retries=0),
                               memory=ConversationMemory(max_turns=2, max_chars=4000))
    yield copilot
    await copilot.stop()


async def test_the_next_turn_sees_the_earlier_ones_and_what_they_proposed(llm, fake_llm):
    fake_llm.push(tool_call("stage_order", STAGE), reply("Proposed a bid at 3190."), reply("It waits for you."))
    first = await llm.ask("buy a little ETH under the market")
    await llm.ask("what did you just propose?")
    messages = fake_llm.requests[-1]["messages"]
    roles = [m["role"] for m in messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert messages[1]["content"] == "buy a little ETH under the market"  # the words, not the stale market data
    assert messages[2]["content"].startswith("Proposed a bid at 3190.")
    assert f"proposed: {first.proposals[0]}" in messages[2]["content"] and "buy 0.25 limit @ 3190" in messages[2]["content"]
    assert messages[3]["content"].startswith("what did you just propose?") and "<data>" in messages[3]["content"]


async def test_memory_keeps_the_newest_turns_within_its_bounds(llm, fake_llm):
    for i in range(4):
        fake_llm.push(reply(f"answer {i}"))
        await llm.ask(f"question {i}")
    fake_llm.push(reply("last"))
    await llm.ask("question 4")
    remembered = [m["content"] for m in fake_llm.requests[-1]["messages"][1:-1]]
    assert remembered == ["question 2", "answer 2", "question 3", "answer 3"]  # max_turns=2: the oldest went
    llm.forget()
    fake_llm.push(reply("fresh"))
    await llm.ask("question 5")
    assert [m["role"] for m in fake_llm.requests[-1]["messages"]] == ["system", "user"]


def test_memory_is_bounded_in_characters_and_strips_control_characters():
    memory = ConversationMemory(max_turns=50, max_chars=1000)
    for i in range(40):
        memory.add(f"q{i}\x1b[31m", "x" * 500, errors=["stage_order: price_tick"])
    assert memory.chars <= 1000 and 0 < len(memory) < 40
    assert all("\x1b" not in m["content"] for m in memory.messages())
    assert memory.messages()[-1]["content"].endswith("[errors: stage_order: price_tick]") or \
        memory.messages()[-1]["content"].endswith("...")
    with pytest.raises(ValueError):
        ConversationMemory(max_turns=-1)


async def test_auto_propose_rounds_are_not_remembered(llm, fake_llm):
    fake_llm.push(reply("no trade"))
    await llm.auto_tick()
    assert len(llm.brain.memory) == 0
