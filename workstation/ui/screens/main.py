"""The main screen: account strip, DOM, chart (or depth), tape and alerts, the four tables, status bar;
or, switched with ``g``, the grid of every watched book.

Widgets never read the venue. On every UI tick the app hands this screen what changed (`Dirty`), and
`apply` reads snapshots from the Desk for those areas only, inside one `batch_update`. The trading
actions live in two mixins: the order path (tickets, approvals, cancel, modify) and the cockpit's fast
actions (presets, flatten, reverse, join, cancel all, DOM level actions, alerts).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer

from ...desk.account import account
from ...domain.orders import OrderStatus, OrderType, Side
from ..keys import MAIN_BINDINGS
from ..preview import preview
from ..widgets.account import AccountStrip
from ..widgets.alerts import AlertsTable
from ..widgets.approvals import ApprovalsTable
from ..widgets.chart import PriceChart
from ..widgets.depth import DepthChart
from ..widgets.dom import Dom, DomSnapshot
from ..widgets.executions import ExecutionsTable
from ..widgets.grid import BookGrid, GridBook
from ..widgets.orders import SHOWN, OrdersTable
from ..registry import PANELS, load
from ..widgets.panes import PANE_OF, PANES, Panel, Panes
from ..widgets.positions import PositionsTable, position_rows
from ..widgets.status import StatusBar
from ..widgets.tape import TapeView
from .main_cockpit import CockpitActions
from .main_orders import OrderPathActions

ALL_TABLES_WIDTH, TALL = 140, 32


@dataclass
class Dirty:
    books: set[tuple[str, str]] = field(default_factory=set)
    orders: bool = True
    positions: bool = True
    executions: bool = True
    status: bool = True
    alerts: bool = True
    everything: bool = True

    def clear(self) -> None:
        self.books.clear()
        self.orders = self.positions = self.executions = self.status = self.alerts = self.everything = False


class MainScreen(OrderPathActions, CockpitActions, Screen):
    BINDINGS = MAIN_BINDINGS

    def __init__(self) -> None:
        super().__init__(id="main")
        self.symbol_index = 0
        self._last_slow = 0.0
        self._last_second = 0.0
        self._approve_block_until = 0.0
        self.panes = Panes(self)
        self.grid_mode = False
        self.depth_mode = False
        self.preset_index = 0
        self.tape_filter_index = -1  # -1: every print; else the index of the preset size used as the floor
        self._own: dict[tuple[str, str], tuple[dict, dict, dict]] = {}
        self._tape_version: object = None
        self._fed_panels: list[Panel] = []

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        levels = self.app.config.cockpit.grid_levels
        yield StatusBar(id="status")
        yield AccountStrip(id="account")
        with Horizontal(id="body"):
            yield Dom(id="ladder")
            with Vertical(id="right"):
                with Horizontal(id="top"):
                    yield PriceChart(id="chart", min_interval_s=2.0)  # 1m candles: the DOM shows the live price
                    yield DepthChart(id="depth")
                    with Vertical(id="top-side"):
                        yield TapeView(id="tape-side")
                        yield AlertsTable(id="alerts-side")
                with Vertical(id="panes"):
                    for pane, tabs in PANES.items():
                        with Vertical(id=pane, classes="pane"):
                            for tab in tabs:
                                _, _, path, widget_id = PANELS[tab]
                                yield Panel(tab, load(path)(id=widget_id))
        yield BookGrid(levels, id="grid")
        yield Footer(id="footer")

    def on_mount(self) -> None:
        self._fed_panels = [p for p in self.query(Panel) if hasattr(p.body, "update_from_app")]
        self.query_one("#grid").display = False
        self.query_one("#depth").display = False
        self.query_one(Dom).focus()
        self._relayout()
        self._select_current()

    def on_resize(self) -> None:
        self._relayout()

    def _relayout(self) -> None:
        width, height = self.app.size
        layout = self.app.config.cockpit.layout
        tall = height >= TALL
        self.panes.all_tables = layout == "all" or (layout == "auto" and width >= ALL_TABLES_WIDTH and tall)
        self.panes.side_visible = tall and width >= 120 and not self.grid_mode
        self.query_one("#top-side").display = self.panes.side_visible
        self.query_one("#top").display = tall
        self.set_class(self.panes.all_tables, "-all-tables")
        self.query_one(AccountStrip).balances_line = tall
        self.panes.layout()
        self.app.dirty.everything = True

    # -- helpers --------------------------------------------------------------------------------
    @property
    def desk(self):
        return self.app.desk

    def symbols(self) -> list[tuple[str, str]]:
        return [(venue, symbol) for venue, symbols in self.desk.watch_symbols.items() for symbol in symbols] or \
            [(venue, symbol) for venue in self.desk.venues for symbol in self.app.config.symbols]

    @property
    def selected(self) -> tuple[str, str]:
        symbols = self.symbols()
        return symbols[self.symbol_index % len(symbols)] if symbols else ("", "")

    def decimals(self) -> dict[tuple[str, str], tuple[int, int]]:
        return {key: (m.price_decimals(), m.amount_decimals()) for key, m in self.desk.markets.items()}

    def _select_current(self) -> None:
        venue, symbol = self.selected
        pd = self.desk.markets[(venue, symbol)].price_decimals() if (venue, symbol) in self.desk.markets else 2
        self.query_one(PriceChart).set_symbol(symbol, pd)
        self.query_one(BookGrid).select((venue, symbol))
        self.app.dirty.books.add((venue, symbol))
        self.app.dirty.everything = True
        self.app.load_candles(venue, symbol)
        self.app.poll_tape(venue, symbol)

    def visible_tab(self, tab: str) -> bool:
        return self.panes.visible(tab) and not self.grid_mode

    def show_tab(self, tab: str, focus: bool = True) -> None:
        if self.grid_mode:
            self.action_toggle_grid()
        self.panes.show(tab)
        if focus:
            widget = {"tape": None, "alerts": "#alerts-side" if self.panes.side_visible else "#alerts-b"}.get(
                tab, f"#{PANELS[tab][3]}")
            if widget and self.query_one(widget).can_focus:
                self.query_one(widget).focus()
        self.app.dirty.everything = True

    # -- live data ------------------------------------------------------------------------------
    def apply(self, dirty: Dirty, clock_text: str) -> None:
        desk = self.desk
        now = time.monotonic()
        slow = now - self._last_slow >= 0.5  # marks, expected fills, ages: twice a second is plenty
        second = now - self._last_second >= 1.0
        if slow:
            self._last_slow = now
        if second:
            self._last_second = now
        venue, symbol = self.selected
        decimals = self.decimals()
        book_moved = bool(dirty.books)
        if dirty.everything or dirty.orders:
            self._own = self._own_orders()
        with self.app.batch_update():
            if self.grid_mode:
                self._apply_grid(dirty, decimals)
            elif dirty.everything or (venue, symbol) in dirty.books or dirty.orders:
                self._apply_dom(venue, symbol)
                self.query_one(PriceChart).set_mid(desk.mark(venue, symbol))
                if self.depth_mode:
                    pd, ad = decimals.get((venue, symbol), (2, 4))
                    self.query_one(DepthChart).show(desk.book(venue, symbol), pd, ad)
            if dirty.everything or dirty.orders or second:
                self._label_tabs()
                emulated = {v.order.client_order_id: v for v in desk.emulated_orders()}
                self.query_one(OrdersTable).show([o for o in desk.orders() if o.status in SHOWN],
                                                 desk.clock.wall_ms(), decimals, emulated, desk.group)
            if dirty.everything or dirty.orders or (book_moved and slow) or second:
                pending = desk.pending_approvals()
                self.query_one(ApprovalsTable).show([(o, preview(desk, o.spec, order=o)) for o in pending],
                                                    desk.clock.wall_ms(), decimals, self.suggestions(), desk,
                                                    desk.group)
            if dirty.everything or dirty.positions or (book_moved and second):  # marks: once a second
                self.query_one(PositionsTable).show(position_rows(desk))
            if dirty.everything or dirty.executions:
                self.query_one(ExecutionsTable).show(desk.executions(), decimals)
            if dirty.everything or dirty.positions or dirty.orders or (book_moved and slow) or dirty.status:
                self.query_one(AccountStrip).show(account(desk))
            self._apply_side(dirty, venue, symbol, decimals)
            for panel in self._fed_panels:  # registered panels that feed themselves (ui/registry.py)
                if self.visible_tab(panel.tab):
                    panel.body.update_from_app(self.app, dirty)
            if dirty.everything or dirty.status or second:
                self.query_one(StatusBar).show(
                    desk.venue_states(), clock_text, self.app.status_note, connecting=self.app.connecting,
                    trading=desk.trading_states(), reconcile=desk.reconcile_status(),
                    copilot=self.app.copilot_status())
            if not self.grid_mode and not self.depth_mode:
                self.query_one(PriceChart).maybe_redraw()
        if dirty.everything or dirty.orders or dirty.executions:
            self.refresh_bindings()

    def _own_orders(self) -> dict[tuple[str, str], tuple[dict, dict, dict]]:
        """Per book: our working quantity per limit price (buys, sells), and the levels stops trigger at."""
        own: dict[tuple[str, str], tuple[dict, dict, dict]] = {}
        for o in self.desk.working_orders() + self.desk.orders({OrderStatus.EMULATED}):
            buys, sells, triggers = own.setdefault((o.venue, o.symbol), ({}, {}, {}))
            if o.spec.type.has_limit_price and o.spec.price is not None and o.status is not OrderStatus.EMULATED:
                side = buys if o.side is Side.BUY else sells
                side[o.spec.price] = side.get(o.spec.price, Decimal(0)) + o.remaining
            elif o.spec.trigger_price is not None:
                triggers[o.spec.trigger_price] = o.side.value
            elif o.spec.type is OrderType.LIMIT and o.spec.price is not None:  # an emulated limit (OCO leg)
                triggers[o.spec.price] = o.side.value
        return own

    def _apply_dom(self, venue: str, symbol: str) -> None:
        desk = self.desk
        market = desk.markets.get((venue, symbol))
        buys, sells, triggers = self._own.get((venue, symbol), ({}, {}, {}))
        self.query_one(Dom).set_snapshot(DomSnapshot(
            venue, symbol, desk.book(venue, symbol), market.tick if market else Decimal("0.01"),
            market.price_decimals() if market else 2, market.amount_decimals() if market else 4,
            buys, sells, triggers, self.preset_label(venue, symbol)))

    def _apply_grid(self, dirty: Dirty, decimals: dict) -> None:
        grid = self.query_one(BookGrid)
        keys = self.symbols()
        grid.set_keys(keys)
        changed = keys if (dirty.everything or dirty.orders) else [k for k in keys if k in dirty.books]
        books = []
        for key in changed:
            pd, ad = decimals.get(key, (2, 4))
            buys, sells, _ = self._own.get(key, ({}, {}, {}))
            books.append(GridBook(key[0], key[1], self.desk.book(*key), pd, ad, buys, sells))
        grid.update_books(books)

    def _apply_side(self, dirty: Dirty, venue: str, symbol: str, decimals: dict) -> None:
        """The tape and the alerts, where they are on screen."""
        tape = self.app.tape
        version = (venue, symbol, tape.version.get((venue, symbol)), self.tape_filter_index)
        if dirty.everything or version != self._tape_version:
            self._tape_version = version
            pd, ad = decimals.get((venue, symbol), (2, 4))
            floor = self.tape_floor(venue, symbol)
            prints = tape.prints(venue, symbol, floor)[:200]
            for view in self.query(TapeView):
                if view.display and (view.id == "tape-side" and self.panes.side_visible or self.visible_tab("tape")):
                    view.show(symbol, prints, pd, ad, floor, version)
        if dirty.everything or dirty.alerts:
            alerts = self.app.alert_book.alerts() if self.app.alert_book is not None else []
            for table in self.query(AlertsTable):
                table.show(alerts)

    def _label_tabs(self) -> None:
        pending = len(self.desk.pending_approvals()) + len(self.suggestions())
        working = sum(1 for o in self.desk.orders() if o.status in SHOWN)
        if self.panes.counts.get("approvals") != pending or self.panes.counts.get("orders") != working:
            self.panes.counts.update(approvals=pending, orders=working)
            self.panes.layout()

    def theme_changed(self) -> None:
        for table in self.query(DataTable):
            if hasattr(table, "invalidate"):
                table.invalidate()
        self.query_one(PriceChart).theme_changed()
        self.query_one(BookGrid).theme_changed()
        self.query_one(AccountStrip).theme_changed()
        self.query_one(Dom).theme_changed()

    # -- dynamic bindings -----------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        desk = self.app.desk
        if action in ("approve", "reject", "proposal_detail"):
            return bool(desk.pending_approvals()) or bool(self.suggestions())
        if action in ("cancel_order", "modify_order"):
            return any(o.status in SHOWN for o in desk.orders())
        if action == "execution_detail":
            return bool(desk.executions())
        return True

    # -- symbols and panels ---------------------------------------------------------------------
    def action_symbol_step(self, step: int) -> None:
        self.symbol_index = (self.symbol_index + step) % max(len(self.symbols()), 1)
        self._select_current()

    def action_symbol_index(self, index: int) -> None:
        if index < len(self.symbols()):
            self.symbol_index = index
            self._select_current()

    def select_symbol(self, venue: str, symbol: str) -> None:
        symbols = self.symbols()
        if (venue, symbol) in symbols:
            self.symbol_index = symbols.index((venue, symbol))
            self._select_current()

    def action_show_panel(self, tab: str) -> None:
        self.show_tab(tab)

    def action_refresh(self) -> None:
        self.app.refresh_desk()

    def on_book_grid_opened(self, message: BookGrid.Opened) -> None:
        self.select_symbol(message.venue, message.symbol)
        if self.grid_mode:
            self.action_toggle_grid()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "approvals-table":
            self.action_proposal_detail()
        elif event.data_table.id == "executions-table":
            self.action_execution_detail()


__all__ = ["Dirty", "MainScreen", "PANE_OF"]
