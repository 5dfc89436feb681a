"""Shared fixtures: a deterministic Desk on the paper exchange, no wall-time stepping, no network."""

from __future__ import annotations

import pytest

from workstation.desk.desk import Desk, DeskSettings
from workstation.desk.journal import Journal
from workstation.venues.ccxt_venue import ExchangeVenue
from workstation.venues.paper.exchange import PaperExchange


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path, monkeypatch):
    """No test reads the user's config or writes into the user's data dir."""
    monkeypatch.setenv("WORKSTATION_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("WORKSTATION_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


def make_desk(path, exchange: PaperExchange | None = None, **settings) -> Desk:
    exchange = exchange or PaperExchange(seed=11, latency=None)
    venue = ExchangeVenue("paper", exchange, "paper")
    return Desk({"paper": venue}, Journal(path), settings=DeskSettings(**settings),
                symbols={"paper": ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BTC/USDT:USDT"]})


@pytest.fixture
async def desk(tmp_path):
    desk = make_desk(tmp_path / "journal.sqlite3", in_doubt_grace_s=2.0, in_doubt_poll_s=0.01)
    await desk.connect()
    yield desk
    await desk.stop()
