"""Secrets never leave: a full run with known fake keys, errors included, then every artefact is scanned.

The run: two Binance accounts (spot testnet, USD-M demo) through the Desk against the fake Binance, with
logging captured at DEBUG into a file (ccxt logs every request there, signed URL and key header included),
an order placed, filled, canceled, a timeout after the venue accepted, a signed read that times out,
a 5xx, a 429, and a second run whose secret is wrong. Scanned: the log file, the journals (raw bytes,
WAL included), every export the journals make, the tracebacks of the errors raised, and what the UI is
given to show (venue states, alerts, order reasons and errors). None may hold the key, the secret, or
``signature=``.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from pathlib import Path

import pytest

from tests.venues.test_ccxt_desk import API_KEY, PERP, PERP_VENUE, SECRET, SPOT_VENUE, limit, open_desk, place, until
from workstation.desk.events import RiskAlert
from workstation.domain.orders import OrderStatus as S
from workstation.venues.errors import VenueError

FORBIDDEN = (API_KEY.encode(), SECRET.encode(), b"signature=")


@pytest.fixture
def debug_log(tmp_path):
    path = tmp_path / "debug.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield path
    root.removeHandler(handler)
    root.setLevel(old_level)
    handler.close()


def scan(name: str, data: bytes) -> None:
    for needle in FORBIDDEN:
        assert needle not in data, f"{name} holds {needle[:12]!r}..."


async def test_no_secret_in_logs_journal_exports_tracebacks_or_screens(tmp_path, debug_log):
    shown: list[str] = []  # what the UI would put on screen
    tracebacks: list[str] = []

    # -- run 1: good keys, an ordinary session with faults -----------------------------------------
    run1 = tmp_path / "run1"
    run1.mkdir()
    async with open_desk(run1) as (server, desk):
        desk.bus.subscribe(lambda e: shown.append(e.message) if isinstance(e, RiskAlert) else None)
        order = await place(desk, limit(amount="0.002", price="24990"))
        await server.fill(order.client_order_id, "0.001")
        await desk.refresh()
        await desk.cancel(order.client_order_id)

        server.fail_next("POST /api/v3/order", "timeout_after_accept")
        doubtful = await place(desk, limit(amount="0.001", price="24980"))
        assert doubtful.status in (S.IN_DOUBT, S.OPEN)  # the stream may answer before the send times out
        await until(lambda: desk.order(doubtful.client_order_id).status is S.OPEN, what="found by client id")

        perp = await place(desk, limit(PERP, amount="0.01", price="24900", venue=PERP_VENUE))
        await server.fill(perp.client_order_id, "0.01")

        spot = desk.venues[SPOT_VENUE]
        server.fail_next("GET /api/v3/openOrders", "timeout_before_accept", times=3)  # a signed GET: URL has the signature
        server.fail_next("GET /api/v3/account", "server_error", times=3)
        for call in (spot.fetch_open_orders("BTC/USDT"), spot.fetch_balance()):
            with pytest.raises(VenueError) as raised:
                await call
            tracebacks.append("".join(traceback.format_exception(raised.value)))
        assert "RequestTimeout" in tracebacks[0] and "/api/v3/openOrders" in tracebacks[0]  # the URL is kept ...
        assert "signature:***" in tracebacks[0]  # ... with its signature cut out
        server.fail_next("GET /fapi/v1/openOrders", "rate_limit")
        await desk.refresh()
        await desk.refresh()
        shown += [str(s) for s in desk.venue_states()]
        shown += [f"{o.reason} {o.errors}" for o in desk.orders()]
        shown += [d.detail for d in desk.reconcile_differences()]

    # -- run 2: the secret is wrong ------------------------------------------------------------------
    run2 = tmp_path / "run2"
    run2.mkdir()
    async with open_desk(run2, secret="SKwrongSECRET0000000000000000", refresh_s=0.2) as (server, desk):
        desk.bus.subscribe(lambda e: shown.append(e.message) if isinstance(e, RiskAlert) else None)
        await until(lambda: all(desk.venues[n].status == "auth_failed" for n in desk.venues), what="auth failure")
        with pytest.raises(VenueError) as raised:
            await desk.venues[SPOT_VENUE].fetch_balance()
        tracebacks.append("".join(traceback.format_exception(raised.value)))
        shown += [str(s) for s in desk.venue_states()]
        await asyncio.sleep(0.3)
    assert any("refused the API keys" in m for m in shown)

    # -- exports of both journals ------------------------------------------------------------------
    exported: list[Path] = []
    try:
        from workstation import export
    except ImportError:  # pragma: no cover - the export module is part of the project
        export = None
    if export is not None:
        for run in (run1, run2):
            for fmt in ("jsonl", "csv"):
                out = run / f"export-{fmt}"
                out.mkdir()
                done = export.export(run / "journal.sqlite3", fmt, "all", str(out))
                exported += [Path(path) for path, _ in done.values()]
        assert exported

    # -- the scan ----------------------------------------------------------------------------------
    log = debug_log.read_bytes()
    # the test means something: ccxt's request log is in the file, with its header named, value scrubbed
    assert b"workstation.venues.wire." in log and b"X-MBX-APIKEY" in log and b"/api/v3/order" in log
    scan("the debug log", log)
    for run in (run1, run2):
        for path in run.glob("journal.sqlite3*"):
            scan(str(path), path.read_bytes())
    for path in exported:
        scan(str(path), path.read_bytes())
    for i, text in enumerate(tracebacks):
        scan(f"traceback {i}", text.encode())
    for text in shown:
        scan("the screen", text.encode())


# -- the copilot's key (issue 13 finding 10) -------------------------------------------------------------------------
COPILOT_KEY = "sk-test-C0PILOTkeyDoNotLeak0123456789abcdef"
VENUE_KEY, VENUE_SECRET = "VENUEkeyDoNotLeak0123456789", "VENUEsecretDoNotLeak0123456789"


async def test_no_copilot_key_in_any_file_a_run_writes(tmp_path):
    """Fake venue and copilot keys in the keyring, a 401 from the copilot endpoint that quotes the key, --log,
    an export and a screenshot of the TUI showing the error: none of the keys in any file the run wrote."""
    import keyring

    from tests.copilot.fake_llm import FakeLLM, raw
    from tests.fakes.keyring_backend import MemoryKeyring
    from workstation import cli, credentials, export
    from workstation.config import Config, CopilotConfig
    from workstation.copilot.service import Copilot
    from workstation.ui.screenshots import FROZEN, demo_desk
    from workstation.ui.app import WorkstationApp

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    server = FakeLLM()
    await server.start()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    run = tmp_path / "run"
    run.mkdir()
    try:
        credentials.store("copilot", "main", {"api_key": COPILOT_KEY})
        credentials.store("bn", "main", {"api_key": VENUE_KEY, "secret": VENUE_SECRET})
        cli.open_log(run / "debug.log")
        body = ('{"error": {"message": "Incorrect API key provided: ' + COPILOT_KEY + '. You can find your API key '
                'at https://example.invalid/keys.", "type": "invalid_request_error", "code": "invalid_api_key"}}')
        server.push(raw(401, body), raw(401, body))
        demo = demo_desk(run)
        config = Config(copilot=CopilotConfig(kind="llm", base_url=server.base_url, model="fake-1"))
        copilot = Copilot.from_desk(demo.desk, config.copilot)
        app = WorkstationApp(demo.desk, config, start_desk="connect", now=lambda: FROZEN, approve_guard_s=0.0,
                             candles_every_s=3600, copilot=copilot)
        async with app.run_test(size=(140, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            app.ask_copilot("buy a little ETH")
            for _ in range(100):
                await pilot.pause(0.02)
                if any("copilot" in str(n.title).lower() for n in app._notifications):
                    break
            shown = [f"{n.title} {n.message}" for n in app._notifications] + list(app.copilot_log)
            assert any("401" in s for s in shown), shown  # the error is on screen ...
            assert server.auth and server.auth[0] == f"Bearer {COPILOT_KEY}"  # ... and the key was really sent
            logging.getLogger("workstation.copilot").error("a careless line quoting %s", COPILOT_KEY)
            app.save_screenshot("screen.svg", str(run))
        await copilot.stop()
        for fmt in ("jsonl", "csv"):
            out = run / f"export-{fmt}"
            out.mkdir()
            export.export(run / "journal.sqlite3", fmt, "all", str(out))
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)
        await server.stop()
        keyring.set_keyring(previous)

    written = [p for p in run.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"debug.log", "journal.sqlite3", "screen.svg", "workstation-errors.jsonl",
                                         "workstation-errors.csv"}
    assert b"Incorrect API key provided" in b"".join(p.read_bytes() for p in written)  # the error was kept ...
    assert b"a careless line quoting ***" in (run / "debug.log").read_bytes()
    for path in written:  # ... without the key
        data = path.read_bytes()
        for needle in (COPILOT_KEY, COPILOT_KEY[:20], VENUE_KEY, VENUE_SECRET):
            assert needle.encode() not in data, f"{path.name} holds {needle[:12]}..."
    for text in shown:
        assert COPILOT_KEY[:20] not in text
