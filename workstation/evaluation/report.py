"""What a run prints and writes: the table, the JSON summary, and the traces as training data.

``--out DIR`` writes three files (the README documents every field):

- ``summary.json``: the JSON summary (``--json`` prints the same object);
- ``traces.jsonl``: one line per turn, in chat format (``messages`` with the tool calls and results),
  the tool catalogue, every call with its errors, and the grades;
- ``preferences.jsonl``: pairs of a graded-good and a graded-bad action for the same state: a call
  the copilot got wrong and the call that then passed (``self_correction``), or a failed turn and
  the scenario's reference answer (``reference``, only while every earlier turn had passed, so that
  the state is the one the reference was written for).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..copilot.tools import openai_tools
from .copilots import _fill
from .grading import Facts, score, step_scores
from .harness import Run, ScenarioResult, TurnResult, aggregate_costs
from .recorder import CATEGORIES, arguments_json, tool_call_message, tool_result_message, user_message
from .scenario import STEPS

SUMMARY_SCHEMA = "workstation.eval.summary/1"
TRACE_SCHEMA = "workstation.eval.trace/1"
PREFERENCE_SCHEMA = "workstation.eval.preference/1"


def _num(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(round(value, 4))
    return value


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, Decimal):
        return str(obj)
    return obj


def summary(run: Run) -> dict[str, Any]:
    grades = [g for r in run.results for g in r.grades]
    scores = [r.score for r in run.results]
    counts = dict.fromkeys(CATEGORIES, 0)
    for r in run.results:
        for k, v in r.counts().items():
            counts[k] += v
    turns = [t for r in run.results for t in r.turns]
    steps = {k: {"passed": v["passed"], "checks": v["checks"], "score": _num(v["score"])}
             for k, v in step_scores(grades).items()}
    return {
        "schema": SUMMARY_SCHEMA, "run_id": run.run_id, "copilot": run.copilot, "scenarios": len(run.results),
        "score": _num(sum(scores, Decimal(0)) / len(scores)) if scores else None,
        "pass_rate": _num(Decimal(sum(r.passed for r in run.results)) / len(run.results)) if run.results else None,
        "checks": {"passed": sum(g.passed for g in grades), "total": len(grades)},
        "steps": steps,
        "errors": counts,
        "turns": len(turns), "tool_calls": sum(len(t.records) for t in turns),
        "copilot_failures": sum(t.error is not None for t in turns),
        "turn_time_s": round(sum(t.elapsed_s for t in turns), 3), "elapsed_s": round(run.elapsed_s, 3),
        "cost": _plain(aggregate_costs([row for r in run.results for row in r.costs])),
        "results": [scenario_summary(r) for r in run.results],
    }


def scenario_summary(r: ScenarioResult) -> dict[str, Any]:
    return {
        "id": r.scenario.id, "step": r.scenario.step, "title": r.scenario.title, "score": _num(r.score),
        "passed": r.passed, "error": r.error,
        "steps": {k: {"passed": v["passed"], "checks": v["checks"]} for k, v in step_scores(r.grades).items()},
        "failed": [g.as_dict() for g in r.grades if not g.passed],
        "errors": r.counts(), "turns": len(r.turns), "tool_calls": sum(len(t.records) for t in r.turns),
        "turn_time_s": round(sum(t.elapsed_s for t in r.turns), 3), "cost": _plain(r.cost()),
    }


def render(run: Run, console: Any) -> None:
    """The table on screen: one row per scenario, then one per step, then the totals."""
    from rich.table import Table

    data = summary(run)
    table = Table(title=f"Execution competence: {data['copilot']} (run {data['run_id']})", title_justify="left")
    for col in ("scenario", "step", "score", "checks", "errors", "calls", "time s"):
        table.add_column(col, justify="right" if col in ("score", "checks", "calls", "time s") else "left")
    for r in data["results"]:
        errs = ", ".join(f"{k} {v}" for k, v in r["errors"].items() if v) or "-"
        passed = sum(s["passed"] for s in r["steps"].values())
        total = sum(s["checks"] for s in r["steps"].values())
        mark = "[green]pass[/]" if r["passed"] else f"[red]{r['score']:.0%}[/]" if r["error"] is None else "[red]ERROR[/]"
        table.add_row(r["id"], r["step"], mark, f"{passed}/{total}", errs, str(r["tool_calls"]),
                      f"{r['turn_time_s']:.2f}")
    console.print(table)
    steps = Table(title="Per step (checks passed / graded)", title_justify="left")
    for col in ("step", "passed", "checks", "score"):
        steps.add_column(col, justify="left" if col == "step" else "right")
    for step in STEPS:
        s = data["steps"].get(step)
        if s:
            steps.add_row(step, str(s["passed"]), str(s["checks"]), f"{s['score']:.1%}")
    console.print(steps)
    cost = data["cost"]
    console.print(f"score {data['score']:.1%}  pass rate {data['pass_rate']:.1%}  "
                  f"({sum(r['passed'] for r in data['results'])}/{data['scenarios']} scenarios)  "
                  f"invented tools {data['errors']['invented']}  malformed {data['errors']['malformed']}  "
                  f"precision {data['errors']['precision']}  unsafe {data['errors']['unsafe']}  "
                  f"duplicates {data['errors']['duplicate']}  copilot failures {data['copilot_failures']}  "
                  f"turns {data['turns']}  calls {data['tool_calls']}  "
                  f"copilot time {data['turn_time_s']:.1f}s  run {data['elapsed_s']:.1f}s")
    console.print(f"approved orders {cost['orders']} (filled {cost['filled']}): slippage vs decision mid "
                  f"{cost['slippage_decision_bps'] or '-'} bps, shortfall {cost['shortfall_bps'] or '-'} bps")
    for r in data["results"]:
        if r["error"]:
            console.print(f"[red]{r['id']}[/]: {r['error']}", markup=True, highlight=False)


# -- training data --------------------------------------------------------------------------------
def trace_lines(run: Run) -> list[dict[str, Any]]:
    tools = openai_tools()
    out = []
    for r in run.results:
        for t in r.turns:
            out.append({
                "schema": TRACE_SCHEMA, "run_id": run.run_id, "copilot": r.copilot, "scenario": r.scenario.id,
                "step": r.scenario.step, "turn": t.index, "say": t.say, "messages": _plain(t.messages),
                "tools": tools, "calls": [c.as_dict() for c in t.records], "reply": t.reply, "error": t.error,
                "refused": t.refused, "grades": [g.as_dict() for g in t.grades], "turn_passed": t.passed(),
                "turn_score": _num(score(t.grades)), "scenario_score": _num(r.score),
                "harness": t.notes, "elapsed_s": round(t.elapsed_s, 3)})
    return out


def _prefix(t: TurnResult, history: list[dict[str, Any]], upto: int, context: Any) -> list[dict[str, Any]]:
    """The state before call ``upto``: system, earlier turns, the user's words, the calls before it."""
    system = t.messages[0] if t.messages and t.messages[0].get("role") == "system" else None
    messages = ([system] if system else []) + history + [user_message(t.say, context)]
    for record in t.records[:upto]:
        messages += [tool_call_message(record), tool_result_message(record)]
    return messages


