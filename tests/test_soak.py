"""`workstation soak`: a short run through the real command line, its JSON, and its exit status."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from workstation import soak as soak_module
from workstation.cli import main
from workstation.venues.paper.exchange import PaperExchange

KEYS = {"duplicates", "lost_fills", "double_counted_fills", "illegal_transitions", "drift_after_converge",
        "orders", "faults_injected", "orders_per_s", "refreshes_to_converge"}


@pytest.mark.xfail(strict=True, reason="soak to adapt, issue 12 finding 19: the paper venue's modify is Binance's "
                                       "cancelReplace, and `duplicates` counts the replacement (a new venue order with "
                                       "a derived client id, same intent) as a second order of the intent")
def test_a_short_soak_with_crashes_keeps_every_invariant(capsys, monkeypatch):
    real_init = soak_module.Soak.__init__

    def init(self, orders=10_000, seed=1, **kw):  # a crash every 150 orders keeps the test short
        real_init(self, orders, seed, **{"crash_every": 150, **kw})

    monkeypatch.setattr(soak_module.Soak, "__init__", init)
    code = main(["soak", "--orders", "400", "--seed", "4", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    assert KEYS <= set(out)
    assert {k: out[k] for k in soak_module.INVARIANTS} == dict.fromkeys(soak_module.INVARIANTS, 0)
    assert out["orders"] == 400 and out["crashes"] >= 2
    assert out["faults_injected"] > 50 and out["faults"]["timeout_after_accept"] > 0
    assert out["refreshes_to_converge"] <= 1 and out["orders_per_s"] > 0
    assert out["outcomes"].get("in_doubt", 0) == out["outcomes"].get("duplicate_refused", 0)


def test_a_broken_invariant_makes_the_command_fail(capsys, monkeypatch):
    real = soak_module.Soak.check_fills_and_duplicates

    def broken(self):
        real(self)
        self.result.lost_fills = 1

    monkeypatch.setattr(soak_module.Soak, "check_fills_and_duplicates", broken)
    code = main(["soak", "--orders", "30", "--seed", "2"])
    text = capsys.readouterr().out
    assert code == 1
    assert "lost_fills" in text and "BROKEN" in text and "INVARIANT BROKEN" in text


def test_soak_refuses_a_nonsense_order_count(capsys):
    assert main(["soak", "--orders", "0"]) == 2
    assert "--orders must be positive" in capsys.readouterr().err


# -- paper exchange regressions found while building the soak ------------------------------------
async def test_paper_close_ends_subscriptions_so_a_new_connection_does_not_replay_old_pushes():
    ex = PaperExchange(seed=3, latency=None)
    ex.freeze()
    ex.sim.stream_trades = True  # a watcher was subscribed before ...
    ex._cursors[("trades", None)] = ex.sim.trades_log.end
    await ex.create_order("BTC/USDT", "market", "buy", D("0.001"), None, {"clientOrderId": "a1"})
    await ex.close()  # ... and the process died with its websocket
    await ex.create_order("BTC/USDT", "market", "buy", D("0.001"), None, {"clientOrderId": "a2"})
    import asyncio
    task = asyncio.ensure_future(ex.watch_my_trades())  # a new process subscribes
    await asyncio.sleep(0)
    assert not task.done()  # nothing from before its subscription is replayed to it
    await ex.create_order("BTC/USDT", "market", "buy", D("0.001"), None, {"clientOrderId": "a3"})
    trades = await asyncio.wait_for(task, 1)
    assert {t["info"]["clientOrderId"] for t in trades} == {"a3"}
    await ex.close()


async def test_paper_my_trades_since_returns_exactly_the_later_trades():
    ex = PaperExchange(seed=3, latency=None)
    ex.freeze()
    await ex.create_order("BTC/USDT", "market", "buy", D("0.001"), None, {})
    ex.step(1000)
    cut = ex.milliseconds()
    await ex.create_order("BTC/USDT", "market", "sell", D("0.001"), None, {})
    later = await ex.fetch_my_trades("BTC/USDT", cut)
    assert later and all(t["timestamp"] >= cut for t in later) and {t["side"] for t in later} == {"sell"}
    assert len(await ex.fetch_my_trades()) == len(await ex.fetch_my_trades(None, 0)) > len(later)


@pytest.mark.parametrize("seed", [1])
def test_soak_help_lists_the_command(seed, capsys):
    with pytest.raises(SystemExit):
        main(["soak", "--help"])
    assert "--orders" in capsys.readouterr().out
