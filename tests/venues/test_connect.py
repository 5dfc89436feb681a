"""Environments and endpoints from config: testnet only with a test URL, demo only where it exists."""

import pytest

from workstation.cli import confirm_live
from workstation.config import parse
from workstation.credentials import Credentials
from workstation.venues.connect import VenueSetupError, build_exchange, ccxt_venue


def venue(**kw):
    return parse({"venues": {"v": {"exchange": "binance", "environment": "testnet", **kw}}}).venues[0]


def test_testnet_uses_the_exchange_test_urls():
    ex = build_exchange(venue(), Credentials())
    assert "testnet.binance.vision" in ex.urls["api"]["public"]


def test_testnet_is_refused_where_ccxt_has_no_test_url():
    with pytest.raises(VenueSetupError, match="kraken has no testnet.*binance.*bybit"):
        build_exchange(venue(exchange="kraken"), Credentials())


def test_demo_only_where_it_exists():
    ex = build_exchange(venue(exchange="bybit", environment="demo"), Credentials())
    assert "api-demo" in ex.urls["api"]["public"]
    with pytest.raises(VenueSetupError, match="okx has no demo-trading mode"):
        build_exchange(venue(exchange="okx", environment="demo"), Credentials())


def test_unknown_exchange_suggests_the_right_id():
    with pytest.raises(VenueSetupError, match="did you mean binance"):
        build_exchange(venue(exchange="binanse"), Credentials())


def test_endpoint_overrides_keep_paths():
    ex = build_exchange(venue(rest_url="http://127.0.0.1:9", ws_url="ws://127.0.0.1:8"), Credentials())
    assert ex.urls["api"]["public"] == "http://127.0.0.1:9/api/v3"
    assert ex.urls["api"]["ws"]["spot"].startswith("ws://127.0.0.1:8/")


def test_the_adapter_reports_its_environment_and_budget():
    v = ccxt_venue(venue(), Credentials())
    assert v.environment == "testnet" and v.rate_budget()[1] > 0


def test_live_needs_a_typed_confirmation():
    config = parse({"venues": {"main": {"exchange": "binance", "environment": "live"}}})
    assert not confirm_live(config, ask=lambda _: "yes", interactive=True)
    assert confirm_live(config, ask=lambda _: "LIVE", interactive=True)
    assert not confirm_live(config, interactive=False)
    ok = parse({"venues": {"main": {"exchange": "binance", "environment": "live", "confirm_live": True}}})
    assert confirm_live(ok, interactive=False)
