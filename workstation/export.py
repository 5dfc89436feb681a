"""`workstation export`: the journal as training and evaluation data (JSONL, Parquet or CSV via pandas).

Three kinds of rows, each with a versioned schema (``SCHEMAS``, documented in the README):

- executions: one row per order that reached a venue and ended, raw prices and timestamps and
  every derived figure (``workstation.tca.execution_row``, the same code the TCA screen uses);
- errors: one row per error scenario: the request, the error, its classification, what was
  done, and how the order (or the copilot's call) ended;
- decisions: one row per staged order (and per copilot cancel/modify suggestion): the proposal
  with its context snapshot, the decision, who made it, edits and reason: preference pairs.

The journal is opened read-only. Every string that leaves is scrubbed of anything that looks
like a credential (api key, secret, signature, passphrase, token, bearer token, sk-... keys,
"API key provided: X"), and no column may be named like one: exports never contain secrets.
Schemas are in export_schemas.py, the rows in export_rows.py; this module reads and writes.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sqlite3
import sys
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

from .desk.journal import Event
from .export_rows import decision_rows, error_rows, execution_rows
from .export_schemas import (B, DECISION_SCHEMA, ERROR_SCHEMA, EXECUTION_SCHEMA, F, I, SCHEMAS, S,  # noqa: F401
                             schema_markdown)
from .redaction import redact, redact_obj
from .tca import SCHEMA_VERSION

KINDS = ("executions", "errors", "decisions")
FORMATS = ("jsonl", "parquet", "csv")


class ExportError(Exception):
    """Something the user can fix; the message is one line that says what."""


# -- secrets: every string that leaves goes through the one redaction (workstation.redaction) --------------
scrub = redact
scrub_obj = redact_obj


# -- reading -----------------------------------------------------------------------------------
def read_events(path: str | Path) -> list[Event]:
    """Every journal event, in order, through a read-only connection."""
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"no journal at {path}: pass --journal PATH, or set data_dir in the config")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ExportError(f"cannot open the journal {path}: {exc}") from None
    try:
        rows = db.execute("SELECT seq, ts_ms, kind, actor, venue, client_order_id, trade_id, order_state, payload "
                          "FROM events ORDER BY seq").fetchall()
    except sqlite3.DatabaseError as exc:
        raise ExportError(f"{path} is not a workstation journal: {exc}") from None
    finally:
        db.close()
    return [Event(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]) if r[7] else None,
                  json.loads(r[8]) if r[8] else {}) for r in rows]


# -- frames and files --------------------------------------------------------------------------
def _cell(value: Any, dtype: str) -> Any:
    if value is None:
        return None
    if dtype == F:
        f = float(value)
        return None if math.isnan(f) else f
    if dtype == I:
        return int(value)
    if dtype == B:
        return bool(value)
    return scrub(value if isinstance(value, str) else json.dumps(value, default=str))


def frame(kind: str, rows: list[dict[str, Any]]):
    """A DataFrame with exactly the schema's columns and dtypes, every string scrubbed."""
    import pandas as pd

    schema = SCHEMAS[kind]
    data = {name: pd.array([_cell(r.get(name), dtype) for r in rows], dtype=dtype) for name, dtype, _ in schema}
    return pd.DataFrame(data, columns=[name for name, _, _ in schema])


def build(events: list[Event], kinds: Iterable[str], since_ms: int | None = None) -> dict[str, Any]:
    builders = {"executions": execution_rows, "errors": error_rows, "decisions": decision_rows}
    return {kind: frame(kind, builders[kind](events, since_ms)) for kind in kinds}


def write(df: Any, fmt: str, out: Path | str) -> None:
    """Write one frame; ``out`` '-' is stdout (jsonl and csv only)."""
    if fmt == "jsonl":
        text = df.to_json(orient="records", lines=True, double_precision=15)
        if text and not text.endswith("\n"):
            text += "\n"
        if out == "-":
            sys.stdout.write(text)
        else:
            Path(out).write_text(text, encoding="utf-8")
    elif fmt == "csv":
        if out == "-":
            df.to_csv(sys.stdout, index=False)
        else:
            df.to_csv(out, index=False)
    elif fmt == "parquet":
        if out == "-":
            raise ExportError("parquet cannot go to stdout: pass --out PATH")
        try:
            df.to_parquet(out, index=False)
        except ImportError as exc:
            raise ExportError(f"parquet needs pyarrow: pip install pyarrow ({exc})") from None
    else:
        raise ExportError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h|d|w)\s*$", re.I)
