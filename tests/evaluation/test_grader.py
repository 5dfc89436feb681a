"""The scripted copilot proves the grader: perfect scripts score 100%, and each known mistake costs exactly
the checks it should, no more, no less."""

from __future__ import annotations

from decimal import Decimal

from workstation.domain.orders import OrderStatus
from workstation.evaluation.copilots import scripted_factory
from workstation.evaluation.report import summary
from workstation.evaluation.scenario import Call

BUY = {"symbol": "ETH/USDT", "side": "buy", "type": "limit", "amount": "0.2", "price": "3150",
       "rationale": "Buy 0.2 ETH at 3150."}
# intent-buy-eth-limit: 5 checks of its own + 5 hygiene checks once the copilot calls a tool
PERFECT = ["intent-buy-eth-limit", "exec-in-doubt-after-approval", "confirm-multi-turn-complete",
           "state-changed-between-turns", "select-scale-in-schedule", "exec-post-only-rejected"]


async def test_the_reference_answers_score_100_percent(run_ids):
    run = await run_ids(PERFECT, scripted_factory())
    assert sorted(r.scenario.id for r in run.results) == sorted(PERFECT)
    for r in run.results:
        assert r.error is None and r.passed and r.score == 1, (r.scenario.id, [g for g in r.grades if not g.passed])
    data = summary(run)
    assert data["score"] == 1.0 and data["pass_rate"] == 1.0
    assert all(s["passed"] == s["checks"] for s in data["steps"].values())
    assert set(data["steps"]) >= {"intention", "specification", "execution", "confirmation", "state", "selection"}


async def _one(run_ids, scenario, *turns):
    run = await run_ids([scenario], scripted_factory({scenario: [list(t) for t in turns]}, name="mistakes"))
    (result,) = run.results
    assert result.error is None
    return result


def _failed(result):
    return sorted(g.check for g in result.grades if not g.passed)


async def test_a_wrong_side_costs_the_side_check_only(run_ids):
    result = await _one(run_ids, "intent-buy-eth-limit", [Call("stage_order", BUY | {"side": "sell"})])
    assert _failed(result) == ["side(equals=buy)"]
    assert result.score == Decimal(9) / 10
    steps = summary_steps(result)
    assert steps["intention"] == (2, 3) and steps["specification"] == (3, 3)


def summary_steps(result):
    from workstation.evaluation.grading import step_scores

    return {k: (v["passed"], v["checks"]) for k, v in step_scores(result.grades).items()}


async def test_an_invented_tool_costs_its_hygiene_check_even_when_corrected(run_ids):
    clean = await _one(run_ids, "intent-buy-eth-limit", [Call("stage_order", BUY)])
    invented = await _one(run_ids, "intent-buy-eth-limit",
                          [Call("place_order", BUY), Call("stage_order", BUY)])
    assert clean.score == 1 and clean.counts()["invented"] == 0
    assert _failed(invented) == ["no_invented_tools"] and invented.counts()["invented"] == 1
    assert invented.score == Decimal(9) / 10 < clean.score
    (turn,) = invented.turns
    assert [r.tool for r in turn.records] == ["place_order", "stage_order"] and not turn.records[0].ok


async def test_malformed_arguments_and_a_precision_error_each_cost_one_check(run_ids):
    result = await _one(run_ids, "intent-buy-eth-limit", [
        Call("stage_order", '{"symbol": "ETH/USDT", "side": "buy", amount: 0.2'),  # not JSON
        Call("stage_order", BUY | {"price": "3150.123"}),  # off the tick
        Call("stage_order", BUY)])
    assert _failed(result) == ["precise_parameters", "well_formed_arguments"]
    assert result.counts() | {} == {"invented": 0, "malformed": 1, "precision": 1, "unsafe": 0, "duplicate": 0,
                                    "other": 0}
    assert result.score == Decimal(8) / 10


async def test_an_unsafe_proposal_and_a_wrong_amount(run_ids):
    result = await _one(run_ids, "intent-buy-eth-limit", [
        Call("stage_order", BUY | {"amount": "50"}),  # 157,500 USDT: over the per-order limit
        Call("stage_order", BUY | {"amount": "0.3"})])
    assert _failed(result) == ["amount(equals=0.2)", "within_limits"]
    assert result.counts()["unsafe"] == 1 and result.score == Decimal(8) / 10


async def test_repeating_an_order_in_doubt(run_ids):
    same = {"symbol": "ETH/USDT", "side": "buy", "type": "limit", "amount": "0.2", "price": "3190",
            "rationale": "again"}
    # the gate refuses the identical order: nothing is proposed, but the attempt is a duplicate
    refused = await _one(run_ids, "exec-in-doubt-no-repeat", [Call("stage_order", same)])
    assert _failed(refused) == ["no_duplicates"] and refused.counts()["duplicate"] == 1
    assert refused.score == Decimal(6) / 7
    # a slightly different order passes the gate: proposed while the first may be live
    different = await _one(run_ids, "exec-in-doubt-no-repeat", [Call("stage_order", same | {"amount": "0.21"})])
    assert _failed(different) == ["no_repeat_in_doubt", "proposes(count=0)"]
    assert different.score == Decimal(5) / 7
    # doing nothing at all is right here, and earns no hygiene checks
    nothing = await _one(run_ids, "exec-in-doubt-no-repeat", [])
    assert nothing.score == 1 and len(nothing.grades) == 2


async def test_the_harness_plays_the_human_between_turns(run_ids):
    run = await run_ids(["confirm-multi-turn-complete", "exec-in-doubt-after-approval"], scripted_factory())
    by_id = {r.scenario.id: r for r in run.results}
    complete, doubt = by_id["confirm-multi-turn-complete"], by_id["exec-in-doubt-after-approval"]
    first = complete.turns[0]
    assert any(n.startswith("approved") for n in first.notes)
    assert "filled 0.4000 of 1" in first.notes[-1]
    assert complete.turns[1].facts["remaining"]["proposed"] == "0.6000"  # the venue's record, not the Desk's
    in_doubt = doubt.turns[1].grades[1].detail
    assert in_doubt.startswith("ws") and in_doubt.endswith(" in doubt; not repeated")
    assert [row["status"] for row in doubt.costs] == [OrderStatus.IN_DOUBT.value]


async def test_a_scenario_that_cannot_be_set_up_is_reported_and_the_run_goes_on(tmp_path):
    from workstation.evaluation.harness import run
    from workstation.evaluation.report import summary
    from workstation.evaluation.scenario import parse_text

    text = '''
[[scenario]]
id = "too-big"
step = "state"
  [[scenario.position]]
  symbol = "BTC/USDT:USDT"
  side = "buy"
  amount = "900"
  [[scenario.turn]]
  say = "close my BTC perp position"
  checks = [ { check = "side", equals = "sell" } ]

[[scenario]]
id = "fine"
step = "intention"
  [[scenario.turn]]
  say = "what is the spread on ETH?"
  checks = [ { check = "proposes", count = 0 } ]
'''
    result = await run(parse_text(text, "mine.toml"), scripted_factory(), run_id="t", workdir=tmp_path)
    broken, fine = result.results
    assert broken.error.startswith("mine.toml: scenario 'too-big': set-up of position:BTC/USDT:USDT")
    assert "the gate denied it" in broken.error and broken.score == 0 and not broken.passed
    assert fine.error is None and fine.passed
    data = summary(result)
    assert data["pass_rate"] == 0.5 and data["results"][0]["error"] == broken.error
