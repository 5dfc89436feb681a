"""`workstation export`: the command line, its one-line errors, --since, and the secret scrubber."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pandas as pd
import pytest

from workstation.cli import main
from workstation.desk.journal import Journal
from workstation.export import ExportError, parse_since, schema_markdown, scrub, scrub_obj


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(["export", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("argv, message", [
    (["--journal", "/nonexistent/j.sqlite3"], "no journal at /nonexistent/j.sqlite3"),
    (["--format", "xlsx"], "unknown format 'xlsx': choose one of jsonl, parquet, csv"),
    (["--kind", "trades"], "unknown kind 'trades'"),
    (["--since", "yesterday-ish"], "--since 'yesterday-ish' is neither a duration"),
    (["--format", "parquet", "--kind", "errors", "--out", "-"], "parquet cannot go to stdout"),
    (["--kind", "all", "--out", "-"], "--kind all writes one file per kind"),
    (["--out", "/nonexistent/dir/x.jsonl", "--kind", "errors"], "the directory /nonexistent/dir does not exist"),
])
def test_errors_are_one_clear_line(capsys, demo, argv, message):
    _, journal = demo
    if "--journal" not in argv:
        argv = ["--journal", str(journal), *argv]
    rc, out, err = run(capsys, *argv)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("workstation export: ") and message in err


def test_not_a_journal(capsys, tmp_path):
    bogus = tmp_path / "j.sqlite3"
    bogus.write_bytes(b"not sqlite at all" * 100)
    rc, _, err = run(capsys, "--journal", str(bogus))
    assert rc == 2 and err.count("\n") == 1 and "is not a workstation journal" in err


def test_stdout_and_since(capsys, demo, tmp_path):
    _, journal = demo
    rc, out, err = run(capsys, "--journal", str(journal), "--kind", "executions", "--out", "-")
    assert rc == 0 and "executions: 8 rows -> -" in err
    assert [json.loads(line)["schema_version"] for line in out.splitlines()] == [1] * 8
    rc, out, _ = run(capsys, "--journal", str(journal), "--kind", "decisions", "--since", "2h", "--out", "-")
    assert rc == 0 and len(out.splitlines()) == 10  # journaled moments ago
    rc, out, err = run(capsys, "--journal", str(journal), "--kind", "errors", "--format", "csv",
                       "--since", "2999-01-01T00:00Z", "--out", "-")
    assert rc == 0 and "errors: 0 rows" in err
    assert out.strip().split(",")[0] == "schema_version"  # the header, even for no rows


def test_default_paths_and_prefix(capsys, demo, tmp_path, monkeypatch):
    _, journal = demo
    monkeypatch.chdir(tmp_path)
    rc, out, _ = run(capsys, "--journal", str(journal), "--format", "csv")
    assert rc == 0
    assert sorted(p.name for p in tmp_path.glob("*.csv")) == [
        "workstation-decisions.csv", "workstation-errors.csv", "workstation-executions.csv"]
    rc, out, _ = run(capsys, "--journal", str(journal), "--format", "parquet", "--out", "run1.parquet")
    assert rc == 0 and (tmp_path / "run1-executions.parquet").exists()
    assert len(pd.read_parquet(tmp_path / "run1-errors.parquet")) >= 6


def test_reads_the_journal_read_only(capsys, demo, tmp_path):
    _, journal = demo
    before = Journal(journal).count()
    run(capsys, "--journal", str(journal), "--out", str(tmp_path / "x.jsonl"))
    assert Journal(journal).count() == before


def test_parse_since():
    now = 1_767_225_600_000
    assert parse_since("2h", now) == now - 7_200_000
    assert parse_since("90s", now) == now - 90_000
    assert parse_since("1.5d", now) == now - 129_600_000
    assert parse_since("2026-01-01T00:00:00Z", now) == now
    assert parse_since("2026-01-01T01:00:00+01:00", now) == now
    assert parse_since("2026-01-01", now) == int(datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)
    assert parse_since(str(now), 0) == now
    with pytest.raises(ExportError):
        parse_since("soon", now)


def test_scrub():
    text = ('GET https://x/api/v3/order?symbol=BTCUSDT&timestamp=1&signature=abcdef0123 '
            '{"apiKey": "AKIA123456", "secret":"sssshhh1"} X-MBX-APIKEY: k3y123 passphrase=pp123 '
            'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload')
    clean = scrub(text)
    for secret in ("abcdef0123", "AKIA123456", "sssshhh1", "k3y123", "pp123", "eyJhbGciOiJIUzI1NiJ9"):
        assert secret not in clean
    assert "symbol=BTCUSDT" in clean and "timestamp=1" in clean  # only the secrets go
    assert scrub("the sign of the slippage is positive") == "the sign of the slippage is positive"
    assert scrub_obj({"api_key": "AKIA", "nested": [{"password": "x"}], "n": 1}) == {
        "api_key": "***", "nested": [{"password": "***"}], "n": 1}


def test_schema_markdown_lists_every_column():
    text = schema_markdown()
    for column in ("intended_entry", "actual_entry", "slippage_bps", "partial_fill", "latency_ms",
                   "implementation_shortfall_bps", "markout_300s_bps", "error_kind", "chosen"):
        assert f"`{column}`" in text
