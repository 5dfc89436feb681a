"""Transaction cost analysis over execution records: the TCA screen and the export share this code.

Sign convention (reference/risk-tca.md section 3): s = +1 for a buy, -1 for a sell, and every
cost figure is signed so that a positive number is a cost, for buys and sells alike. Markouts
are the exception, as in the reference: a positive markout means the fill was favourable.

The unit of work is a *row*: a flat dict with the export's column names (``execution_row``),
built from an ``Execution`` (or its ``as_record()``) plus what the markout recorder saw (mids
after each fill, the mid when the order ended) and the order's fills. The TUI builds rows from
the Desk's memory, ``workstation export`` from the journal; both then aggregate the same rows
with ``summary``, ``fill_probability``, ``markout_curves``... so the two always agree.

Money and bps are Decimal in rows and in the statistics. No pandas here: ``summary`` is called a
few times a second by the TUI and is plain sorting over a few hundred rows.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

from .domain.execution import Execution
from .domain.money import BPS, ZERO
from .domain.orders import LEGS

SCHEMA_VERSION = 1  # of the export rows; bump when a column changes meaning or goes away
HORIZONS_S: tuple[int, ...] = (1, 5, 60, 300)
GROUP_KEYS = ("all", "symbol", "size_bucket", "order_type", "origin")
LIMIT_TYPES = frozenset({"limit", "stop_limit", "take_profit_limit"})
# Size buckets by notional in the quote currency (decades): label, upper bound (exclusive).
SIZE_BUCKETS: tuple[tuple[str, Decimal | None], ...] = (
    ("<100", Decimal(100)), ("100-1k", Decimal(1_000)), ("1k-10k", Decimal(10_000)),
    ("10k-100k", Decimal(100_000)), (">=100k", None),
)
# Distance of a limit order from the mid when it was sent, in bps; positive = passive (away from the market).
DISTANCE_EDGES_BPS: tuple[Decimal, ...] = tuple(Decimal(x) for x in (0, 2, 5, 10, 25, 50))


# -- formulas ---------------------------------------------------------------------------------
def side_sign(side: str) -> int:
    if side not in ("buy", "sell"):
        raise ValueError(f"side must be 'buy' or 'sell', got {side!r}")
    return 1 if side == "buy" else -1


def slippage_bps(side: str, price: Decimal | None, benchmark: Decimal | None) -> Decimal | None:
    """s * (P - B) / B * 1e4: positive = paid more than the benchmark (buy) or got less (sell)."""
    if price is None or not benchmark:
        return None
    return side_sign(side) * (price - benchmark) / benchmark * BPS


def effective_spread_bps(side: str, price: Decimal | None, mid0: Decimal | None) -> Decimal | None:
    """Rule 605 effective spread 2 * s * (P - M0), in bps of M0 (M0 = the mid when the order arrived)."""
    if price is None or not mid0:
        return None
    return 2 * side_sign(side) * (price - mid0) / mid0 * BPS


def realized_spread_bps(side: str, price: Decimal | None, mid_later: Decimal | None,
                        mid0: Decimal | None) -> Decimal | None:
    """2 * s * (P - M_{t+d}) in bps of M0, so that effective = realized + price impact."""
    if price is None or mid_later is None or not mid0:
        return None
    return 2 * side_sign(side) * (price - mid_later) / mid0 * BPS


def price_impact_bps(side: str, mid_later: Decimal | None, mid0: Decimal | None) -> Decimal | None:
    """2 * s * (M_{t+d} - M0) in bps of M0."""
    if mid_later is None or not mid0:
        return None
    return 2 * side_sign(side) * (mid_later - mid0) / mid0 * BPS


def markout_bps(side: str, fill_price: Decimal | None, mid_later: Decimal | None) -> Decimal | None:
    """s * (M_{t+d} - P) / P * 1e4. Positive = the fill was favourable; negative = adverse selection."""
    if not fill_price or mid_later is None:
        return None
    return side_sign(side) * (mid_later - fill_price) / fill_price * BPS


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Perold's implementation shortfall in quote currency, against the decision price P_d."""

    execution_cost: Decimal  # sum q_j * s * (p_j - P_d)
    opportunity_cost: Decimal | None  # s * (Q - sum q_j) * (P_end - P_d); None if unfilled and no end mid
    fees: Decimal  # only fees paid in the quote currency are counted
    total: Decimal | None
    bps: Decimal | None  # total / (Q * P_d) * 1e4


