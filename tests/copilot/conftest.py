from __future__ import annotations

import pytest

from workstation.config import Config, CopilotConfig, PaperConfig
from workstation.copilot import Copilot, CopilotView, ToolSession
from workstation.desk.desk import Desk
from workstation.desk.journal import Journal
from workstation.factory import paper_venue

from .fake_llm import FakeLLM


async def refresh_books(desk: Desk) -> None:
    """Pull fresh books into the Desk after the paper market moved (no background loops in these tests)."""
    for (venue, symbol) in list(desk.books):
        await desk.store_book(venue, await desk.venues[venue].fetch_book(symbol, desk.settings.book_depth))


async def move_mid(desk: Desk, symbol: str, price: str) -> None:
    desk.venues["paper"].exchange.set_mid(symbol, price)
    await refresh_books(desk)


@pytest.fixture
async def desk(tmp_path):
    d = Desk({"paper": paper_venue(Config(paper=PaperConfig(latency_ms=0)), realtime=False)},
             Journal(tmp_path / "j.sqlite3"))
    await d.connect()
    yield d
    await d.stop()


@pytest.fixture
def sent(desk):
    """Counts every create_order/edit_order/cancel_order that reaches the paper exchange."""
    exchange = desk.venues["paper"].exchange
    calls: list[tuple] = []
    for name in ("create_order", "edit_order", "cancel_order", "cancel_all_orders"):
        original = getattr(exchange, name)

        def wrap(original=original, name=name):
            async def counted(*args, **kwargs):
                calls.append((name, args))
                return await original(*args, **kwargs)
            return counted
        setattr(exchange, name, wrap())
    return calls


@pytest.fixture
def view(desk):
    return CopilotView.of(desk)


@pytest.fixture
def session(view):
    return ToolSession(view, "copilot:test", expiry_s=60)


@pytest.fixture
async def fake_llm():
    server = FakeLLM()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def rules_copilot(desk):
    return Copilot.from_desk(desk, CopilotConfig(kind="rules"))


def errors_of(desk: Desk) -> list:
    return list(desk.journal.events(("copilot_error",)))
