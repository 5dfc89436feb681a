"""Pilot tests for the engine features wired into the TUI: the copilot, order types and groups in the
ticket, the kill switch and trading state, reconciliation, audit, TCA, venue banners and alerts."""

from __future__ import annotations

from decimal import Decimal

from workstation.desk.events import RiskAlert
from workstation.domain.orders import OrderStatus
from workstation.ui.screens.audit import AuditScreen, AuditTable
from workstation.ui.screens.copilot import PromptScreen
from workstation.ui.screens.kill import ConfirmScreen, KillScreen
from workstation.ui.screens.proposal import EditScreen, ProposalScreen, ReasonScreen
from workstation.ui.screens.reconcile import DifferencesTable, ReconcileScreen
from workstation.ui.screens.tca import TcaScreen
from workstation.ui.screens.ticket import TicketScreen
from workstation.ui.widgets.approvals import ApprovalsTable
from workstation.ui.widgets.orders import OrdersTable

from .conftest import make_app, settle
from .test_flow import rich_text


def decisions(paper) -> list:
    return list(paper.desk.journal.events(("copilot_decision",)))


async def ask(pilot, app, prompt: str) -> list[str]:
    """Type a prompt on the copilot line; wait for its answer; the staged order ids."""
    before = {p.id for p in app.copilot.proposals()}
    await pilot.press("slash")
    await pilot.pause()
    assert isinstance(app.screen, PromptScreen)
    app.screen.query_one("#prompt").value = prompt
    await pilot.press("enter")
    for _ in range(200):
        new = [p for p in app.copilot.proposals() if p.id not in before]
        if new and app.copilot.status != "thinking":
            break
        await pilot.pause(0.01)
    await settle(pilot, app)
    new = [p for p in app.copilot.proposals() if p.id not in before]
    assert new, app.copilot_log
    return [cid for p in new for cid in p.client_order_ids]


def status_text(app, widget: str) -> str:
    return str(app.main_screen.query_one(f"#{widget}").render())


async def test_copilot_proposal_detail_approve_once(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        assert "copilot idle" in status_text(app, "copilot")
        (cid,) = await ask(pilot, app, "buy 0.1 ETH at 3,150")
        order = app.desk.order(cid)
        assert order.status is OrderStatus.PENDING_APPROVAL and order.spec.origin.value == "copilot"
        table = app.main_screen.query_one(ApprovalsTable)
        assert app.main_screen.visible_tab("approvals")
        assert table._cells[cid][-1].plain.strip() == "copilot"  # marked in the queue
        assert paper.create_calls == []
        table.select_key(cid)
        table.focus()
        await paper.pump(2000, refresh=False)  # the market moves on after the proposal
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, ProposalScreen)
        body = rich_text(app.screen.query_one("#proposal-body").content)
        for expected in ("Rationale", "You asked to buy 0.1 ETH", "Orders", "Changes", "position", "exposure",
                         "Slip", "Since", "2s ago", "mid 3200.00 →", "approvable"):
            assert expected in body, expected
        await pilot.press("a")
        await settle(pilot, app)
        await settle(pilot, app)
        assert len(paper.create_calls) == 1
        assert app.desk.order(cid).status is OrderStatus.OPEN
        (row,) = decisions(paper)
        assert row.payload["decision"] == "approved" and row.actor == "human"
        await pilot.press("a")  # nothing left to approve: never a second send
        await settle(pilot, app)
        assert len(paper.create_calls) == 1


async def test_copilot_reject_with_reason_and_edit_then_approve(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        (first,) = await ask(pilot, app, "buy 0.1 ETH at 3,150")
        app.main_screen.query_one(ApprovalsTable).select_key(first)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ReasonScreen)
        await pilot.press(*"too far from the touch", "enter")
        await settle(pilot, app)
        assert app.desk.order(first).status is OrderStatus.DECLINED
        (row,) = decisions(paper)
        assert row.payload["decision"] == "rejected" and row.payload["reason"] == "too far from the touch"
        # edit, then approve
        (second,) = await ask(pilot, app, "buy 0.1 ETH at 3,150")
        app.main_screen.query_one(ApprovalsTable).select_key(second)
        await pilot.press("v")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EditScreen)
        app.screen.query_one("#edit-amount").value = "0.05"
        await pilot.press("enter")
        await settle(pilot, app)
        await settle(pilot, app)
        order = app.desk.order(second)
        assert order.amount == Decimal("0.05") and order.status is OrderStatus.OPEN
        assert len(paper.create_calls) == 1
        row = decisions(paper)[-1]
        assert row.payload["decision"] == "edited" and row.payload["edits"] == {"amount": "0.05"}


