"""The reconciliation diff: every difference the last refreshes found, what the Desk did about it by
rule, and the ones that need a human, who may adopt, cancel or ignore them.

Reads ``desk.reconcile_differences()`` (no I/O) once a second; the verbs go through the app's
workers (``desk.adopt`` / ``desk.ignore_difference`` / ``await desk.cancel_difference``).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from .. import format as fmt
from ..keys import RECONCILE_BINDINGS
from ..widgets.table import styled
from ..widgets.table import DiffTable


class DifferencesTable(DiffTable):
    COMPONENT_CLASSES = DiffTable.COMPONENT_CLASSES | {"differences--open", "differences--rule",
                                                       "differences--done"}
    COLUMNS = [
        ("state", "State", 9), ("kind", "Kind", 14), ("venue", "Venue", 6), ("symbol", "Symbol", 9),
        ("order", "Order", 14), ("detail", "Detail", 38), ("done", "Done", 20),
    ]
    DEFAULT_CSS = """
    DifferencesTable > .differences--open { color: $warning; text-style: bold reverse; }
    DifferencesTable > .differences--rule { color: $text-muted; }
    DifferencesTable > .differences--done { color: $success; }
    """

    def show(self, views: list) -> dict[str, object]:
        s = {n: self.get_component_rich_style(f"differences--{n}", partial=True) for n in ("open", "rule", "done")}
        rows, by_key = {}, {}
        for i, v in enumerate(views):
            key = v.key if v.needs_human or v.resolution else f"rule:{i}:{v.kind}:{v.client_order_id}"
            if v.needs_human:
                state = styled("NEEDS YOU", s["open"])
                done = f"{v.action}; you may {', '.join(v.verbs)}"
            elif v.resolution:
                state = styled(v.resolution, s["done"])
                done = f"{v.resolution} by {v.resolved_by or '?'}"
            else:
                state = styled("by rule", s["rule"])
                done = v.action
            rows[key] = (state, v.kind.replace("_", " "), v.venue, fmt.short_symbol(v.symbol),
                         v.client_order_id or fmt.DASH, Text(v.detail, no_wrap=True, overflow="ellipsis"),
                         Text(done, no_wrap=True, overflow="ellipsis"))
            by_key[key] = v
        self.sync(rows, order=list(rows))
        return by_key


class ReconcileScreen(Screen[None]):
    BINDINGS = RECONCILE_BINDINGS

    def __init__(self, desk) -> None:
        super().__init__()
        self.desk = desk
        self.views: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="reconcile-head", classes="screen-head")
        yield DifferencesTable(id="reconcile-table")
        yield Static("", id="reconcile-detail")
        yield Static("[b]a[/] adopt   [b]c[/] cancel at the venue   [b]i[/] ignore   [b]r[/] refresh now   "
                     "[b]esc[/] close", classes="screen-hint")

    def on_mount(self) -> None:
        self.update_view()
        self.set_interval(1.0, self.update_view)
        self.query_one(DifferencesTable).focus()

    def update_view(self) -> None:
        statuses = self.desk.reconcile_status()
        views = self.desk.reconcile_differences()
        self.views = self.query_one(DifferencesTable).show(views)
        head = "   ".join(f"{s.venue}: {s.text}" + (f" at {fmt.clock(s.at_ms)}" if s.at_ms else "") for s in statuses)
        need = sum(1 for v in views if v.needs_human)
        self.query_one("#reconcile-head", Static).update(
            f"Reconciliation · {head} · {need} need you · {len(views)} listed")
        self._detail()

    def selected(self):
        key = self.query_one(DifferencesTable).selected_key
        return self.views.get(key) if key else None

    def _detail(self) -> None:
        v = self.selected()
        box = self.query_one("#reconcile-detail", Static)
        if v is None:
            box.update("Nothing to reconcile: the Desk and the venues agree." if not self.views else "")
            return
        lines = [f"{v.kind.replace('_', ' ')} · {v.venue} {v.symbol} · {v.client_order_id or ''}", v.detail,
                 f"done: {v.action}"]
        if v.needs_human:
            lines.append(f"you may: {', '.join(v.verbs)}")
        elif v.resolution:
            lines.append(f"{v.resolution} by {v.resolved_by} at {fmt.clock(v.at_ms)}")
        box.update(Text("\n".join(lines)))

    def on_data_table_row_highlighted(self, event) -> None:
        self._detail()

    def action_verb(self, verb: str) -> None:
        v = self.selected()
        if v is None:
            self.notify("Nothing selected", severity="warning")
            return
        if not v.needs_human:
            self.notify(f"{v.kind.replace('_', ' ')} was settled by rule: nothing to do", severity="warning")
            return
        if verb not in v.verbs:
            self.notify(f"cannot {verb} a {v.kind.replace('_', ' ')}: choose {', '.join(v.verbs)}",
                        severity="warning")
            return
        self.app.reconcile_verb(verb, v.key)

    def action_refresh(self) -> None:
        self.app.refresh_desk()

    def action_close(self) -> None:
        self.dismiss(None)
