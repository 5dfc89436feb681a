"""`workstation export`: the journal as training and evaluation data (JSONL, Parquet or CSV via pandas).

Three kinds of rows, each with a versioned schema (``SCHEMAS``, documented in the README):

- executions: one row per order that reached a venue and ended, raw prices and timestamps and
  every derived figure (``workstation.tca.execution_row``, the same code the TCA screen uses);
- errors: one row per error scenario: the request, the error, its classification, what was
  done, and how the order (or the copilot's call) ended;
- decisions: one row per staged order (and per copilot cancel/modify suggestion): the proposal
  with its context snapshot, the decision, who made it, edits and reason: preference pairs.

The journal is opened read-only. Every string that leaves is scrubbed of anything that looks
like a credential (api key, secret, signature, passphrase, token), and no column may be named
like one: exports never contain secrets.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sqlite3
import sys
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

from .desk.journal import Event
from .domain.orders import LEGS
from .tca import HORIZONS_S, SCHEMA_VERSION, MarkoutSample, execution_row

KINDS = ("executions", "errors", "decisions")
FORMATS = ("jsonl", "parquet", "csv")


class ExportError(Exception):
    """Something the user can fix; the message is one line that says what."""


# -- schemas: (column, dtype, description); the README's tables are generated from these -----------
F, I, B, S = "float64", "Int64", "boolean", "string"
EXECUTION_SCHEMA: list[tuple[str, str, str]] = [
    ("schema_version", I, "version of this schema"),
    ("client_order_id", S, "our id for the order (unique)"),
    ("venue", S, "venue name from the config (paper, binance-testnet, ...)"),
    ("symbol", S, "unified symbol, e.g. BTC/USDT or BTC/USDT:USDT"),
    ("side", S, "buy | sell"),
    ("side_sign", I, "+1 buy, -1 sell (s in every formula)"),
    ("order_type", S, "market | limit | stop_market | stop_limit | take_profit_* | trailing_stop"),
    ("origin", S, "human | copilot | emulator | external"),
    ("status", S, "final status: filled | canceled | rejected | expired | lost"),
    ("amount", F, "ordered amount (base units or contracts)"),
    ("filled", F, "filled amount"),
    ("remaining", F, "amount - filled"),
    ("fill_ratio", F, "filled / amount"),
    ("partial_fill", B, "0 < filled < amount"),
    ("intended_entry", F, "intended price: the limit price, the trigger of a stop / take-profit, or the decision mid for a market order"),
    ("actual_entry", F, "VWAP of the fills (null if nothing filled)"),
    ("limit_price", F, "the limit price of limit-type orders"),
    ("decision_mid", F, "mid when the human or copilot formed the intent (P_d)"),
    ("approval_mid", F, "mid at the human's approval (P_a)"),
    ("arrival_mid", F, "mid when the order was sent (P_0)"),
    ("end_mid", F, "mid when the order ended (P_end, for the opportunity cost)"),
    ("notional", F, "amount x (actual_entry or intended_entry or arrival_mid), quote currency"),
    ("size_bucket", S, "notional bucket: <100 | 100-1k | 1k-10k | 10k-100k | >=100k | unknown"),
    ("slippage_bps", F, "s*(actual-intended)/intended*1e4; positive = cost"),
    ("slippage_decision_bps", F, "against decision_mid; positive = cost"),
    ("slippage_approval_bps", F, "against approval_mid; positive = cost"),
    ("slippage_arrival_bps", F, "against arrival_mid; positive = cost"),
    ("delay_cost_bps", F, "s*(arrival_mid-decision_mid)/decision_mid*1e4"),
    ("approval_cost_bps", F, "s*(approval_mid-decision_mid)/decision_mid*1e4"),
    ("effective_spread_bps", F, "2*s*(actual-arrival_mid)/arrival_mid*1e4 (Rule 605)"),
    ("is_execution_cost", F, "sum q_j*s*(p_j-P_d), quote currency"),
    ("is_opportunity_cost", F, "s*(amount-filled)*(end_mid-P_d), quote currency"),
    ("is_fees", F, "fees counted in the shortfall (those paid in the quote currency)"),
    ("implementation_shortfall", F, "execution + opportunity + fees, quote currency; positive = cost"),
    ("implementation_shortfall_bps", F, "implementation_shortfall / (amount*P_d) * 1e4"),
    ("fees", F, "fees paid, in fee_currency"),
    ("fee_currency", S, "currency of fees"),
    ("limit_distance_bps", F, "s*(arrival_mid-limit)/arrival_mid*1e4: <=0 marketable, >0 passive"),
    ("latency_ms", F, "sent -> acked (monotonic clock): the venue round trip"),
    ("time_to_first_fill_ms", F, "sent -> first fill (monotonic)"),
    ("time_to_complete_ms", F, "sent -> done, only when completely filled (monotonic)"),
    ("approval_wait_ms", F, "staged -> approved (monotonic): the human's part"),
    *[(f"leg_{leg}_ms", F, f"monotonic ms from 'decided' to '{leg}'") for leg in LEGS],
    *[(f"ts_{leg}_ms", I, f"wall clock (epoch ms, desk clock) of '{leg}'") for leg in LEGS],
    ("done_ms", I, "wall clock (epoch ms) when the order ended"),
    ("n_fills", I, "number of fills"),
    ("maker_ratio", F, "share of fills that were maker"),
    ("venue_first_fill_ms", I, "venue timestamp of the first fill (epoch ms)"),
    ("venue_last_fill_ms", I, "venue timestamp of the last fill (epoch ms)"),
    *[(f"markout_{h}s_bps", F, f"s*(mid at fill+{h}s - fill price)/fill price*1e4, amount-weighted "
       "over fills; positive = favourable") for h in HORIZONS_S],
    (f"realized_spread_{HORIZONS_S[-1]}s_bps", F, "2*s*(actual - mid at +300s)/arrival_mid*1e4"),
    (f"price_impact_{HORIZONS_S[-1]}s_bps", F, "2*s*(mid at +300s - arrival_mid)/arrival_mid*1e4"),
    ("errors", S, "JSON list of the error messages met on the way"),
    ("error_count", I, "length of errors"),
    ("reason", S, "why it was rejected / canceled / lost"),
]
ERROR_SCHEMA: list[tuple[str, str, str]] = [
    ("schema_version", I, "version of this schema"),
    ("seq", I, "journal sequence number"),
    ("ts_ms", I, "when it was journaled (epoch ms)"),
    ("event", S, "journal kind: rejected | send_retry | in_doubt | cancel_failed | lost | "
                 "illegal_transition | denied | copilot_error"),
    ("venue", S, "venue name"),
    ("symbol", S, "symbol"),
    ("client_order_id", S, "the order concerned (null for copilot errors without one)"),
    ("origin", S, "human | copilot | ..."),
    ("actor", S, "who acted: human, desk, copilot:..."),
    ("error_kind", S, "classification: transient | rate_limited | permanent | parameter | auth | not_found | "
                      "unknown_outcome | risk | illegal_transition | a copilot scenario"),
    ("message", S, "the error text (secrets redacted)"),
    ("action", S, "what the workstation did about it"),
    ("request", S, "JSON of the request: the order spec, or the copilot's tool call"),
    ("attempt", I, "for send_retry: the retry number for that order"),
    ("retries", I, "send retries the order needed in total"),
    ("outcome", S, "how it ended: the order's final status (or the copilot's outcome)"),
    ("outcome_filled", F, "filled amount at the end"),
    ("outcome_reason", S, "the order's final reason"),
]
DECISION_SCHEMA: list[tuple[str, str, str]] = [
    ("schema_version", I, "version of this schema"),
    ("client_order_id", S, "the staged order (null for a cancel/modify suggestion)"),
    ("proposal_id", S, "the copilot's proposal id, if it came from one"),
    ("proposal_kind", S, "stage | cancel | modify"),
    ("staged_ms", I, "when it was staged (desk wall clock, epoch ms)"),
    ("staged_by", S, "actor that staged it"),
    ("origin", S, "human | copilot"),
    ("venue", S, "venue"),
    ("symbol", S, "symbol"),
    ("side", S, "buy | sell"),
    ("order_type", S, "order type"),
    ("amount", F, "amount as staged"),
    ("price", F, "limit price as staged"),
    ("trigger_price", F, "trigger price as staged"),
    ("time_in_force", S, "GTC | IOC | FOK"),
    ("post_only", B, "post-only flag"),
    ("reduce_only", B, "reduce-only flag"),
    ("decision_mid", F, "mid when the intent was formed"),
    ("rationale", S, "why (the copilot's or the trader's note)"),
    ("prompt", S, "the copilot's prompt, if any"),
    ("context", S, "JSON snapshot at proposal time: mid, best bid/ask, spread, balances, expected cost, impact"),
    ("decision", S, "approved | declined | denied | expired | pending (or the UI's word for suggestions)"),
    ("decided_by", S, "human, or risk_gate for a denial"),
    ("decision_ms", I, "when the decision was journaled (epoch ms)"),
    ("decision_wait_ms", F, "staged -> decision (ms, from journal timestamps)"),
    ("reason", S, "the decision's reason (declines, denials)"),
    ("problems", S, "JSON list of the risk rules that denied it"),
    ("edits", S, "JSON list of changes made by the human: spec changes from the proposal, amendments"),
    ("n_edits", I, "length of edits"),
    ("chosen", B, "true if approved: the preference label"),
    ("final_status", S, "the order's final status"),
    ("filled", F, "filled amount at the end"),
    ("slippage_bps", F, "the execution's slippage vs intended (outcome label)"),
    ("implementation_shortfall_bps", F, "the execution's shortfall (outcome label)"),
]
SCHEMAS = {"executions": EXECUTION_SCHEMA, "errors": ERROR_SCHEMA, "decisions": DECISION_SCHEMA}


# -- secrets -----------------------------------------------------------------------------------
_SECRET_NAME = r"(?:api[_-]?key|apikey|x-mbx-apikey|api[_-]?secret|secret(?:[_-]?key)?|private[_-]?key|" \
               r"signature|sign|passphrase|password|passwd|access[_-]?token|auth[_-]?token|token)"
_SECRET_KV = re.compile(
    r"(?i)([\"']?\b" + _SECRET_NAME + r"[\"']?\s*[=:]\s*[\"']?)([^\"'&\s,;}\]]{3,})")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_SECRET_KEY = re.compile(r"(?i)^" + _SECRET_NAME + r"$|api.?key|secret|signature|passphrase|password|token")


def scrub(text: str) -> str:
    """Redact credential-looking values: key=value, "key": "value", key: value, Bearer tokens."""
    text = _SECRET_KV.sub(lambda m: m.group(1) + "***", text)
    return _BEARER.sub(lambda m: m.group(1) + " ***", text)


def scrub_obj(value: Any) -> Any:
    """Scrub a JSON-like structure: values under secret-looking keys are replaced whole."""
    if isinstance(value, dict):
        return {k: ("***" if isinstance(k, str) and _SECRET_KEY.search(k) else scrub_obj(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_obj(v) for v in value]
    if isinstance(value, str):
        return scrub(value)
    return value


def _json(value: Any) -> str:
    return json.dumps(scrub_obj(value), default=str, sort_keys=True, separators=(",", ":"))


# -- reading -----------------------------------------------------------------------------------
def read_events(path: str | Path) -> list[Event]:
    """Every journal event, in order, through a read-only connection."""
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"no journal at {path}: pass --journal PATH, or set data_dir in the config")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ExportError(f"cannot open the journal {path}: {exc}") from None
    try:
        rows = db.execute("SELECT seq, ts_ms, kind, actor, venue, client_order_id, trade_id, order_state, payload "
                          "FROM events ORDER BY seq").fetchall()
    except sqlite3.DatabaseError as exc:
        raise ExportError(f"{path} is not a workstation journal: {exc}") from None
    finally:
        db.close()
    return [Event(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]) if r[7] else None,
                  json.loads(r[8]) if r[8] else {}) for r in rows]


def _d(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


# -- executions --------------------------------------------------------------------------------
def execution_rows(events: Iterable[Event], since_ms: int | None = None) -> list[dict[str, Any]]:
    """The same rows the TCA screen builds from memory, rebuilt from the journal."""
    executions: dict[str, tuple[int, dict]] = {}
    markouts: dict[str, list[MarkoutSample]] = {}
    seen_markouts: set[tuple[str, str, int]] = set()
    end_mids: dict[str, Decimal] = {}
    fills: dict[str, list[dict]] = {}
    for e in events:
        if e.kind == "execution" and e.client_order_id and "execution" in e.payload:
            executions[e.client_order_id] = (e.ts_ms, e.payload["execution"])  # a later row supersedes
        elif e.kind == "markout":
            sample = MarkoutSample.from_record(e.payload)
            key = (sample.client_order_id, sample.trade_id, sample.horizon_s)
            if key not in seen_markouts:  # the first sample per (trade, horizon) wins
                seen_markouts.add(key)
                markouts.setdefault(sample.client_order_id, []).append(sample)
        elif e.kind == "end_mid" and e.payload.get("client_order_id") and e.payload.get("mid") is not None:
            end_mids[e.payload["client_order_id"]] = Decimal(e.payload["mid"])
        elif e.kind == "fill" and "fill" in e.payload:
            fill = e.payload["fill"]
            if fill.get("client_order_id"):
                fills.setdefault(fill["client_order_id"], []).append(fill)
    rows = []
    for cid, (ts, record) in executions.items():
        if since_ms is not None and ts < since_ms:
            continue
        rows.append(execution_row(record, markouts=markouts.get(cid, ()), end_mid=end_mids.get(cid),
                                  fills=fills.get(cid, ())))
    rows.sort(key=lambda r: (r.get("done_ms") or 0, r["client_order_id"]))
    return rows


# -- errors ------------------------------------------------------------------------------------
_ACTIONS = {
    "rejected": "rejected: nothing placed; the venue's message shown to the trader",
    "send_retry": "retried the send with the same client order id after a backoff",
    "in_doubt": "marked in doubt; looked up by client order id, never re-sent",
    "cancel_failed": "cancel refused; the order left as it was and the trader told",
    "lost": "declared lost after the grace period; late fills still accepted",
    "illegal_transition": "transition refused, counted and surfaced",
    "denied": "denied by the risk gate; nothing sent",
}
_DEFAULT_KIND = {"in_doubt": "unknown_outcome", "lost": "not_found", "illegal_transition": "illegal_transition",
                 "denied": "risk", "cancel_failed": "permanent", "rejected": "permanent", "send_retry": "transient"}
ERROR_EVENTS = tuple(_ACTIONS) + ("copilot_error",)


def _spec_request(state: dict | None) -> dict[str, Any]:
    spec = (state or {}).get("spec") or {}
    keys = ("venue", "symbol", "side", "type", "amount", "price", "trigger_price", "trailing_amount",
            "trailing_percent", "time_in_force", "post_only", "reduce_only", "origin")
    return {k: spec.get(k) for k in keys if spec.get(k) is not None}


def error_rows(events: list[Event], since_ms: int | None = None) -> list[dict[str, Any]]:
    final: dict[str, dict] = {}
    retries: dict[str, int] = {}
    for e in events:
        if e.client_order_id and e.order_state is not None:
            final[e.client_order_id] = e.order_state
        if e.kind == "send_retry" and e.client_order_id:
            retries[e.client_order_id] = retries.get(e.client_order_id, 0) + 1
    rows = []
    attempt: dict[str, int] = {}
    for e in events:
        if e.kind not in ERROR_EVENTS:
            continue
        cid = e.client_order_id
        if e.kind == "send_retry" and cid:
            attempt[cid] = attempt.get(cid, 0) + 1
        if since_ms is not None and e.ts_ms < since_ms:
            continue
        state = e.order_state or {}
        spec = state.get("spec") or {}
        end = final.get(cid or "", {})
        p = e.payload
        if e.kind == "copilot_error":
            request = {k: p[k] for k in ("tool", "tool_call", "call", "arguments", "request") if k in p}
            message = p.get("error") or p.get("message") or p.get("problem") or ""
            if not isinstance(message, str):
                message = _json(message)
            kind = p.get("scenario") or p.get("kind") or "copilot"
            action = p.get("action") or "returned to the model as an error; nothing staged"
            outcome = p.get("outcome") or ("staged" if p.get("client_order_id") else "not_staged")
        else:
            request = _spec_request(state)
            message = p.get("error") or (state.get("reason") if e.kind in ("denied", "lost") else "") or ""
            if e.kind == "illegal_transition":
                message = f"illegal transition {p.get('from')} -> {p.get('to')} via {p.get('via')}"
            kind = p.get("kind") or _DEFAULT_KIND[e.kind]
            action = _ACTIONS[e.kind]
            outcome = end.get("status")
        rows.append({
            "schema_version": SCHEMA_VERSION, "seq": e.seq, "ts_ms": e.ts_ms, "event": e.kind,
            "venue": e.venue or spec.get("venue") or p.get("venue"), "symbol": spec.get("symbol") or p.get("symbol"),
            "client_order_id": cid or p.get("client_order_id"), "origin": spec.get("origin") or (
                "copilot" if e.kind == "copilot_error" else None),
            "actor": e.actor, "error_kind": str(kind), "message": str(message), "action": str(action),
            "request": _json(request), "attempt": attempt.get(cid) if e.kind == "send_retry" and cid else None,
            "retries": retries.get(cid, 0) if cid else None, "outcome": outcome,
            "outcome_filled": _d(end.get("filled")), "outcome_reason": end.get("reason"),
        })
    return rows


# -- decisions ---------------------------------------------------------------------------------
_DECISIONS = {"approved": "approved", "declined": "declined", "denied": "denied", "expired": "expired"}


def decision_rows(events: list[Event], since_ms: int | None = None) -> list[dict[str, Any]]:
    proposals_by_order: dict[str, tuple[dict, int]] = {}
    suggestions: list[tuple[Event, dict]] = []
    verdicts: dict[str, dict] = {}  # proposal id -> the UI's copilot_decision payload
    staged: dict[str, Event] = {}
    decision: dict[str, Event] = {}
    edits: dict[str, list[dict]] = {}
    final: dict[str, dict] = {}
    for e in events:
        cid = e.client_order_id
        if cid and e.order_state is not None:
            final[cid] = e.order_state
        if e.kind == "proposal":
            for i, ocid in enumerate(e.payload.get("orders") or []):
                proposals_by_order[ocid] = (e.payload, i)
            if e.payload.get("kind") in ("cancel", "modify"):
                suggestions.append((e, e.payload))
        elif e.kind == "copilot_decision" and e.payload.get("proposal_id"):
            verdicts[e.payload["proposal_id"]] = e.payload
        elif not cid:
            continue
        elif e.kind == "staged" or (e.kind == "denied" and cid not in staged):
            staged.setdefault(cid, e)
            if e.kind == "denied":
                decision.setdefault(cid, e)
        elif e.kind in ("approved", "declined", "denied", "expired") and cid not in decision:
            decision[cid] = e
        elif e.kind == "modified":
            edits.setdefault(cid, []).append({"ts_ms": e.ts_ms, "actor": e.actor, "amount": e.payload.get("amount"),
                                              "price": e.payload.get("price")})
        elif e.kind == "edited":  # edit-then-approve: the human's change before it went, one entry per field
            before, after = e.payload.get("before") or {}, e.payload.get("after") or {}
            edits.setdefault(cid, []).extend({"field": k, "from": before.get(k), "to": v, "ts_ms": e.ts_ms,
                                              "actor": e.actor} for k, v in after.items())
    outcomes = {r["client_order_id"]: r for r in execution_rows(events)}
    rows = []
    for cid, st in staged.items():
        if since_ms is not None and st.ts_ms < since_ms:
            continue
        state = st.order_state or {}
        spec = state.get("spec") or {}
        proposal, index = proposals_by_order.get(cid, ({}, 0))
        dec = decision.get(cid)
        kind = _DECISIONS.get(dec.kind) if dec else "pending"
        change = []
        specs = proposal.get("specs") or []
        if index < len(specs):  # what the human changed between the copilot's idea and the staged order
            for k in ("side", "type", "amount", "price", "trigger_price", "time_in_force", "post_only", "reduce_only"):
                if str(specs[index].get(k)) != str(spec.get(k)):
                    change.append({"field": k, "from": specs[index].get(k), "to": spec.get(k)})
        change += edits.get(cid, [])
        end = final.get(cid, state)
        staged_ms = (state.get("wall_ms") or {}).get("staged")
        context = {k: proposal.get(k) for k in ("snapshot", "impact", "decided_at_ms", "expires_at_ms") if k in proposal}
        if proposal.get("expected_cost"):
            context["expected_cost"] = (proposal["expected_cost"] or {}).get(cid)
        context.setdefault("decision_mid", spec.get("decision_mid"))
        decided_state = (dec.order_state or {}) if dec else {}
        wait = (dec.ts_ms - st.ts_ms) if dec is not None else None  # both journal timestamps
        rows.append({
            "schema_version": SCHEMA_VERSION, "client_order_id": cid,
            "proposal_id": proposal.get("proposal_id"), "proposal_kind": proposal.get("kind") or "stage",
            "staged_ms": staged_ms, "staged_by": st.actor, "origin": spec.get("origin"), "venue": spec.get("venue"),
            "symbol": spec.get("symbol"), "side": spec.get("side"), "order_type": spec.get("type"),
            "amount": _d(spec.get("amount")), "price": _d(spec.get("price")),
            "trigger_price": _d(spec.get("trigger_price")), "time_in_force": spec.get("time_in_force"),
            "post_only": bool(spec.get("post_only")), "reduce_only": bool(spec.get("reduce_only")),
            "decision_mid": _d(spec.get("decision_mid")), "rationale": spec.get("rationale") or proposal.get("rationale"),
            "prompt": proposal.get("prompt"), "context": _json(context),
            "decision": kind, "decided_by": ("risk_gate" if dec is not None and dec.kind == "denied" else
                                             dec.actor if dec is not None else None),
            "decision_ms": dec.ts_ms if dec else None, "decision_wait_ms": wait,
            "reason": (dec.payload.get("reason") or decided_state.get("reason")) if dec else None,
            "problems": _json(dec.payload.get("problems") or []) if dec else "[]",
            "edits": _json(change), "n_edits": len(change), "chosen": kind == "approved",
            "final_status": end.get("status"), "filled": _d(end.get("filled")),
            "slippage_bps": (outcomes.get(cid) or {}).get("slippage_bps"),
            "implementation_shortfall_bps": (outcomes.get(cid) or {}).get("implementation_shortfall_bps"),
        })
    for e, p in suggestions:  # cancel / modify suggestions: no staged order, the UI records the verdict
        if since_ms is not None and e.ts_ms < since_ms:
            continue
        verdict = verdicts.get(p.get("proposal_id") or "", {})
        rows.append({
            "schema_version": SCHEMA_VERSION, "client_order_id": None, "proposal_id": p.get("proposal_id"),
            "proposal_kind": p.get("kind"), "staged_ms": p.get("decided_at_ms"), "staged_by": e.actor,
            "origin": "copilot", "venue": p.get("venue"), "symbol": p.get("symbol"),
            "amount": _d(p.get("new_amount")), "price": _d(p.get("new_price")), "rationale": p.get("rationale"),
            "prompt": p.get("prompt"),
            "context": _json({k: p.get(k) for k in ("snapshot", "impact", "target_order_id", "expected_cost") if k in p}),
            "decision": verdict.get("decision") or "pending", "decided_by": verdict.get("actor"),
            "reason": verdict.get("reason"), "problems": "[]", "edits": "[]", "n_edits": 0,
            "chosen": verdict.get("decision") in ("approved", "confirmed", "accepted"),
        })
    return rows


# -- frames and files --------------------------------------------------------------------------
def _cell(value: Any, dtype: str) -> Any:
    if value is None:
        return None
    if dtype == F:
        f = float(value)
        return None if math.isnan(f) else f
    if dtype == I:
        return int(value)
    if dtype == B:
        return bool(value)
    return scrub(value if isinstance(value, str) else json.dumps(value, default=str))


def frame(kind: str, rows: list[dict[str, Any]]):
    """A DataFrame with exactly the schema's columns and dtypes, every string scrubbed."""
    import pandas as pd

    schema = SCHEMAS[kind]
    data = {name: pd.array([_cell(r.get(name), dtype) for r in rows], dtype=dtype) for name, dtype, _ in schema}
    return pd.DataFrame(data, columns=[name for name, _, _ in schema])


