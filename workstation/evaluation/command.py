"""`workstation eval`: grade a copilot on every scenario (see the README's "Execution competence").

    workstation eval --copilot rules --json
    workstation eval --copilot llm --base-url http://127.0.0.1:11434/v1 --model llama3.1 --out runs/llama
    workstation eval --copilot scripted --only execution       # replays the references: must score 100%
    workstation eval --scenarios my-scenarios/ --no-builtin --list
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from .scenario import STEPS, ScenarioError, load_scenarios, select


def _factory(args: argparse.Namespace):
    from . import copilots

    if args.copilot == "rules":
        return copilots.rules_factory
    if args.copilot == "scripted":
        return copilots.scripted_factory()
    from ..config import load
    from ..copilot.llm import api_key

    config = load(args.config).copilot
    base_url = args.base_url or config.base_url
    model = args.model or config.model
    key = None if args.no_key else api_key()
    return copilots.llm_factory(base_url, model, key=key, timeout_s=args.timeout or config.timeout_s)


def _main(args: argparse.Namespace) -> int:
    try:
        scenarios = select(load_scenarios(args.scenarios or (), builtin=not args.no_builtin), args.only or ())
    except ScenarioError as exc:
        print(f"workstation eval: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for s in scenarios:
            print(f"{s.id:40} {s.step:13} {len(s.turns)} turn(s) {s.checks:2} checks  {s.title}")
        return 0
    if not scenarios:
        print("workstation eval: no scenarios to run", file=sys.stderr)
        return 2
    from . import harness, report

    progress = None
    if not args.json:
        def progress(result) -> None:  # one line per scenario while the run goes
            mark = "pass" if result.passed else ("ERROR" if result.error else f"{result.score:.0%}")
            print(f"  {result.scenario.id:40} {mark}", file=sys.stderr, flush=True)
    run = asyncio.run(harness.run(scenarios, _factory(args), timeout_s=args.turn_timeout, progress=progress))
    data = report.summary(run)
    if args.out:
        paths = report.write_out(run, Path(args.out))
        if not args.json:
            print("wrote " + ", ".join(str(p) for p in paths.values()), file=sys.stderr)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        from rich.console import Console

        report.render(run, Console(width=None if sys.stdout.isatty() else 120))  # piped: wide enough for ids
    return 0 if all(r.error is None for r in run.results) else 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="grade a copilot's execution competence on the scenarios (paper exchange only)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--copilot", choices=("rules", "llm", "scripted"), default="rules",
                   help="rules (the built-in baseline), llm (an OpenAI-compatible endpoint), scripted (replays "
                        "each scenario's reference answer)")
    p.add_argument("--scenarios", action="append", type=Path, metavar="PATH",
                   help="a scenario file or folder of .toml files, added to the built-in ones (repeatable)")
    p.add_argument("--no-builtin", action="store_true", help="run only the scenarios given with --scenarios")
    p.add_argument("--only", action="append", metavar="ID_OR_STEP",
                   help=f"run these scenarios, or every scenario of a step ({', '.join(STEPS)}); repeatable")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="write summary.json, traces.jsonl (chat format) and preferences.jsonl here")
    p.add_argument("--base-url", help="llm: the endpoint, e.g. http://127.0.0.1:11434/v1 (default: the config's)")
    p.add_argument("--model", help="llm: the model name (default: the config's)")
    p.add_argument("--timeout", type=float, help="llm: seconds per request (default: the config's)")
    p.add_argument("--no-key", action="store_true", help="llm: send no key, even if the keyring has one")
    p.add_argument("--turn-timeout", type=float, default=120.0, help="seconds a copilot may take per turn")
    p.set_defaults(func=_main)
