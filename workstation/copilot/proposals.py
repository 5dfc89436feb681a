"""Proposals: what the copilot hands a human, with its costs, its impact and what moved since.

A proposal is one idea: ``stage`` (one or more orders now PENDING_APPROVAL at the Desk,
e.g. the three legs of a bracket or the rungs of a scaled entry), ``cancel`` or ``modify``
(a suggestion about a working order; nothing happens until a human confirms it and the UI
calls the Desk's verb itself). Every proposal is journaled as kind 'proposal'.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ..domain.book import Book
from ..domain.market import Market
from ..domain.money import BPS, ZERO
from ..domain.orders import OrderSpec, OrderStatus, OrderType, Side
from ..domain.positions import Position
from ..domain.reports import Balance

KINDS = ("stage", "cancel", "modify", "schedule")
_ids = itertools.count(1)
_TAG = secrets.token_hex(2)


def new_proposal_id() -> str:
    return f"cp{_TAG}{next(_ids):05d}"


def _q(value: Decimal | None, places: str = "0.01") -> Decimal | None:
    # rounding named, not taken from the thread's decimal context: ccxt's decimal_to_precision sets that
    # context to ROUND_HALF_UP for the whole process the first time it runs
    return None if value is None else value.quantize(Decimal(places), rounding=ROUND_HALF_EVEN)


def expected_cost(spec: OrderSpec, book: Book | None, market: Market) -> dict[str, Any]:
    """Expected price, slippage against mid (bps, positive = cost) and fees, from the current book.

    Marketable orders walk the book (taker fee); a resting limit is priced at its limit
    (maker fee; negative slippage = better than mid). Triggered orders are priced as a
    taker walk of today's book from the trigger: an estimate, said so in ``basis``.
    """
    mid = book.mid if book else None
    out: dict[str, Any] = {"mid": mid, "fee_currency": market.settle or market.quote}
    if book is None or mid is None:
        out.update(basis="no book: cost unknown", expected_price=None, slippage_bps=None, fee=None, notional=None)
        return out
    sign = spec.side.sign
    marketable = spec.type is OrderType.MARKET or (
        spec.type is OrderType.LIMIT and spec.price is not None and
        (spec.price >= (book.best_ask or spec.price + 1) if spec.side is Side.BUY else spec.price <= (book.best_bid or 0)))
    if marketable and not spec.post_only:
        walk = book.walk(spec.side, spec.amount, spec.price if spec.type is OrderType.LIMIT else None)
        price = walk.average
        slip = walk.slippage_bps
        fee_rate = market.taker_fee
        basis = f"walks {walk.levels} level(s) of the current book" + (
            "" if walk.complete else f"; only {walk.filled} of {spec.amount} available now")
        filled = walk.filled
    elif spec.type is OrderType.LIMIT:
        price = spec.price
        slip = sign * (price - mid) / mid * BPS
        fee_rate = market.maker_fee
        basis = "rests at its limit price (maker) if it fills"
        filled = spec.amount
    else:
        trigger = spec.trigger_price or spec.price or mid
        limit = spec.price if spec.type.has_limit_price else None
        walk = book.walk(spec.side, spec.amount, None)
        shift = (walk.average - mid) if walk.average is not None else ZERO  # today's book shape, moved to the trigger
        price = limit if limit is not None else trigger + shift
        slip = sign * (price - trigger) / trigger * BPS if trigger else None
        fee_rate = market.taker_fee
        basis = "estimated at the trigger with today's book depth (slippage against the trigger)"
        filled = spec.amount
    notional = (price * filled * market.contract_size) if price is not None else None
    out.update(basis=basis, expected_price=_q(price, str(market.tick)) if price is not None else None,
               slippage_bps=_q(slip), fee=_q(notional * fee_rate, "0.0001") if notional is not None else None,
               notional=_q(notional))
    return out


def impact(specs: list[OrderSpec], market: Market, position: Position, balances: dict[str, Balance],
           mid: Decimal | None) -> dict[str, Any]:
    """What changes if the entry orders fill: position, exposure, margin or cash used.

    Legs that close (bracket children, reduce-only) are left out: they undo the entry.
    """
    entries = [s for s in specs if s.parent_id is None and not s.reduce_only and s.oco_group is None]
    delta = sum((s.amount * s.side.sign for s in entries), ZERO)
    price = mid or position.average_entry
    # on spot the position is what is held (10 ETH free is a 10 ETH position, not 0)
    size = position.size if market.is_derivative or market.base not in balances else balances[market.base].total
    size_after = size + delta
    out: dict[str, Any] = {
        "position_before": size, "position_after": size_after,
        "exposure_before": _q(abs(size) * price * market.contract_size) if price else None,
        "exposure_after": _q(abs(size_after) * price * market.contract_size) if price else None,
    }
    gross = sum(((s.price or s.trigger_price or price or ZERO) * s.amount * market.contract_size for s in entries), ZERO)
    if market.is_derivative:
        leverage = (position.venue_info.leverage if position.venue_info and position.venue_info.leverage else None)
        leverage = leverage or Decimal(10)
        settle = market.settle or market.quote
        free = balances.get(settle, Balance(settle)).free
        out.update(margin_needed=_q(gross / leverage), leverage=leverage, margin_free=_q(free), currency=settle)
    else:
        buys = sum(((s.price or price or ZERO) * s.amount for s in entries if s.side is Side.BUY), ZERO)
        sells = sum((s.amount for s in entries if s.side is Side.SELL), ZERO)
        out.update(quote_used=_q(buys), quote_free=_q(balances.get(market.quote, Balance(market.quote)).free),
                   base_used=sells, base_free=balances.get(market.base, Balance(market.base)).free,
                   currency=market.quote)
    return out


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The market and account as the copilot saw them when it proposed."""

    at_ms: int
    mid: Decimal | None
    best_bid: Decimal | None
    best_ask: Decimal | None
    spread_bps: Decimal | None
    balances: dict[str, Decimal] = field(default_factory=dict)  # free, per relevant currency


