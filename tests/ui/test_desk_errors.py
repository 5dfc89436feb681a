"""Findings 8 and 9 of issue 13 in the TUI: a full disk, or any Desk error however unexpected, is shown,
logged and journaled, and the TUI keeps running; nothing is sent whose intent is not on disk."""

from __future__ import annotations

import sqlite3

from tests.boundaries.faults import fill_journal, space_returns
from workstation.ui.screens.main import MainScreen
from workstation.ui.screens.ticket import TicketScreen

from .conftest import make_app, settle


def notes(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


async def stage_from_ticket(pilot, amount: str = "0.01") -> None:
    """A market order staged for approval (ctrl+s: the ticket's enter would send it at once)."""
    await pilot.press("b")
    await pilot.pause()
    await pilot.press("ctrl+o", *amount, "ctrl+s")
    await pilot.pause()


async def test_a_full_disk_is_shown_and_the_tui_keeps_running(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await stage_from_ticket(pilot)
        await settle(pilot, app)
        (waiting,) = app.desk.pending_approvals()
        fill_journal(paper.desk.journal)
        await stage_from_ticket(pilot, "0.02")
        await settle(pilot, app)
        assert any("is full" in n for n in notes(app)), notes(app)
        assert app.is_running and not isinstance(app.screen, TicketScreen)
        app.approve(waiting.client_order_id)
        await settle(pilot, app)
        assert any("approve failed" in n and "is full" in n for n in notes(app)), notes(app)
        assert paper.create_calls == []  # nothing sent whose intent is not on disk
        space_returns(paper.desk.journal)
        app.approve(waiting.client_order_id)
        await settle(pilot, app)
        assert len(paper.create_calls) == 1 and paper.desk.journal.count("intent") == 1
        assert app.is_running


async def test_an_unexpected_error_in_a_desk_verb_is_shown_logged_and_journaled(paper, monkeypatch):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)

        def broken_stage(*args, **kwargs):
            raise sqlite3.OperationalError("disk I/O error")
        monkeypatch.setattr(paper.desk, "stage", broken_stage)
        await stage_from_ticket(pilot)
        await settle(pilot, app)
        assert any("stage failed unexpectedly" in n and "disk I/O error" in n for n in notes(app)), notes(app)
        assert app.is_running and isinstance(app.screen, MainScreen)
        rows = list(paper.desk.journal.events(("internal_error",)))
        assert rows and rows[-1].payload["where"] == "stage" and rows[-1].payload["error"] == "OperationalError"


async def test_an_unexpected_error_in_the_screen_tick_does_not_close_the_tui(paper, monkeypatch):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)

        def broken(*args, **kwargs):
            raise ArithmeticError("a bug deep in the desk")
        monkeypatch.setattr(paper.desk, "working_orders", broken)
        monkeypatch.setattr(paper.desk, "positions", broken)
        app.dirty.everything = True
        await pilot.pause(0.5)  # several ticks fail
        assert app.is_running and app.return_code is None
        assert sum("a bug deep in the desk" in n for n in notes(app)) == 1, notes(app)  # said once, not per tick
        assert list(paper.desk.journal.events(("internal_error",)))
        monkeypatch.undo()
        await pilot.press("b")  # still answers keys
        await pilot.pause()
        assert isinstance(app.screen, TicketScreen)
