"""`workstation paper reset [--yes]`: start the paper venue over, on purpose.

The paper venue keeps its own state (orders, balances, positions, its clock) beside the journal and
resumes it at every start, as a real venue would. Resetting forgets all of it: the next start has the
configured starting balances, no orders and no positions. The journal is kept, so the Desk still
remembers its fills: its first reconcile then shows the venue's figures differing from them.
"""

from __future__ import annotations

import argparse
import sys


def _paper(args: argparse.Namespace) -> int:
    from .config import load
    from .venues.paper.state import FILE_NAME, remove

    path = load(args.config).data_dir / FILE_NAME
    if not path.exists():
        print(f"no paper state at {path}: the paper venue already starts fresh")
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            print("workstation paper reset: this forgets the paper venue's balances, orders and positions; "
                  "pass --yes to confirm", file=sys.stderr)
            return 2
        answer = input(f"Forget the paper venue's balances, orders and positions ({path})? Type yes: ")
        if answer.strip().lower() != "yes":
            print("nothing changed")
            return 1
    remove(path)
    print(f"paper venue reset: removed {path}; the next start has the configured starting balances")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("paper", help="manage the embedded paper venue (reset: start it over)")
    p.add_argument("action", choices=("reset",), help="reset: forget its balances, orders and positions")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=_paper)
