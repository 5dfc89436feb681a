"""`workstation bench --quick --json` on a cheap subset: the shape of the JSON, never a timing."""

from __future__ import annotations

import json
import math

from workstation.cli import main

KEYS = ["approve_to_wire", "paper_exchange"]


def _numbers(value):
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)


def test_quick_json_subset_has_figures_baselines_and_goals(capsys):
    assert main(["bench", "--quick", "--json", "--only", *KEYS]) == 0
    out = capsys.readouterr().out.strip()
    data = json.loads(out)  # exactly one JSON object
    assert list(data) == KEYS
    for key, result in data.items():
        assert set(result) >= {"figures", "baseline", "goal", "pass"}, key
        assert isinstance(result["goal"], str) and result["goal"]
        assert result["pass"] in (True, False)
        assert set(result["baseline"]) == {"name", "figures"}
        for part in (result["figures"], result["baseline"]["figures"]):
            numbers = list(_numbers(part))
            assert numbers and all(math.isfinite(n) and n >= 0 for n in numbers), (key, part)
    approve = data["approve_to_wire"]
    assert approve["figures"]["samples"] > 0
    assert 0 < approve["figures"]["p50_ms"] <= approve["figures"]["p99_ms"]
    assert approve["baseline"]["figures"]["p50_ms"] > 0
    paper = data["paper_exchange"]
    assert paper["figures"]["orders_per_s"] > 0 and paper["figures"]["steps_per_s"] > 0
    assert paper["baseline"]["figures"]["orders_per_s"] > 0
