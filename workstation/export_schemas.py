"""The export's three row schemas, versioned: (column, dtype, description). The README's tables are generated
from these (``schema_markdown``), so the documentation and the files cannot disagree."""

from __future__ import annotations

from .domain.orders import LEGS
from .tca import HORIZONS_S

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


def schema_markdown() -> str:
    """The README's schema tables."""
    lines = []
    for kind, schema in SCHEMAS.items():
        lines += [f"#### `{kind}`", "", "| column | type | meaning |", "|---|---|---|"]
        lines += [f"| `{name}` | {dtype} | {doc.replace('|', chr(92) + '|')} |" for name, dtype, doc in schema]
        lines.append("")
    return "\n".join(lines)
