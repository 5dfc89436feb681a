"""The copilot log panel shows each turn's calls, results and errors; a schedule is confirmed once."""

from __future__ import annotations

from workstation.copilot.calllog import CallEntry, TurnLogged
from workstation.copilot.service import CopilotError
from workstation.ui.widgets.copilot_log import CopilotLog

from .conftest import make_app, settle


def lines(panel: CopilotLog) -> list[str]:
    return [strip.text for strip in panel.lines]


async def test_each_turn_shows_its_calls_results_and_errors(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.main_screen.show_tab("copilot-log", focus=False)
        await app.copilot.ask("buy 0.01 BTC at 64,000")
        await app.copilot.ask("buy 0.01 BTC at 1")  # outside the price collar: the tool says why
        await settle(pilot, app)
        panel = app.main_screen.query_one(CopilotLog)
        shown = "".join(lines(panel))  # (wrapped lines rejoined)
        assert panel.turns == 2 and panel.errors == 1
        assert "you: buy 0.01 BTC at 64,000" in shown
        assert '-> stage_order {"venue":"paper","symbol":"BTC/USDT","side":"buy"' in shown
        assert "proposal cp" in shown and "BTC/USDT: buy 0.01 limit @ 64000" in shown
        assert "!! stage_order" in shown and "price_collar" in shown
        assert "copilot (" in shown and "Proposed for your approval" in shown


async def test_the_panel_shows_model_text_as_text_and_stays_bounded():
    panel = CopilotLog(clock=lambda: (2026, 1, 1, 9, 30, 0, 3, 1, 0))
    calls = (CallEntry("get_book", '{"symbol":"[b]ETH[/b]"}', True, "bids, asks"),)
    from textual.app import App

    class Host(App):
        def compose(self):
            yield panel

    async with Host().run_test(size=(100, 20)) as pilot:
        for i in range(400):
            panel.add(TurnLogged(f"ask {i}", "[red]not markup[/red]", calls, 0.1))
        panel.add(CopilotError("timeout", "the copilot took longer than 30s"))
        panel.add(CopilotError("unknown_tool", "already in its turn", tool="place_order"))
        await pilot.pause()
        shown = lines(panel)
        assert len(shown) <= 1000 and panel.turns == 400 and panel.errors == 1
        assert shown[-1] == "09:30:00 error (timeout): the copilot took longer than 30s"
        assert any("[red]not markup[/red]" in line for line in shown)
        assert any('{"symbol":"[b]ETH[/b]"}' in line for line in shown)


async def test_a_schedule_proposal_is_confirmed_once_from_the_approval_queue(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        reply = await app.copilot.ask("scale into 0.02 BTC below 65,000 over the next hour")
        (proposal,) = [app.copilot.proposal(pid) for pid in reply.proposals]
        assert proposal.kind == "schedule" and str(proposal.new_amount) == "0.02"
        await settle(pilot, app)
        assert f"cp:{proposal.id}" in app.main_screen.query_one("#approvals-table")._cells  # waits in the queue
        assert paper.create_calls == []  # proposing sends nothing
        app.confirm_suggestion(proposal.id)
        await settle(pilot, app)
        schedule = app.desk.schedules.get(proposal.schedule_id)
        assert schedule.status == "running" and schedule.approved_by == "human"
        approvals = list(app.desk.journal.events(("schedule_approved",)))
        assert [e.actor for e in approvals] == ["human"]
