"""Each venue's recorded answers (markets, open orders, trades, balances, positions, errors) through the
adapter: the Desk sees the venue's numbers as Decimal, our client id as ours whatever form the venue keeps
it in, what the venue left out as None, and each venue's error codes as the workstation's error kinds."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tests.venues.breadth.conftest import TEN, VENUES, answers, order, spec_for
from tests.venues.breadth.recorder import TIMEOUT
from workstation.venues.errors import VenueError


def test_all_ten_venues_are_here():
    assert VENUES == TEN


@pytest.mark.parametrize("venue_id", VENUES)
async def test_markets_load_with_the_venues_precision_and_limits(make_venue, venue_id):
    venue, _, mod = await make_venue(venue_id)
    for symbol, (tick, lot, min_amount, min_cost, kind) in mod.MARKETS.items():
        m = venue.markets[symbol]
        assert (m.tick, m.lot, m.kind) == (D(tick), D(lot), kind), (symbol, m)
        assert m.min_amount == (None if min_amount is None else D(min_amount)), (symbol, m.min_amount)
        assert m.min_cost == (None if min_cost is None else D(min_cost)), (symbol, m.min_cost)
        assert isinstance(m.taker_fee, D) and m.active


def _check(obj, want: dict) -> None:
    for key, value in want.items():
        got = getattr(obj, key)
        got = getattr(got, "value", got)  # enums by value
        if value is None:
            assert got is None, f"{key}: {got!r} (the venue did not say: must stay None)"
        elif isinstance(got, D):
            assert got == D(value), f"{key}: {got} != {value}"
        else:
            assert got == value, f"{key}: {got!r} != {value!r}"


@pytest.mark.parametrize("venue_id", VENUES)
async def test_open_orders_and_trades_parse_with_our_ids(make_venue, venue_id):
    venue, recorder, mod = await make_venue(venue_id)
    symbol = mod.PERP or mod.SPOT
    reports = await venue.fetch_open_orders(None if not venue.symbol_required("fetchOpenOrders") else symbol)
    ours = [r for r in reports if r.client_order_id == mod.PARSED_OPEN["client_order_id"]]
    assert len(ours) == 1, reports
    _check(ours[0], mod.PARSED_OPEN)
    foreign = [r for r in reports if r is not ours[0]]
    assert len(foreign) == 1
    _check(foreign[0], mod.PARSED_FOREIGN)
    fills = await venue.fetch_my_trades(getattr(mod, "TRADES_SYMBOL", symbol))
    assert len(fills) >= 1
    _check(fills[0], mod.PARSED_FILL)
    assert all(isinstance(f.price, D) and isinstance(f.amount, D) for f in fills)


@pytest.mark.parametrize("venue_id", VENUES)
async def test_balances_and_positions_parse(make_venue, venue_id):
    venue, recorder, mod = await make_venue(venue_id)
    balances = await venue.fetch_balance()
    for currency, (total, used) in mod.PARSED_BALANCE.items():
        assert balances[currency].total == D(total), (currency, balances[currency])
        if used is not None:
            assert balances[currency].used == D(used), (currency, balances[currency])
    positions = await venue.fetch_positions()
    want = getattr(mod, "PARSED_POSITION", {})
    assert set(positions) == set(want)
    for symbol, fields in want.items():
        _check(positions[symbol], fields)


def error_cases():
    for venue in VENUES:
        for what, operation, route, answer, kind in answers(venue).ERRORS:
            yield pytest.param(venue, what, operation, route, answer, kind, id=f"{venue}-{what[:40]}")


@pytest.mark.parametrize("venue_id,what,operation,route,answer,kind", list(error_cases()))
async def test_venue_error_codes_map_to_our_kinds(make_venue, venue_id, what, operation, route, answer, kind):
    venue, recorder, mod = await make_venue(venue_id)
    recorder.once(route[0], route[1], TIMEOUT if answer == "timeout" else answer)
    spec = spec_for("limit_gtc" if mod.SPOT else "perp_limit", mod, venue_id)
    calls = {
        "create_order": lambda: venue.create_order(order(spec)),
        "cancel_order": lambda: venue.cancel_order(order(spec, venue_order_id="12345")),
        "fetch_balance": venue.fetch_balance,
        "fetch_open_orders": lambda: venue.fetch_open_orders(spec.symbol),
    }
    with pytest.raises(VenueError) as raised:
        await calls[operation]()
    assert raised.value.kind is kind, (what, raised.value.kind, raised.value.message)
    assert recorder.last(route[0], route[1])  # it did reach the (recorded) venue


@pytest.mark.parametrize("venue_id,calls", [("bybit", {"category": ["spot", "linear"]}),
                                            ("gate", {"path": ["/api/v4/spot/open_orders",
                                                               "/api/v4/futures/usdt/orders"]})])
async def test_a_listing_without_symbol_asks_every_market_kind(make_venue, venue_id, calls):
    """Bybit lists one category per call and Gate splits spot from futures: an account with both must ask
    each, or the refresh never sees the orders on the other kind (found with these answers: perps missed)."""
    venue, recorder, mod = await make_venue(venue_id)
    await venue.fetch_open_orders()
    listings = [s for s in recorder.sent if s.method == "GET"]
    if "category" in calls:
        assert [s.query["category"] for s in listings] == calls["category"]
    else:
        assert [s.path for s in listings] == calls["path"]
