"""The copilot reads venue profiles through a read tool; it stages nothing and sends nothing."""

from __future__ import annotations

import json
from decimal import Decimal

from workstation.copilot.tools import READ_TOOLS, openai_tools
from workstation.desk.profiles import depth_bands


async def test_get_venue_profiles_reads_the_rules_depth_and_fees(session, desk, sent):
    result = await session.call("get_venue_profiles", {"symbol": "BTC/USDT"})
    assert result.ok, result.message()
    (row,) = result.data
    market = desk.market("paper", "BTC/USDT")
    assert (row["venue"], row["tick"], row["lot"], row["min_notional"]) == ("paper", market.tick, market.lot,
                                                                          market.min_cost)
    assert (row["taker_fee"], row["fee_source"], row["status"]) == (market.taker_fee, "published", "unknown")
    bands = depth_bands(desk.book("paper", "BTC/USDT"))
    assert [b["bid_notional"] for b in row["depth"]] == [b.bid_notional for b in bands]
    assert isinstance(row["spread_bps"], Decimal)
    json.dumps(result.for_model(), default=str)  # what the model receives
    assert not sent and not desk.pending_approvals()  # a read: nothing staged, nothing sent


async def test_every_watched_market_without_arguments_and_clear_errors_otherwise(session, desk):
    everything = await session.call("get_venue_profiles", {})
    assert {r["symbol"] for r in everything.data} == set(desk.watch_symbols["paper"])
    unknown = await session.call("get_venue_profiles", {"venue": "nowhere"})
    assert not unknown.ok and unknown.scenario == "unknown_market" and "paper:BTC/USDT" in unknown.message()
    extra = await session.call("get_venue_profiles", {"venue": "paper", "size": 3})
    assert not extra.ok and "size" in extra.message()


def test_it_is_in_the_catalogue_as_a_read_tool():
    assert "get_venue_profiles" in READ_TOOLS
    assert any(t["function"]["name"] == "get_venue_profiles" for t in openai_tools())