async def test_auto_propose_sends_nothing_until_a_human_approves(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("P")
        await pilot.pause()
        assert app.copilot.auto_propose_s > 0 and app.copilot._timer is not None
        app.copilot.set_auto_propose(3600)  # the timer stays armed; the rounds are driven by hand below
        for symbol, mid in (("ETH/USDT", "3050"), ("BTC/USDT:USDT", "68000"), ("SOL/USDT", "120")):
            paper.exchange.set_mid(symbol, mid)
            await paper.pump(500)
            await app.copilot.auto_tick()
            await settle(pilot, app)
        proposals = app.copilot.proposals("pending")
        assert len(proposals) >= 2
        assert paper.create_calls == []
        cids = {o.client_order_id for o in app.desk.pending_approvals()}
        assert {cid for p in proposals for cid in p.client_order_ids} <= cids
        assert "auto" in status_text(app, "copilot")
        # a human approves one: exactly that goes out
        cid = proposals[0].client_order_ids[0]
        app.main_screen.show_tab("approvals")
        app.main_screen.query_one(ApprovalsTable).select_key(cid)
        await pilot.press("a")
        await settle(pilot, app)
        assert len(paper.create_calls) >= 1
        assert all(call[0][0] == proposals[0].symbol for call in paper.create_calls)
        await pilot.press("C")  # copilot off: the timer stops
        await settle(pilot, app)
        assert app.copilot.status == "off" and app.copilot._timer is None
        assert "copilot off" in status_text(app, "copilot")


async def test_copilot_cancel_suggestion_confirmed_by_the_human(paper):
    from workstation.copilot import ToolSession

    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        order = app.desk.stage(_limit(app, "0.02"))
        await app.desk.approve(order.client_order_id)
        session = ToolSession(app.copilot.view, "copilot:rules", on_proposal=app.copilot._on_proposal)
        result = await session.call("propose_cancel", {"client_order_id": order.client_order_id,
                                                       "rationale": "the bid moved away"})
        assert result.ok, result.message()
        await settle(pilot, app)
        key = f"cp:{result.proposal.id}"
        table = app.main_screen.query_one(ApprovalsTable)
        assert key in table._cells and table._cells[key][3].plain.strip() == "cancel"
        app.main_screen.show_tab("approvals")
        table.select_key(key)
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, ProposalScreen)
        assert "the bid moved away" in rich_text(app.screen.query_one("#proposal-body").content)
        await pilot.press("a")
        await settle(pilot, app)
        await settle(pilot, app)
        assert app.desk.order(order.client_order_id).status is OrderStatus.CANCELED
        assert decisions(paper)[-1].payload["decision"] == "approved"
        assert key not in table._cells


def _limit(app, amount: str, side: str = "buy", symbol: str = "BTC/USDT"):
    from workstation.domain.orders import OrderSpec

    book = app.desk.book("paper", symbol)
    return OrderSpec("paper", symbol, side, "limit", Decimal(amount),
                     price=book.best_bid - 50 if side == "buy" else book.best_ask + 50)


