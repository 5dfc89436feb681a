"""Our client order id in each venue's own field and format, refused before sending where it cannot fit, and
read back as ours from whatever form the venue keeps it in."""

from __future__ import annotations

import re
import uuid

import pytest
from hypothesis import given, strategies as st

from tests.venues.breadth.conftest import CID, order, spec_for
from workstation.venues.client_ids import ClientIdFormat
from workstation.venues.errors import ErrorKind, VenueError
from workstation.venues.venue_rules import rules_for

OURS = st.builds(lambda inst, seq: f"ws{inst}{seq:08d}",
                 st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=8, max_size=8),
                 st.integers(0, 10**8 - 1))


@given(OURS)
def test_every_id_of_ours_round_trips_through_every_venue_format(ours):
    for exchange_id in ("binance", "bybit", "okx", "kraken", "coinbase", "gate", "kucoin", "bitget", "mexc"):
        fmt = rules_for(exchange_id).client_id
        assert fmt.problem(ours) is None, (exchange_id, ours)
        theirs = fmt.to_venue(ours)
        assert fmt.to_ours(theirs) == ours and fmt.to_venue(theirs) == theirs  # and idempotent
        if fmt.style == "plain":
            assert re.fullmatch(f"{fmt.chars}{{1,{fmt.max_len}}}", theirs)


def test_coinbase_gets_a_uuid_and_gate_its_prefix():
    coinbase, gate = rules_for("coinbase").client_id, rules_for("gate").client_id
    as_uuid = coinbase.to_venue(CID)
    assert uuid.UUID(as_uuid).version == 8 and str(uuid.UUID(as_uuid)) == as_uuid
    assert coinbase.to_ours("e2f1a3b4-7c6d-4e5f-9a8b-1c2d3e4f5a6b") == "e2f1a3b4-7c6d-4e5f-9a8b-1c2d3e4f5a6b"  # not ours
    other = coinbase.to_venue("someone-elses-id")  # not our format: a stable name-based UUID, one way
    assert uuid.UUID(other).version == 5 and coinbase.to_venue("someone-elses-id") == other
    assert gate.to_venue(CID) == "t-" + CID and gate.to_ours("t-" + CID) == CID and gate.to_ours("web") == "web"
    assert rules_for("kraken").client_id.to_ours("0") is None  # Kraken's userref 0: no id at all


@pytest.mark.parametrize("venue_id,bad,why", [
    ("okx", "ws0b1e2c3d-0000042", "clOrdId takes [A-Za-z0-9]"),
    ("okx", "w" * 33, "at most 32"),
    ("kraken", "ws0b1e2c3d000000429", "at most 18"),
    ("gate", "w" * 29, "at most 28"),
    ("bybit", "w" * 37, "at most 36"),
    ("kucoin", "ws#0b1e2c3d0000042", "clientOid takes"),
])
async def test_an_id_that_does_not_fit_is_refused_before_sending(make_venue, venue_id, bad, why):
    venue, recorder, mod = await make_venue(venue_id)
    spec = spec_for("limit_gtc" if mod.SPOT else "perp_limit", mod, venue_id)
    with pytest.raises(VenueError) as refused:
        await venue.create_order(order(spec, cid=bad))
    assert refused.value.kind is ErrorKind.PARAMETER and why in refused.value.message
    assert "nothing was sent" in refused.value.message and not recorder.sent


async def test_coinbase_cancels_by_its_id_and_says_so_when_it_has_only_ours(make_venue):
    venue, recorder, mod = await make_venue("coinbase")
    spec = spec_for("limit_gtc", mod, "coinbase")
    with pytest.raises(VenueError) as refused:
        await venue.cancel_order(order(spec))  # no venue id known yet
    assert refused.value.kind is ErrorKind.PARAMETER and "only by its own order id" in refused.value.message
    assert not recorder.sent
    await venue.cancel_order(order(spec, venue_order_id="11111111-2222-3333-4444-555555555555"))
    assert recorder.last("POST", "/api/v3/brokerage/orders/batch_cancel").payload == {
        "order_ids": ["11111111-2222-3333-4444-555555555555"]}


async def test_an_order_found_after_a_restart_carries_our_id(make_venue):
    """No memory of the send (a new process): the venue's form alone must lead back to our id."""
    for venue_id, ours in (("coinbase", "ws0b1e2c3d00000007"), ("gate", "ws0b1e2c3d00000007")):
        venue, _, mod = await make_venue(venue_id)
        assert not venue._venue_ids
        reports = await venue.fetch_open_orders()
        assert ours in {r.client_order_id for r in reports}, (venue_id, reports)


def test_a_format_reads_the_way_the_venues_command_shows_it():
    assert rules_for("gate").client_id.describe == "text: [A-Za-z0-9_.-]{1,28}, sent with the prefix 't-'"
    assert rules_for("coinbase").client_id.describe.startswith("client_order_id: a UUID")
    assert ClientIdFormat("x", "[a]", 3).problem("aaaa") == "x takes [a] characters, at most 3"
