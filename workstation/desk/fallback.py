"""Fallback: when an order is refused for a reason another path would avoid, propose that path.

Reasons another path avoids, and the alternative proposed:

- the venue is in maintenance, down, or keeps refusing with 5xx / 429 after the retries
      -> the same instrument on another connected venue
- the venue cannot do the order type or flag (a trigger it does not hold, FOK, post-only, a market buy it
  sizes in quote)   -> a trigger held here (emulated); another venue that can; a limit IOC capped at the book
- the size is above the venue's own limit (amount_max, cost_max)
      -> another venue whose limit allows it
- anything else (funds, keys, our own risk limits, a price off the tick) has no alternative path: nothing.

The alternative is a new order, staged (PENDING_APPROVAL) with the reason in its rationale and the actor
"fallback" in the journal. It is never approved or sent here: a human decides. One proposal per refused
order, and none for an order that was itself a fallback.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from ..domain.orders import Order, OrderStatus, OrderType, Side, TimeInForce
from .compare import equivalents
from .events import OrderChanged, RiskAlert

log = logging.getLogger(__name__)

ACTOR = "fallback"
VENUE_DOWN = ("OnMaintenance", "ExchangeNotAvailable", "maintenance", "DDoSProtection", "RateLimitExceeded")
SIZE_RULES = ("amount_max", "cost_max")
COLLAR_BPS = Decimal(20)  # a market buy turned limit IOC may pay up to this far through the best ask


@dataclass(frozen=True, slots=True)
class FallbackProposal:
    original: str  # the refused order's client order id
    category: str  # venue_unavailable | unsupported | size_limit
    reason: str  # why the original was refused, in the trader's words
    alternative: str  # what is proposed instead
    staged: str | None  # the new order's client order id (PENDING_APPROVAL), or None
    status: str  # staged | denied (the gate refused the alternative too) | none (no other path)
    detail: str = ""


def classify(order: Order) -> str | None:
    """Which kind of refusal this is, or None when no other path would avoid it."""
    reason = order.reason or ""
    if order.status is OrderStatus.REJECTED and any(word in reason for word in VENUE_DOWN):
        return "venue_unavailable"
    if any(rule in reason for rule in SIZE_RULES):
        return "size_limit"
    if "unsupported" in reason or "sizes a market buy" in reason or "must be held locally" in reason:
        return "unsupported"
    return None


class Fallback:
    """Watches the Desk's bus for refused orders and stages the alternative. ``attach(desk)`` starts it."""

    def __init__(self, desk: Any):
        self.desk = desk
        self.proposals: list[FallbackProposal] = []
        self._done: set[str] = set()
        self._ours: set[str] = set()
        self._unsubscribe: Callable[[], None] | None = None

    @classmethod
    def attach(cls, desk: Any) -> "Fallback":
        fallback = cls(desk)
        fallback._unsubscribe = desk.bus.subscribe(fallback._on_event)
        return fallback

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    def _on_event(self, event: object) -> None:
        if not isinstance(event, OrderChanged):
            return
        order = event.order
        if order.status not in (OrderStatus.REJECTED, OrderStatus.DENIED) or order.client_order_id in self._done \
                or order.client_order_id in self._ours:
            return
        self._done.add(order.client_order_id)
        try:  # after the publish that told us: staging from inside another event's handlers would nest them
            asyncio.get_running_loop().call_soon(self.propose, order)
        except RuntimeError:
            self.propose(order)

    def propose(self, order: Order) -> FallbackProposal | None:
        category = classify(order)
        if category is None:
            return None
        reason = order.reason.split(": ", 1)[-1] if order.reason else order.status.value
        try:
            spec, alternative = self._alternative(order, category)
        except Exception as exc:  # noqa: BLE001 - a fallback must never disturb the order path
            log.exception("fallback for %s failed", order.client_order_id)
            spec, alternative = None, f"no alternative ({type(exc).__name__}: {exc})"
        if spec is None:
            proposal = FallbackProposal(order.client_order_id, category, reason, alternative, None, "none")
        else:
            rationale = f"fallback for {order.client_order_id} ({category.replace('_', ' ')}: {reason[:160]}): " \
                        f"{alternative}"
            staged = self.desk.stage(spec.with_changes(rationale=rationale, decision_mid=None, decided_at_ms=None),
                                     ACTOR)
            self._ours.add(staged.client_order_id)
            status = "staged" if staged.status is OrderStatus.PENDING_APPROVAL else "denied"
            proposal = FallbackProposal(order.client_order_id, category, reason, alternative, staged.client_order_id,
                                        status, staged.reason if status == "denied" else "")
        self.proposals.append(proposal)
        if proposal.status == "staged":
            self.desk.bus.publish(RiskAlert(f"fallback: {order.client_order_id} was refused ({reason[:80]}); "
                                            f"proposed {alternative}, waiting for your approval", "warning",
                                            proposal.staged))
        return proposal

    # -- the alternatives ---------------------------------------------------------------------------
    def _alternative(self, order: Order, category: str):
        spec = order.spec
        if category == "unsupported":
            if spec.type.has_trigger and "held locally" in order.reason:
                return spec.with_changes(emulate=True), f"the same {spec.type.value.replace('_', '-')} held here " \
                    f"(emulated; needs the workstation running)"
            if spec.type is OrderType.MARKET and spec.side is Side.BUY and "sizes a market buy" in order.reason:
                book = self.desk.book(spec.venue, spec.symbol)
                if book is not None and book.best_ask is not None:
                    market = self.desk.market(spec.venue, spec.symbol)
                    cap = market.round_price(book.best_ask * (1 + COLLAR_BPS / 10000), Side.BUY)
                    return spec.with_changes(type=OrderType.LIMIT, price=cap, time_in_force=TimeInForce.IOC), \
                        f"a limit IOC buy capped at {cap} ({COLLAR_BPS} bps through the ask) on {spec.venue}"
            return self._other_venue(order, lambda m: self._venue_can(m, spec))
        if category == "size_limit":
            return self._other_venue(order, lambda m: (m.max_amount is None or spec.amount <= m.max_amount)
                                     and (m.max_cost is None or spec.notional_price is None
                                          or spec.amount * spec.notional_price * m.contract_size <= m.max_cost))
        return self._other_venue(order, lambda m: True)

    def _venue_can(self, market: Any, spec: Any) -> bool:
        caps = market.capabilities
        if not caps:
            return False
        wanted = [spec.type.value if spec.type.has_trigger else None,
                  spec.time_in_force.value if spec.time_in_force is not TimeInForce.GTC else None,
                  "post_only" if spec.post_only else None]
        if spec.type is OrderType.MARKET and spec.side is Side.BUY and "market_buy_requires_price" in caps:
            return False
        return all(w is None or w in caps for w in wanted)

    def _other_venue(self, order: Order, fits: Callable[[Any], bool]):
        spec = order.spec
        states = {s.name: s for s in self.desk.venue_states()}
        for venue, symbol in equivalents(self.desk, spec.symbol):
            if venue == spec.venue:
                continue
            state = states.get(venue)
            market = self.desk.market(venue, symbol)
            if state is None or not state.connected or state.last_error or not market.active or not fits(market):
                continue
            if market.contract_size != self.desk.market(spec.venue, spec.symbol).contract_size:
                continue  # the same size means another amount there: leave that to the trader
            return spec.with_changes(venue=venue, symbol=symbol), f"the same order on {venue} ({symbol})"
        return None, f"no other connected venue lists {spec.symbol} and can take this order"
