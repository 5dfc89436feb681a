"""Venue profiles, one symbol across venues, and fallback, over a Desk on the fake Bybit and the fake OKX (real
ccxt classes). Figures are checked against the books and fees the venues themselves hold."""

from __future__ import annotations

import contextlib
import dataclasses
from decimal import Decimal as D

import pytest

from tests.fakes.bybit import API_KEY as BYBIT_KEY, SECRET as BYBIT_SECRET, FakeBybit
from tests.fakes.okx import API_KEY as OKX_KEY, PASSPHRASE, SECRET as OKX_SECRET, FakeOkx
from tests.venues.multi_desk import desk_over, limit, place, until
from tests.venues.test_bybit_desk import bybit_config
from tests.venues.test_okx_desk import okx_config
from workstation.desk.compare import compare, equivalents, stage_from
from workstation.desk.fallback import Fallback
from workstation.desk.profiles import Profiles, depth_bands
from workstation.domain.book import Book
from workstation.domain.orders import OrderSpec, OrderStatus as S, OrderType, Side, TimeInForce

SPOT, PERP = "BTC/USDT", "BTC/USDT:USDT"
KEYS = {"bybit_demo": {"api_key": BYBIT_KEY, "secret": BYBIT_SECRET},
        "okx_demo": {"api_key": OKX_KEY, "secret": OKX_SECRET, "passphrase": PASSPHRASE}}


@contextlib.asynccontextmanager
async def two_venues(tmp_path, **kw):
    async with FakeBybit(balances={"USDT": "3000000", "BTC": "100"}, hang_seconds=5.0) as bybit, \
            FakeOkx(balances={"USDT": "3000000", "BTC": "100"}, hang_seconds=5.0) as okx:
        # Bybit: tight, thin; OKX: a tick wider, deep
        bybit.set_book(SPOT, [[25000, 0.2], [24990, 1]], [[25001, 0.2], [25010, 1], [25200, 5]])
        bybit.set_book(PERP, [[25000, 5]], [[25000.1, 5]])
        okx.set_book(SPOT, [[24999.9, 3]], [[25001.1, 3], [25002, 10]])
        okx.set_book(PERP, [[25000, 500]], [[25000.1, 500]])
        async with desk_over(tmp_path, {**bybit_config(bybit), **okx_config(okx)}, KEYS, **kw) as desk:
            desk.set_risk_limits(max_order_notional=D("3000000"), max_position_notional=D("5000000"),
                                 duplicate_window_s=0.0, reason="the tests trade larger sizes")
            yield bybit, okx, desk


def test_depth_bands_are_inclusive_and_in_base_units():
    book = Book(PERP, ((D("100"), D("2")), (D("99.9"), D("3")), (D("99"), D("9"))),
                ((D("100.2"), D("1")), (D("101"), D("4"))))  # mid 100.1
    ten, fifty, hundred = depth_bands(book, D("0.01"))
    assert (ten.bid_amount, ten.ask_amount) == (D("0.02"), D("0.01"))  # 99.9 is 20 bps down: out of 10
    assert (fifty.bid_amount, fifty.ask_amount) == (D("0.05"), D("0.01"))  # 101 is 90 bps up
    assert (hundred.bid_amount, hundred.ask_amount) == (D("0.05"), D("0.05"))  # 99 is 110 bps down
    assert hundred.bid_notional == D("0.02") * 100 + D("0.03") * D("99.9")


async def test_profiles_carry_account_fees_depth_rules_status_and_budget(tmp_path):
    async with two_venues(tmp_path) as (bybit, okx, desk):
        profiles = Profiles(desk)
        before = profiles.profile("bybit_demo", SPOT)
        assert before.fee_source == "published" and before.status == "unknown"
        okx.maintenance = [{"state": "scheduled", "begin": 1893456000000, "end": 1893459600000}]
        assert await profiles.refresh() == {"bybit_demo": None, "okx_demo": None}
        p = profiles.profile("bybit_demo", SPOT)
        assert (p.taker_fee, p.maker_fee, p.fee_source) == (D("0.0006"), D("0.0001"), "account")
        assert (p.tick, p.lot, p.min_notional, p.kind) == (D("0.01"), D("0.000001"), D("1"), "spot")
        # mid 25000.5: 10 bps reaches 25025.5 up and 24975.5 down; 25200 is 78 bps up
        assert (p.band(10).bid_amount, p.band(10).ask_amount, p.band(100).ask_amount) == (D("1.2"), D("1.2"), D("6.2"))
        assert p.status == "ok" and p.streams in ("live", "polling")
        assert 0 < p.rate_remaining <= p.rate_capacity
        o = profiles.profile("okx_demo", PERP)
        assert (o.taker_fee, o.fee_source) == (D("0.0009"), "account") and o.contract_size == D("0.01")
        assert o.band(10).bid_amount == D("5")  # 500 contracts x 0.01 BTC
        assert o.maintenance_eta_ms == 1893459600000 and o.status == "ok"  # scheduled, not yet ongoing
        okx.maintenance = [{"state": "ongoing", "begin": 1, "end": 1893459600000}]
        await profiles.refresh(["okx_demo"])
        assert profiles.profile("okx_demo", SPOT).status == "maintenance"
        assert {(q.venue, q.symbol) for q in profiles.profiles()} == {(v, s) for v in KEYS for s in (SPOT, PERP)}


