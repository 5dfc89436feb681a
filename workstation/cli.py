"""The `workstation` command. `workstation` alone starts the TUI on the paper exchange."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .config import ConfigError, load


def confirm_live(config, ask=input, interactive: bool | None = None) -> bool:
    """LIVE money needs a deliberate yes at start, unless the config says confirm_live = true for that venue."""
    live = [v.name for v in config.venues if v.environment == "live" and not v.confirm_live]
    if not live:
        return True
    interactive = sys.stdin.isatty() if interactive is None else interactive
    if not interactive:
        print(f"workstation: {', '.join(live)} trade(s) LIVE money; start from a terminal to confirm, "
              f"or set confirm_live = true for the venue", file=sys.stderr)
        return False
    print(f"\n  LIVE TRADING on {', '.join(live)}: real orders, real money.\n")
    return ask("  Type LIVE to continue: ").strip() == "LIVE"


def _run(args: argparse.Namespace) -> int:
    config = load(args.config)
    if not confirm_live(config):
        return 1
    from .ui.app import run_app  # Textual is imported only when the TUI is wanted

    tune_gc()
    return run_app(config)


def tune_gc() -> None:
    """Fewer, cheaper garbage collections for a long-running process with many live objects.

    With thousands of orders in memory, Python's default (a collection every 700 allocations)
    made each refresh scan them again and again: the reconcile benchmark at 10,000 orders spent
    most of its CPU in the collector. Freezing what start-up built and raising the first
    threshold keeps collections for the garbage that is actually new.
    """
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workstation", description=__doc__)
    parser.add_argument("--config", type=Path, help="config file (default: $WORKSTATION_CONFIG or the user config dir)")
    parser.add_argument("--log", type=Path, help="write a debug log here (secrets are redacted)")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="start the workstation TUI (the default)")
    run.set_defaults(func=_run)
    for register in _registrars():
        register(sub)
    parser.set_defaults(func=_run)
    return parser


def _registrars():
    """Sub-commands live next to what they drive; each module adds its own parser."""
    from .commands import registrars

    return registrars()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.log:
        logging.basicConfig(filename=args.log, level=logging.DEBUG,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"workstation: config error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
