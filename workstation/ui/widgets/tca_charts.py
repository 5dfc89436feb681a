"""TCA widgets: the summary table and four plotext charts (slippage vs size, latency histogram,
fill probability of limit orders vs distance from mid, markout curves).

They take rows (``workstation.tca.execution_row`` dicts) and draw; no I/O. A chart rebuilds at most
``1 / min_interval_s`` times a second (default 4 Hz) and only when its data or size changed.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from rich.text import Text

from ... import tca
from .. import format as fmt
from .plot import ThrottledPlot, component_rgb, plotext
from .table import DiffTable

CHART_KINDS = ("slippage_size", "latency", "fill_probability", "markouts")
TITLES = {
    "slippage_size": "slippage bp vs notional (log10)",
    "latency": "latency sent→ack (ms)",
    "fill_probability": "limit fill probability vs distance from mid (bp)",
    "markouts": "markout bp at 1s 5s 60s 300s (+ = favourable)",
}



class TcaSummaryTable(DiffTable):
    """Median and p90 slippage and latency per group (the 'all' row first)."""

    COMPONENT_CLASSES = DiffTable.COMPONENT_CLASSES | {"tca--cost", "tca--gain", "tca--all"}
    COLUMNS = [
        ("group", "Group", 12), ("n", "N", 4), ("filled", "Fill", 4),
        ("slip50", "Slip p50", 8), ("slip90", "Slip p90", 8), ("arr50", "Arr p50", 8), ("arr90", "Arr p90", 8),
        ("lat50", "Lat p50", 7), ("lat90", "Lat p90", 7), ("ttff", "1st fill", 8), ("ratio", "Fill %", 6),
        ("is", "IS bp", 7),
    ]
    DEFAULT_CSS = """
    TcaSummaryTable > .tca--cost { color: $error; }
    TcaSummaryTable > .tca--gain { color: $success; }
    TcaSummaryTable > .tca--all { text-style: bold; }
    """

    @staticmethod
    def cells(g: tca.GroupStats) -> tuple[str, ...]:
        """The text of one row: the test compares these with tca.summary computed from the export."""
        ratio = None if g.fill_ratio_mean is None else g.fill_ratio_mean * 100
        return (g.group, str(g.n), str(g.n_filled), fmt.bps(g.slippage_median_bps), fmt.bps(g.slippage_p90_bps),
                fmt.bps(g.arrival_median_bps), fmt.bps(g.arrival_p90_bps), fmt.ms(g.latency_median_ms),
                fmt.ms(g.latency_p90_ms), fmt.ms(g.first_fill_median_ms), fmt.num(ratio, 0),
                fmt.bps(g.shortfall_mean_bps))

    def show(self, stats: Sequence[tca.GroupStats]) -> None:
        cost = self.get_component_rich_style("tca--cost", partial=True)
        gain = self.get_component_rich_style("tca--gain", partial=True)
        bold = self.get_component_rich_style("tca--all", partial=True)
        rows: dict[str, tuple[Any, ...]] = {}
        for g in stats:
            cells: list[Any] = list(self.cells(g))
            for i, value in ((3, g.slippage_median_bps), (4, g.slippage_p90_bps), (5, g.arrival_median_bps),
                             (6, g.arrival_p90_bps), (11, g.shortfall_mean_bps)):
                if value is not None and value != 0:
                    cells[i] = Text(cells[i], style=cost if value > 0 else gain, justify="right")
                else:
                    cells[i] = Text(cells[i], justify="right")
            for i in (1, 2, 7, 8, 9, 10):
                cells[i] = Text(cells[i], justify="right")
            if g.key == "all":
                cells[0] = Text(cells[0], style=bold)
            rows[f"{g.key}:{g.group}"] = tuple(cells)
        self.sync(rows, order=list(rows))


class TcaChart(ThrottledPlot):
    """One plotext chart over TCA rows; ``kind`` is one of CHART_KINDS."""

    COMPONENT_CLASSES = {"tca-chart--series", "tca-chart--second", "tca-chart--text"}
    DEFAULT_CSS = """
    TcaChart { height: 1fr; width: 1fr; border: round $panel; border-title-color: $text-muted; }
    TcaChart > .tca-chart--series { color: $accent; }
    TcaChart > .tca-chart--second { color: $warning; }
    TcaChart > .tca-chart--text { color: $text-muted; }
    """

    def __init__(self, kind: str, *, min_interval_s: float = 0.25, id: str | None = None,
                 classes: str | None = None):
        if kind not in CHART_KINDS:
            raise ValueError(f"unknown chart {kind!r}: one of {', '.join(CHART_KINDS)}")
        super().__init__(min_interval_s=min_interval_s, id=id, classes=classes)
        self.kind = kind
        self.rows: list[Mapping[str, Any]] = []
        self.border_title = TITLES[kind]

    def set_rows(self, rows: list[Mapping[str, Any]]) -> None:
        self.rows = rows
        self._stale = True

    MIN_SIZE = (12, 5)

    def plot_size(self) -> tuple[int, int]:
        return self.content_size.width, self.content_size.height  # inside the border

    def on_resize(self) -> None:
        self._stale = True

    def render(self) -> Text:
        return self._rendered


    def _build(self, width: int, height: int) -> Text:
        muted = self.get_component_rich_style("tca-chart--text")
        try:
            data = self._data()
        except Exception as exc:  # a bad row must never take the screen down
            return Text(f"chart unavailable: {exc}", style=muted)
        if data is None:
            return Text("no data yet", style=muted)
        plt = plotext()  # imported on first draw: keeps start-up fast

        main = component_rgb(self, "tca-chart--series", (80, 160, 255))
        second = component_rgb(self, "tca-chart--second", (245, 165, 36))
        text = component_rgb(self, "tca-chart--text", (140, 150, 160))
        plt.add_theme("workstation-tca", canvas=None, text=text, sequence=[main, second, text])
        fig = plt.figure
        try:
            fig.clear()
            fig.plot_size(width, height)
            fig.theme("workstation-tca")
            fig.canvas("default")
            self._draw(fig, data)
            out = fig.build().string()
        except Exception as exc:
            return Text(f"chart unavailable: {exc}", style=muted)
        return Text.from_ansi(out, no_wrap=True, end="")

    # -- per kind: data (plain floats for drawing only) and drawing ------------------------------
    def _data(self) -> Any:
        rows = self.rows
        if self.kind == "slippage_size":
            points = [(math.log10(float(n)), float(s)) for n, s in tca.slippage_vs_size(rows) if n and n > 0]
            return points or None
        if self.kind == "latency":
            values = tca.latencies(rows)
            return values or None
        if self.kind == "fill_probability":
            buckets = tca.fill_probability(rows)
            if not any(b.n for b in buckets):
                return None
            return [(b.label, float(b.p_any_fill or 0), b.n) for b in buckets]
        curves = tca.markout_curves(rows, "origin")
        series = {g: [(i, float(v)) for i, v in enumerate(values) if v is not None] for g, values in curves.items()}
        series = {g: pts for g, pts in series.items() if pts}
        return series or None

    def _draw(self, fig: Any, data: Any) -> None:
        if self.kind == "slippage_size":
            xs, ys = [p[0] for p in data], [p[1] for p in data]
            fig.draw(fig.signal(xs, ys, marker="dot").lines(False))  # a scatter: points, no joining lines
        elif self.kind == "latency":
            fig.draw(fig.hist(data, bins=max(5, min(20, len(data)))))
        elif self.kind == "fill_probability":
            fig.draw(fig.bar([f"{label} ({n})" for label, _, n in data], [p for _, p, _ in data]))
        else:
            labels = [f"{h}s" for h in tca.HORIZONS_S]
            for group, points in data.items():
                s = fig.signal([p[0] for p in points], [p[1] for p in points], marker="dot")
                s.label(group)
                fig.draw(s)
            fig.ruler("x").ticks(list(range(len(labels))), labels)