def build(events: list[Event], kinds: Iterable[str], since_ms: int | None = None) -> dict[str, Any]:
    builders = {"executions": execution_rows, "errors": error_rows, "decisions": decision_rows}
    return {kind: frame(kind, builders[kind](events, since_ms)) for kind in kinds}


def write(df: Any, fmt: str, out: Path | str) -> None:
    """Write one frame; ``out`` '-' is stdout (jsonl and csv only)."""
    if fmt == "jsonl":
        text = df.to_json(orient="records", lines=True, double_precision=15)
        if text and not text.endswith("\n"):
            text += "\n"
        if out == "-":
            sys.stdout.write(text)
        else:
            Path(out).write_text(text, encoding="utf-8")
    elif fmt == "csv":
        if out == "-":
            df.to_csv(sys.stdout, index=False)
        else:
            df.to_csv(out, index=False)
    elif fmt == "parquet":
        if out == "-":
            raise ExportError("parquet cannot go to stdout: pass --out PATH")
        try:
            df.to_parquet(out, index=False)
        except ImportError as exc:
            raise ExportError(f"parquet needs pyarrow: pip install pyarrow ({exc})") from None
    else:
        raise ExportError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h|d|w)\s*$", re.I)
_UNIT_MS = {"ms": 1, "s": 1000, "sec": 1000, "m": 60_000, "min": 60_000, "h": 3_600_000, "d": 86_400_000,
            "w": 604_800_000}


