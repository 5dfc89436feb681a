"""Open orders (and proposals waiting for approval): PENDING_APPROVAL and IN_DOUBT stand out.

Newest first, stable, a group (OCO, bracket, scaled) as one block with its legs marked (see grouping).
"""

from __future__ import annotations

from typing import Any, Callable

from ...domain.orders import Order, OrderStatus
from .. import format as fmt
from .grouping import grouped, type_label
from .table import DiffTable, right, styled

STATUS_LABEL = {
    OrderStatus.PENDING_APPROVAL: "PENDING APPR", OrderStatus.IN_DOUBT: "IN DOUBT", OrderStatus.PARTIALLY_FILLED: "partial",
    OrderStatus.EMULATED: "EMULATED", OrderStatus.NEW: "new", OrderStatus.OPEN: "open", OrderStatus.LOST: "LOST",
}
SHOWN = {OrderStatus.PENDING_APPROVAL, OrderStatus.EMULATED, OrderStatus.NEW, OrderStatus.OPEN,
         OrderStatus.PARTIALLY_FILLED, OrderStatus.IN_DOUBT}


class OrdersTable(DiffTable):
    COMPONENT_CLASSES = DiffTable.COMPONENT_CLASSES | {"orders--buy", "orders--sell", "orders--pending",
                                                       "orders--in-doubt", "orders--copilot", "orders--dim",
                                                       "orders--emulated"}
    COLUMNS = [
        ("symbol", "Symbol", 11), ("side", "Side", 4), ("type", "Type", 11), ("price", "Price", 10),
        ("amount", "Amount", 9), ("status", "Status", 12), ("filled", "Filled", 9), ("remaining", "Remain", 9),
        ("trigger", "Trigger", 9), ("age", "Age", 6), ("origin", "Origin", 7),
    ]

    def show(self, orders: list[Order], now_ms: int, decimals: dict[tuple[str, str], tuple[int, int]],
             emulated: dict | None = None, group_of: Callable[[str], Any] | None = None) -> None:
        """``emulated``: client order id -> the emulator's view (live trigger level; trailing stops move)."""
        emulated = emulated or {}
        s = {name: self.get_component_rich_style(f"orders--{name}", partial=True)
             for name in ("buy", "sell", "pending", "in-doubt", "copilot", "dim", "emulated")}
        rows = {}
        for o, mark, role in grouped(orders, group_of or (lambda _cid: None)):
            pd, ad = decimals.get((o.venue, o.symbol), (2, 4))
            status_style = (s["pending"] if o.status is OrderStatus.PENDING_APPROVAL
                            else s["in-doubt"] if o.status in (OrderStatus.IN_DOUBT, OrderStatus.LOST)
                            else s["emulated"] if o.status is OrderStatus.EMULATED else None)
            view = emulated.get(o.client_order_id)
            if view is not None:
                trigger = (right("wait", s["emulated"]) if view.waiting_for
                           else right(fmt.price(view.trigger_level, pd) if view.trigger_level is not None else fmt.DASH,
                                      s["emulated"]))
            else:
                trigger = right(fmt.price(o.spec.trigger_price, pd) if o.spec.trigger_price is not None else fmt.DASH)
            side_style = s["buy"] if o.side.sign > 0 else s["sell"]
            staged = o.wall_ms.get("staged") or o.wall_ms.get("sent")
            rows[o.client_order_id] = (
                f"{mark} {fmt.short_symbol(o.symbol)}" if mark else fmt.short_symbol(o.symbol),
                styled(o.side.value, side_style),
                type_label(o, role),
                right(fmt.price(o.spec.price, pd) if o.spec.price is not None else "market", side_style),
                right(fmt.amount(o.amount, ad)),
                styled(STATUS_LABEL.get(o.status, o.status.value), status_style),
                right(fmt.amount(o.filled, ad)),
                right(fmt.amount(o.remaining, ad)),
                trigger,
                right(fmt.age((now_ms - staged) / 1000) if staged else fmt.DASH, s["dim"]),
                styled(o.spec.origin.value, s["copilot"] if o.spec.origin.value == "copilot" else None),
            )
        self.sync(rows, order=list(rows))
