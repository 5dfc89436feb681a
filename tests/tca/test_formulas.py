"""TCA formulas with hand-checked numbers, for buys and sells (positive = cost; markouts: positive = favourable)."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workstation import tca
from workstation.domain.execution import Execution
from workstation.domain.orders import Fill, Order, OrderSpec, OrderStatus


def test_slippage_sign_convention_buy_and_sell():
    # paid 27.50 above 65000 on a buy: a cost of 27.5/65000*1e4 = 4.2307... bps
    assert tca.slippage_bps("buy", D("65027.50"), D("65000")) == pytest.approx(D("4.230769230769230769"), abs=D("1e-12"))
    # sold 27.50 below 65000: the same cost
    assert tca.slippage_bps("sell", D("64972.50"), D("65000")) == pytest.approx(D("4.230769230769230769"), abs=D("1e-12"))
    # sold above the benchmark: a gain, negative
    assert tca.slippage_bps("sell", D("65027.50"), D("65000")) < 0
    assert tca.slippage_bps("buy", None, D("1")) is None
    assert tca.slippage_bps("buy", D("1"), None) is None


def test_effective_spread_splits_into_realized_spread_and_price_impact():
    # buy at 100.05, mid 100 on arrival, mid 100.03 five minutes later
    es = tca.effective_spread_bps("buy", D("100.05"), D("100"))
    rs = tca.realized_spread_bps("buy", D("100.05"), D("100.03"), D("100"))
    pi = tca.price_impact_bps("buy", D("100.03"), D("100"))
    assert (es, rs, pi) == (D("10"), D("4"), D("6"))
    assert es == rs + pi
    # a sell at 99.95 with mid 100 pays the same effective spread
    assert tca.effective_spread_bps("sell", D("99.95"), D("100")) == D("10")
    assert tca.price_impact_bps("sell", D("99.97"), D("100")) == D("6")


def test_markout_positive_is_favourable():
    assert tca.markout_bps("buy", D("100"), D("100.1")) == D("10")  # bought, price went up: good
    assert tca.markout_bps("sell", D("100"), D("100.1")) == D("-10")  # sold, price went up: adverse
    assert tca.markout_bps("sell", D("100"), D("99.8")) == D("20")
    assert tca.markout_bps("buy", D("100"), None) is None


def test_implementation_shortfall_with_unfilled_remainder_buy():
    # want 2 at decision mid 100; filled 1 @ 100.1 and 0.5 @ 100.4 (VWAP 100.2); mid at the end 101; fees 0.3
    s = tca.implementation_shortfall("buy", D("2"), D("1.5"), D("100.2"), D("100"), D("101"), D("0.3"))
    assert s.execution_cost == D("0.30")  # 1.5 * (100.2 - 100)
    assert s.opportunity_cost == D("0.5")  # 0.5 unfilled * (101 - 100)
    assert s.total == D("1.10")
    assert s.bps == D("55")  # 1.1 / (2 * 100) * 1e4


def test_implementation_shortfall_with_unfilled_remainder_sell():
    s = tca.implementation_shortfall("sell", D("2"), D("1.5"), D("99.8"), D("100"), D("99"), D("0.3"))
    assert (s.execution_cost, s.opportunity_cost, s.total, s.bps) == (D("0.30"), D("0.5"), D("1.10"), D("55"))
    # the market went our way after we stopped selling: the unfilled part is a gain
    s = tca.implementation_shortfall("sell", D("2"), D("1.5"), D("99.8"), D("100"), D("101"), D("0"))
    assert s.opportunity_cost == D("-0.5")
    assert s.total == D("-0.20")


def test_implementation_shortfall_edges():
    full = tca.implementation_shortfall("buy", D("1"), D("1"), D("100.5"), D("100"), None)
    assert full.opportunity_cost == 0 and full.total == D("0.5") and full.bps == D("50")
    nothing = tca.implementation_shortfall("buy", D("1"), D("0"), None, D("100"), D("102"))
    assert nothing.execution_cost == 0 and nothing.total == D("2") and nothing.bps == D("200")
    unknown_end = tca.implementation_shortfall("buy", D("1"), D("0.5"), D("100"), D("100"), None)
    assert unknown_end.opportunity_cost is None and unknown_end.total is None
    assert tca.implementation_shortfall("buy", D("1"), D("1"), D("100"), None, None) is None


def _order(side="buy", type_="limit", amount="1", price="65000", fills=(), sent_ms=1000, ack_ms=1247):
    spec = OrderSpec("paper", "BTC/USDT", side, type_, D(amount), price=D(price) if price else None,
                     decision_mid=D("64990"))
    order = Order(spec=spec, client_order_id="ws00000001", status=OrderStatus.NEW)
    order.approval_mid, order.arrival_mid = D("64995"), D("65000")
    t0 = 1_767_225_600_000
    for leg, ms in (("decided", 0), ("staged", 10), ("approved", 500), ("sent", sent_ms), ("acked", ack_ms)):
        order.stamp(leg, t0 + ms, ms * 1_000_000)
    for i, (px, qty) in enumerate(fills):
        order.stamp("first_fill", t0 + ack_ms + 10, (ack_ms + 10) * 1_000_000)
        order.apply_fill(Fill("paper", f"t{i}", order.client_order_id, "v1", "BTC/USDT", spec.side, D(px), D(qty),
                              D("0.5"), "USDT", "maker", t0 + 2000 + i))
    order.stamp("done", t0 + 3000, 3000 * 1_000_000)
    if order.filled < order.amount:
        order.status = OrderStatus.CANCELED
    return order


def test_execution_row_matches_the_issue_example():
    order = _order(type_="market", price=None, fills=[("65027.50", "1")])
    order.spec = order.spec.with_changes(decision_mid=D("65000"))
    row = tca.execution_row(Execution.from_order(order))
    assert row["intended_entry"] == D("65000")
    assert row["actual_entry"] == D("65027.50")
    assert row["slippage_bps"] == D("4.23")
    assert row["partial_fill"] is False
    assert row["latency_ms"] == 247
    assert row["schema_version"] == tca.SCHEMA_VERSION
    assert row["leg_acked_ms"] == 1247 and row["ts_sent_ms"] == 1_767_225_601_000


def test_execution_row_partial_limit_with_markouts_and_fills():
    order = _order(side="sell", price="65010", amount="2", fills=[("65010", "0.5"), ("65010", "0.5")])
    fills = [Fill("paper", "t0", "ws00000001", "v1", "BTC/USDT", order.side, D("65010"), D("0.5"), D("0.5"), "USDT",
                  "maker", 111), Fill("paper", "t1", "ws00000001", "v1", "BTC/USDT", order.side, D("65010"),
                                      D("0.5"), D("0.5"), "USDT", "taker", 222)]
    marks = [tca.MarkoutSample("paper", "BTC/USDT", f"t{i}", "ws00000001", "sell", D("65010"), D("0.5"), 0, 1,
                               D(mid), 1000, tca.markout_bps("sell", D("65010"), D(mid)))
             for i, mid in enumerate(("65000", "65020"))]
    row = tca.execution_row(Execution.from_order(order), markouts=marks, end_mid=D("64980"), fills=fills)
    assert row["partial_fill"] is True and row["remaining"] == D("1")
    # sell limit at 65010 with arrival mid 65000: 10/65000*1e4 bps away on the passive side
    assert row["limit_distance_bps"] == pytest.approx(D("1.538461538"), abs=D("1e-6"))
    # IS vs decision 64990: execution -1*1*(65010-64990) = -20; opportunity -1*1*(64980-64990) = +10; fees 1.0
    assert row["is_execution_cost"] == D("-20") and row["is_opportunity_cost"] == D("10")
    assert row["implementation_shortfall"] == D("-9.0")
    assert row["markout_1s_bps"] == 0  # +1.54 and -1.54, equal weights
    assert row["markout_5s_bps"] is None
    assert row["n_fills"] == 2 and row["maker_ratio"] == D("0.5")
    assert (row["venue_first_fill_ms"], row["venue_last_fill_ms"]) == (111, 222)
    assert row["effective_spread_bps"] == pytest.approx(D("-3.0769"), abs=D("1e-4"))  # a maker sell above mid earns
    assert json.loads(row["errors"]) == [] and row["size_bucket"] == ">=100k"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.decimals(min_value=-500, max_value=500, places=2), min_size=1, max_size=40),
       st.sampled_from([0.1, 0.5, 0.9, 0.99]))
def test_quantile_agrees_with_pandas(values, q):
    ours = tca.quantile(values, q)
    theirs = pd.Series([float(v) for v in values]).quantile(q)
    assert float(ours) == pytest.approx(theirs, abs=1e-9)


def test_summary_groups_and_windows():
    def row(cid, symbol, slip, lat, done, origin="human", notional="500"):
        return {"client_order_id": cid, "symbol": symbol, "slippage_bps": D(slip), "slippage_arrival_bps": D(slip),
                "latency_ms": lat, "done_ms": done, "origin": origin, "order_type": "market", "filled": D("1"),
                "size_bucket": tca.size_bucket(D(notional)), "fill_ratio": D("1"), "time_to_first_fill_ms": lat}
    rows = [row("a", "BTC/USDT", "1", 10.0, 1), row("b", "BTC/USDT", "3", 30.0, 2),
            row("c", "ETH/USDT", "-2", 20.0, 3, "copilot", "5000"), row("d", "ETH/USDT", "10", 200.0, 4, "copilot")]
    everything = tca.summary(rows, "symbol")
    assert [g.group for g in everything] == ["all", "BTC/USDT", "ETH/USDT"]
    assert everything[0].slippage_median_bps == D("2")  # (1 + 3) / 2
    assert everything[0].slippage_p90_bps == D("7.9")  # 3 + 0.7 * (10 - 3)
    assert everything[1].latency_p90_ms == pytest.approx(28.0)
    by_size = tca.summary(rows, "size_bucket")
    assert [g.group for g in by_size] == ["all", "100-1k", "1k-10k"]
    recent = tca.summary(rows, "origin", since_ms=3)
    assert [(g.group, g.n) for g in recent] == [("all", 2), ("copilot", 2)]
    assert tca.summary(rows, "all", last_n=1)[0].n == 1
    with pytest.raises(ValueError, match="cannot group by"):
        tca.summary(rows, "colour")


def test_fill_probability_by_distance():
    def lim(distance, filled, amount="1"):
        return {"order_type": "limit", "status": "canceled", "limit_distance_bps": D(distance), "filled": D(filled),
                "amount": D(amount), "fill_ratio": D(filled) / D(amount)}
    rows = [lim("-1", "1"), lim("1", "1"), lim("1.5", "0"), lim("4", "0.5"), lim("80", "0"),
            {"order_type": "market", "limit_distance_bps": None}]
    buckets = {b.label: b for b in tca.fill_probability(rows)}
    assert buckets["<=0"].n == 1 and buckets["<=0"].p_any_fill == 1
    assert buckets["0-2"].n == 2 and buckets["0-2"].p_any_fill == D("0.5")
    assert buckets["2-5"].p_any_fill == 1 and buckets["2-5"].p_full_fill == 0
    assert buckets[">50"].p_any_fill == 0 and buckets["5-10"].n == 0 and buckets["5-10"].p_any_fill is None


def test_markout_curves_and_size_buckets():
    rows = [{"origin": "human", "markout_1s_bps": D("2"), "markout_5s_bps": D("1"), "markout_60s_bps": None,
             "markout_300s_bps": D("-4")},
            {"origin": "human", "markout_1s_bps": D("4"), "markout_5s_bps": None, "markout_60s_bps": None,
             "markout_300s_bps": D("-2")}]
    assert tca.markout_curves(rows) == {"human": [D("3"), D("1"), None, D("-3")]}
    assert [tca.size_bucket(D(x)) for x in ("99.99", "100", "9999", "10000", "250000")] == [
        "<100", "100-1k", "1k-10k", "10k-100k", ">=100k"]
    assert tca.size_bucket(None) == "unknown"
    assert tca.quote_currency("BTC/USDT:USDT") == "USDT"
