"""Where the app's screens and the main screen's panels are registered: one line each.

``SCREENS``: a name -> "module:Class" of a full screen that takes the Desk (``app.open_screen(name)``
opens it, lazily imported so start-up stays fast). ``PANELS``: the main screen's tables and lists,
in order: tab id -> (pane, title, "module:Class", widget id). A panel whose widget has
``update_from_app(app, dirty)`` is fed on the UI tick while it is on screen (a copilot log, a
cross-venue view...); the built-in ones are fed by the main screen itself.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

SCREENS: dict[str, str] = {
    "tca": "workstation.ui.screens.tca:TcaScreen",
    "audit": "workstation.ui.screens.audit:AuditScreen",
    "reconcile": "workstation.ui.screens.reconcile:ReconcileScreen",
    "venue_profiles": "workstation.ui.screens.profiles:ProfilesScreen",
}

PANELS: dict[str, tuple[str, str, str, str]] = {
    "orders": ("pane-a", "Orders", "workstation.ui.widgets.orders:OrdersTable", "orders-table"),
    "approvals": ("pane-a", "Approvals", "workstation.ui.widgets.approvals:ApprovalsTable", "approvals-table"),
    "positions": ("pane-b", "Positions", "workstation.ui.widgets.positions:PositionsTable", "positions-table"),
    "executions": ("pane-b", "Executions", "workstation.ui.widgets.executions:ExecutionsTable", "executions-table"),
    "tape": ("pane-b", "Tape", "workstation.ui.widgets.tape:TapeView", "tape-b"),
    "alerts": ("pane-b", "Alerts", "workstation.ui.widgets.alerts:AlertsTable", "alerts-b"),
    "copilot-log": ("pane-b", "Copilot", "workstation.ui.widgets.copilot_log:CopilotLog", "copilot-log-panel"),
}


def load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)