def parse_since(text: str, now_ms: int | None = None) -> int:
    """'2h', '30m', '7d' (ago), an ISO time ('2026-01-05T09:30', naive = UTC) or epoch ms -> epoch ms."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    m = _DURATION.match(text)
    if m:
        return now_ms - int(Decimal(m.group(1)) * _UNIT_MS[m.group(2).lower()])
    if text.strip().isdigit() and len(text.strip()) >= 12:
        return int(text.strip())
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ExportError(f"--since {text!r} is neither a duration (90s, 15m, 2h, 7d) nor an ISO time "
                          "(2026-01-05T09:30Z)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return int(when.timestamp() * 1000)


def output_paths(kinds: list[str], fmt: str, out: str | None, all_kinds: bool) -> dict[str, Path | str]:
    ext = fmt
    if not all_kinds:
        return {kinds[0]: "-" if out == "-" else Path(out or f"workstation-{kinds[0]}.{ext}")}
    if out == "-":
        raise ExportError("--kind all writes one file per kind: pass --out PREFIX, not '-'")
    if out is None:
        base = Path("workstation")
    elif Path(out).is_dir():
        base = Path(out) / "workstation"
    else:
        base = Path(out)
        if base.suffix.lstrip(".") in FORMATS:
            base = base.with_suffix("")
    return {kind: base.with_name(f"{base.name}-{kind}.{ext}") for kind in kinds}


def export(journal: str | Path, fmt: str, kind: str, out: str | None = None, since: str | None = None,
           now_ms: int | None = None) -> dict[str, tuple[Path | str, int]]:
    """Export and return {kind: (path, rows)}. Raises ExportError with a one-line message."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if kind not in KINDS + ("all",):
        raise ExportError(f"unknown kind {kind!r}: choose one of {', '.join(KINDS + ('all',))}")
    if fmt == "parquet" and out == "-":
        raise ExportError("parquet cannot go to stdout: pass --out PATH")
    since_ms = parse_since(since, now_ms) if since else None
    kinds = list(KINDS) if kind == "all" else [kind]
    paths = output_paths(kinds, fmt, out, kind == "all")
    for path in paths.values():
        if path != "-" and not Path(path).parent.exists():
            raise ExportError(f"cannot write {path}: the directory {Path(path).parent} does not exist")
    frames = build(read_events(journal), kinds, since_ms)
    done = {}
    for k, df in frames.items():
        try:
            write(df, fmt, paths[k])
        except OSError as exc:
            raise ExportError(f"cannot write {paths[k]}: {exc.strerror or exc}") from None
        done[k] = (paths[k], len(df))
    return done


