"""Fuzzing the two new boundaries: scenario files, and the stage_schedule tool's arguments.
Every input either loads / proposes within its bounds or is refused with a clear error; the counts
of what got through are asserted, so a boundary that silently accepts everything fails."""

from __future__ import annotations

import copy
import tomllib
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workstation.copilot import CopilotView, ToolSession
from workstation.evaluation.scenario import STEPS, Scenario, ScenarioError, parse_scenario

from .test_scenarios import GOOD

BASE = tomllib.loads(GOOD.replace('mids = { "ETH/USDT" = "3200" }',
                                  'mids = { "ETH/USDT" = "3200" }\nbalances = { USDT = "100" }'))["scenario"][0]
BASE["turn"][0]["then"] = [{"do": "fill", "fraction": "0.4"}]
BASE["order"] = [{"name": "bid", "symbol": "ETH/USDT", "side": "buy", "type": "limit", "amount": "1",
                  "price": "3199.95"}]

leaf = st.one_of(st.integers(-5, 10**6), st.floats(allow_nan=True), st.text(max_size=12), st.booleans(),
                 st.sampled_from(["0.5", "-1", "1e400", "NaN", "{position[X]}", "buy", "limit", "intention"]))
value = st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                     max_leaves=6)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


PATHS = [p for p in _paths(BASE) if p]
outcomes = {"loaded": 0, "refused": 0}


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), value), min_size=1, max_size=3))
def test_a_mutated_scenario_loads_valid_or_is_refused_clearly(mutations):
    data = copy.deepcopy(BASE)
    for path, new in mutations:
        node = data
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = new
        except (KeyError, IndexError, TypeError):
            continue
    try:
        scenario = parse_scenario(data, "fuzz.toml", 0)
    except ScenarioError as exc:
        assert str(exc).startswith("fuzz.toml: ") and "; " in str(exc)
        outcomes["refused"] += 1
        return
    outcomes["loaded"] += 1
    assert isinstance(scenario, Scenario) and scenario.step in STEPS
    assert all(isinstance(v, Decimal) and v > 0 for v in scenario.mids.values())
    assert all(c.step in STEPS for t in scenario.turns for c in t.checks)
    assert all(o.amount > 0 and (o.price is None or o.price > 0) for o in scenario.orders)


def test_the_scenario_fuzz_let_through_only_what_is_valid():
    test_a_mutated_scenario_loads_valid_or_is_refused_clearly()
    assert outcomes["refused"] > outcomes["loaded"] > 0  # both sides of the boundary were exercised


decimal_like = st.one_of(st.sampled_from(["0.5", "0", "-1", "3000", "3000.001", "1e9", "abc", "", "0.00001"]),
                         st.integers(-10, 10**7), st.floats(allow_nan=True), st.booleans(), st.none())
VALID = {"symbol": "ETH/USDT", "side": "buy", "total_amount": "0.5", "price_limit": "3000",
         "duration_minutes": 60, "slices": 12, "rationale": "scale in slowly"}
junk = {"symbol": st.sampled_from(["BTC/USDT:USDT", "DOGE/USDT", 5, ""]),
        "side": st.sampled_from(["sell", "hold", None]), "total_amount": decimal_like, "price_limit": decimal_like,
        "duration_minutes": st.one_of(st.integers(-5, 3000), decimal_like),
        "slices": st.one_of(st.integers(-3, 500), decimal_like), "rationale": st.sampled_from(["", "x", 7])}


@st.composite
def schedule_args(draw):
    args = dict(VALID)
    for key in draw(st.lists(st.sampled_from(sorted(junk)), max_size=2, unique=True)):
        if draw(st.booleans()):
            args[key] = draw(junk[key])
        else:
            args.pop(key)
    if draw(st.integers(0, 4)) == 0:
        args["approve"] = True  # a field no tool has: refused
    return args


async def test_the_schedule_tool_under_random_arguments(desk):
    view = CopilotView.of(desk)
    session = ToolSession(view, "copilot:fuzz")
    counts = {"proposed": 0, "refused": 0}

    @settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(schedule_args())
    def collect(args):
        collected.append(args)

    collected: list = []
    collect()
    for args in collected:
        result = await session.call("stage_schedule", args)
        if not result.ok:
            assert result.errors and all(e.problem for e in result.errors)
            counts["refused"] += 1
            continue
        counts["proposed"] += 1
        s = desk.schedules.get(result.proposal.schedule_id)
        assert s.status == "proposed" and s.total == Decimal(str(args["total_amount"])) > 0
        assert "approve" not in args
        assert s.price_limit == Decimal(str(args["price_limit"])) > 0 and 1 <= s.slices <= 120
        assert s.end_ms > s.created_ms
    assert counts["refused"] > counts["proposed"] > 5
    assert desk.journal.count("intent") == 0  # proposing a schedule never sends anything