def implementation_shortfall(side: str, amount: Decimal, filled: Decimal, average: Decimal | None,
                             decision: Decimal | None, end_mid: Decimal | None,
                             fees: Decimal = ZERO) -> Shortfall | None:
    """IS = sum q_j s (p_j - P_d) + s (Q - sum q_j)(P_end - P_d) + fees; None without a decision price.

    sum q_j * p_j is filled * average, so the VWAP of the fills is all the first term needs.
    """
    if not decision or not amount:
        return None
    s = side_sign(side)
    execution = s * filled * (average - decision) if filled and average is not None else ZERO
    unfilled = amount - filled
    if unfilled <= 0:
        opportunity: Decimal | None = ZERO
    elif end_mid is None:
        opportunity = None
    else:
        opportunity = s * unfilled * (end_mid - decision)
    total = None if opportunity is None else execution + opportunity + fees
    bps = None if total is None else total / (amount * decision) * BPS
    return Shortfall(execution, opportunity, fees, total, bps)


def size_bucket(notional: Decimal | None) -> str:
    if notional is None:
        return "unknown"
    for label, upper in SIZE_BUCKETS:
        if upper is None or notional < upper:
            return label
    return SIZE_BUCKETS[-1][0]


def quote_currency(symbol: str) -> str:
    """'BTC/USDT' -> 'USDT', 'BTC/USDT:USDT' -> 'USDT'."""
    rest = symbol.split("/", 1)[1] if "/" in symbol else ""
    return rest.split(":", 1)[0]


def quantile(values: Sequence[Any], q: float) -> Any:
    """Linear interpolation between closest ranks (numpy's and pandas' default); None when empty.

    Works on Decimals (exactly) and on floats; the result has the type of the values.
    """
    xs = sorted(values)
    if not xs:
        return None
    exact = isinstance(xs[0], Decimal)
    h = (len(xs) - 1) * (Decimal(repr(q)) if exact else q)
    lo = math.floor(h)
    hi = min(lo + 1, len(xs) - 1)
    frac = h - lo
    if frac == 0 or xs[hi] == xs[lo]:
        return xs[lo]
    return xs[lo] + (xs[hi] - xs[lo]) * frac


def _mean(values: Sequence[Any]) -> Any:
    if not values:
        return None
    total = sum(values, Decimal(0) if isinstance(values[0], Decimal) else 0.0)
    return total / len(values)


