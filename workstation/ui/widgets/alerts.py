"""The alerts list: what fired (price crosses, fills, PnL and margin thresholds, disconnects, orders in
doubt, the Desk's risk alerts), newest first, coloured by level."""

from __future__ import annotations

from ...desk.alerts import Alert
from .. import format as fmt
from .table import DiffTable, styled


class AlertsTable(DiffTable):
    COMPONENT_CLASSES = DiffTable.COMPONENT_CLASSES | {"alerts--info", "alerts--warning", "alerts--error",
                                                       "alerts--dim"}
    COLUMNS = [("time", "Time", 8), ("kind", "Kind", 9), ("message", "Alert", 90)]

    def show(self, alerts: list[Alert], limit: int = 200) -> None:
        s = {name: self.get_component_rich_style(f"alerts--{name}", partial=True)
             for name in ("info", "warning", "error", "dim")}
        rows = {}
        for a in alerts[:limit]:
            style = s.get(a.level, s["warning"])
            rows[str(a.seq)] = (styled(fmt.clock(a.ts_ms), s["dim"]), styled(a.kind.replace("_", " "), style),
                                styled(a.message, style if a.level != "info" else None))
        self.sync(rows, order=list(rows))
