"""Findings 4, 5 and 6 of issue 13: every numeric key has bounds and is checked; a start that cannot go on is
one line and a non-zero exit, never a traceback; secret-looking keys and a fake paper venue are refused."""

from __future__ import annotations

import math
import sqlite3
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from workstation import cli
from workstation.config import ConfigError, parse
from workstation.desk.journal import Journal

from .faults import remount_read_only, small_tmpfs

NAN, INF = math.nan, math.inf


@pytest.mark.parametrize("data, key", [
    ({"risk": {"duplicate_window_s": NAN}}, "risk.duplicate_window_s"),  # made the TUI exit on typing
    ({"copilot": {"proposal_expiry_s": NAN}}, "copilot.proposal_expiry_s"),  # a week-old proposal was approved
    ({"paper": {"speed": NAN}}, "paper.speed"),  # killed the paper clock
    ({"paper": {"latency_ms": INF}}, "paper.latency_ms"),  # hung connect
    ({"workstation": {"refresh_interval_s": INF}}, "workstation.refresh_interval_s"),  # stopped reconciling
    ({"risk": {"daily_loss_limit": "1" + "0" * 40}}, "risk.daily_loss_limit"),  # every stage raised Overflow
    ({"risk": {"max_order_notional": "1e999999"}}, "risk.max_order_notional"),
    ({"risk": {"max_open_orders": 10**30}}, "risk.max_open_orders"),
    ({"risk": {"symbols": {"BTC/USDT": {"duplicate_window_s": -INF}}}}, "risk.symbols.BTC/USDT.duplicate_window_s"),
    ({"risk": {"venues": {"paper": {"stale_book_ms": 0}}}}, "risk.venues.paper.stale_book_ms"),
    ({"copilot": {"timeout_s": 0}}, "copilot.timeout_s"),
    ({"copilot": {"price_tolerance_bps": "nan"}}, "copilot.price_tolerance_bps"),
    ({"paper": {"balances": {"USDT": "-5"}}}, "paper.balances.USDT"),
    ({"paper": {"faults": {"rate_limit": NAN}}}, "paper.faults.rate_limit"),
    ({"paper": {"seed": -1}}, "paper.seed"),
])
def test_every_numeric_key_is_bounded_and_finite(data, key):
    with pytest.raises(ConfigError) as err:
        parse(data)
    message = str(err.value)
    assert f"{key}: expected" in message and "\n" not in message, message


@pytest.mark.parametrize("data, key", [
    ({"keys": {"api_key": "sk-abcdefghijklmnopqrstuvwxyz0123"}}, "keys.api_key"),
    ({"keys": {"approve": "sk-abcdefghijklmnopqrstuvwxyz0123"}}, "keys.approve"),
    *[({"venues": {"bn": {"exchange": "binance", "environment": "testnet", "options": {name: "x"}}}},
       f"venues.bn.options.{name}") for name in ("apiSecret", "secretKey", "privateKey", "accessToken")],
    ({"venues": {"bn": {"exchange": "binance", "environment": "testnet", "options": {"auth": {"secret": "x"}}}}},
     "venues.bn.options.auth.secret"),
])
def test_secret_looking_keys_and_values_are_refused_with_directions_to_the_keyring(data, key):
    with pytest.raises(ConfigError) as err:
        parse(data)
    assert key in str(err.value) and "workstation keys set" in str(err.value)


def test_a_configured_venue_cannot_replace_the_built_in_paper_exchange():
    with pytest.raises(ConfigError, match="built-in paper exchange"):
        parse({"venues": {"paper": {"exchange": "binance", "environment": "live"}}})


# -- start-up: one line, a non-zero exit, the TUI never starts ------------------------------------------------
@pytest.fixture
def no_tui(monkeypatch):
    async def refuse(self, *args, **kwargs):
        raise AssertionError("the TUI must not start on a broken set-up")
    monkeypatch.setattr("workstation.ui.app.WorkstationApp.run_async", refuse)


def write_config(tmp_path: Path, text: str, data_dir: Path | None = None) -> Path:
    data_dir = data_dir or tmp_path / "data"
    path = tmp_path / "config.toml"
    path.write_text(f'[workstation]\ndata_dir = "{data_dir}"\n' + text)
    return path


def run(capsys, config: Path, *extra: str) -> str:
    code = cli.main(["--config", str(config), "run", *extra])
    err = capsys.readouterr().err
    assert code != 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("workstation: "), err
    assert "Traceback" not in err
    return lines[0]