@dataclass(slots=True)
class Proposal:
    id: str
    kind: str  # stage | cancel | modify
    origin: str  # "copilot:rules", "copilot:llm:<model>"
    venue: str
    symbol: str
    rationale: str
    decision_mid: Decimal | None
    decided_at_ms: int
    expires_at_ms: int
    specs: list[OrderSpec] = field(default_factory=list)
    client_order_ids: list[str] = field(default_factory=list)  # the staged orders (kind stage)
    costs: dict[str, dict[str, Any]] = field(default_factory=dict)  # per client order id (or "target")
    impact: dict[str, Any] = field(default_factory=dict)
    snapshot: Snapshot | None = None
    target_order_id: str | None = None  # kind cancel / modify
    new_amount: Decimal | None = None  # kind modify
    new_price: Decimal | None = None
    prompt: str | None = None
    decision: str | None = None  # approved | rejected | expired | edited ... (recorded by the UI)
    decision_reason: str = ""
    schedule_id: str | None = None  # kind schedule: new_amount is its total, new_price its price limit

    def as_dict(self) -> dict[str, Any]:
        """The journal payload (Decimals are journaled as strings)."""
        from ..desk.journal import spec_to_dict

        return {
            "proposal_id": self.id, "kind": self.kind, "origin": self.origin, "venue": self.venue,
            "symbol": self.symbol, "rationale": self.rationale, "decision_mid": self.decision_mid,
            "decided_at_ms": self.decided_at_ms, "expires_at_ms": self.expires_at_ms,
            "orders": self.client_order_ids, "specs": [spec_to_dict(s) for s in self.specs],
            "expected_cost": self.costs, "impact": self.impact, "target_order_id": self.target_order_id,
            "new_amount": self.new_amount, "new_price": self.new_price, "prompt": self.prompt,
            "schedule_id": self.schedule_id,
        }

    def summary(self) -> str:
        """One line for the approval queue."""
        if self.kind == "cancel":
            return f"cancel {self.target_order_id}"
        if self.kind == "schedule":
            end = self.costs.get("schedule", {})
            return (f"schedule {self.schedule_id}: {self.symbol} total {self.new_amount}, limit {self.new_price}, "
                    f"{end.get('slices', '?')} slices until {end.get('end_ms', '?')}")
        if self.kind == "modify":
            parts = [f"amount {self.new_amount}" if self.new_amount is not None else "",
                     f"price {self.new_price}" if self.new_price is not None else ""]
            return f"modify {self.target_order_id}: " + ", ".join(p for p in parts if p)
        legs = "; ".join(f"{s.side.value} {s.amount} {s.type.value.replace('_', '-')}" +
                         (f" @ {s.price}" if s.price is not None else "") +
                         (f" trigger {s.trigger_price}" if s.trigger_price is not None else "") for s in self.specs)
        return f"{self.symbol}: {legs}"

    def status(self, order_statuses: dict[str, OrderStatus]) -> str:
        """pending while any staged order waits for a human; otherwise what happened to them."""
        if self.decision:
            return self.decision
        if self.kind != "stage":
            return "pending"
        states = [order_statuses.get(cid) for cid in self.client_order_ids]
        if any(s is OrderStatus.PENDING_APPROVAL for s in states):
            return "pending"
        if states and all(s is OrderStatus.DECLINED for s in states):
            return "rejected"
        if states and all(s is OrderStatus.DENIED for s in states):
            return "denied"
        if states and all(s is OrderStatus.EXPIRED for s in states):
            return "expired"
        return "decided"


def take_snapshot(now_ms: int, book: Book | None, balances: dict[str, Balance], currencies: list[str]) -> Snapshot:
    return Snapshot(
        at_ms=now_ms, mid=book.mid if book else None, best_bid=book.best_bid if book else None,
        best_ask=book.best_ask if book else None, spread_bps=_q(book.spread_bps) if book and book.spread_bps else None,
        balances={c: balances.get(c, Balance(c)).free for c in currencies})


def what_moved(proposal: Proposal, now: Snapshot, price_tolerance_bps: Decimal) -> dict[str, Any]:
    """Price, book and balance then and now, whether it expired, and whether it moved beyond tolerance."""
    then = proposal.snapshot
    move_bps = None
    if then is not None and then.mid and now.mid:
        move_bps = _q((now.mid - then.mid) / then.mid * BPS)
    expired = now.at_ms > proposal.expires_at_ms
    beyond = move_bps is not None and abs(move_bps) > price_tolerance_bps
    reasons = []
    if expired:
        reasons.append(f"expired {(now.at_ms - proposal.expires_at_ms) / 1000:.0f}s ago: ask the copilot to re-stage")
    if beyond:
        reasons.append(f"price moved {move_bps} bps since the proposal (tolerance {price_tolerance_bps} bps): re-stage")
    return {
        "age_s": (now.at_ms - proposal.decided_at_ms) / 1000,
        "mid_then": then.mid if then else None, "mid_now": now.mid, "mid_move_bps": move_bps,
        "spread_bps_then": then.spread_bps if then else None, "spread_bps_now": now.spread_bps,
        "best_bid_then": then.best_bid if then else None, "best_bid_now": now.best_bid,
        "best_ask_then": then.best_ask if then else None, "best_ask_now": now.best_ask,
        "balances_then": dict(then.balances) if then else {}, "balances_now": dict(now.balances),
        "expired": expired, "beyond_tolerance": beyond, "approvable": not (expired or beyond),
        "reasons": reasons,
    }
