"""The journal's events as rows: one per execution, per error scenario, per decision.

Pure functions of the events (no I/O): ``workstation.export`` reads the journal, builds frames from these
rows and writes them. Strings that may hold request text are redacted (``_json``) on the way.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Iterable

from .desk.journal import Event
from .redaction import redact_obj
from .tca import SCHEMA_VERSION, MarkoutSample, execution_row


def _json(value: Any) -> str:
    return json.dumps(redact_obj(value), default=str, sort_keys=True, separators=(",", ":"))


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