VENUE = '[venues.bn]\nexchange = "{exchange}"\nenvironment = "testnet"\n'


def test_unknown_exchange_id(tmp_path, capsys, no_tui):
    line = run(capsys, write_config(tmp_path, VENUE.format(exchange="binanse")))
    assert "unknown exchange id 'binanse'" in line and "binance" in line


def test_no_keyring_backend(tmp_path, capsys, no_tui, monkeypatch):
    monkeypatch.delenv("WORKSTATION_ALLOW_ENV_KEYS", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        line = run(capsys, write_config(tmp_path, VENUE.format(exchange="binance")))
    finally:
        keyring.set_keyring(previous)
    assert "no system keyring" in line and "WORKSTATION_ALLOW_ENV_KEYS" in line


@pytest.mark.parametrize("content, says", [
    (b"", "is empty (0 bytes)"),
    (b"this is not a database at all" * 10, "not a journal"),
])
def test_an_unusable_journal_stops_the_start_and_is_only_set_aside_when_asked(tmp_path, capsys, no_tui, content,
                                                                               says):
    data = tmp_path / "data"
    data.mkdir()
    (data / "journal.sqlite3").write_bytes(content)
    config = write_config(tmp_path, "")
    line = run(capsys, config)
    assert says in line and "--new-journal" in line
    assert (data / "journal.sqlite3").read_bytes() == content  # nothing touched without being asked
    with pytest.raises(AssertionError, match="the TUI must not start"):  # with --new-journal the start goes on
        cli.main(["--config", str(config), "run", "--new-journal"])
    kept = list(data.glob("journal.sqlite3.bad-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == content
    assert "kept the unusable journal" in capsys.readouterr().err


def test_a_damaged_journal_stops_the_start(tmp_path, capsys, no_tui):
    data = tmp_path / "data"
    journal = Journal(data / "journal.sqlite3")
    for i in range(200):
        journal.append("note", payload={"i": i, "pad": "x" * 200})
    journal.close()
    raw = bytearray((data / "journal.sqlite3").read_bytes())
    raw[4096:8192] = b"\xff" * 4096  # a page of garbage, as a torn write would leave
    (data / "journal.sqlite3").write_bytes(bytes(raw))
    line = run(capsys, write_config(tmp_path, ""))
    assert "damaged" in line or "cannot be rebuilt" in line, line
    assert "--new-journal" in line


def test_a_journal_that_is_not_ours(tmp_path, capsys, no_tui):
    data = tmp_path / "data"
    data.mkdir()
    db = sqlite3.connect(data / "journal.sqlite3")
    db.execute("CREATE TABLE events (x)")
    db.execute("INSERT INTO events VALUES ('hello')")
    db.commit()
    db.close()
    line = run(capsys, write_config(tmp_path, ""))
    assert "journal" in line


def test_data_dir_is_a_file(tmp_path, capsys, no_tui):
    (tmp_path / "afile").write_text("x")
    line = run(capsys, write_config(tmp_path, "", data_dir=tmp_path / "afile"))
    assert "is a file, not a directory" in line


def test_a_read_only_journal_and_a_read_only_file_system(tmp_path, capsys, no_tui):
    with small_tmpfs(tmp_path / "ro") as mount:
        data = mount / "data"
        Journal(data / "journal.sqlite3").close()
        (mount / "empty").mkdir()
        remount_read_only(mount)
        line = run(capsys, write_config(tmp_path, "", data_dir=data))
        assert "read-only" in line, line
        line = run(capsys, write_config(tmp_path, "", data_dir=mount / "empty"))
        assert "read-only" in line, line
        line = run(capsys, write_config(tmp_path, "", data_dir=mount / "new" / "dir"))
        assert "cannot create the data directory" in line and "Read-only file system" in line, line


@pytest.mark.parametrize("text", [
    "[risk]\nduplicate_window_s = nan\n",
    "[paper]\nspeed = inf\n",
    '[keys]\napi_key = "sk-abcdefghijklmnopqrstuvwxyz"\n',
    '[venues.paper]\nexchange = "binance"\nenvironment = "live"\n',
])
def test_the_real_command_prints_one_line(tmp_path, text):
    config = write_config(tmp_path, text)
    done = subprocess.run([sys.executable, "-m", "workstation", "--config", str(config), "run"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "config error" in done.stderr, done.stderr
