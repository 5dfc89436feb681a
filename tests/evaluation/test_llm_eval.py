"""`--copilot llm` against a fake OpenAI-compatible server on 127.0.0.1 that invents tools and sends
malformed arguments: the grades say so, and such a model scores below one that does not."""

from __future__ import annotations

import json
from decimal import Decimal

from workstation.evaluation.copilots import llm_factory
from workstation.evaluation.report import preference_lines, summary, trace_lines

from ..copilot.conftest import fake_llm as server  # noqa: F401 - the fake server on 127.0.0.1, as a fixture
from ..copilot.fake_llm import raw, reply, tool_call

BUY = {"symbol": "ETH/USDT", "side": "buy", "type": "limit", "amount": "0.2", "price": "3150",
       "rationale": "Buy 0.2 ETH at 3150, under the 3200 mid."}


async def test_a_model_that_invents_tools_and_garbles_arguments_scores_lower(run_ids, server):
    factory = llm_factory(server.base_url, "fake-1", timeout_s=5)
    server.push(tool_call("stage_order", BUY), reply("Proposed."))
    clean = (await run_ids(["intent-buy-eth-limit"], factory)).results[0]
    server.push(tool_call("place_order", BUY),  # a tool that does not exist
                tool_call("stage_order", '{"symbol": "ETH/USDT", "side": "buy", amount: 0.2'),  # not JSON
                tool_call("stage_order", BUY | {"amount": "two tenths"}),  # not a number
                tool_call("stage_order", BUY), reply("Proposed after three corrections."))
    sloppy = (await run_ids(["intent-buy-eth-limit"], factory)).results[0]

    assert clean.copilot == "llm:fake-1" and clean.passed and clean.score == 1
    assert sloppy.counts() == {"invented": 1, "malformed": 2, "precision": 0, "unsafe": 0, "duplicate": 0,
                               "other": 0}
    assert sorted(g.check for g in sloppy.grades if not g.passed) == ["no_invented_tools", "well_formed_arguments"]
    assert sloppy.score == Decimal(8) / 10 < clean.score
    # the model was told what was wrong each time, and its own transcript is the trace
    (turn,) = sloppy.turns
    tool_messages = [m for m in turn.messages if m["role"] == "tool"]
    assert [json.loads(m["content"])["ok"] for m in tool_messages] == [False, False, False, True]
    assert "unknown tool 'place_order'" in tool_messages[0]["content"]
    assert turn.messages[-1] == {"role": "assistant", "content": "Proposed after three corrections."}
    assert turn.messages[0]["role"] == "system" and len(server.requests[-1]["messages"]) == len(turn.messages) - 1


async def test_the_traces_and_preference_pairs_of_an_llm_run(run_ids, server):
    server.push(tool_call("place_order", BUY), tool_call("stage_order", BUY), reply("done"))
    run = await run_ids(["intent-buy-eth-limit"], llm_factory(server.base_url, "fake-1", timeout_s=5))
    (trace,) = trace_lines(run)
    assert trace["schema"] == "workstation.eval.trace/1" and trace["turn_passed"] is True
    assert [c["tool"] for c in trace["calls"]] == ["place_order", "stage_order"]
    assert trace["calls"][0]["errors"][0]["category"] == "invented"
    assert {t["function"]["name"] for t in trace["tools"]} >= {"stage_order", "stage_schedule"}
    (pair,) = preference_lines(run)
    assert pair["source"] == "self_correction" and pair["rejected_errors"] == ["unknown_tool"]
    assert pair["rejected"][0]["tool_calls"][0]["function"]["name"] == "place_order"
    assert pair["chosen"][0]["tool_calls"][0]["function"]["name"] == "stage_order"
    assert [m["role"] for m in pair["prompt"]] == ["system", "user"]
    json.dumps(trace), json.dumps(pair)


async def test_a_failed_turn_is_graded_not_raised_and_the_reference_becomes_the_chosen_answer(run_ids, server):
    server.push(raw(500, "boom"), raw(500, "boom"))
    run = await run_ids(["intent-buy-eth-limit"], llm_factory(server.base_url, "fake-1", timeout_s=5))
    (result,) = run.results
    assert result.turns[0].error.startswith("http:") and result.score == 0
    assert summary(run)["copilot_failures"] == 1
    (pair,) = preference_lines(run)
    assert pair["source"] == "reference" and "proposes(count=1)" in pair["rejected_failed"]
    call = pair["chosen"][0]["tool_calls"][0]["function"]
    assert call["name"] == "stage_order" and json.loads(call["arguments"])["price"] == "3150"


async def test_the_llm_copilot_remembers_earlier_turns_of_a_scenario(run_ids, server):
    server.push(tool_call("stage_order", BUY | {"price": "3190", "rationale": "Buy 0.2 ETH at 3190."}),
                reply("Proposed."), tool_call("get_orders", {}), reply("It is in doubt: I will not send it again."))
    run = await run_ids(["exec-in-doubt-after-approval"], llm_factory(server.base_url, "fake-1", timeout_s=5))
    (result,) = run.results
    assert result.passed, [g for g in result.grades if not g.passed]
    second = server.requests[2]["messages"]
    assert second[1] == {"role": "user", "content": "buy 0.2 ETH at 3,190"}
    assert second[2]["role"] == "assistant" and second[2]["content"].startswith("Proposed.")


async def test_the_command_runs_against_a_local_openai_compatible_server(server, tmp_path):
    import asyncio
    import sys

    server.push(tool_call("get_book", {"symbol": "ETH/USDT"}), tool_call("stage_order", BUY), reply("Proposed."))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "workstation", "eval", "--copilot", "llm", "--base-url", server.base_url,
        "--model", "fake-1", "--no-key", "--only", "intent-buy-eth-limit", "--json", "--out", str(tmp_path / "o"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    data = json.loads(out)
    assert data["copilot"] == "llm:fake-1" and data["score"] == 1.0 and data["tool_calls"] == 2
    assert server.requests[0]["model"] == "fake-1" and len(server.requests) == 3
    assert (tmp_path / "o" / "traces.jsonl").read_text().count("\n") == 1