# -- rows -------------------------------------------------------------------------------------
def _d(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return Decimal(repr(value))
    return Decimal(str(value))


def _get(obj: Any, key: str, default: Any = None) -> Any:
    return obj.get(key, default) if isinstance(obj, Mapping) else getattr(obj, key, default)


@dataclass(frozen=True, slots=True)
class MarkoutSample:
    """The mid of the fill's symbol ``horizon_s`` after the fill (by the desk clock), and what it says."""

    venue: str
    symbol: str
    trade_id: str
    client_order_id: str
    side: str
    fill_price: Decimal
    fill_amount: Decimal
    fill_ms: int  # desk wall clock when the desk learned of the fill
    horizon_s: int
    mid: Decimal
    mid_ms: int  # desk wall clock of the book the mid came from (at or after fill_ms + horizon)
    markout_bps: Decimal

    def as_record(self) -> dict[str, Any]:
        return {name: (str(v) if isinstance(v, Decimal) else v)
                for name in self.__slots__ for v in (getattr(self, name),)}

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> "MarkoutSample":
        return cls(
            venue=data["venue"], symbol=data["symbol"], trade_id=str(data["trade_id"]),
            client_order_id=data.get("client_order_id") or "", side=data["side"],
            fill_price=Decimal(data["fill_price"]), fill_amount=Decimal(data["fill_amount"]),
            fill_ms=int(data["fill_ms"]), horizon_s=int(data["horizon_s"]), mid=Decimal(data["mid"]),
            mid_ms=int(data["mid_ms"]), markout_bps=Decimal(data["markout_bps"]),
        )


def execution_row(execution: Execution | Mapping[str, Any], *, markouts: Iterable[MarkoutSample] = (),
                  end_mid: Decimal | None = None, fills: Iterable[Any] = ()) -> dict[str, Any]:
    """One export row for one execution: raw prices and timestamps, and every derived figure.

    ``execution`` is an Execution or its ``as_record()`` (as journaled). ``fills`` are Fill objects
    or their journaled dicts (for venue timestamps, fill count and maker share). Values are
    Decimal / int / float / str / bool / None; the export turns Decimals into float64.
    """
    rec = execution.as_record() if isinstance(execution, Execution) else dict(execution)
    side = rec["side"]
    s = side_sign(side)
    amount = _d(rec["amount"]) or ZERO
    filled = _d(rec["filled"]) or ZERO
    avg = _d(rec.get("average_price"))
    intended = _d(rec.get("intended_price"))
    decision, approval, arrival = (_d(rec.get(k)) for k in ("decision_mid", "approval_mid", "arrival_mid"))
    fees = _d(rec.get("fees")) or ZERO
    fee_currency = rec.get("fee_currency") or ""
    symbol = rec["symbol"]
    order_type = rec["order_type"]
    reference = avg or intended or arrival or decision
    notional = amount * reference if reference is not None else None
    fees_in_quote = fee_currency in ("", quote_currency(symbol))
    shortfall = implementation_shortfall(side, amount, filled, avg, decision, end_mid,
                                         fees if fees_in_quote else ZERO)
    limit_price = intended if order_type in LIMIT_TYPES else None
    mid0 = arrival or decision
    distance = s * (mid0 - limit_price) / mid0 * BPS if limit_price is not None and mid0 else None
    wall = rec.get("legs_wall_ms") or {}
    legs = rec.get("legs_ms") or {}
    errors = list(rec.get("errors") or [])

    row: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "client_order_id": rec["client_order_id"],
        "venue": rec["venue"],
        "symbol": symbol,
        "side": side,
        "side_sign": s,
        "order_type": order_type,
        "origin": rec.get("origin") or "",
        "status": rec.get("status") or "",
        "amount": amount,
        "filled": filled,
        "remaining": amount - filled,
        "fill_ratio": _d(rec.get("fill_ratio")),
        "partial_fill": bool(rec.get("partial_fill")),
        "intended_entry": intended,
        "actual_entry": avg,
        "limit_price": limit_price,
        "decision_mid": decision,
        "approval_mid": approval,
        "arrival_mid": arrival,
        "end_mid": end_mid,
        "notional": notional,
        "size_bucket": size_bucket(notional),
        "slippage_bps": _d(rec.get("slippage_bps")),
        "slippage_decision_bps": _d(rec.get("slippage_decision_bps")),
        "slippage_approval_bps": _d(rec.get("slippage_approval_bps")),
        "slippage_arrival_bps": _d(rec.get("slippage_arrival_bps")),
        "delay_cost_bps": slippage_bps(side, arrival, decision),  # decision -> send
        "approval_cost_bps": slippage_bps(side, approval, decision),  # decision -> approval
        "effective_spread_bps": effective_spread_bps(side, avg, mid0),
        "is_execution_cost": shortfall.execution_cost if shortfall else None,
        "is_opportunity_cost": shortfall.opportunity_cost if shortfall else None,
        "is_fees": shortfall.fees if shortfall else None,
        "implementation_shortfall": shortfall.total if shortfall else None,
        "implementation_shortfall_bps": shortfall.bps if shortfall else None,
        "fees": fees,
        "fee_currency": fee_currency,
        "limit_distance_bps": distance,
        "latency_ms": rec.get("latency_ms"),
        "time_to_first_fill_ms": rec.get("time_to_first_fill_ms"),
        "time_to_complete_ms": rec.get("time_to_complete_ms"),
        "approval_wait_ms": rec.get("approval_wait_ms"),
    }
    for leg in LEGS:
        row[f"leg_{leg}_ms"] = legs.get(leg)  # monotonic, from the first leg (decided)
    for leg in LEGS:
        row[f"ts_{leg}_ms"] = wall.get(leg)  # wall clock, epoch ms
    row["done_ms"] = wall.get("done") or max(wall.values(), default=None)

    # fills: venue timestamps, count, maker share
    fill_list = list(fills)
    venue_ts = [int(_get(f, "timestamp_ms") or 0) for f in fill_list if _get(f, "timestamp_ms")]
    makers = [f for f in fill_list if _get(f, "liquidity") == "maker"]
    row["n_fills"] = len(fill_list)
    row["maker_ratio"] = (Decimal(len(makers)) / len(fill_list)) if fill_list else None
    row["venue_first_fill_ms"] = min(venue_ts, default=None)
    row["venue_last_fill_ms"] = max(venue_ts, default=None)

    # markouts: fill-amount-weighted mean over this order's fills, per horizon
    by_h: dict[int, list[MarkoutSample]] = {}
    for m in markouts:
        by_h.setdefault(m.horizon_s, []).append(m)
    for h in HORIZONS_S:
        samples = by_h.get(h, [])
        weight = sum((m.fill_amount for m in samples), ZERO)
        row[f"markout_{h}s_bps"] = (sum((m.markout_bps * m.fill_amount for m in samples), ZERO) / weight
                                    if weight else None)
        mid_later = (sum((m.mid * m.fill_amount for m in samples), ZERO) / weight) if weight else None
        if h == HORIZONS_S[-1]:
            row[f"realized_spread_{h}s_bps"] = realized_spread_bps(side, avg, mid_later, mid0)
            row[f"price_impact_{h}s_bps"] = price_impact_bps(side, mid_later, mid0)
    row["errors"] = json.dumps(errors)
    row["error_count"] = len(errors)
    row["reason"] = rec.get("reason") or ""
    return row


