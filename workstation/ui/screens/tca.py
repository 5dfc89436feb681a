"""Execution quality: median and p90 slippage and latency by group over a window, and four charts.

``TcaScreen(desk)`` reads only the Desk's memory: ``desk.executions()`` and ``desk.markouts`` (the
markout recorder: mids after fills, end mids, fills per order). It builds the same rows as
``workstation export`` (``tca.rows_from_memory``) and aggregates them with ``tca.summary``, so
what the trader sees here is what the exported data says. Redraws at most 4 times a second, and
only when an execution, a fill or a markout arrived.

Keys: g cycles the grouping (symbol, size, order type, origin, all), w cycles the window
(all, 5 min, 1 h, 24 h, last 50), escape closes.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import Screen
from textual.widgets import Static

from ... import tca
from ...desk.events import ExecutionRecorded, FillRecorded
from ..widgets.tca_charts import CHART_KINDS, TcaChart, TcaSummaryTable

GROUPINGS = ("symbol", "size_bucket", "order_type", "origin", "all")
GROUP_LABELS = {"symbol": "symbol", "size_bucket": "size (notional)", "order_type": "order type",
                "origin": "origin (human / copilot)", "all": "everything"}
# (label, since: ms before now or None, last n or None)
WINDOWS: tuple[tuple[str, int | None, int | None], ...] = (
    ("all", None, None), ("5 min", 300_000, None), ("1 h", 3_600_000, None), ("24 h", 86_400_000, None),
    ("last 50", None, 50),
)
TICK_S = 0.25  # 4 Hz at most


class TcaScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close", id="close"),
        Binding("g", "cycle_group", "Group by", id="tca_group"),
        Binding("w", "cycle_window", "Window", id="tca_window"),
    ]
    DEFAULT_CSS = """
    TcaScreen { layout: vertical; }
    TcaScreen #tca-head { height: 1; padding: 0 1; background: $panel; color: $text; text-style: bold; }
    TcaScreen #tca-summary { height: auto; max-height: 12; }
    TcaScreen #tca-errors { height: 1; padding: 0 1; color: $text-muted; }
    TcaScreen #tca-charts { grid-size: 2 2; height: 1fr; min-height: 16; }
    TcaScreen #tca-hint { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, desk: Any, *, name: str | None = None, id: str | None = None):
        super().__init__(name=name, id=id)
        self.desk = desk
        self.grouping = "symbol"
        self.window_index = 0
        self.rows: list[dict[str, Any]] = []
        self.stats: list[tca.GroupStats] = []
        self._cache: dict[str, tuple[tuple, dict[str, Any]]] = {}
        self._seen: tuple | None = None
        self._dirty = True
        self._unsubscribe = None
        self.refresh_count = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="tca-head")
        with Vertical():
            yield TcaSummaryTable(id="tca-summary")
            yield Static("", id="tca-errors")
        with Grid(id="tca-charts"):
            for kind in CHART_KINDS:
                yield TcaChart(kind, min_interval_s=TICK_S, id=f"tca-{kind}")
        yield Static("[b]g[/] group by   [b]w[/] window   [b]esc[/] close", id="tca-hint")

    def on_mount(self) -> None:
        self._unsubscribe = self.desk.bus.subscribe(self._on_desk_event)
        self.update_view()
        self.set_interval(TICK_S, self._tick)

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _on_desk_event(self, event: object) -> None:
        # runs inline on the desk's publish: only mark, never draw here
        if isinstance(event, (ExecutionRecorded, FillRecorded)):
            self._dirty = True

    def _tick(self) -> None:
        recorder = getattr(self.desk, "markouts", None)
        version = getattr(recorder, "version", 0)
        if self._dirty or version != (self._seen or (None, None))[1]:
            self.update_view()
        for chart in self.query(TcaChart):
            chart.maybe_redraw()

    # -- data ------------------------------------------------------------------------------
    def collect_rows(self) -> list[dict[str, Any]]:
        """Rows from memory, rebuilding only those whose execution or markouts changed."""
        recorder = getattr(self.desk, "markouts", None)
        executions = self.desk.executions()
        rows = []
        for e in executions:
            cid = e.client_order_id
            marks = recorder.for_order(cid) if recorder is not None else []
            end_mid = recorder.end_mids.get(cid) if recorder is not None else None
            fills = recorder.fills.get(cid, ()) if recorder is not None else ()
            key = (e, len(marks), end_mid, len(fills))  # holding e keeps "is" meaningful
            cached = self._cache.get(cid)
            if cached is None or cached[0][0] is not e or cached[0][1:] != key[1:]:
                row = tca.execution_row(e, markouts=marks, end_mid=end_mid, fills=fills)
                self._cache[cid] = (key, row)
            rows.append(self._cache[cid][1])
        rows.sort(key=lambda r: (r.get("done_ms") or 0, r["client_order_id"]))
        return rows

    def window_rows(self) -> list[dict[str, Any]]:
        _, ago, last_n = WINDOWS[self.window_index]
        since = self.desk.clock.wall_ms() - ago if ago is not None else None
        return tca.window(self.rows, since, last_n)

    def update_view(self) -> None:
        recorder = getattr(self.desk, "markouts", None)
        self._dirty = False
        self.rows = self.collect_rows()
        self._seen = (len(self.rows), getattr(recorder, "version", 0))
        chosen = self.window_rows()
        self.stats = tca.summary(chosen, self.grouping)
        self.refresh_count += 1
        label = WINDOWS[self.window_index][0]
        self.query_one("#tca-head", Static).update(
            f"Execution quality · by {GROUP_LABELS[self.grouping]} · window {label} · {len(chosen)} executions "
            f"(slippage bp: + = cost; vs intended and vs arrival mid)")
        self.query_one(TcaSummaryTable).show(self.stats)
        with_errors = [r for r in chosen if r.get("error_count")]
        by_status: dict[str, int] = {}
        for r in with_errors:
            by_status[r["status"]] = by_status.get(r["status"], 0) + 1
        outcome = ", ".join(f"{n} {s}" for s, n in sorted(by_status.items()))
        self.query_one("#tca-errors", Static).update(
            f"errors met: {len(with_errors)} executions" + (f" ({outcome})" if outcome else "") +
            "   · export with `workstation export` for the full error log")
        for chart in self.query(TcaChart):
            chart.set_rows(chosen)

    # -- actions -----------------------------------------------------------------------------
    def action_cycle_group(self) -> None:
        self.grouping = GROUPINGS[(GROUPINGS.index(self.grouping) + 1) % len(GROUPINGS)]
        self.update_view()

    def action_cycle_window(self) -> None:
        self.window_index = (self.window_index + 1) % len(WINDOWS)
        self.update_view()

    def action_close(self) -> None:
        self.dismiss(None)
