"""`workstation eval`: the JSON summary with per-step scores, the table, --out files, --list, clear errors."""

from __future__ import annotations

import json

from workstation.cli import main


def test_json_summary_and_training_data(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["eval", "--copilot", "rules", "--only", "intent-buy-eth-limit", "--only", "confirm-multi-turn-cancel",
                 "--only", "para-dump-ether", "--json", "--out", str(out)])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "workstation.eval.summary/1" and data["copilot"] == "rules" and data["scenarios"] == 3
    by_id = {r["id"]: r for r in data["results"]}
    assert by_id["intent-buy-eth-limit"]["passed"] and by_id["confirm-multi-turn-cancel"]["passed"]
    assert not by_id["para-dump-ether"]["passed"] and by_id["para-dump-ether"]["score"] == 0.0
    assert data["pass_rate"] == round(2 / 3, 4) and data["score"] == round(2 / 3, 4)
    for step in ("intention", "specification", "confirmation"):
        assert set(data["steps"][step]) == {"passed", "checks", "score"}
    assert data["checks"]["total"] == sum(s["checks"] for s in data["steps"].values())
    assert set(data["errors"]) == {"invented", "malformed", "precision", "unsafe", "duplicate", "other"}
    assert data["cost"]["orders"] == 1  # the approved bid of confirm-multi-turn-cancel
    assert json.loads((out / "summary.json").read_text()) == data
    traces = [json.loads(line) for line in (out / "traces.jsonl").read_text().splitlines()]
    assert len(traces) == 4 and {t["scenario"] for t in traces} == set(by_id)
    for t in traces:
        assert t["messages"][0]["role"] == "system" and t["messages"][-1]["role"] == "assistant"
        assert all(m["role"] in ("system", "user", "assistant", "tool") for m in t["messages"])
    second = next(t for t in traces if t["scenario"] == "confirm-multi-turn-cancel" and t["turn"] == 1)
    assert second["harness"] == [] and any("approved" in h for t in traces for h in t["harness"])
    pairs = [json.loads(line) for line in (out / "preferences.jsonl").read_text().splitlines()]
    assert [(p["scenario"], p["source"]) for p in pairs] == [("para-dump-ether", "reference")]
    assert pairs[0]["rejected"][0]["content"].startswith("I did not understand")


def test_the_table_on_screen(capsys):
    assert main(["eval", "--copilot", "scripted", "--only", "spec-half-position"]) == 0
    out = capsys.readouterr()
    assert "spec-half-position" in out.out and "Per step" in out.out and "score 100.0%" in out.out
    assert "spec-half-position" in out.err  # progress, one line per scenario


def test_list_and_a_broken_user_file(tmp_path, capsys):
    assert main(["eval", "--list", "--only", "state"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) >= 5 and all(" state " in line for line in listed)
    bad = tmp_path / "bad.toml"
    bad.write_text('[[scenario]]\nid = "x"\nstep = "intention"\n[[scenario.turn]]\nsay = "hi"\n'
                   'checks = [ { check = "side", equals = "up" } ]\n')
    assert main(["eval", "--scenarios", str(bad), "--no-builtin"]) == 2
    assert "bad.toml: scenario 'x': turn 1.checks[0].equals: 'up' is not allowed" in capsys.readouterr().err
