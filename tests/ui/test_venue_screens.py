"""The venue screens in the TUI, on two paper venues: profiles (V), one symbol across venues (B), and a fallback
proposal after a venue in maintenance refused an order. Nothing reaches a venue without an approval."""

from __future__ import annotations

from decimal import Decimal

from workstation.desk.profiles import depth_bands
from workstation.domain.orders import OrderSpec, OrderStatus, Side
from workstation.ui.screens.compare import CompareScreen, CompareTable
from workstation.ui.screens.profiles import ProfilesScreen, ProfilesTable, compact
from workstation.ui.screenshots import demo_desk
from workstation.ui.widgets.approvals import ApprovalsTable

from .conftest import make_app, settle


def two_venues(tmp_path):
    demo = demo_desk(tmp_path, second_venue=True)
    calls = []  # (venue, create_order args) for every order a venue was asked to take
    for name, exchange in (("paper", demo.exchange), ("paper_b", demo.others[0])):
        original = exchange.create_order

        async def counting(*args, _original=original, _name=name, **kwargs):
            calls.append((_name, args))
            return await _original(*args, **kwargs)

        exchange.create_order = counting
    return demo, calls


def cell(table, row: str, column: str) -> str:
    return str(table.get_cell(row, column)).strip()


async def test_profiles_screen_shows_every_market_with_the_books_depth(tmp_path):
    demo, _ = two_venues(tmp_path)
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("V")
        await settle(pilot, app)
        assert isinstance(app.screen, ProfilesScreen)
        table = app.screen.query_one(ProfilesTable)
        assert table.row_count == 8  # 4 symbols on each of the two venues
        band = depth_bands(demo.desk.book("paper_b", "SOL/USDT"))[0]
        shown = cell(table, "paper_b|SOL/USDT", "d10")
        assert shown == f"{'' if band.bid_complete else '≥'}{compact(band.bid_notional)}|" \
                        f"{'' if band.ask_complete else '≥'}{compact(band.ask_notional)}"
        assert cell(table, "paper|BTC/USDT", "fees") == "0.100/0.100*"  # paper publishes its fee only
        assert "tick 0.01" in str(app.screen.query_one("#profiles-detail").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, ProfilesScreen)


async def test_cross_venue_view_stages_the_best_venue_for_approval_only(tmp_path):
    demo, calls = two_venues(tmp_path)
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("B")
        await settle(pilot, app)
        assert isinstance(app.screen, CompareScreen)
        await pilot.press(*"0.3")
        await settle(pilot, app)
        best = app.screen.comparison.best
        books = {v: demo.desk.book(v, "BTC/USDT") for v in ("paper", "paper_b")}
        walks = {v: b.walk(Side.BUY, Decimal("0.3")) for v, b in books.items()}
        assert best.venue == min(walks, key=lambda v: walks[v].average)  # same fee on both: the walk decides
        assert "best all-in" in cell(app.screen.query_one(CompareTable), best.venue, "note")
        await pilot.press("ctrl+t")
        await settle(pilot, app)
        assert app.screen.comparison.side.value == "sell"
        await pilot.press("ctrl+t", "ctrl+s")
        await settle(pilot, app)
        staged = demo.desk.pending_approvals()
        assert len(staged) == 1 and staged[0].venue == best.venue and staged[0].spec.time_in_force.value == "IOC"
        assert staged[0].spec.price == walks[best.venue].worst_price and not calls  # staged, nothing sent


async def test_a_refusal_in_maintenance_shows_a_fallback_waiting_for_approval(tmp_path):
    demo, calls = two_venues(tmp_path)
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        demo.others[0].start_maintenance(600_000)
        bid = demo.desk.book("paper_b", "BTC/USDT").best_bid
        order = demo.desk.stage(OrderSpec("paper_b", "BTC/USDT", "buy", "limit", Decimal("0.05"), price=bid))
        refused = await demo.desk.approve(order.client_order_id)
        assert refused.status is OrderStatus.REJECTED
        await settle(pilot, app)
        proposal = app.fallback.proposals[0]
        assert proposal.status == "staged" and demo.desk.order(proposal.staged).venue == "paper"
        await pilot.press("w")
        await settle(pilot, app)
        assert app.main_screen.query_one(ApprovalsTable).row_count == 1
        assert {venue for venue, _ in calls} == {"paper_b"}  # refused there; nothing sent to paper