async def test_one_symbol_across_venues_ranks_the_all_in_price_and_stages_the_best(tmp_path):
    async with two_venues(tmp_path) as (bybit, okx, desk):
        profiles = Profiles(desk)
        await profiles.refresh()
        assert equivalents(desk, SPOT) == [("bybit_demo", SPOT), ("okx_demo", SPOT)]
        small = compare(desk, SPOT, "buy", D("0.1"), profiles=profiles)
        assert small.best.venue == "bybit_demo"  # 25001 x 1.0006 < 25001.1 x 1.0009
        assert small.best.all_in == D("25001") * D("1.0006")
        large = compare(desk, SPOT, "buy", D("2"), profiles=profiles)
        # Bybit walks 0.2 @ 25001, 1 @ 25010, 0.8 @ 25200; OKX fills 2 @ 25001.1
        bybit_quote = next(q for q in large.quotes if q.venue == "bybit_demo")
        assert bybit_quote.average == (D("0.2") * 25001 + 25010 + D("0.8") * 25200) / 2
        assert large.best.venue == "okx_demo" and bybit_quote.vs_best_bps > 0
        huge = compare(desk, SPOT, "buy", D("50"), profiles=profiles)
        assert huge.best is None and all("the book holds only" in " ".join(q.problems) for q in huge.quotes)
        sent_before = bybit.count("POST /v5/order/create") + okx.count("POST /api/v5/trade/batch-orders")
        staged = stage_from(desk, large)
        assert (staged.status, staged.venue, staged.spec.type, staged.spec.time_in_force) == (
            S.PENDING_APPROVAL, "okx_demo", OrderType.LIMIT, TimeInForce.IOC)
        assert staged.spec.price == D("25001.1") and "cross-venue" in staged.spec.rationale
        assert bybit.count("POST /v5/order/create") + okx.count("POST /api/v5/trade/batch-orders") == sent_before
        with pytest.raises(ValueError, match="no venue can fill it now"):
            stage_from(desk, huge)


async def test_a_venue_in_maintenance_gets_the_same_order_proposed_elsewhere_never_sent(tmp_path):
    async with two_venues(tmp_path) as (bybit, okx, desk):
        fallback = Fallback.attach(desk)
        okx.fail_next("POST /api/v5/trade/batch-orders", "server_error", times=10)  # 50001: in maintenance
        refused = await place(desk, limit("okx_demo", SPOT, amount="0.01", price="24990"))
        assert refused.status is S.REJECTED and "OnMaintenance" in refused.reason
        await until(lambda: fallback.proposals, what="the fallback")
        proposal = fallback.proposals[0]
        assert (proposal.category, proposal.status) == ("venue_unavailable", "staged")
        alt = desk.order(proposal.staged)
        assert (alt.status, alt.venue, alt.symbol, alt.amount, alt.spec.price) == (
            S.PENDING_APPROVAL, "bybit_demo", SPOT, D("0.01"), D("24990"))
        assert "fallback for " + refused.client_order_id in alt.spec.rationale
        assert bybit.count("POST /v5/order/create") == 0  # proposed, never sent
        assert len(fallback.proposals) == 1
        await desk.approve(alt.client_order_id)  # a human's decision sends it
        assert bybit.order(alt.client_order_id).status == "new"


async def test_an_unsupported_flag_or_a_size_over_the_venue_limit_is_proposed_where_it_fits(tmp_path):
    async with two_venues(tmp_path) as (bybit, okx, desk):
        fallback = Fallback.attach(desk)
        key = ("bybit_demo", SPOT)  # a venue without FOK on this market (as Kraken spot has none)
        desk.markets[key] = dataclasses.replace(desk.markets[key], capabilities=desk.markets[key].capabilities - {"FOK"})
        denied = desk.stage(limit("bybit_demo", SPOT, amount="0.01", price="25001", time_in_force=TimeInForce.FOK))
        assert denied.status is S.DENIED and "tif_unsupported" in denied.reason
        await until(lambda: fallback.proposals, what="the fallback")
        alt = desk.order(fallback.proposals[0].staged)
        assert (alt.venue, alt.spec.time_in_force, alt.status) == ("okx_demo", TimeInForce.FOK, S.PENDING_APPROVAL)

        big = desk.stage(OrderSpec("okx_demo", SPOT, Side.SELL, OrderType.LIMIT, D("45"), price=D("26000")))
        assert big.status is S.DENIED and "cost_max" in big.reason  # OKX: at most 1,000,000 USDT an order
        await until(lambda: len(fallback.proposals) == 2, what="the second fallback")
        second = fallback.proposals[1]
        assert second.category == "size_limit" and desk.order(second.staged).venue == "bybit_demo"  # 2,000,000
        assert desk.order(second.staged).status is S.PENDING_APPROVAL

        desk.set_risk_limits("bybit_demo", max_order_notional=D("500000"), reason="a tighter limit there")
        again = desk.stage(OrderSpec("okx_demo", SPOT, Side.SELL, OrderType.LIMIT, D("44"), price=D("26000")))
        await until(lambda: len(fallback.proposals) == 3, what="the third fallback")
        third = fallback.proposals[2]  # the alternative meets our own limit there: shown, denied, nothing staged
        assert again.status is S.DENIED and (third.status, desk.order(third.staged).status) == ("denied", S.DENIED)
        assert "max_order_notional" in third.detail

        nothing = desk.stage(limit("okx_demo", SPOT, amount="0.01", price="25000.05"))  # off the tick: no other path
        assert nothing.status is S.DENIED
        await desk.refresh()
        assert len(fallback.proposals) == 3
