"""The TCA screen shows tca.summary of the Desk's memory, draws four charts, and redraws at most 4 Hz."""

from __future__ import annotations

import time

import pandas as pd
import pytest
from textual.app import App

from workstation import tca
from workstation.export import export
from workstation.ui.screens.tca import TcaScreen
from workstation.ui.widgets.tca_charts import CHART_KINDS, TcaChart, TcaSummaryTable


class Host(App):
    def __init__(self, desk):
        super().__init__()
        self.desk = desk

    def on_mount(self) -> None:
        self.push_screen(TcaScreen(self.desk))


def _cells(table: TcaSummaryTable) -> dict[str, list[str]]:
    out = {}
    for row_key in table.rows:
        out[row_key.value] = [str(c).strip() for c in table.get_row(row_key)]
    return out


async def test_screen_numbers_equal_the_export(demo, tmp_path):
    desk, journal = demo
    (path, _), = export(journal, "parquet", "executions", str(tmp_path / "x.parquet")).values()
    df = pd.read_parquet(path)
    app = Host(desk)
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TcaScreen)
        for grouping in ("symbol", "size_bucket", "order_type", "origin", "all"):
            while screen.grouping != grouping:
                await pilot.press("g")
            await pilot.pause()
            shown = _cells(screen.query_one(TcaSummaryTable))
            # recompute from the export with pandas, format as the screen does, compare the text
            groups = [("all", df)] + ([] if grouping == "all" else [(str(k), g) for k, g in df.groupby(grouping)])
            assert len(shown) == len(groups)
            for name, g in groups:
                row = shown["all:all" if name == "all" else f"{grouping}:{name}"]
                slip, lat = g["slippage_bps"].dropna(), g["latency_ms"].dropna()
                expect_slip = [tca.quantile([tca._d(v) for v in slip], q) for q in (0.5, 0.9)]
                assert [float(x) for x in expect_slip] == pytest.approx([slip.median(), slip.quantile(0.9)])
                assert row[0] == name and row[1] == str(len(g))
                assert row[3:5] == [TcaSummaryTable.cells(tca.GroupStats(
                    "", "", 0, 0, expect_slip[0], expect_slip[1], None, None, None, None, None, None, None))[i]
                    for i in (3, 4)]
                assert row[7] == (f"{lat.median():.0f}" if lat.median() >= 10 else f"{lat.median():.1f}")
                assert row[8] == (f"{lat.quantile(0.9):.0f}" if lat.quantile(0.9) >= 10 else f"{lat.quantile(0.9):.1f}")
        await pilot.pause(0.6)
        charts = list(screen.query(TcaChart))
        assert [c.kind for c in charts] == list(CHART_KINDS)
        assert all(c.draw_count >= 1 for c in charts)
        assert all("unavailable" not in c.render().plain and "no data" not in c.render().plain for c in charts)


async def test_redraws_are_throttled_to_four_a_second(demo):
    desk, _ = demo
    app = Host(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        chart = app.screen.query_one("#tca-latency", TcaChart)
        start = chart.draw_count
        began = time.monotonic()
        for _ in range(200):  # a burst of updates: every one marks the chart stale
            chart.set_rows(chart.rows)
            chart.maybe_redraw()
            await pilot.pause(0.005)
        elapsed = time.monotonic() - began
        assert chart.draw_count - start <= elapsed / 0.25 + 1


async def test_window_and_unsubscribe(demo):
    desk, _ = demo
    app = Host(desk)
    subscribers = len(desk.bus._subscribers)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert len(desk.bus._subscribers) == subscribers + 1
        await pilot.press("w")  # last 5 minutes of the desk clock
        assert screen.stats[0].n == len(tca.window(screen.rows, desk.clock.wall_ms() - 300_000))
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, TcaScreen)
        assert len(desk.bus._subscribers) == subscribers
