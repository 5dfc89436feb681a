"""`workstation venues [--json] [--all] [EXCHANGE ...]`: what the workstation does on each exchange.

For each: order types native or emulated per market kind, time in force, post-only, reduce-only, how a
modify happens, OCO and brackets, the client-id field and format, testnet and demo trading, and the tests
that prove it here. Offline: no keys, no network (ccxt's own descriptions and the venue rules table).
"""

from __future__ import annotations

import argparse
import json
import sys


def _run(args: argparse.Namespace) -> int:
    from .venues.catalog import exchange_ids, sheet
    from .venues.connect import VenueSetupError

    configured: tuple[str, ...] = ()
    if not args.exchanges and not args.all:
        from .config import load

        configured = tuple(v.exchange for v in load(args.config).venues)
    ids = list(args.exchanges) or exchange_ids(args.all, configured)
    sheets, problems = [], []
    for exchange_id in ids:
        try:
            sheets.append(sheet(exchange_id))
        except VenueSetupError as exc:
            problems.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - one exchange ccxt cannot build must not hide the others
            problems.append(f"{exchange_id}: could not be described ({type(exc).__name__}: {exc})")
    if args.json:
        json.dump([s.as_dict() for s in sheets], sys.stdout, indent=2)
        print()
    else:
        _print(sheets)
    for problem in problems:
        print(f"workstation venues: {problem}", file=sys.stderr)
    return 2 if problems and not sheets else 0


def _print(sheets) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for s in sheets:
        table = Table(title=f"{s.exchange}", title_justify="left", show_lines=False, expand=False)
        table.add_column("", style="bold")
        for kind in s.kinds:
            table.add_column(kind.kind)
        if not s.kinds:
            console.print(f"[bold]{s.exchange}[/]: ccxt describes no spot or linear markets")
            continue
        types = list(s.kinds[0].order_types)
        for name in types:
            table.add_row(name.replace("_", " "), *(k.order_types[name] for k in s.kinds))
        for flag in ("IOC", "FOK", "post_only", "reduce_only", "market_buy"):
            table.add_row(flag.replace("_", "-"), *(k.flags[flag] for k in s.kinds))
        table.add_row("trigger on", *(", ".join(k.trigger_sources) or "-" for k in s.kinds))
        console.print(table)
        for kind in s.kinds:
            if kind.held_because:
                console.print(f"  held here on {kind.kind}: {kind.held_because}", soft_wrap=True)
        for label, value in (("modify", s.modify), ("OCO", s.oco), ("bracket", s.bracket),
                             ("client id", s.client_id), ("testnet", s.testnet), ("demo", s.demo),
                             ("proven by", ", ".join(s.proven_by) or "no tests here"), *(("note", n) for n in s.notes)):
            console.print(f"  {label:10} {value}", highlight=False, markup=False, soft_wrap=True)
        console.print()


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("venues", help="what each exchange does natively, what is emulated, ids, testnet/demo, tests")
    p.add_argument("exchanges", nargs="*", help="ccxt exchange ids (default: the proven ones and any configured)")
    p.add_argument("--all", action="store_true", help="every exchange ccxt knows")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_run)
