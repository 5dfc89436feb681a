"""The order tables' row order: newest first, stable, and an OCO, bracket or scaled group as one block.

Each order sorts by when it was staged (then by client order id, which grows with every order, so two
staged in the same millisecond keep one order); a group sorts as its newest member and shows its
members together, in the group's own order (a bracket's entry, then its stop-loss and take-profit),
with a tree mark in front and its role in words.
"""

from __future__ import annotations

from typing import Any, Callable

from ...domain.orders import Order, OrderType

TYPE_LABEL = {
    OrderType.MARKET: "market", OrderType.LIMIT: "limit", OrderType.STOP_MARKET: "stop",
    OrderType.STOP_LIMIT: "stop-limit", OrderType.TAKE_PROFIT_MARKET: "take-profit",
    OrderType.TAKE_PROFIT_LIMIT: "tp-limit", OrderType.TRAILING_STOP: "trailing",
}
ROLE_LABEL = {"entry": "entry", "stop_loss": "SL", "take_profit": "TP", "leg": "OCO", "slice": "slice"}


def type_label(order: Order, role: str | None = None) -> str:
    label = TYPE_LABEL.get(order.spec.type, order.spec.type.value.replace("_", "-"))
    if role and role in ROLE_LABEL and role != "entry":
        return f"{ROLE_LABEL[role]} {label}"
    return label


def _when(order: Order) -> tuple[int, str]:
    return (order.wall_ms.get("staged") or order.wall_ms.get("sent") or 0, order.client_order_id)


def grouped(orders: list[Order], group_of: Callable[[str], Any]) -> list[tuple[Order, str, str | None]]:
    """(order, tree mark, role) in display order: newest block first."""
    by_id = {o.client_order_id: o for o in orders}
    blocks: list[tuple[tuple[int, str], list[tuple[Order, str | None]]]] = []
    done: set[str] = set()
    for order in orders:
        cid = order.client_order_id
        if cid in done:
            continue
        group = group_of(cid)
        if group is None:
            blocks.append((_when(order), [(order, None)]))
            done.add(cid)
            continue
        members = [(by_id[m], role) for m, role in zip(group.members, group.roles) if m in by_id]
        done.update(m.client_order_id for m, _ in members)
        blocks.append((max(_when(m) for m, _ in members), members))
    blocks.sort(key=lambda b: b[0], reverse=True)
    out: list[tuple[Order, str, str | None]] = []
    for _, members in blocks:
        if len(members) == 1:
            order, role = members[0]
            out.append((order, "", role))
            continue
        for i, (order, role) in enumerate(members):
            mark = "┌" if i == 0 else "└" if i == len(members) - 1 else "├"
            out.append((order, mark, role))
    return out