# -- aggregation ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class GroupStats:
    key: str  # the grouping: all | symbol | size_bucket | order_type | origin
    group: str
    n: int  # executions in the group
    n_filled: int  # with at least one fill (those have a slippage)
    slippage_median_bps: Decimal | None  # vs the intended price
    slippage_p90_bps: Decimal | None
    arrival_median_bps: Decimal | None  # vs the arrival mid
    arrival_p90_bps: Decimal | None
    latency_median_ms: float | None  # sent -> acked
    latency_p90_ms: float | None
    first_fill_median_ms: float | None
    fill_ratio_mean: Decimal | None
    shortfall_mean_bps: Decimal | None


def window(rows: Iterable[Mapping[str, Any]], since_ms: int | None = None,
           last_n: int | None = None) -> list[Mapping[str, Any]]:
    """Rows that ended at or after ``since_ms`` (wall ms), then the ``last_n`` most recent of them."""
    out = [r for r in rows if since_ms is None or (r.get("done_ms") or 0) >= since_ms]
    out.sort(key=lambda r: (r.get("done_ms") or 0, r.get("client_order_id") or ""))
    return out[-last_n:] if last_n else out


def _vals(rows: Iterable[Mapping[str, Any]], column: str) -> list[Any]:
    out = []
    for r in rows:
        v = r.get(column)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        out.append(v)
    return out


def group_stats(key: str, group: str, rows: Sequence[Mapping[str, Any]]) -> GroupStats:
    slip = _vals(rows, "slippage_bps")
    arrival = _vals(rows, "slippage_arrival_bps")
    latency = [float(v) for v in _vals(rows, "latency_ms")]
    first = [float(v) for v in _vals(rows, "time_to_first_fill_ms")]
    return GroupStats(
        key=key, group=group, n=len(rows), n_filled=sum(1 for r in rows if (r.get("filled") or 0) > 0),
        slippage_median_bps=quantile(slip, 0.5), slippage_p90_bps=quantile(slip, 0.9),
        arrival_median_bps=quantile(arrival, 0.5), arrival_p90_bps=quantile(arrival, 0.9),
        latency_median_ms=quantile(latency, 0.5), latency_p90_ms=quantile(latency, 0.9),
        first_fill_median_ms=quantile(first, 0.5),
        fill_ratio_mean=_mean(_vals(rows, "fill_ratio")),
        shortfall_mean_bps=_mean(_vals(rows, "implementation_shortfall_bps")),
    )


def summary(rows: Iterable[Mapping[str, Any]], by: str = "symbol", *, since_ms: int | None = None,
            last_n: int | None = None) -> list[GroupStats]:
    """Median and p90 slippage and latency per group, over a window; the 'all' row first."""
    if by not in GROUP_KEYS:
        raise ValueError(f"cannot group by {by!r}: choose one of {', '.join(GROUP_KEYS)}")
    chosen = window(rows, since_ms, last_n)
    out = [group_stats("all", "all", chosen)]
    if by == "all":
        return out
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in chosen:
        groups.setdefault(str(r.get(by) or ""), []).append(r)
    order = [label for label, _ in SIZE_BUCKETS] + ["unknown"] if by == "size_bucket" else sorted(groups)
    out.extend(group_stats(by, g, groups[g]) for g in order if g in groups)
    return out


