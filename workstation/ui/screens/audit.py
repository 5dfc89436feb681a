"""The audit trail: every decision (stage, deny, approve, reject, send, cancel, modify, kill, re-arm,
risk change, copilot decisions) with who and why, newest first. Loaded by a worker from the journal."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from .. import format as fmt
from ..keys import AUDIT_BINDINGS
from ..widgets.table import styled
from ..widgets.table import DiffTable


class AuditTable(DiffTable):
    COMPONENT_CLASSES = DiffTable.COMPONENT_CLASSES | {"audit--human", "audit--copilot", "audit--bad"}
    COLUMNS = [
        ("time", "Time", 8), ("kind", "Kind", 13), ("actor", "Actor", 13), ("venue", "Venue", 6),
        ("order", "Order", 18), ("what", "What", 32), ("why", "Why", 22),
    ]
    DEFAULT_CSS = """
    AuditTable > .audit--human { color: $accent; text-style: bold; }
    AuditTable > .audit--copilot { color: $secondary; text-style: italic; }
    AuditTable > .audit--bad { color: $error; text-style: bold; }
    """
    BAD = {"denied", "kill", "kill_done", "rejected", "trading_state_refused", "rearm_refused",
           "risk_change_refused"}

    def show(self, entries: list) -> None:
        s = {n: self.get_component_rich_style(f"audit--{n}", partial=True) for n in ("human", "copilot", "bad")}
        rows = {}
        for e in reversed(entries):
            actor_style = s["human"] if e.actor == "human" else s["copilot"] if e.actor.startswith("copilot") else None
            rows[str(e.seq)] = (fmt.clock(e.ts_ms), styled(e.kind, s["bad"] if e.kind in self.BAD else None),
                                styled(e.actor, actor_style), e.venue or fmt.DASH, e.client_order_id or fmt.DASH,
                                e.what or fmt.DASH, e.why or fmt.DASH)
        self.sync(rows, order=list(rows))


class AuditScreen(Screen[None]):
    BINDINGS = AUDIT_BINDINGS

    def __init__(self, desk) -> None:
        super().__init__()
        self.desk = desk
        self.entries: list = []

    def compose(self) -> ComposeResult:
        yield Static("Audit trail · loading…", id="audit-head", classes="screen-head")
        yield AuditTable(id="audit-table")
        yield Static("[b]r[/] reload   [b]esc[/] close   (newest first; the journal keeps everything: "
                     "`workstation export`)", classes="screen-hint")

    def on_mount(self) -> None:
        self.query_one(AuditTable).focus()
        self.action_reload()

    @work(group="audit", exclusive=True, exit_on_error=False)
    async def action_reload(self) -> None:
        try:
            entries = self.desk.audit()
        except Exception as exc:  # noqa: BLE001 - shown, never a crash
            self.notify(f"could not read the audit trail: {exc}", severity="error")
            return
        self.entries = entries
        self.query_one(AuditTable).show(entries)
        humans = sum(1 for e in entries if e.actor == "human")
        self.query_one("#audit-head", Static).update(
            f"Audit trail · {len(entries)} decisions · {humans} by a human · "
            f"{sum(1 for e in entries if e.actor.startswith('copilot'))} by the copilot")

    def action_close(self) -> None:
        self.dismiss(None)