_UNIT_MS = {"ms": 1, "s": 1000, "sec": 1000, "m": 60_000, "min": 60_000, "h": 3_600_000, "d": 86_400_000,
            "w": 604_800_000}


def parse_since(text: str, now_ms: int | None = None) -> int:
    """'2h', '30m', '7d' (ago), an ISO time ('2026-01-05T09:30', naive = UTC) or epoch ms -> epoch ms."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    m = _DURATION.match(text)
    if m:
        return now_ms - int(Decimal(m.group(1)) * _UNIT_MS[m.group(2).lower()])
    if text.strip().isdigit() and len(text.strip()) >= 12:
        return int(text.strip())
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ExportError(f"--since {text!r} is neither a duration (90s, 15m, 2h, 7d) nor an ISO time "
                          "(2026-01-05T09:30Z)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return int(when.timestamp() * 1000)


def output_paths(kinds: list[str], fmt: str, out: str | None, all_kinds: bool) -> dict[str, Path | str]:
    ext = fmt
    if not all_kinds:
        return {kinds[0]: "-" if out == "-" else Path(out or f"workstation-{kinds[0]}.{ext}")}
    if out == "-":
        raise ExportError("--kind all writes one file per kind: pass --out PREFIX, not '-'")
    if out is None:
        base = Path("workstation")
    elif Path(out).is_dir():
        base = Path(out) / "workstation"
    else:
        base = Path(out)
        if base.suffix.lstrip(".") in FORMATS:
            base = base.with_suffix("")
    return {kind: base.with_name(f"{base.name}-{kind}.{ext}") for kind in kinds}


def export(journal: str | Path, fmt: str, kind: str, out: str | None = None, since: str | None = None,
           now_ms: int | None = None) -> dict[str, tuple[Path | str, int]]:
    """Export and return {kind: (path, rows)}. Raises ExportError with a one-line message."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if kind not in KINDS + ("all",):
        raise ExportError(f"unknown kind {kind!r}: choose one of {', '.join(KINDS + ('all',))}")
    if fmt == "parquet" and out == "-":
        raise ExportError("parquet cannot go to stdout: pass --out PATH")
    since_ms = parse_since(since, now_ms) if since else None
    kinds = list(KINDS) if kind == "all" else [kind]
    paths = output_paths(kinds, fmt, out, kind == "all")
    for path in paths.values():
        if path != "-" and not Path(path).parent.exists():
            raise ExportError(f"cannot write {path}: the directory {Path(path).parent} does not exist")
    frames = build(read_events(journal), kinds, since_ms)
    done = {}
    for k, df in frames.items():
        try:
            write(df, fmt, paths[k])
        except OSError as exc:
            raise ExportError(f"cannot write {paths[k]}: {exc.strerror or exc}") from None
        done[k] = (paths[k], len(df))
    return done


def _command(args: argparse.Namespace) -> int:
    try:
        if args.journal is not None:
            journal = Path(args.journal)
        else:
            from .config import load

            journal = load(args.config).journal_path
        done = export(journal, args.format, args.kind, args.out, args.since)
    except ExportError as exc:
        print(f"workstation export: {exc}", file=sys.stderr)
        return 2
    report = sys.stderr if args.out == "-" else sys.stdout
    for k, (path, n) in done.items():
        print(f"{k}: {n} rows -> {path}", file=report)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export executions, errors and decisions from the journal (training data)",
                       description="Export the journal as data: one row per execution, error scenario or decision, "
                                   f"schema version {SCHEMA_VERSION} (see the README).")
    # formats and kinds are checked by the command, so that a mistake is one clear line
    p.add_argument("--format", default="jsonl", metavar="jsonl|parquet|csv", help="output format (default jsonl)")
    p.add_argument("--kind", default="all", metavar="executions|errors|decisions|all",
                   help="what to export (default all: one file per kind)")
    p.add_argument("--since", metavar="T", help="only rows journaled since T: a duration ago (2h, 30m, 7d) or an ISO time")
    p.add_argument("--out", metavar="PATH", help="output file ('-' = stdout); with --kind all a prefix: "
                                                 "PATH-executions.jsonl, ... (default ./workstation-<kind>.<format>)")
    p.add_argument("--journal", metavar="PATH", help="journal file (default: the configured data directory's)")
    p.set_defaults(func=_command)
