"""One flat view of an order and of a fill, built the same way from the live Desk (in the child) and from
the journal (in the parent), so that comparing the two compares what each holds and nothing else."""

from __future__ import annotations

from typing import Any

from ..domain.orders import Fill, Order

# What a restarted Desk must get back from the journal alone, exactly as the live Desk holds it.
REPLAYED = ("status", "venue_order_id", "amount", "price", "filled", "cost", "trade_ids")


def order_view(order: Order) -> dict[str, Any]:
    spec = order.spec
    return {
        "cid": order.client_order_id, "status": order.status.value, "venue_order_id": order.venue_order_id,
        "symbol": spec.symbol, "side": spec.side.value, "type": spec.type.value, "amount": spec.amount,
        "price": spec.price, "filled": order.filled, "cost": order.cost, "trade_ids": sorted(order.trade_ids),
        "external": order.external, "origin": spec.origin.value, "oco_group": spec.oco_group,
        "parent_id": spec.parent_id, "reason": order.reason[:200],
    }


def fill_view(fill: Fill) -> dict[str, Any]:
    return {
        "trade_id": fill.trade_id, "cid": fill.client_order_id, "venue_order_id": fill.venue_order_id,
        "symbol": fill.symbol, "side": fill.side.value, "price": fill.price, "amount": fill.amount,
        "fee": fill.fee, "fee_currency": fill.fee_currency,
    }


def brief(order: Order) -> dict[str, Any]:
    """What the trader sees of an order on the screen: enough to choose the next action."""
    return {k: v for k, v in order_view(order).items() if k not in ("trade_ids", "cost", "reason")} | {
        "reason": order.reason[:300], "trigger_price": order.spec.trigger_price}
