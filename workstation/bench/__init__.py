"""`workstation bench [--quick] [--json] [--only KEY ...]`: the workstation's own costs on this machine.

Each benchmark measures its figures and, in the same run, a baseline, and states its goal with a
pass/miss flag. Nothing here is a timed test: it reports numbers.

  book_to_screen   N books through the Desk into the real TUI (headless) vs the same ladder as a DataTable
  book_grid        20 books at once in the grid view, 2,000 updates/s, vs the same grid as 20 DataTables
  ticket_open      b to the order ticket on screen, vs a ticket built afresh on every open
  approve_to_wire  approve() -> gate -> durable intent -> the venue call leaving, vs a bare fsync'd insert
  reconcile        calls and CPU per refresh at 10 / 1,000 / 10,000 open orders vs one look-up per order
  startup          command -> first live book; peak RSS after 30 simulated minutes vs an empty Textual app
  paper_exchange   orders and market events per second of the paper exchange vs a soak through the Desk

``--json`` prints one JSON object, a key per benchmark: {"figures", "baseline": {"name", "figures"},
"goal", "pass", "elapsed_s", "notes"}. ``--quick`` runs the same with fewer samples in under a minute.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


ORDER = ["book_to_screen", "book_grid", "ticket_open", "approve_to_wire", "reconcile", "startup", "paper_exchange"]
MODULES = {"book_to_screen": "screen", "book_grid": "grid", "ticket_open": "ticket", "approve_to_wire": "approve",
           "reconcile": "reconcile",
           "startup": "startup", "paper_exchange": "paper"}


def run_all(quick: bool, only: list[str] | None = None, progress=None) -> dict:
    import importlib

    results = {}
    for key in ORDER:
        if only and key not in only:
            continue
        if progress:
            progress(key)
        module = importlib.import_module(f".{MODULES[key]}", __name__)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        results[key] = module.run(quick)
        results[key].notes.append(f"load average {load:.1f} on {os.cpu_count()} cores when it started")
    return results


def _table(results: dict, quick: bool, elapsed: float) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"workstation bench{' --quick' if quick else ''} ({elapsed:.0f} s)", show_lines=False)
    table.add_column("figure", overflow="fold", ratio=3)
    table.add_column("measured", justify="right", ratio=2)
    table.add_column("baseline", justify="right", ratio=2)
    for result in results.values():
        flag = {True: "[green]PASS[/]", False: "[red]MISS[/]", None: "-"}[result.passed]
        table.add_section()
        table.add_row(f"[bold]{result.title}[/]  {flag}", "", "", end_section=False)
        table.add_row(f"[dim]goal: {result.goal}[/]", "", f"[dim]{result.baseline_name}[/]")
        for figure, measured, base in result.rows:
            table.add_row(f"  {figure}", measured, base)
    console.print(table)
    for result in results.values():
        for note in result.notes:
            console.print(f"[dim]{result.title}: {note}[/]")


def _main(args: argparse.Namespace) -> int:
    import json
    import logging

    from ..cli import tune_gc

    tune_gc()  # measure the engine as `workstation run` configures it
    root = logging.getLogger()
    previous_level = root.level
    root.setLevel(logging.ERROR)  # the engine's info lines would pollute the measurements' output
    started = time.perf_counter()

    def progress(key: str) -> None:
        if not args.json:
            print(f"running {key} ...", file=sys.stderr, flush=True)

    try:
        results = run_all(args.quick, args.only, progress)
    finally:
        root.setLevel(previous_level)
    elapsed = time.perf_counter() - started
    if args.json:
        print(json.dumps({key: result.as_dict() for key, result in results.items()}))
    else:
        _table(results, args.quick, elapsed)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure the workstation's own costs on this machine, each beside a baseline")
    p.add_argument("--quick", action="store_true", help="fewer samples and smaller sizes: under a minute")
    p.add_argument("--json", action="store_true", help="print one JSON object, a key per benchmark")
    p.add_argument("--only", nargs="+", choices=ORDER, metavar="KEY", help=f"run only these: {', '.join(ORDER)}")
    p.set_defaults(func=_main)
