"""The approval queue: staged orders waiting for a human, with what they would do right now.

Newest first, a group as one block. "Slip bp" is the expected cost of what would trade on arrival; an
order that would only rest has no slippage yet and says "rests" (its distance from the mid is in the
ticket and the proposal's detail, not dressed up as slippage).
"""

from __future__ import annotations

from typing import Any, Callable

from ...domain.orders import Order
from .. import format as fmt
from ..preview import Preview
from .grouping import grouped, type_label
from .table import DiffTable, right, styled


class ApprovalsTable(DiffTable):
    COMPONENT_CLASSES = DiffTable.COMPONENT_CLASSES | {"approvals--buy", "approvals--sell", "approvals--fail",
                                                       "approvals--ok", "approvals--copilot", "approvals--dim"}
    COLUMNS = [
        ("age", "Age", 5), ("symbol", "Symbol", 11), ("side", "Side", 4), ("type", "Type", 11),
        ("amount", "Amount", 9), ("price", "Price", 10), ("notional", "Notional", 10), ("newpos", "New pos", 9),
        ("average", "Exp avg", 10), ("slippage", "Slip bp", 7), ("checks", "Checks", 7), ("origin", "Origin", 7),
    ]

    def show(self, proposals: list[tuple[Order, Preview]], now_ms: int,
             decimals: dict[tuple[str, str], tuple[int, int]], suggestions: list | None = None, desk=None,
             group_of: Callable[[str], Any] | None = None) -> None:
        """Staged orders (human and copilot), then the copilot's cancel / modify suggestions (key "cp:<id>")."""
        s = {name: self.get_component_rich_style(f"approvals--{name}", partial=True)
             for name in ("buy", "sell", "fail", "ok", "copilot", "dim")}
        previews = {o.client_order_id: p for o, p in proposals}
        rows = {}
        for order, mark, role in grouped([o for o, _ in proposals], group_of or (lambda _cid: None)):
            p = previews[order.client_order_id]
            pd, ad = decimals.get((order.venue, order.symbol), (2, 4))
            staged = order.wall_ms.get("staged")
            side_style = s["buy"] if order.side.sign > 0 else s["sell"]
            checks = styled("ok", s["ok"]) if p.ok else styled(f"{len(p.problems)} fail", s["fail"])
            level = order.spec.price or order.spec.trigger_price
            slip = right(fmt.bps(p.slippage_bps)) if p.marketable or p.spec.type.value == "market" else \
                right("rests", s["dim"]) if p.spec.type.value == "limit" else right(fmt.DASH, s["dim"])
            rows[order.client_order_id] = (
                fmt.age((now_ms - staged) / 1000) if staged else fmt.DASH,
                f"{mark} {fmt.short_symbol(order.symbol)}" if mark else fmt.short_symbol(order.symbol),
                styled(order.side.value, side_style),
                type_label(order, role),
                right(fmt.amount(order.amount, ad)),
                right(fmt.price(level, pd) if level else "market"),
                right(fmt.num(p.notional, 2)),
                right(fmt.amount(p.position_after, ad)),
                right(fmt.price(p.expected_average, pd)),
                slip,
                checks,
                styled(order.spec.origin.value, s["copilot"] if order.spec.origin.value == "copilot" else None),
            )
        for p in suggestions or []:
            pd, ad = decimals.get((p.venue, p.symbol), (2, 4))
            target = None
            if desk is not None:
                try:
                    target = desk.order(p.target_order_id)
                except Exception:  # noqa: BLE001 - the order may be gone
                    target = None
            amount = p.new_amount if p.new_amount is not None else (target.amount if target else None)
            price = p.new_price if p.new_price is not None else (target.spec.price if target else None)
            rows[f"cp:{p.id}"] = (
                fmt.age((now_ms - p.decided_at_ms) / 1000),
                fmt.short_symbol(p.symbol),
                styled(target.side.value, s["buy"] if target.side.sign > 0 else s["sell"]) if target else fmt.DASH,
                styled(p.kind, s["copilot"]),
                right(fmt.amount(amount, ad)),
                right(fmt.price(price, pd) if price is not None else fmt.DASH),
                right(fmt.DASH), right(fmt.DASH), right(fmt.DASH), right(fmt.DASH),
                styled("confirm", s["ok"]),
                styled("copilot", s["copilot"]),
            )
        self.sync(rows, order=list(rows))
