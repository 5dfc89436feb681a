"""Fuzz every boundary of issue 13 and count what got through.

Generated: config tables, typed numbers (the ticket's amount and price fields), order specs (then staged and
approved with random edits), copilot tool calls, and journal faults (corrupt, truncated, read-only, full).
For every case: a clear error or a correct result; never a traceback, never a silently accepted impossible
value, never a send without a human approval, never a secret in a file the run wrote. The counts are printed
at the end of the run (tests/boundaries/conftest.py). Bounded: derandomized, a few hundred cases each.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_desk
from workstation.config import Config, ConfigError, parse
from workstation.copilot.catalogue import TOOLS
from workstation.copilot.tools import ToolSession
from workstation.copilot.view import CopilotView
from workstation.desk.errors import DeskError
from workstation.desk.journal import Journal, JournalError, order_to_dict
from workstation.domain.money import MAX_VALUE, NumberError, parse_typed
from workstation.domain.orders import InvalidSpec, Order, OrderSpec, OrderStatus
from workstation.redaction import register_secret

from .conftest import fuzz_counts
from .faults import fill_journal, remount_read_only, small_tmpfs

FUZZ = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
SECRET = "sk-fuzz-SECRETdoNotLeak0123456789"
NASTY_TEXT = ["0,5", "-5", "5abc", "1e9", "1,000", "1,000.5", "NaN", "inf", "-inf", "1e999999", "9" * 40, "",
              " ", "0", "0.0", "+3", "3.", ".5", "1_000", "0x10", "½", "٣", "1 000", "12,34,567", "--1", "1..2"]
NUMBERS = st.one_of(st.sampled_from(NASTY_TEXT), st.integers(-10**30, 10**30), st.floats(allow_nan=True),
                    st.decimals(allow_nan=True, allow_infinity=True), st.text(max_size=12), st.booleans(), st.none())


def run(loop, coro):
    return loop.run_until_complete(coro)


# -- config ------------------------------------------------------------------------------------------------------
SECTIONS = {
    "workstation": ["data_dir", "theme", "refresh_interval_s", "symbols"],
    "paper": ["enabled", "seed", "latency_ms", "latency_sigma", "speed", "balances", "faults"],
    "risk": ["max_order_notional", "max_order_amount", "max_open_orders", "price_collar_pct", "stale_book_ms",
             "daily_loss_limit", "max_leverage", "duplicate_window_s", "orders_per_s", "symbols", "venues"],
    "copilot": ["kind", "base_url", "model", "auto_propose_s", "timeout_s", "proposal_expiry_s",
                "price_tolerance_bps"],
    "keys": ["approve", "buy", "api_key"],
}
SECRET_NAMES = ["api_key", "apiSecret", "secretKey", "privateKey", "accessToken", "password", "token"]
leaf = st.one_of(NUMBERS, st.sampled_from([SECRET, "rules", "llm", "live", "paper", "http://127.0.0.1:1/v1"]))
_keys = st.sampled_from(["a", "USDT", "BTC/USDT"] + SECRET_NAMES)
value = st.one_of(leaf, st.lists(leaf, max_size=3), st.dictionaries(_keys, leaf, max_size=3),
                  st.dictionaries(_keys, st.dictionaries(_keys, leaf, max_size=2), max_size=2))


@st.composite
def config_tables(draw):
    data: dict = {}
    for section in draw(st.lists(st.sampled_from([*SECTIONS, "venues", "nonsense"]), max_size=4, unique=True)):
        if section == "venues":
            name = draw(st.sampled_from(["bn", "paper", "copilot", "", "x" * 50]))
            data["venues"] = {name: {"exchange": draw(st.sampled_from(["binance", "binanse", 5])),
                                     "environment": draw(st.sampled_from(["testnet", "live", "prod"])),
                                     "options": draw(st.dictionaries(st.sampled_from(["defaultType", *SECRET_NAMES]),
                                                                     leaf, max_size=2))}}
            continue
        keys = SECTIONS.get(section, ["x"])
        data[section] = draw(st.dictionaries(st.sampled_from(keys + SECRET_NAMES[:2]), value, max_size=4))
    return data


def impossible_in_config(config: Config, data: dict) -> str | None:
    """What an accepted config must never hold."""
    def walk(obj, path=""):
        if isinstance(obj, float) and not math.isfinite(obj):
            return f"{path} is {obj}"
        if isinstance(obj, Decimal) and (not obj.is_finite() or abs(obj) > MAX_VALUE):
            return f"{path} is {obj}"
        if isinstance(obj, str) and "sk-" in obj:
            return f"{path} holds a key"
        if isinstance(obj, dict):
            return next((r for k, v in obj.items() if (r := walk(v, f"{path}.{k}"))), None)
        if isinstance(obj, (list, tuple)):
            return next((r for v in obj if (r := walk(v, path))), None)
        if hasattr(obj, "model_dump"):
            return walk(obj.model_dump(), path)
        return None

    raw = json.dumps(data, default=str)
    if any(re.search(rf'"{name}"', raw) for name in SECRET_NAMES):
        return "a secret-looking key was accepted"
    if any(v.name.lower() in ("paper", "copilot") for v in config.venues):
        return "a venue took a reserved name"
    c = config
    for ok, what in ((0.2 <= c.refresh_interval_s <= 3600, "refresh_interval_s"),
                     (0 < c.paper.speed <= 1000, "speed"), (c.copilot.proposal_expiry_s >= 1, "proposal_expiry_s"),
                     (c.risk.daily_loss_limit > 0, "daily_loss_limit"), (c.risk.duplicate_window_s >= 0, "window")):
        if not ok:
            return f"{what} out of bounds"
    return walk(config)


def test_fuzz_config_files():
    counts = fuzz_counts("config")

    @FUZZ
    @given(config_tables())
    def case(data):
        counts["cases"] += 1
        try:
            config = parse(data)
        except ConfigError as exc:
            assert "\n" not in str(exc) and ": " in str(exc)
            counts["clear_errors"] += 1
            return
        except Exception:
            counts["tracebacks"] += 1
            raise
        problem = impossible_in_config(config, data)
        if problem:
            counts["silent_acceptances"] += 1
            raise AssertionError(problem)
        counts["correct_results"] += 1

    case()
    assert counts["tracebacks"] == counts["silent_acceptances"] == 0
    assert counts["clear_errors"] > 50 and counts["correct_results"] > 5


# -- typed numbers (the ticket) ---------------------------------------------------------------------------------
typed = st.one_of(st.sampled_from(NASTY_TEXT), st.text(alphabet="0123456789.,_-+eE %ab ", max_size=14),
                  st.from_regex(r"\d{1,4}(,\d{3}){0,3}(\.\d{0,4})?", fullmatch=True),
                  st.decimals(allow_nan=True, allow_infinity=True).map(str))


def only_reading(text: str, value: Decimal) -> str | None:
    """Why an accepted number could have been meant otherwise; None when it has one reading only."""
    t = text.strip()
    if re.search(r"[^\d.,_+ ]", t) or "-" in t:
        return "letters, an exponent or a minus sign were accepted"
    if "," in t and not ("." in t.split(",")[-1] or t.count(",") > 1):
        return "a comma that could be a decimal point was accepted"
    if "," in t and not re.fullmatch(r"\+?\s*\d{1,3}(,\d{3})+(\.\d*)?", t):
        return "a comma that is not a thousands separator was accepted"
    if value != Decimal(t.replace(",", "").replace("_", "").replace("+", "").strip()):
        return "the value is not what was typed"
    if value > MAX_VALUE or -value.normalize().as_tuple().exponent > 18:
        return "out of bounds"
    return None


def test_fuzz_typed_numbers():
    counts = fuzz_counts("ticket numbers")

    @settings(FUZZ, max_examples=2000)
    @given(typed)
    def case(text):
        counts["cases"] += 1
        try:
            value = parse_typed(text, "amount")
        except NumberError as exc:
            assert str(exc).startswith("amount")
            counts["clear_errors"] += 1
            return
        except Exception:
            counts["tracebacks"] += 1
            raise
        if value is None:
            assert not text.strip()
            counts["correct_results"] += 1
            return
        problem = only_reading(text, value)
        if problem:
            counts["silent_acceptances"] += 1
            raise AssertionError(f"{text!r}: {problem}")
        counts["correct_results"] += 1

    case()
    assert counts["tracebacks"] == counts["silent_acceptances"] == 0


# -- order specs, staged and approved with edits ------------------------------------------------------------------
SPEC_FIELDS = {
    "venue": st.one_of(st.just("paper"), st.sampled_from(["", "x" * 80, "nowhere"]), st.integers()),
    "symbol": st.one_of(st.sampled_from(["ETH/USDT", "BTC/USDT", "NOPE/USDT"]), st.text(max_size=3)),
    "side": st.sampled_from(["buy", "sell", "long", None, 1]),
    "type": st.sampled_from(["limit", "market", "stop_market", "trailing_stop", "iceberg", None]),
    "amount": st.one_of(st.sampled_from(["0.01", "0.1", "1"]), NUMBERS),
    "price": st.one_of(st.sampled_from(["3100", "3190.00", "3300"]), NUMBERS),
    "trigger_price": NUMBERS, "trailing_percent": NUMBERS, "decision_mid": NUMBERS,
    "decided_at_ms": st.one_of(st.integers(-10, 10**20), st.floats(allow_nan=True), st.text(max_size=3), st.none()),
    "post_only": st.one_of(st.booleans(), st.sampled_from(["yes", 1])),
    "time_in_force": st.sampled_from(["GTC", "IOC", "FOK", "forever"]),
}
@st.composite
def spec_fields(draw):
    """A few fields fuzzed at a time; the rest make a good limit order, so staging and approval get exercised."""
    keys = draw(st.lists(st.sampled_from(list(SPEC_FIELDS)), max_size=3, unique=True))
    return {k: draw(SPEC_FIELDS[k]) for k in keys}


EDITS = st.dictionaries(st.sampled_from(["amount", "price", "trigger_price", "post_only", "colour"]),
                        st.one_of(st.sampled_from(["0.02", "3150"]), NUMBERS), max_size=2)


def impossible_spec(spec: OrderSpec) -> str | None:
    for name in ("amount", "price", "trigger_price", "trailing_amount", "trailing_percent", "decision_mid"):
        v = getattr(spec, name)
        if v is not None and (not isinstance(v, Decimal) or not v.is_finite() or v <= 0 or v > MAX_VALUE):
            return f"{name} = {v!r}"
    if spec.decided_at_ms is not None and (type(spec.decided_at_ms) is not int or spec.decided_at_ms < 0):
        return f"decided_at_ms = {spec.decided_at_ms!r}"
    return None


def test_fuzz_order_specs_through_the_desk(tmp_path):
    counts = fuzz_counts("order specs")
    loop = asyncio.new_event_loop()
    desk = make_desk(tmp_path / "journal.sqlite3")
    run(loop, desk.connect())
    sent: list[str] = []
    approved: set[str] = set()
    exchange = desk.venues["paper"].exchange
    original = exchange.create_order

    async def create_order(*args, **kwargs):
        sent.append(str((kwargs.get("params") or (args[-1] if args and isinstance(args[-1], dict) else {}))
                        .get("clientOrderId") or (args[5] if len(args) > 5 else "")))
        return await original(*args, **kwargs)
    exchange.create_order = create_order

    @FUZZ
    @given(spec_fields(), st.one_of(st.none(), EDITS))
    def case(fields, edits):
        counts["cases"] += 1
        before = len(sent)
        try:
            spec = OrderSpec(**{"venue": "paper", "symbol": "ETH/USDT", "side": "buy", "type": "limit",
                                "amount": "0.01", "price": "3190.00", **fields})
        except InvalidSpec:
            counts["clear_errors"] += 1
            return
        except Exception:
            counts["tracebacks"] += 1
            raise
        problem = impossible_spec(spec)
        if problem:
            counts["silent_acceptances"] += 1
            raise AssertionError(problem)
        try:
            order = desk.stage(spec)
            if len(sent) != before:
                counts["sends_without_approval"] += 1
                raise AssertionError("staging sent an order")
            if edits is not None and order.status is OrderStatus.PENDING_APPROVAL:
                approved.add(order.client_order_id)
                order = run(loop, desk.approve(order.client_order_id, edits=edits))
                if impossible_spec(order.spec):
                    counts["silent_acceptances"] += 1
                    raise AssertionError(f"approved with {impossible_spec(order.spec)}")
        except DeskError:
            counts["clear_errors"] += 1
            return
        except Exception:
            counts["tracebacks"] += 1
            raise
        counts["correct_results"] += 1

    try:
        case()
        intents = {e.client_order_id for e in desk.journal.events(("intent",))}
        assert intents <= approved, "an intent for an order no human approved"
        counts["sends_without_approval"] += len(intents - approved)
        Journal(tmp_path / "journal.sqlite3").replay()  # every later start can still load the journal
    finally:
        run(loop, desk.stop())
        loop.close()
    assert counts["tracebacks"] == counts["silent_acceptances"] == counts["sends_without_approval"] == 0


# -- copilot tool calls -------------------------------------------------------------------------------------------
def reference_decimal(raw) -> Decimal | None:
    """The one reading a decimal argument may have; None when it has none (or is out of bounds)."""
    if isinstance(raw, bool) or isinstance(raw, float):
        return None
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, str) and re.fullmatch(r"\s*-?\d+(\.\d*)?\s*|\s*-?\.\d+\s*", raw):
        value = Decimal(raw.strip())
    else:
        return None
    if not value.is_finite() or abs(value) > MAX_VALUE or -value.normalize().as_tuple().exponent > 18 or value <= 0:
        return None
    return value


_scalar = st.one_of(NUMBERS, st.text(max_size=20))
json_value = st.one_of(_scalar, st.lists(_scalar, max_size=3), st.dictionaries(st.text(max_size=4), _scalar, max_size=3),
                       st.lists(st.lists(_scalar, max_size=2), max_size=2))


@st.composite
def tool_calls(draw):
    name = draw(st.one_of(st.sampled_from(list(TOOLS)), st.sampled_from(["approve_order", "execute", "", None])))
    fields = list(TOOLS[name].arguments.model_fields) if name in TOOLS else ["symbol", "amount"]
    base = {"symbol": "ETH/USDT", "side": "buy", "type": "limit", "amount": "0.01", "price": "3190.00",
            "rationale": "fuzzed call", "entry_type": "limit", "stop_loss": "3100", "take_profit": "3300",
            "total_amount": "0.02", "from_price": "3195", "to_price": "3185", "orders": 2}
    args = {k: base[k] for k in fields if k in base and draw(st.integers(0, 9)) > 0}
    args.update(draw(st.one_of(st.just({}), st.dictionaries(st.sampled_from(fields + ["leverage"]), json_value,
                                                            max_size=2))))
    form = draw(st.sampled_from(["dict", "json", "garbage"]))
    if form == "json":
        return name, json.dumps(args, default=str), args
    if form == "garbage":
        return name, draw(st.sampled_from(['{"a": ' + "[" * 3000 + "]" * 3000 + "}", "{oops", "[1,2]",
                                           '{"amount": NaN}', "x" * 30_000])), None
    return name, args, args


def test_fuzz_copilot_tool_calls(tmp_path):
    counts = fuzz_counts("copilot calls")
    loop = asyncio.new_event_loop()
    desk = make_desk(tmp_path / "journal.sqlite3")
    run(loop, desk.connect())
    sent: list = []
    exchange = desk.venues["paper"].exchange
    for verb in ("create_order", "edit_order", "cancel_order"):
        original = getattr(exchange, verb)

        def wrap(original=original):
            async def counted(*args, **kwargs):
                sent.append(args)
                return await original(*args, **kwargs)
            return counted
        setattr(exchange, verb, wrap())
    session = ToolSession(CopilotView.of(desk), "copilot:fuzz", expiry_s=60)

    @FUZZ
    @given(tool_calls())
    def case(call):
        name, raw, args = call
        counts["cases"] += 1
        try:
            result = run(loop, session.call(name, raw))
        except Exception:
            counts["tracebacks"] += 1
            raise
        if not result.ok:
            assert result.errors and len(result.message()) <= 800
            counts["clear_errors"] += 1
            return
        if name == "stage_order" and isinstance(args, dict):
            for field in ("amount", "price", "trigger_price"):
                if field in args and args[field] is not None and reference_decimal(args[field]) is None:
                    counts["silent_acceptances"] += 1
                    raise AssertionError(f"{field}={args[field]!r} was accepted")
            spec = result.proposal.specs[0]
            if reference_decimal(args.get("amount")) != spec.amount:
                counts["silent_acceptances"] += 1
                raise AssertionError(f"amount {args.get('amount')!r} staged as {spec.amount}")
        counts["correct_results"] += 1

    try:
        case()
        counts["sends_without_approval"] += len(sent)
        Journal(tmp_path / "journal.sqlite3").replay()
    finally:
        run(loop, desk.stop())
        loop.close()
    assert counts["tracebacks"] == counts["silent_acceptances"] == counts["sends_without_approval"] == 0
    assert counts["correct_results"] > 10


# -- journal faults -------------------------------------------------------------------------------------------
def written_journal(path: Path) -> dict:
    """A journal with orders, fills and an error that quotes a secret in use; returns its replayed orders."""
    register_secret(SECRET)
    journal = Journal(path)
    for i in range(40):
        spec = OrderSpec(venue="paper", symbol="ETH/USDT", side="buy", type="limit", amount=Decimal("0.01"),
                         price=Decimal(3000 + i))
        order = Order(spec, journal.next_client_order_id())
        journal.append("staged", actor="human", order=order, payload={"pad": "p" * 300})
        journal.append("rejected", order=order, payload={"error": f"401 Incorrect API key provided: {SECRET}"})
    orders, _ = journal.replay()
    journal.close()
    return {cid: order_to_dict(o) for cid, o in orders.items()}


def open_and_compare(path: Path, expected: dict) -> str:
    """'error' (a JournalError), 'same' (replayed exactly) or 'different' (a silent change)."""
    try:
        journal = Journal(path)
        try:
            orders, _ = journal.replay()
        finally:
            journal.close()
    except JournalError as exc:
        assert "\n" not in str(exc)
        return "error"
    return "same" if {cid: order_to_dict(o) for cid, o in orders.items()} == expected else "different"


def test_fuzz_journal_faults(tmp_path):
    counts = fuzz_counts("journal faults")
    pristine = tmp_path / "pristine.sqlite3"
    expected = written_journal(pristine)
    size = pristine.stat().st_size

    @settings(FUZZ, max_examples=60)
    @given(st.sampled_from(["truncate", "page", "header", "garbage_tail", "empty"]), st.integers(0, 10**9),
           st.sampled_from([b"\x00", b"\xff", b"\x5a"]))
    def case(fault, where, byte):
        counts["cases"] += 1
        case_dir = tmp_path / f"case{counts['cases']}"
        case_dir.mkdir()
        target = case_dir / "journal.sqlite3"
        shutil.copy(pristine, target)
        raw = bytearray(target.read_bytes())
        if fault == "truncate":
            raw = raw[: where % size]
        elif fault == "page":
            page = 4096 * (1 + where % max(size // 4096 - 1, 1))
            raw[page:page + 4096] = byte * min(4096, len(raw) - page)
        elif fault == "header":
            raw[where % 100] ^= 0xFF
        elif fault == "garbage_tail":
            raw += byte * (1 + where % 5000)
        else:
            raw = bytearray()
        target.write_bytes(bytes(raw))
        try:
            outcome = open_and_compare(target, expected)
        except Exception:
            counts["tracebacks"] += 1
            raise
        if outcome == "different":
            counts["silent_acceptances"] += 1
            raise AssertionError(f"{fault} at {where}: the journal loaded with different orders")
        counts["clear_errors" if outcome == "error" else "correct_results"] += 1
        shutil.rmtree(case_dir)

    case()
    # a full journal and a read-only one, on a real file system where the machine allows
    counts["cases"] += 1
    full = Journal(tmp_path / "full.sqlite3")
    fill_journal(full)
    with pytest.raises(JournalError, match="is full"):
        full.append("intent", payload={"pad": "x"})
    counts["clear_errors"] += 1
    full.close()
    try:
        with small_tmpfs(tmp_path / "ro", size_kb=2048) as mount:
            shutil.copy(pristine, mount / "journal.sqlite3")
            remount_read_only(mount)
            counts["cases"] += 1
            assert open_and_compare(mount / "journal.sqlite3", expected) == "error"
            counts["clear_errors"] += 1
    except pytest.skip.Exception:
        pass
    for path in tmp_path.rglob("*.sqlite3*"):
        if SECRET.encode() in path.read_bytes():
            counts["secrets_in_files"] += 1
    assert counts["tracebacks"] == counts["silent_acceptances"] == counts["secrets_in_files"] == 0