def _command(args: argparse.Namespace) -> int:
    try:
        if args.journal is not None:
            journal = Path(args.journal)
        else:
            from .config import load

            journal = load(args.config).journal_path
        done = export(journal, args.format, args.kind, args.out, args.since)
    except ExportError as exc:
        print(f"workstation export: {exc}", file=sys.stderr)
        return 2
    report = sys.stderr if args.out == "-" else sys.stdout
    for k, (path, n) in done.items():
        print(f"{k}: {n} rows -> {path}", file=report)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export executions, errors and decisions from the journal (training data)",
                       description="Export the journal as data: one row per execution, error scenario or decision, "
                                   f"schema version {SCHEMA_VERSION} (see the README).")
    # formats and kinds are checked by the command, so that a mistake is one clear line
    p.add_argument("--format", default="jsonl", metavar="jsonl|parquet|csv", help="output format (default jsonl)")
    p.add_argument("--kind", default="all", metavar="executions|errors|decisions|all",
                   help="what to export (default all: one file per kind)")
    p.add_argument("--since", metavar="T", help="only rows journaled since T: a duration ago (2h, 30m, 7d) or an ISO time")
    p.add_argument("--out", metavar="PATH", help="output file ('-' = stdout); with --kind all a prefix: "
                                                 "PATH-executions.jsonl, ... (default ./workstation-<kind>.<format>)")
    p.add_argument("--journal", metavar="PATH", help="journal file (default: the configured data directory's)")
    p.set_defaults(func=_command)


def schema_markdown() -> str:
    """The README's schema tables."""
    lines = []
    for kind, schema in SCHEMAS.items():
        lines += [f"#### `{kind}`", "", "| column | type | meaning |", "|---|---|---|"]
        lines += [f"| `{name}` | {dtype} | {doc.replace('|', chr(92) + '|')} |" for name, dtype, doc in schema]
        lines.append("")
    return "\n".join(lines)
