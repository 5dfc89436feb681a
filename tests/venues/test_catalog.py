"""`workstation venues`: the sheet a trader reads before choosing a venue must say what the order path does."""

from __future__ import annotations

import json
from pathlib import Path

import ccxt

from tests.venues.breadth.conftest import TEN, answers, spec_for
from workstation.cli import main
from workstation.venues.catalog import PROVEN, sheet

REPO = Path(__file__).resolve().parents[2]


def run_json(capsys, *args) -> list[dict]:
    assert main(["venues", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_default_lists_the_ten_proven_venues_with_their_tests(capsys):
    sheets = {s["exchange"]: s for s in run_json(capsys)}
    assert set(sheets) == set(TEN)
    for name, s in sheets.items():
        assert s["proven_by"] and all((REPO / p).exists() for p in s["proven_by"]), name
    okx = sheets["okx"]
    spot, perp = okx["kinds"]
    assert perp["kind"] == "linear perpetual" and perp["order_types"]["stop_market"] == "emulated"
    assert "algo book" in perp["held_because"] and okx["modify"].startswith("amend in place")
    assert okx["client_id"] == "clOrdId: [A-Za-z0-9]{1,32}" and "x-simulated-trading" in okx["testnet"]
    assert sheets["kraken"]["kinds"][0]["flags"]["FOK"] == "unsupported"
    assert sheets["kraken"]["kinds"][0]["order_types"]["trailing_stop"] == "native"
    assert sheets["coinbase"]["kinds"][0]["flags"]["market_buy"].startswith("refused: sized in quote")
    assert sheets["gate"]["client_id"].endswith("sent with the prefix 't-'")
    assert sheets["mexc"]["modify"].startswith("cancel-replace by the Desk")
    assert sheets["bybit"]["demo"].startswith("yes") and sheets["bybit"]["kinds"][1]["trigger_sources"] == ["last", "mark"]
    assert sheets["binance"]["modify"].startswith("replaced by the venue (new order id)")


def test_the_sheet_says_what_the_adapter_does():
    """Every trigger order the breadth tests see held or refused is emulated on the sheet, and every one they see
    sent natively is native: the sheet and the order path are one code path."""
    for venue_id in TEN:
        mod = answers(venue_id)
        kinds = {k.kind: k for k in sheet(venue_id).kinds}
        for case, want in mod.EXPECT.items():
            spec = spec_for(case, mod, venue_id) if case not in ("amend", "cancel_by_client_id") else None
            if spec is None or not spec.type.has_trigger or spec.trigger_by.value != "last" or spec.trigger_price \
                    and spec.type.value == "trailing_stop":
                continue
            kind = kinds["spot" if not case.startswith("perp_") else "linear perpetual"]
            expected = "emulated" if isinstance(want, str) else "native"
            assert kind.order_types[spec.type.value] == expected, (venue_id, case)


def test_every_ccxt_exchange_can_be_described_and_unproven_ones_say_so(capsys):
    sheets = run_json(capsys, "--all")
    assert {s["exchange"] for s in sheets} == set(ccxt.exchanges)
    unproven = [s for s in sheets if s["exchange"] not in PROVEN]
    assert unproven and all(not s["proven_by"] and any("not verified here" in n for n in s["notes"]) for s in unproven)


def test_an_unknown_exchange_is_named_with_a_suggestion(capsys):
    assert main(["venues", "okz"]) == 2
    assert "unknown exchange id 'okz'; did you mean okx" in capsys.readouterr().err


def test_the_text_form_is_readable(capsys):
    assert main(["venues", "bybit"]) == 0
    out = capsys.readouterr().out
    assert "linear perpetual" in out and "orderLinkId" in out and "a setting of the whole position" in out
