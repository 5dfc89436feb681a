"""The scenario files: enough of them, covering every step, and every mistake in a file reported clearly."""

from __future__ import annotations

import pytest

from workstation.evaluation.scenario import CHECKS, STEPS, ScenarioError, load_scenarios, parse_text, select


def test_the_package_ships_at_least_40_scenarios_over_every_step(builtin):
    assert len(builtin) >= 40
    for step in STEPS:
        mine = [s for s in builtin if s.step == step]
        assert len(mine) >= 4, step
        assert any(c.step == step for s in builtin for t in s.turns for c in t.checks), step
    assert len({s.id for s in builtin}) == len(builtin)
    assert sum(len(s.turns) > 1 for s in builtin) >= 8  # multi-turn runs: the harness plays the human
    assert {"fill", "approve", "mid", "refresh"} <= {a.do for s in builtin for t in s.turns for a in t.then}
    assert any(o.fault == "timeout_after_accept" for s in builtin for o in s.orders)


def test_every_builtin_turn_with_checks_has_a_reference_answer(builtin):
    missing = [f"{s.id} turn {i + 1}" for s in builtin for i, t in enumerate(s.turns)
               if t.checks and not t.reference and not any(c.kind == "proposes" and c.params.get("count") == 0
                                                           for c in t.checks)]
    assert missing == []


GOOD = '''
[[scenario]]
id = "mine"
step = "intention"
mids = { "ETH/USDT" = "3200" }
  [[scenario.turn]]
  say = "buy 0.1 ETH at 3,100"
  checks = [ { check = "side", equals = "buy" } ]
'''


def test_a_user_scenario_file_loads_beside_the_builtin_ones(tmp_path, builtin):
    path = tmp_path / "mine.toml"
    path.write_text(GOOD)
    scenarios = load_scenarios([tmp_path])
    assert len(scenarios) == len(builtin) + 1 and scenarios[-1].id == "mine"
    assert [s.id for s in select(scenarios, ["mine"])] == ["mine"]
    assert {s.step for s in select(scenarios, ["state"])} == {"state"}
    with pytest.raises(ScenarioError, match="no scenario or step named nope"):
        select(scenarios, ["nope"])
    with pytest.raises(ScenarioError, match="ids must be unique"):
        load_scenarios([path, path], builtin=False)


@pytest.mark.parametrize("change, message", [
    (('"0.1 ETH', '"0.1 ETH'), None),
    (('equals = "buy"', 'equals = "long"'), "turn 1.checks[0].equals: 'long' is not allowed; use one of buy, sell"),
    (('check = "side"', 'check = "sidee"'), "'sidee' is not allowed; use one of " + ", ".join(CHECKS)),
    (('"3200"', '3200.5'), "mids.ETH/USDT: 3200.5 is a TOML float (binary, inexact); write it as a string"),
    (('step = "intention"', 'step = "vibes"'), "step: 'vibes' is not allowed"),
    (('say = "buy 0.1 ETH at 3,100"', 'say = ""'), "turn 1.say: is missing or empty"),
    (('mids =', 'colour = "red"\nmids ='), "top level: unknown field(s) colour"),
    (('[ { check = "side", equals = "buy" } ]', '[]'), "no checks: nothing would be graded"),
])
def test_mistakes_in_a_scenario_file_name_the_place_and_the_fix(change, message):
    text = GOOD.replace(*change)
    if message is None:
        assert parse_text(text, "mine.toml")[0].id == "mine"
        return
    with pytest.raises(ScenarioError) as err:
        parse_text(text, "mine.toml")
    assert str(err.value).startswith("mine.toml: scenario 'mine': ") and message in str(err.value)


def test_a_file_that_is_not_toml_is_reported_not_raised(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[scenario]\nid = 1")
    with pytest.raises(ScenarioError, match=r"bad.toml: not valid TOML"):
        load_scenarios([bad], builtin=False)
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenarios([tmp_path / "missing.toml"], builtin=False)
