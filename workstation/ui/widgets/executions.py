"""The execution log: one line per execution, latest first, and why it ended when it did not fill."""

from __future__ import annotations

from ...domain.execution import Execution
from .. import format as fmt
from .table import DiffTable, right, styled


class ExecutionsTable(DiffTable):
    COMPONENT_CLASSES = DiffTable.COMPONENT_CLASSES | {"executions--buy", "executions--sell", "executions--cost",
                                                       "executions--gain", "executions--partial", "executions--dim"}
    COLUMNS = [
        ("time", "Time", 8), ("symbol", "Symbol", 10), ("side", "Side", 4), ("intended", "Intended", 10),
        ("average", "Avg fill", 10), ("slippage", "Slip bp", 7), ("fill", "Fill", 8), ("latency", "Lat ms", 6),
        ("why", "Why", 28),
    ]

    def show(self, executions: list[Execution], decimals: dict[tuple[str, str], tuple[int, int]]) -> None:
        s = {name: self.get_component_rich_style(f"executions--{name}", partial=True)
             for name in ("buy", "sell", "cost", "gain", "partial", "dim")}
        rows = {}
        ordered = sorted(executions, key=lambda e: (e.legs_wall_ms.get("done") or e.legs_wall_ms.get("sent") or 0,
                                                    e.client_order_id), reverse=True)
        for ex in ordered:
            pd, _ = decimals.get((ex.venue, ex.symbol), (2, 4))
            slip = ex.slippage_bps
            if ex.filled == 0:
                fill = styled(ex.status[:8], s["partial"])
            elif ex.partial_fill:
                fill = styled(f"part {ex.fill_ratio * 100:.0f}%", s["partial"])
            else:
                fill = "full"
            rows[ex.client_order_id] = (
                fmt.clock(ex.legs_wall_ms.get("done") or ex.legs_wall_ms.get("sent")),
                fmt.short_symbol(ex.symbol),
                styled(ex.side.value, s["buy"] if ex.side.sign > 0 else s["sell"]),
                right(fmt.price(ex.intended_price, pd)),
                right(fmt.price(ex.average_price, pd)),
                right(fmt.bps(slip), s["cost"] if slip is not None and slip > 0 else s["gain"] if slip is not None and slip < 0 else None),
                fill,
                right(fmt.ms(ex.latency_ms)),
                styled((ex.reason or "")[:28], s["dim"]),
            )
        self.sync(rows, order=list(rows))