async def test_ticket_bracket_and_emulated_trailing_stop(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        mid = app.desk.book("paper", "BTC/USDT").mid
        await pilot.press("b")
        await pilot.pause()
        ticket = app.screen
        assert isinstance(ticket, TicketScreen)
        await pilot.press(*(["ctrl+o"] * 7))  # ... trailing stop, bracket
        await pilot.pause()
        assert ticket.query_one("#type").value == "bracket"
        assert ticket.query_one("#stop").display and not ticket.query_one("#start").display
        ticket.query_one("#amount").value = "0.01"
        ticket.query_one("#price").value = str(app.desk.book("paper", "BTC/USDT").best_bid)
        ticket.query_one("#stop").value = str(mid - 500)
        ticket.query_one("#tp").value = str(mid + 800)
        await pilot.pause()
        assert ticket.last_problems == [] and ticket.last_request.group == "bracket", ticket.last_error
        explain = rich_text(ticket.query_one("#ticket-explain").content)
        assert "entry: sent to paper on approval" in explain
        assert "emulated locally: needs the workstation running" in explain
        await pilot.press("ctrl+s")  # stage only: a group waits for one approval
        await settle(pilot, app)
        pending = app.desk.pending_approvals()
        assert len(pending) == 3 and app.desk.group(pending[0].client_order_id).kind == "bracket"
        # a trailing stop on the mark price: held locally
        await pilot.press("s")
        await pilot.pause()
        ticket = app.screen
        await pilot.press(*(["ctrl+o"] * 6), "ctrl+b")  # trailing stop; fires on mark
        await pilot.pause()
        assert not ticket.query_one("#price").display and ticket.query_one("#trail").display
        ticket.query_one("#amount").value = "0.01"
        ticket.query_one("#trail").value = "0.5%"
        await pilot.pause()
        spec = ticket.last_spec
        assert spec is not None, ticket.last_error
        assert spec.type.value == "trailing_stop" and spec.trailing_percent == Decimal("0.5")
        assert spec.trigger_by.value == "mark"
        assert ticket.last_explain.startswith("emulated locally: needs the workstation running")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        cid = max(o.client_order_id for o in app.desk.pending_approvals())
        app.main_screen.query_one(ApprovalsTable).select_key(cid)
        await pilot.press("a")
        await settle(pilot, app)
        assert app.desk.order(cid).status is OrderStatus.EMULATED
        assert paper.create_calls == []  # held here, not at the venue
        app.main_screen.show_tab("orders")
        app.tick()
        await pilot.pause()
        cells = app.main_screen.query_one(OrdersTable)._cells[cid]
        assert cells[5].plain.strip() == "EMULATED"
        (view,) = app.desk.emulated_orders()
        assert cells[8].plain.strip() == f"{view.trigger_level:.2f}"


async def test_kill_switch_halts_cancels_and_rearm(paper):
    app = make_app(paper)
    notes = []
    notify = app.notify
    app.notify = lambda message, **kw: (notes.append((message, kw)), notify(message, **kw))  # type: ignore
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        for amount in ("0.01", "0.02"):
            order = app.desk.stage(_limit(app, amount))
            await app.desk.approve(order.client_order_id)
        app.desk.stage(_limit(app, "0.03", "sell"))
        assert len(await paper.exchange.fetch_open_orders("BTC/USDT")) == 2
        await settle(pilot, app)
        assert not app.main_screen.query_one("#trading").display
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert isinstance(app.screen, KillScreen)
        summary = str(app.screen.query_one("#kill-summary").render())
        assert "decline 1 proposal" in summary and "cancel 2 working" in summary
        await pilot.press("y")
        await settle(pilot, app)
        await settle(pilot, app)
        assert await paper.exchange.fetch_open_orders() == []
        assert app.desk.working_orders() == [] and app.desk.pending_approvals() == []
        assert app.desk.trading_state("paper").value == "halted"
        trading = app.main_screen.query_one("#trading")
        assert trading.display and "HALTED" in str(trading.render()) and trading.has_class("-halted")
        kill_notes = [m for m, kw in notes if kw.get("title") == "Kill switch"]
        assert kill_notes and "Canceled 2" in kill_notes[0] and "zero working orders after" in kill_notes[0]
        # re-arm: deliberate, with a confirmation
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.desk.trading_state("paper").value == "halted"
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot, app)
        assert app.desk.trading_state("paper").value == "active"
        assert not app.main_screen.query_one("#trading").display


async def test_kill_escape_keeps_trading_and_palette_has_kill(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        order = app.desk.stage(_limit(app, "0.01"))
        await app.desk.approve(order.client_order_id)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"kill switch")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, KillScreen)
        await pilot.press("F")  # flatten asks a second time
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "FLATTEN" in str(app.screen.query_one(".dialog-title").render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, KillScreen)
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.desk.trading_state("paper").value == "active"
        assert len(await paper.exchange.fetch_open_orders()) == 1


async def test_reconcile_screen_adopt_and_ignore_external_orders(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        assert "in sync" in status_text(app, "reconcile")
        book = app.desk.book("paper", "ETH/USDT")
        # placed behind the Desk's back (another app, the exchange's web page)
        await paper.exchange.create_order("ETH/USDT", "limit", "sell", 0.5, float(book.best_ask + 20))
        await paper.exchange.create_order("ETH/USDT", "limit", "buy", 0.4, float(book.best_bid - 20))
        await app.desk.refresh()
        await settle(pilot, app)
        assert "2 differences" in status_text(app, "reconcile")
        await pilot.press("R")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReconcileScreen)
        table = screen.query_one(DifferencesTable)
        open_keys = [k for k, v in screen.views.items() if v.needs_human]
        assert len(open_keys) == 2
        assert all(screen.views[k].kind == "unknown_order" for k in open_keys)
        table.select_key(open_keys[0])
        await pilot.press("a")
        await settle(pilot, app)
        table.select_key(open_keys[1])
        await pilot.press("i")
        await settle(pilot, app)
        screen.update_view()
        resolutions = {screen.views[k].resolution for k in open_keys}
        assert resolutions == {"adopted", "ignored"}
        assert not any(v.needs_human for v in screen.views.values())
        await pilot.press("escape")
        await settle(pilot, app)
        assert "in sync" in status_text(app, "reconcile")


