"""`workstation soak`: thousands of orders through a real Desk, refereed from outside.

The paper exchange (every fault on) runs in this process; the Desk runs in a child process that reaches
it over a Unix socket (remote.py, venue_server.py) and is killed with SIGKILL at random moments and at
chosen ones: as a create_order reaches the venue (before it is applied: between the journaled intent and
the send; or after it is applied, before the answer: between send and ack), during cancels and
modifies, at a random request, idle. The venue keeps running; a new process starts from the journal.
The trader (trader.py) places market, limit, modified, OCO, bracket, trailing-stop and scaled orders
through stage -> approve under the default risk limits, and presses the kill switch while a send is in
flight. Time is the venue's simulated clock, driven by this process (vclock.py, supervisor.py).

The referee (referee.py) compares the Desk with the venue's own records and with the Desk rebuilt from
its journal, never with the Desk's own belief, while the faults continue and once more after they
pause. Invariants (all must be 0): duplicates, lost_fills, double_counted_fills, illegal_transitions,
drift_after_converge, status_mismatch, fill_owner_mismatch, balance_drift, journal_replay_mismatch,
open_after_kill, overfill, fill_terms_mismatch, sent_before_reconcile, false_in_sync. The exit status is
non-zero when one breaks.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
from pathlib import Path
from typing import Any

# Imported when first used: `workstation run` builds every sub-command's parser, and the soak's modules
# (the in-process driver for tests, bench and evaluation; the referee; the runner) cost ~0.1 s to import.
_LAZY = {"VENUE": ".inprocess", "Crash": ".inprocess", "Soak": ".inprocess", "_VirtualTimeVenue": ".inprocess",
         "INVARIANTS": ".referee", "SoakResult": ".result", "run_soak": ".run"}

__all__ = [*_LAZY, "register"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


def _main(args: argparse.Namespace) -> int:
    from . import run_soak

    if args.orders <= 0:
        print("workstation soak: --orders must be positive", file=sys.stderr)
        return 2
    workdir = Path(args.keep) if args.keep else None
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
    result = asyncio.run(run_soak(args.orders, args.seed, workdir=workdir))
    print(json.dumps(result.as_dict(), default=str) if args.json else result.text())
    return 0 if result.ok else 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("soak", help="N orders through a Desk in a child process that is killed again and again, "
                                    "against the paper exchange with every fault on; referee the invariants")
    p.add_argument("--orders", type=int, default=10_000, help="orders to stage (default 10000)")
    p.add_argument("--seed", type=int, default=1, help="seed: the same seed gives a comparable run")
    p.add_argument("--json", action="store_true", help="print one JSON object (the last line of stdout)")
    p.add_argument("--keep", metavar="DIR", help="keep the journal and the Desk's log in DIR (to reproduce a finding)")
    p.set_defaults(func=_main)
