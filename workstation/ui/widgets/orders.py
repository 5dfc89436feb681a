"""Open orders (and proposals waiting for approval): PENDING_APPROVAL and IN_DOUBT stand out."""

from __future__ import annotations

from ...domain.orders import Order, OrderStatus, OrderType
from .. import format as fmt
from .positions import right, styled
from .table import DiffTable

TYPE_LABEL = {
    OrderType.MARKET: "market", OrderType.LIMIT: "limit", OrderType.STOP_MARKET: "stop",
    OrderType.STOP_LIMIT: "stop-lmt", OrderType.TAKE_PROFIT_MARKET: "tp", OrderType.TAKE_PROFIT_LIMIT: "tp-lmt",
    OrderType.TRAILING_STOP: "trail",
}
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
        ("symbol", "Symbol", 10), ("side", "Side", 4), ("type", "Type", 8), ("price", "Price", 10),
        ("amount", "Amount", 9), ("status", "Status", 12), ("filled", "Filled", 9), ("remaining", "Remain", 9),
        ("trigger", "Trigger", 9), ("age", "Age", 6), ("origin", "Origin", 7),
    ]

    def show(self, orders: list[Order], now_ms: int, decimals: dict[tuple[str, str], tuple[int, int]],
             emulated: dict | None = None) -> None:
        """``emulated``: client order id -> the emulator's view (live trigger level; trailing stops move)."""
        emulated = emulated or {}
        s = {name: self.get_component_rich_style(f"orders--{name}", partial=True)
             for name in ("buy", "sell", "pending", "in-doubt", "copilot", "dim", "emulated")}
        rows = {}
        ordered = sorted(orders, key=lambda o: o.wall_ms.get("staged", 0), reverse=True)
        for o in ordered:
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
                fmt.short_symbol(o.symbol),
                styled(o.side.value, side_style),
                TYPE_LABEL.get(o.spec.type, o.spec.type.value),
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