async def test_audit_lists_decisions_with_actors_and_tca_opens(paper):
    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        from .test_flow import open_ticket_and_stage

        cid = await open_ticket_and_stage(pilot, app, "0.01")
        await pilot.press("a")
        await settle(pilot, app)
        other = await open_ticket_and_stage(pilot, app, "0.02", key="s")
        await pilot.press("x")
        await pilot.pause()
        await pilot.press(*"spread too wide", "enter")
        await settle(pilot, app)
        await pilot.press("A")
        await settle(pilot, app)
        assert isinstance(app.screen, AuditScreen)
        entries = app.screen.entries
        kinds = {(e.kind, e.client_order_id): e for e in entries}
        assert kinds[("staged", cid)].actor == "human"
        assert kinds[("approved", cid)].actor == "human"
        assert kinds[("declined", other)].why == "spread too wide"
        assert len(app.screen.query_one(AuditTable)._cells) == len(entries)
        await pilot.press("escape")
        await pilot.press("T")
        await pilot.pause()
        assert isinstance(app.screen, TcaScreen)
        assert app.screen.rows and app.screen.rows[0]["client_order_id"] == cid
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main_screen


async def test_risk_alerts_are_coalesced(paper):
    app = make_app(paper)
    notes = []
    app.notify = lambda message, **kw: notes.append((message, kw))  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        notes.clear()
        for _ in range(6):
            app.desk.bus.publish(RiskAlert("paper: rate limit close", "warning"))
        app.desk.bus.publish(RiskAlert("paper: HALTED", "error"))
        app.tick()
        for _ in range(4):
            app.desk.bus.publish(RiskAlert("paper: rate limit close", "warning"))
        app.tick()
        risk = [(m, kw["severity"]) for m, kw in notes if kw.get("title") == "Risk"]
        assert risk == [("paper: rate limit close", "warning"), ("paper: HALTED", "error")]
        app._alert_seen["paper: rate limit close"] = (-1e9, app._alert_seen["paper: rate limit close"][1])
        app.desk.bus.publish(RiskAlert("paper: rate limit close", "warning"))
        app.tick()
        assert notes[-1][0] == "paper: rate limit close (and 9 more like it)"
        # the start-up recovery summary: shown once
        app.desk.recovery = {"orders_adopted": ["ext-1"], "fills_recovered": ["t1", "t2"], "orders_updated": [],
                             "intents_found": [], "intents_not_found": [], "reconciled": True}
        app.desk._recovery_shown = False
        app.show_recovery()
        app.show_recovery()
        recovery = [m for m, kw in notes if kw.get("title") == "Recovery"]
        assert len(recovery) == 1
        assert "1 external order(s) adopted" in recovery[0] and "2 fill(s) recovered" in recovery[0]


async def test_several_venues_each_show_their_environment(tmp_path):
    from workstation.desk.clock import ManualClock
    from workstation.desk.desk import Desk
    from workstation.desk.journal import Journal
    from workstation.venues.ccxt_venue import ExchangeVenue
    from workstation.venues.paper.exchange import PaperExchange

    venues = {"paper": ExchangeVenue("paper", PaperExchange(seed=7, latency=None), environment="paper"),
              "live": ExchangeVenue("live", PaperExchange(seed=8, latency=None), environment="live")}
    desk = Desk(venues, Journal(tmp_path / "j.sqlite3"), clock=ManualClock(),
                symbols={"paper": ["BTC/USDT"], "live": ["ETH/USDT"]})
    from .conftest import Paper

    app = make_app(Paper(None, None, desk, desk.clock, []))
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot, app)
        bar = app.main_screen.query_one("#status")
        banners = {str(w.render()).strip(): w for w in bar.query(".env-venue")}
        assert set(banners) == {"paper PAPER", "live LIVE"}
        assert banners["live LIVE"].has_class("-live") and banners["paper PAPER"].has_class("-paper")
        assert not app.main_screen.query_one("#env").display


async def test_ladder_formats_columns_once_per_snapshot_and_chart_is_throttled(paper):
    from workstation.ui.widgets.chart import PriceChart
    from workstation.ui.widgets.dom import Dom

    app = make_app(paper)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        ladder = app.main_screen.query_one(Dom)
        before = ladder.prepared
        lines = [ladder.render_line(y) for y in range(ladder.size.height)]
        assert ladder.prepared - before <= 1 and len(lines) > 20
        await paper.pump(500)
        app.tick()
        [ladder.render_line(y) for y in range(ladder.size.height)]
        [ladder.render_line(y) for y in range(ladder.size.height)]
        assert ladder.prepared - before <= 2
        chart = app.main_screen.query_one(PriceChart)
        assert chart.min_interval_s >= 0.5
        chart.maybe_redraw(force=True)
        drawn = chart.draw_count
        assert not chart.maybe_redraw()  # nothing changed: no rebuild
        chart.set_candles(chart.symbol, list(chart.candles))  # the same bars again: still nothing to do
        assert not chart._stale
        chart.set_mid(chart.last + 1 if chart.last is not None else Decimal(1))
        assert not chart.maybe_redraw()  # changed, but too soon after the last draw
        assert chart.draw_count == drawn
