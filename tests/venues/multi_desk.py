"""A Desk over several fake venues at once, built the way a user's config builds it: config.parse ->
factory.build_venues -> venues.connect -> ExchangeVenue, keys from an in-memory keyring, every URL pointed
at 127.0.0.1 by the config's own ``rest_url`` / ``ws_url`` overrides (with ``{host}``, so each fake still
sees which host ccxt meant: live, testnet or demo)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from decimal import Decimal as D
from typing import Any

import keyring

from tests.fakes.keyring_backend import MemoryKeyring
from workstation import credentials
from workstation.config import parse
from workstation.desk.journal import Journal
from workstation.domain.orders import OrderSpec, OrderStatus as S, OrderType, Side
from workstation.factory import build_desk, build_venues


def pointed_at(server: Any) -> dict[str, str]:
    return {"rest_url": server.base_url + "/{host}", "ws_url": server.ws_base + "/{host}"}


@contextlib.contextmanager
def memory_keys(keys: dict[str, dict[str, str]]):
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        for venue, values in keys.items():
            credentials.store(venue, "main", values)
        yield
    finally:
        keyring.set_keyring(previous)


@contextlib.asynccontextmanager
async def desk_over(tmp_path, venues: dict[str, dict], keys: dict[str, dict[str, str]], *, start: bool = True,
                    refresh_s: float = 60.0, timeout_ms: int = 1000, **settings):
    """A started Desk over ``venues`` (the [venues] tables of a config). Yields the desk."""
    config = parse({"workstation": {"refresh_interval_s": refresh_s}, "paper": {"enabled": False},
                    "venues": venues})
    with memory_keys(keys):
        built = build_venues(config)
    for venue in built.values():
        venue.exchange.timeout = timeout_ms  # localhost answers in ms: a hang is a timeout quickly
        venue.exchange.timeout_on_exit = 0
        venue.exchange.enableRateLimit = False  # ccxt's leaky bucket in wall time would only slow the tests
    desk = build_desk(config, built, Journal(tmp_path / "journal.sqlite3"))
    for name, value in {"in_doubt_grace_s": 10.0, "in_doubt_poll_s": 0.05, "stream_retry_s": 0.05,
                        **settings}.items():
        setattr(desk.settings, name, value)
    try:
        if start:
            await desk.start()
        yield desk
    finally:
        await desk.stop()


async def until(predicate, timeout: float = 5.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def limit(venue: str, symbol: str, side: Side = Side.BUY, amount: str = "0.002", price: str = "24990", **kw):
    return OrderSpec(venue=venue, symbol=symbol, side=side, type=OrderType.LIMIT, amount=D(amount), price=D(price),
                     **kw)


async def place(desk, spec):
    staged = desk.stage(spec)
    assert staged.status is S.PENDING_APPROVAL, staged.reason
    return await desk.approve(staged.client_order_id)