@dataclass(frozen=True, slots=True)
class FillBucket:
    label: str
    lo_bps: Decimal | None  # exclusive
    hi_bps: Decimal | None  # inclusive
    n: int
    p_any_fill: Decimal | None  # share of orders with at least one fill
    p_full_fill: Decimal | None
    fill_ratio_mean: Decimal | None


def fill_probability(rows: Iterable[Mapping[str, Any]],
                     edges: Sequence[Decimal] = DISTANCE_EDGES_BPS) -> list[FillBucket]:
    """How likely a limit order is to fill against its distance from the mid when it was sent.

    Distance = s * (M0 - L) / M0 in bps: <= 0 is marketable, larger is further from the market.
    Only limit orders that reached the venue and ended count; every bucket is reported, empty or not.
    """
    limits = [r for r in rows if r.get("order_type") in LIMIT_TYPES and r.get("limit_distance_bps") is not None
              and r.get("status") not in ("rejected",)]
    bounds: list[tuple[Decimal | None, Decimal | None]] = [(None, edges[0])]
    bounds += list(zip(edges[:-1], edges[1:]))
    bounds.append((edges[-1], None))
    out = []
    for lo, hi in bounds:
        members = [r for r in limits
                   if (lo is None or _d(r["limit_distance_bps"]) > lo) and (hi is None or _d(r["limit_distance_bps"]) <= hi)]
        label = f"<={hi}" if lo is None else (f">{lo}" if hi is None else f"{lo}-{hi}")
        n = len(members)
        filled = [(_d(r.get("filled")) or ZERO, _d(r.get("amount")) or ZERO) for r in members]
        out.append(FillBucket(
            label, lo, hi, n,
            Decimal(sum(1 for f, _ in filled if f > 0)) / n if n else None,
            Decimal(sum(1 for f, a in filled if a and f >= a)) / n if n else None,
            _mean(_vals(members, "fill_ratio")),
        ))
    return out


def markout_curves(rows: Iterable[Mapping[str, Any]], by: str = "origin") -> dict[str, list[Decimal | None]]:
    """Mean markout (bps) per horizon in HORIZONS_S, per group: {'human': [m1, m5, m60, m300], ...}."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        groups.setdefault(str(r.get(by) or "") if by != "all" else "all", []).append(r)
    return {g: [_mean(_vals(members, f"markout_{h}s_bps")) for h in HORIZONS_S] for g, members in sorted(groups.items())}


def slippage_vs_size(rows: Iterable[Mapping[str, Any]]) -> list[tuple[Decimal, Decimal]]:
    """(notional, slippage bps vs intended) for every execution with a fill: the scatter's points."""
    return [(r["notional"], r["slippage_bps"]) for r in rows
            if r.get("notional") is not None and r.get("slippage_bps") is not None]


def latencies(rows: Iterable[Mapping[str, Any]], column: str = "latency_ms") -> list[float]:
    return [float(v) for v in _vals(rows, column)]


def error_counts(error_rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], int]:
    """Errors by (venue, kind) from export error rows."""
    out: dict[tuple[str, str], int] = {}
    for r in error_rows:
        key = (str(r.get("venue") or ""), str(r.get("error_kind") or ""))
        out[key] = out.get(key, 0) + 1
    return out


def rows_from_memory(executions: Iterable[Execution], recorder: Any = None) -> list[dict[str, Any]]:
    """Rows from the Desk's in-memory views: ``desk.executions()`` and ``desk.markouts`` (the recorder).

    Gives the same rows as ``workstation export`` rebuilds from the journal.
    """
    rows = []
    for e in executions:
        cid = e.client_order_id
        rows.append(execution_row(
            e,
            markouts=recorder.for_order(cid) if recorder is not None else (),
            end_mid=recorder.end_mids.get(cid) if recorder is not None else None,
            fills=recorder.fills.get(cid, ()) if recorder is not None else (),
        ))
    rows.sort(key=lambda r: (r.get("done_ms") or 0, r["client_order_id"]))
    return rows
