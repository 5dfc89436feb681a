"""The paper venue across restarts of the workstation: built by the factory from the config, resumed from
its file beside the journal, started over only on purpose (`workstation paper reset`); and what the
reconciler makes of a venue whose balances the Desk's fills no longer explain (issue 12, finding 17)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from workstation import cli
from workstation.config import ConfigError, parse
from workstation.desk.journal import Journal
from workstation.domain.orders import OrderSpec, OrderStatus, OrderType, Side
from workstation.factory import build_desk, paper_venue
from workstation.venues.paper.state import FILE_NAME, remove

BTC = "BTC/USDT"
D = Decimal


def config(tmp_path, **paper):
    return parse({"workstation": {"data_dir": str(tmp_path / "data"), "refresh_interval_s": 60.0},
                  "paper": {"latency_ms": 0, **paper}})


def test_modify_mode_is_configured_and_validated(tmp_path) -> None:
    assert paper_venue(config(tmp_path), realtime=False).exchange.features["spot"]["editOrder"]["mode"] \
        == "cancel_replace"
    amend = paper_venue(config(tmp_path / "b", modify="amend"), realtime=False).exchange
    assert amend.modify_semantics == "amend" and amend.features["swap"]["linear"]["editOrder"]["mode"] == "amend"
    with pytest.raises(ConfigError, match="paper.modify: expected one of cancel_replace, amend, found 'replace'"):
        config(tmp_path, modify="replace")


async def test_the_factory_resumes_the_venue_from_the_data_dir(tmp_path) -> None:
    cfg = config(tmp_path)
    ex = paper_venue(cfg, realtime=False).exchange
    await ex.create_order(BTC, "market", "buy", "0.1", None, {"clientOrderId": "keep-1"})
    resting = await ex.create_order(BTC, "limit", "buy", "0.01", "50000", {"clientOrderId": "keep-2"})
    balance = (await ex.fetch_balance())["total"]
    await ex.close()
    assert (tmp_path / "data" / "paper-state.json").exists()

    again = paper_venue(cfg).exchange  # realtime: its clock catches up with the wall clock
    assert (await again.fetch_balance())["total"] == balance != {"USDT": D(100000), "BTC": D(1)}
    [still] = await again.fetch_open_orders(BTC)
    assert (still["id"], still["clientOrderId"], still["remaining"]) == (resting["id"], "keep-2", D("0.01"))
    assert again.milliseconds() > ex.milliseconds()


def test_a_damaged_state_file_stops_the_start_with_a_clear_line(tmp_path, capsys) -> None:
    cfg = config(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "paper-state.json").write_text("garbage")
    with pytest.raises(ConfigError, match="paper-state.json: not a paper state file.*workstation paper reset"):
        paper_venue(cfg)


async def test_paper_reset_starts_the_venue_over(tmp_path, capsys) -> None:
    toml = tmp_path / "config.toml"
    toml.write_text(f'[workstation]\ndata_dir = "{tmp_path / "data"}"\n[paper]\nlatency_ms = 0\n')
    cfg = config(tmp_path)
    ex = paper_venue(cfg, realtime=False).exchange
    await ex.create_order(BTC, "market", "buy", "0.1")
    await ex.close()

    assert cli.main(["--config", str(toml), "paper", "reset"]) == 2  # not a terminal: needs --yes
    assert "--yes" in capsys.readouterr().err
    assert (tmp_path / "data" / "paper-state.json").exists()
    assert cli.main(["--config", str(toml), "paper", "reset", "--yes"]) == 0
    assert "reset" in capsys.readouterr().out
    fresh = paper_venue(cfg, realtime=False).exchange
    assert (await fresh.fetch_balance())["total"]["BTC"] == 1 and await fresh.fetch_my_trades() == []
    assert cli.main(["--config", str(toml), "paper", "reset", "--yes"]) == 0  # nothing to reset: fine
    assert "already starts fresh" in capsys.readouterr().out


async def test_a_reset_while_the_venue_runs_is_not_undone_by_its_next_save(tmp_path) -> None:
    cfg = config(tmp_path)
    path = tmp_path / "data" / "paper-state.json"
    ex = paper_venue(cfg, realtime=False).exchange
    await ex.create_order(BTC, "market", "buy", "0.1")
    ex.save()
    remove(path)  # `workstation paper reset` from another terminal
    await ex.create_order(BTC, "market", "buy", "0.1")
    await ex.close()
    assert not path.exists()
    fresh = paper_venue(cfg, realtime=False).exchange
    assert await fresh.fetch_my_trades() == []


async def test_a_reset_venue_under_a_kept_journal_is_a_balance_drift_not_in_sync(tmp_path) -> None:
    """The Desk bought 0.1 BTC; the venue was reset meanwhile: it holds 1 BTC and 100,000 USDT, not what
    the Desk's fills explain. The trader must see that, not 'in sync'."""
    cfg = config(tmp_path)
    desk = build_desk(cfg, {"paper": paper_venue(cfg, realtime=False)}, Journal(cfg.journal_path))
    await desk.connect()
    spec = OrderSpec(venue="paper", symbol=BTC, side=Side.BUY, type=OrderType.MARKET, amount=D("0.1"))
    staged = desk.stage(spec)
    order = await desk.approve(staged.client_order_id)
    for _ in range(50):
        if desk.ledger.orders[order.client_order_id].status is OrderStatus.FILLED:
            break
        await asyncio.sleep(0.02)
    await desk.refresh()
    await desk.stop()
    remove(cfg.data_dir / FILE_NAME)  # what `workstation paper reset` does; the journal is kept

    desk = build_desk(cfg, {"paper": paper_venue(cfg, realtime=False)}, Journal(cfg.journal_path))
    await desk.connect()
    try:
        await desk.refresh()
        await desk.refresh()  # a drift must be seen twice before it asks for a human
        kinds = {(d.kind, d.symbol) for d in desk.reconciler.last["paper"].differences}
        # USDT also settles the perpetual, whose positions (not balances) the reconciler checks
        assert ("balance_drift", "BTC") in kinds
        [status] = desk.reconcile_status("paper")
        assert status.state == "differences" and status.text != "in sync"
    finally:
        await desk.stop()