def preference_lines(run: Run) -> list[dict[str, Any]]:
    tools = openai_tools()
    out = []
    for r in run.results:
        history: list[dict[str, Any]] = []
        all_passed_before = True
        for t in r.turns:
            context = t.context
            base = {"schema": PREFERENCE_SCHEMA, "run_id": run.run_id, "copilot": r.copilot,
                    "scenario": r.scenario.id, "step": r.scenario.step, "turn": t.index, "tools": tools}
            if t.passed():  # a bad call the copilot then fixed: the fix is graded good by the turn's checks
                good = [i for i, c in enumerate(t.records) if c.ok and c.kind == "act"]
                for i, bad in enumerate(t.records):
                    later = [j for j in good if j > i]
                    if bad.ok or not later:
                        continue
                    out.append(base | {
                        "source": "self_correction", "prompt": _plain(_prefix(t, history, i, context)),
                        "chosen": [_plain(tool_call_message(t.records[later[0]]))],
                        "rejected": [_plain(tool_call_message(bad))],
                        "rejected_errors": [e["rule"] for e in bad.errors]})
            elif all_passed_before and t.index < len(r.scenario.turns) and r.scenario.turns[t.index].reference:
                reference = r.scenario.turns[t.index].reference
                facts = Facts(t.facts)
                chosen = {"role": "assistant", "content": None, "tool_calls": [
                    {"id": f"ref_{k}", "type": "function",
                     "function": {"name": c.tool, "arguments": arguments_json(_fill(c.arguments, facts))}}
                    for k, c in enumerate(reference)]}
                acts = [c for c in t.records if c.kind != "read"]
                rejected = ({"role": "assistant", "content": None, "tool_calls": [
                    tool_call_message(c)["tool_calls"][0] for c in acts]} if acts
                    else {"role": "assistant", "content": t.reply or t.error or ""})
                out.append(base | {
                    "source": "reference", "prompt": _plain(_prefix(t, history, 0, context)),
                    "chosen": [_plain(chosen)], "rejected": [_plain(rejected)],
                    "rejected_failed": [g.check for g in t.grades if not g.passed]})
            all_passed_before &= t.passed()
            history = [m for m in t.messages[1:]] if t.messages and t.messages[0].get("role") == "system" \
                else list(t.messages)
    return out


def write_out(run: Run, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"summary": folder / "summary.json", "traces": folder / "traces.jsonl",
             "preferences": folder / "preferences.jsonl"}
    paths["summary"].write_text(json.dumps(summary(run), indent=2) + "\n", encoding="utf-8")
    for key, lines in (("traces", trace_lines(run)), ("preferences", preference_lines(run))):
        with paths[key].open("w", encoding="utf-8") as f:
            for line in lines:
                f.write(json.dumps(line, separators=(",", ":")) + "\n")
    return paths
