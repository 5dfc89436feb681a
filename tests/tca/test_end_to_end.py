"""Done when: after a demo session on the paper exchange with the copilot on, the export holds rows of
all three kinds that load in one pandas line, and the TUI's numbers equal what the export computes."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from workstation import tca
from workstation.export import SCHEMAS, export

from .demo import FAKE_SECRETS

LOADERS = {
    "jsonl": lambda p: pd.read_json(p, lines=True),
    "parquet": lambda p: pd.read_parquet(p),
    "csv": lambda p: pd.read_csv(p),
}


@pytest.fixture(scope="module")
def exported(demo, tmp_path_factory):
    _, journal = demo
    out = tmp_path_factory.mktemp("export")
    files = {}
    for fmt in LOADERS:
        done = export(journal, fmt, "all", str(out / f"demo.{fmt}"))
        files[fmt] = {kind: path for kind, (path, _) in done.items()}
    return files


def test_the_demo_covers_every_case(demo):
    desk, _ = demo
    statuses = {(o.spec.type.value, o.status.value, o.spec.origin.value) for o in desk.orders()}
    assert ("market", "filled", "human") in statuses and ("market", "filled", "copilot") in statuses
    assert ("limit", "declined", "copilot") in statuses
    assert ("market", "denied", "human") in statuses and ("market", "rejected", "human") in statuses
    canceled = [o for o in desk.orders() if o.status.value == "canceled"]
    assert any(0 < o.filled < o.amount for o in canceled), "a resting limit partly filled, then canceled"
    assert any(o.filled == 0 for o in canceled), "a limit canceled with nothing filled"
    assert any(o.errors and o.status.value == "filled" for o in desk.orders()), "an in-doubt send resolved"
    assert all(len(desk.markouts.for_order(e.client_order_id)) == 4 * len(desk.markouts.fills[e.client_order_id])
               for e in desk.executions() if e.filled), "every horizon sampled for every fill"


@pytest.mark.parametrize("fmt", list(LOADERS))
def test_each_kind_loads_in_one_line(exported, demo, fmt):
    desk, _ = demo
    frames = {kind: LOADERS[fmt](path) for kind, path in exported[fmt].items()}
    assert len(frames["executions"]) == len(desk.executions()) == 8
    assert len(frames["decisions"]) == len(desk.orders()) == 10
    assert len(frames["errors"]) >= 6
    for kind, df in frames.items():
        assert list(df.columns) == [name for name, _, _ in SCHEMAS[kind]]
        assert (df["schema_version"] == 1).all()
    ex = frames["executions"]
    for column in ("intended_entry", "actual_entry", "slippage_bps", "partial_fill", "latency_ms"):
        assert column in ex.columns
    assert ex["partial_fill"].astype(bool).any()


def _num(value):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return float(value)


@pytest.mark.parametrize("fmt", list(LOADERS))
def test_tui_summary_equals_what_the_export_computes(exported, demo, fmt):
    desk, _ = demo
    df = LOADERS[fmt](exported[fmt]["executions"])
    memory = tca.rows_from_memory(desk.executions(), desk.markouts)  # what the TCA screen shows
    for by in tca.GROUP_KEYS:
        ours = {g.group: g for g in tca.summary(memory, by)}
        groups = [("all", df)] if by == "all" else [("all", df)] + [(str(k), g) for k, g in df.groupby(by)]
        assert set(ours) == {name for name, _ in groups}
        for name, g in groups:
            stats = ours[name]
            assert stats.n == len(g)
            for mine, column, q in ((stats.slippage_median_bps, "slippage_bps", 0.5),
                                    (stats.slippage_p90_bps, "slippage_bps", 0.9),
                                    (stats.arrival_median_bps, "slippage_arrival_bps", 0.5),
                                    (stats.arrival_p90_bps, "slippage_arrival_bps", 0.9),
                                    (stats.latency_median_ms, "latency_ms", 0.5),
                                    (stats.latency_p90_ms, "latency_ms", 0.9)):
                theirs = g[column].dropna()
                if theirs.empty:
                    assert mine is None
                else:
                    assert float(mine) == pytest.approx(theirs.quantile(q), abs=1e-9), (by, name, column, q)
            if g["implementation_shortfall_bps"].notna().any():
                assert float(stats.shortfall_mean_bps) == pytest.approx(g["implementation_shortfall_bps"].mean())


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_every_figure_in_memory_equals_the_export(exported, demo, fmt):
    desk, _ = demo
    df = LOADERS[fmt](exported[fmt]["executions"]).set_index("client_order_id")
    for row in tca.rows_from_memory(desk.executions(), desk.markouts):
        out = df.loc[row["client_order_id"]]
        for name, dtype, _ in SCHEMAS["executions"]:
            if name == "client_order_id":
                continue
            mine, theirs = row.get(name), out[name]
            if dtype in ("float64", "Int64"):
                a, b = _num(mine), _num(theirs) if not pd.isna(theirs) else None
                assert (a is None) == (b is None), name
                if a is not None:
                    assert a == pytest.approx(b, rel=1e-12, abs=1e-9), name
            elif dtype == "boolean":
                assert bool(mine) == bool(theirs), name
            else:
                assert (mine or "") == ("" if pd.isna(theirs) else theirs), name


def test_charts_data_recomputes_from_the_export(exported, demo):
    desk, _ = demo
    df = LOADERS["parquet"](exported["parquet"]["executions"])
    memory = tca.rows_from_memory(desk.executions(), desk.markouts)
    curves = tca.markout_curves(memory, "origin")
    for origin, values in curves.items():
        g = df[df["origin"] == origin]
        for h, v in zip(tca.HORIZONS_S, values):
            col = g[f"markout_{h}s_bps"].dropna()
            assert (v is None) == col.empty
            if v is not None:
                assert float(v) == pytest.approx(col.mean())
    limits = df[df["order_type"] == "limit"]
    buckets = tca.fill_probability(memory)
    assert sum(b.n for b in buckets) == len(limits[limits["status"] != "rejected"])
    assert any(b.p_any_fill is not None and 0 < b.p_any_fill for b in buckets)
    assert len(tca.slippage_vs_size(memory)) == df["slippage_bps"].notna().sum()


def test_decisions_are_preference_pairs(exported):
    df = pd.read_json(exported["jsonl"]["decisions"], lines=True)
    approved = df[(df["origin"] == "copilot") & (df["decision"] == "approved")].iloc[0]
    assert approved["proposal_id"] == "cp0001" and approved["chosen"]
    assert json.loads(approved["context"])["snapshot"]["spread_bps"] == "1.5"
    assert approved["rationale"].startswith("momentum")
    declined = df[df["decision"] == "declined"].iloc[0]
    assert declined["reason"] == "no edge: spread too wide" and not declined["chosen"]
    assert declined["decided_by"] == "human" and declined["proposal_id"] == "cp0002"
    denied = df[df["decision"] == "denied"].iloc[0]
    assert denied["decided_by"] == "risk_gate" and "max_order_notional" in json.loads(denied["problems"])
    assert set(df["decision"]) == {"approved", "declined", "denied"}


def test_errors_say_what_happened_and_how_it_ended(exported):
    df = pd.read_csv(exported["csv"]["errors"])
    retries = df[df["event"] == "send_retry"]
    assert list(retries["attempt"]) == [1, 2] and set(retries["error_kind"]) == {"rate_limited"}
    rejected = df[df["event"] == "rejected"].iloc[0]
    assert rejected["error_kind"] == "rate_limited" and rejected["outcome"] == "rejected" and rejected["retries"] == 2
    assert json.loads(rejected["request"])["side"] == "sell"
    doubt = df[df["event"] == "in_doubt"].iloc[0]
    assert doubt["error_kind"] == "unknown_outcome" and doubt["outcome"] == "filled"
    assert "looked up" in doubt["action"]
    copilot = df[df["event"] == "copilot_error"].iloc[0]
    assert copilot["error_kind"] == "wrong_type" and copilot["origin"] == "copilot"
    counts = tca.error_counts(df.to_dict("records"))
    assert counts[("paper", "rate_limited")] == 3


def test_exports_never_contain_secrets(exported, demo):
    _, journal = demo
    raw = journal.read_bytes() + b"".join(p.read_bytes() for p in journal.parent.glob("*-wal"))
    assert any(s.encode() in raw for s in FAKE_SECRETS), "the journal holds the fake keys: the test means something"
    for fmt, files in exported.items():
        for kind, path in files.items():
            data = path.read_bytes()
            for secret in FAKE_SECRETS:
                assert secret.encode() not in data, (fmt, kind, secret)
            if fmt != "parquet" and kind == "errors":
                assert b"***" in data  # redacted, not dropped: the rest of the message is kept
