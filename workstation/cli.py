"""The `workstation` command. `workstation` alone starts the TUI on the paper exchange."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .config import load


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
    prepare_journal(config.journal_path, new=getattr(args, "new_journal", False))
    if not confirm_live(config):
        return 1
    from .ui.app import run_app  # Textual is imported only when the TUI is wanted

    tune_gc()
    return run_app(config)


def prepare_journal(path: Path, *, new: bool = False) -> None:
    """Refuse an unusable journal before anything connects. With ``new`` (asked for, never assumed) an empty
    or damaged one is kept aside as ``*.bad-<time>`` and the start goes on with a new one."""
    from .desk.journal import Journal, JournalError, check_openable, set_aside

    if not new or not path.exists():
        check_openable(path)  # the Desk's replay finds damage inside the file
        return
    try:
        journal = Journal(path)
        try:
            journal.replay()
        finally:
            journal.close()
    except JournalError as exc:
        if not exc.set_aside:
            raise
        kept = set_aside(path)
        print(f"workstation: kept the unusable journal as {kept}; starting a new one at {path}", file=sys.stderr)
        return
    raise JournalError(f"--new-journal: the journal {path} is readable, so it is kept; --new-journal only sets "
                       f"aside an empty or damaged one")


def startup_problem(exc: BaseException) -> str | None:
    """One line for an error that stops the start (bad config, venue, keyring, journal, file system), else None.

    The error classes are looked up only in modules already imported: whatever raised one has loaded it."""
    for module, name in (("workstation.config", "ConfigError"), ("workstation.desk.errors", "DeskError"),
                         ("workstation.credentials", "CredentialsError"),
                         ("workstation.venues.connect", "VenueSetupError")):
        cls = getattr(sys.modules.get(module), name, None)
        if cls is not None and isinstance(exc, cls):
            prefix = "config error: " if name == "ConfigError" else ""
            return prefix + " ".join(str(exc).split())
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    return None


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
    run.add_argument("--new-journal", action="store_true",
                     help="if the journal is empty or damaged, keep it aside (*.bad-<time>) and start a new one")
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
    try:
        if args.log:
            open_log(args.log)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - a start-up problem is one line, anything else a real traceback
        line = startup_problem(exc)
        if line is None:
            raise
        print(f"workstation: {line}", file=sys.stderr)
        return 2


def open_log(path: Path) -> None:
    """--log: every record, from every logger, passes the redacting filter before it reaches the file."""
    from .venues.errors import RedactingFilter

    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)


if __name__ == "__main__":
    sys.exit(main())
