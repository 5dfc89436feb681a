"""Every order type, flag and time in force the workstation offers, on ten venues: the HTTP request the real
ccxt class signs carries the venue's own fields (our client id in the venue's field and format, post-only,
reduce-only, time in force, trigger price, direction and source), or the workstation says before sending
that the venue cannot do it, or holds it locally with the reason.

The expectations live with each venue's recorded answers (answers/<venue>.py, ``EXPECT``):
a (method, path, fields) triple for what is sent, a string for the reason an order is held or refused.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tests.venues.breadth.conftest import CID, VENUES, answers, order, spec_for
from workstation.domain.orders import OrderStatus as S
from workstation.venues.errors import ErrorKind, VenueError

ORDER_CASES = ("limit_gtc", "limit_ioc", "limit_fok", "post_only", "market_buy", "market_sell", "stop_market_sell",
               "stop_limit_buy", "take_profit_limit_sell", "take_profit_market_buy", "trailing_percent",
               "trailing_amount", "trailing_activation", "stop_mark", "perp_limit", "perp_stop_market_sell",
               "perp_stop_limit_buy", "perp_take_profit_limit_sell", "perp_take_profit_market_buy", "perp_stop_mark",
               "perp_stop_mid", "perp_trailing_percent", "perp_trailing_amount", "perp_reduce_only",
               "perp_post_only", "reduce_only")


def _lookup(params, dotted: str):
    node = params
    for part in dotted.split("."):
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(dotted)
    return node


def _norm(value):
    """Compare as the venue reads: "true" == True, "26000.0" == 26000 == "26000"."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return D(str(value))
    if isinstance(value, str):
        if value.lower() in ("true", "false"):
            return value.lower()
        try:
            return D(value)
        except Exception:  # noqa: BLE001 - not a number
            return value
    return value


def assert_fields(sent, fields: dict, subs: dict) -> None:
    params = sent.params
    for key, want in fields.items():
        if key.startswith("-"):
            with pytest.raises(KeyError):
                _lookup(params, key[1:])
            continue
        want = subs.get(want, want) if isinstance(want, str) else want
        try:
            got = _lookup(params, key)
        except KeyError:
            raise AssertionError(f"{key} missing from {sent.method} {sent.path}: {params}") from None
        assert _norm(got) == _norm(want), f"{key}: sent {got!r}, expected {want!r} in {params}"


def cases():
    for venue in VENUES:
        expect = answers(venue).EXPECT
        for case in ORDER_CASES:
            if case in expect:
                yield pytest.param(venue, case, id=f"{venue}-{case}")


@pytest.mark.parametrize("venue_id,case", list(cases()))
async def test_order_leaves_in_the_venues_own_fields(make_venue, venue_id, case):
    venue, recorder, mod = await make_venue(venue_id)
    spec = spec_for(case, mod, venue_id)
    want = mod.EXPECT[case]
    market = venue.markets[spec.symbol]
    subs = {"$cid": venue.client_ids.to_venue(CID)}
    if isinstance(want, str):  # held here or refused, before anything is sent
        held = venue.emulation_reason(spec, market)
        with pytest.raises(VenueError) as refused:
            await venue.create_order(order(spec))
        assert refused.value.kind is ErrorKind.PARAMETER and "refused before sending" in refused.value.message
        assert want in (held or "") + refused.value.message, (held, refused.value.message)
        assert not recorder.sent, [(s.method, s.path) for s in recorder.sent]
        return
    method, path, fields = want
    assert venue.emulation_reason(spec, market) is None, f"{case} would be held locally on {venue_id}"
    report = await venue.create_order(order(spec))
    sent = recorder.last(method, path)
    assert_fields(sent, fields, subs)
    mod.check_signature(sent)
    assert report.client_order_id == CID and report.status in (S.OPEN, S.NEW, S.FILLED, S.PARTIALLY_FILLED)


@pytest.mark.parametrize("venue_id", [v for v in VENUES if "amend" in answers(v).EXPECT])
async def test_modify_is_the_venues_amend_or_replace(make_venue, venue_id):
    """Amend in place, a venue-side replace (new id), or nothing (the Desk cancels and sends anew)."""
    venue, recorder, mod = await make_venue(venue_id)
    symbol = mod.SPOT or mod.PERP
    spec = spec_for("limit_gtc" if mod.SPOT else "perp_limit", mod, venue_id)
    placed = await venue.create_order(order(spec))
    recorder.clear()
    live = order(spec, venue_order_id=placed.venue_order_id)
    want = mod.EXPECT["amend"]
    if isinstance(want, str):
        assert not venue.has("editOrder") and want in venue.rules.amend_via
        return
    await venue.edit_order(live, None, D("24980"))
    method, path, fields = want
    assert_fields(recorder.last(method, path), fields,
                  {"$cid": venue.client_ids.to_venue(CID), "$vid": placed.venue_order_id})
    assert symbol in venue.markets


@pytest.mark.parametrize("venue_id", [v for v in VENUES if "cancel_by_client_id" in answers(v).EXPECT])
async def test_cancel_by_our_id_uses_the_venues_field(make_venue, venue_id):
    venue, recorder, mod = await make_venue(venue_id)
    spec = spec_for("limit_gtc" if mod.SPOT else "perp_limit", mod, venue_id)
    await venue.cancel_order(order(spec))  # no venue id known: by ours
    method, path, fields = mod.EXPECT["cancel_by_client_id"]
    assert_fields(recorder.last(method, path), fields, {"$cid": venue.client_ids.to_venue(CID)})
