"""The tables' panes: every table at once on a large terminal, tabs where it is small.

Two panes (registered in ui/registry.py): A holds orders and approvals, B positions and executions (and,
when the top row with the tape and alerts is not on screen, those two as well). With ``all_tables`` (140 columns and more by
default) each panel shows with its own title line; otherwise each pane shows one panel, and its
title line lists the pane's tabs with the active one marked (o, w, p, l, i, n, j switch them; a click
on the title line goes to the next). Panels beyond the four tables (a registered one, such as the copilot
log) show below them on a large terminal when their key selects them.
"""

from __future__ import annotations

from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from ..registry import PANELS

TITLES = {tab: title for tab, (_, title, _, _) in PANELS.items()}
PANES = {pane: tuple(tab for tab, (p, _, _, _) in PANELS.items() if p == pane) for pane in ("pane-a", "pane-b")}
PANE_OF = {tab: pane for pane, tabs in PANES.items() for tab in tabs}
SIDE_TABS = ("tape", "alerts")  # in the top row's side column when it is on screen
CORE = ("orders", "approvals", "positions", "executions")  # all on screen at once on a large terminal


class Panel(Vertical):
    """One table (or the tape, or the alerts) with its title line."""

    def __init__(self, tab: str, body: Widget):
        super().__init__(id=f"panel-{tab}", classes="panel")
        self.tab = tab
        self.body = body

    def compose(self):
        yield Static("", classes="panel-title", markup=True)
        yield self.body

    def on_click(self, event) -> None:
        """A click on the title line: the pane's next tab (keyboard first: o w p l i n j do the same)."""
        if event.widget is not None and event.widget.has_class("panel-title"):
            panes = getattr(self.screen, "panes", None)
            if panes is not None:
                panes.next_tab(PANE_OF[self.tab])

    def set_title(self, text: str) -> None:
        title = self.query_one(".panel-title", Static)
        if getattr(title, "_text", None) != text:
            title._text = text  # type: ignore[attr-defined]
            title.update(text)


class Panes:
    """Which panels show and what their titles say; the main screen calls ``layout`` on resize and on
    every change of tab or count."""

    def __init__(self, screen) -> None:
        self.screen = screen
        self.active = {"pane-a": "orders", "pane-b": "positions"}
        self.all_tables = False
        self.side_visible = False
        self.counts: dict[str, int] = {}

    def tabs_of(self, pane: str) -> tuple[str, ...]:
        tabs = PANES[pane]
        return tuple(t for t in tabs if not (self.side_visible and t in SIDE_TABS))

    def visible(self, tab: str) -> bool:
        if tab in SIDE_TABS and self.side_visible:
            return True
        if self.all_tables:
            return tab in CORE or (tab not in SIDE_TABS and self.active[PANE_OF[tab]] == tab)
        return self.active[PANE_OF[tab]] == tab

    def next_tab(self, pane: str) -> None:
        tabs = self.tabs_of(pane)
        if tabs:
            self.show(tabs[(tabs.index(self.active[pane]) + 1) % len(tabs)] if self.active[pane] in tabs else tabs[0])
            self.screen.app.dirty.everything = True

    def show(self, tab: str) -> None:
        pane = PANE_OF[tab]
        if tab in self.tabs_of(pane):
            self.active[pane] = tab
        self.layout()

    def layout(self) -> None:
        for pane in PANES:
            tabs = self.tabs_of(pane)
            if self.active[pane] not in tabs:
                self.active[pane] = tabs[0]
            for tab in PANES[pane]:
                panel = self.screen.query_one(f"#panel-{tab}", Panel)
                shown = tab in tabs and self.visible(tab) and not (tab in SIDE_TABS and self.all_tables)
                panel.display = shown
                panel.set_title(self._title(tab, tabs) if shown else "")

    def _label(self, tab: str) -> str:
        n = self.counts.get(tab)
        label = TITLES[tab] + (f" ({n})" if n else "")
        if tab == "approvals" and n:
            return f"[$warning b]{label}[/]"
        return label

    def _title(self, tab: str, tabs: tuple[str, ...]) -> str:
        if self.all_tables:
            return f"[b]{self._label(tab)}[/]"
        return "  ".join(f"[reverse b] {self._label(t)} [/]" if t == tab else f" [dim]{self._label(t)}[/] "
                         for t in tabs)
