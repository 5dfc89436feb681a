"""Start-up imports no ccxt exchange for the paper exchange alone, and only the named ones for a venue."""

import subprocess
import sys


def run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


EXCHANGES = ("import sys; print(sorted({m.split('.')[-1] for m in sys.modules "
             "if m.startswith(('ccxt.pro.', 'ccxt.async_support.', 'ccxt.abstract.')) and 'base' not in m}))")


def test_the_paper_exchange_alone_imports_no_ccxt_exchange():
    out = run("import workstation.ui.app, workstation.factory, workstation.venues.paper.exchange; " + EXCHANGES)
    assert out == "[]"


def test_a_configured_venue_imports_its_own_exchange_only():
    out = run("from workstation.venues.connect import exchange_class; cls = exchange_class('binanceusdm'); "
              "print(cls.__module__); " + EXCHANGES)
    module, loaded = out.splitlines()
    assert module == "ccxt.pro.binanceusdm"
    assert loaded == "['binance', 'binanceusdm']"


def test_ccxt_still_behaves_as_ccxt_for_everyone_else():
    out = run("import workstation.venues, ccxt, ccxt.pro; from ccxt.base.errors import NetworkError; "
              "print(len(ccxt.exchanges) > 90, ccxt.pro.binance.__name__, "
              "issubclass(ccxt.RequestTimeout, NetworkError), ccxt.binance().id)")
    assert out == "True binance True binance"


def test_an_unknown_exchange_id_is_named_with_suggestions():
    out = run("from workstation.venues.connect import exchange_class, VenueSetupError\n"
              "try:\n    exchange_class('binanse')\nexcept VenueSetupError as e:\n    print(e)")
    assert "unknown exchange id 'binanse'" in out and "binance" in out
