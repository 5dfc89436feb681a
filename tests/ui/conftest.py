"""A deterministic desk for UI tests: the paper exchange with a fixed seed, no latency, never
stepped in real time; a manual clock; a frozen status-bar clock; UTC for every shown time.

Tests make the market move with `Paper.pump()` (step the exchange, store fresh books, refresh).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from workstation.config import Config
from workstation.desk.clock import ManualClock
from workstation.desk.desk import Desk
from workstation.ui.screenshots import demo_desk
from workstation.venues.ccxt_venue import ExchangeVenue
from workstation.venues.paper.exchange import PaperExchange

os.environ["TZ"] = "UTC"
time.tzset()

SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BTC/USDT:USDT"]
FROZEN = datetime(2026, 1, 1, 9, 30, 0)
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Paper:
    exchange: PaperExchange
    venue: ExchangeVenue
    desk: Desk
    clock: ManualClock
    create_calls: list

    async def pump(self, ms: int = 500, refresh: bool = True) -> None:
        """Advance the market and the desk's clock, take fresh books, reconcile."""
        self.exchange.step(ms)
        self.clock.advance(ms)
        await self.desk.sync_books()
        if refresh:
            await self.desk.refresh()


def make_paper(tmp_path: Path, seed: int = 7) -> Paper:
    """The screenshots' demo desk, with every create_order the venue receives counted."""
    demo = demo_desk(tmp_path, seed)
    calls: list = []
    original = demo.exchange.create_order

    async def counting_create_order(*args, **kwargs):
        calls.append((args, kwargs))
        return await original(*args, **kwargs)

    demo.exchange.create_order = counting_create_order  # type: ignore[method-assign]
    return Paper(demo.exchange, demo.venue, demo.desk, demo.clock, calls)


@pytest.fixture
def paper(tmp_path) -> Paper:
    return make_paper(tmp_path)


def make_app(paper: Paper, config: Config | None = None, **kwargs):
    from workstation.ui.app import WorkstationApp

    kwargs.setdefault("start_desk", "connect")
    kwargs.setdefault("now", lambda: FROZEN)
    kwargs.setdefault("approve_guard_s", 0.0)
    kwargs.setdefault("candles_every_s", 3600)
    kwargs.setdefault("tape_every_s", 3600)
    return WorkstationApp(paper.desk, config or Config(), **kwargs)


async def settle(pilot, app) -> None:
    """Let workers finish and a couple of UI ticks run."""
    await app.workers.wait_for_complete()
    await pilot.pause()
    app.tick()
    await pilot.pause()
