"""The main screen: ladder, chart, orders / approvals, positions / executions, status bar, footer.

Widgets never read the venue. On every UI tick the app hands this screen what changed
(`Dirty`), and `apply` reads snapshots from the Desk for those areas only, inside one
`batch_update`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal

from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, TabbedContent, TabPane

from ...desk.desk import DeskError
from ...domain.orders import OrderStatus, OrderType, Side
from ..keys import MAIN_BINDINGS
from ..preview import preview
from ..widgets.approvals import ApprovalsTable
from ..widgets.chart import PriceChart
from ..widgets.copilot_log import CopilotLog
from ..widgets.executions import ExecutionsTable
from ..widgets.ladder import Ladder, LadderSnapshot
from ..widgets.orders import SHOWN, OrdersTable
from ..widgets.positions import PositionsTable
from ..widgets.status import StatusBar
from .execution_detail import ExecutionDetailScreen
from .modify import ModifyScreen
from .copilot import PromptScreen
from .proposal import Decision, ProposalScreen, ReasonScreen
from .ticket import TicketScreen


@dataclass
class Dirty:
    books: set[tuple[str, str]] = field(default_factory=set)
    orders: bool = True
    positions: bool = True
    executions: bool = True
    status: bool = True
    everything: bool = True

    def clear(self) -> None:
        self.books.clear()
        self.orders = self.positions = self.executions = self.status = self.everything = False


PANE_OF = {"approvals": "pane-a", "orders": "pane-a", "positions": "pane-b", "executions": "pane-b",
           "copilot-log": "pane-b"}


class MainScreen(Screen):
    BINDINGS = MAIN_BINDINGS

    def __init__(self) -> None:
        super().__init__(id="main")
        self.symbol_index = 0
        self._last_slow = 0.0
        self._last_second = 0.0
        self._approve_block_until = 0.0

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="body"):
            yield Ladder(levels=20, id="ladder")
            with Vertical(id="right"):
                yield PriceChart(id="chart")
                with Container(id="panes"):
                    with TabbedContent(id="pane-a", initial="orders"):
                        with TabPane("Orders", id="orders"):
                            yield OrdersTable(id="orders-table")
                        with TabPane("Approvals", id="approvals"):
                            yield ApprovalsTable(id="approvals-table")
                    with TabbedContent(id="pane-b", initial="positions"):
                        with TabPane("Positions", id="positions"):
                            yield PositionsTable(id="positions-table")
                        with TabPane("Executions", id="executions"):
                            yield ExecutionsTable(id="executions-table")
                        with TabPane("Copilot", id="copilot-log"):  # each turn's calls, results, errors
                            yield CopilotLog(id="copilot-log-panel")
        yield Footer(id="footer")

    def on_mount(self) -> None:
        self.query_one(Ladder).focus()
        self._select_current()

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
        self.app.dirty.books.add((venue, symbol))
        self.app.load_candles(venue, symbol)

    def visible_tab(self, tab: str) -> bool:
        return self.query_one(f"#{PANE_OF[tab]}", TabbedContent).active == tab

    def show_tab(self, tab: str, focus: bool = True) -> None:
        pane = self.query_one(f"#{PANE_OF[tab]}", TabbedContent)
        pane.active = tab
        if focus:
            self.query_one(f"#{tab}-table", DataTable).focus()

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
        with self.app.batch_update():
            if dirty.everything or (venue, symbol) in dirty.books or dirty.orders:
                self._apply_ladder(venue, symbol)
                self.query_one(PriceChart).set_mid(desk.mark(venue, symbol))
            if dirty.everything or dirty.orders or second:
                emulated = {v.order.client_order_id: v for v in desk.emulated_orders()}
                self.query_one(OrdersTable).show([o for o in desk.orders() if o.status in SHOWN],
                                                 desk.clock.wall_ms(), decimals, emulated)
            if dirty.everything or dirty.orders or (book_moved and slow) or second:
                pending = desk.pending_approvals()
                suggestions = self.suggestions()
                self.query_one(ApprovalsTable).show([(o, preview(desk, o.spec, order=o)) for o in pending],
                                                    desk.clock.wall_ms(), decimals, suggestions, desk)
                self._label_tabs(len(pending) + len(suggestions))
            if dirty.everything or dirty.positions or (book_moved and slow):
                positions = [(p, desk.mark(p.venue, p.symbol), *decimals.get((p.venue, p.symbol), (2, 4)))
                             for p in desk.positions()]
                self.query_one(PositionsTable).show(positions, desk.working_orders())
            if dirty.everything or dirty.executions:
                self.query_one(ExecutionsTable).show(desk.executions(), decimals)
            if dirty.everything or dirty.status or second:
                self.query_one(StatusBar).show(
                    desk.venue_states(), clock_text, self.app.status_note, connecting=self.app.connecting,
                    trading=desk.trading_states(), reconcile=desk.reconcile_status(),
                    copilot=self.app.copilot_status())
            self.query_one(PriceChart).maybe_redraw()
        if dirty.everything or dirty.orders or dirty.executions:
            self.refresh_bindings()

    def _apply_ladder(self, venue: str, symbol: str) -> None:
        desk = self.desk
        market = desk.markets.get((venue, symbol))
        own: dict[tuple[str, Decimal], Decimal] = {}
        for o in desk.working_orders():
            if o.venue == venue and o.symbol == symbol and o.spec.price is not None and o.spec.type is OrderType.LIMIT:
                key = ("bid" if o.side is Side.BUY else "ask", o.spec.price)
                own[key] = own.get(key, Decimal(0)) + o.remaining
        self.query_one(Ladder).set_snapshot(LadderSnapshot(
            venue, symbol, desk.book(venue, symbol),
            market.price_decimals() if market else 2, market.amount_decimals() if market else 4, own))

    def _label_tabs(self, pending: int) -> None:
        pane = self.query_one("#pane-a", TabbedContent)
        label = f"Approvals ({pending})" if pending else "Approvals"
        tab = pane.get_tab("approvals")
        if str(tab.label) != label:
            tab.label = label
        tab.set_class(bool(pending), "-waiting")

    def theme_changed(self) -> None:
        for table in self.query(DataTable):
            if hasattr(table, "invalidate"):
                table.invalidate()
        self.query_one(PriceChart).theme_changed()
        self.query_one(Ladder).refresh()

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

    # -- actions: symbols and panels --------------------------------------------------------------
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

    # -- actions: the order path ----------------------------------------------------------------
    def action_buy(self) -> None:
        self.open_ticket(Side.BUY)

    def action_sell(self) -> None:
        self.open_ticket(Side.SELL)

    def open_ticket(self, side: Side, venue: str | None = None, symbol: str | None = None) -> None:
        if venue is None or symbol is None:
            venue, symbol = self.selected
        if (venue, symbol) not in self.desk.markets:
            self.notify(f"{symbol} is not loaded yet: wait for the venue to connect", severity="warning")
            return
        symbols = [s for v, s in self.symbols() if v == venue]
        self.app.push_screen(TicketScreen(self.desk, venue, symbol, side, symbols), callback=self._on_ticket)

    def _on_ticket(self, request) -> None:
        if request is None:
            return
        spec = request.spec
        try:
            if request.group == "bracket":
                orders = self.desk.stage_bracket(spec, **request.params)
            elif request.group == "oco":
                orders = self.desk.stage_oco(request.params["legs"])
            elif request.group == "scaled":
                orders = self.desk.stage_scaled(spec, **request.params)
            else:
                orders = [self.desk.stage(spec, confirm_duplicate=request.confirm_duplicate)]
        except DeskError as exc:
            self.notify(str(exc), title="Not staged", severity="error", timeout=8)
            return
        denied = [o for o in orders if o.status is OrderStatus.DENIED]
        if denied:
            self.notify(f"Denied: {denied[0].reason}", title="Not staged", severity="error", timeout=8)
            if len(denied) == len(orders):
                return
        order = orders[0]
        self.app.dirty.orders = True
        self.app.tick()  # show it now, not on the next tick
        self.show_tab("approvals")
        self.query_one(ApprovalsTable).select_key(order.client_order_id)
        what = (f"{request.group} of {len(orders)} orders" if request.group else
                f"{spec.side.value.upper()} {spec.amount} {spec.symbol} {spec.type.value}")
        self.notify(f"{what} staged: press [b]a[/] to approve, [b]x[/] to reject", title="Waiting for approval")

    def suggestions(self) -> list:
        """Copilot cancel / modify suggestions waiting for the human (no Desk order behind them)."""
        copilot = self.app.copilot
        if copilot is None:
            return []
        return [p for p in copilot.proposals("pending") if p.kind != "stage"]

    def selected_proposal(self) -> str | None:
        """The highlighted row of the approval queue: an order's client id, or "cp:<proposal id>"."""
        table = self.query_one(ApprovalsTable)
        key = table.selected_key
        if key is None:
            return None
        if key.startswith("cp:"):
            return key if any(p.id == key[3:] for p in self.suggestions()) else None
        order = self.desk.order(key)
        return key if order.status is OrderStatus.PENDING_APPROVAL else None

    def action_approve(self) -> None:
        if not self.visible_tab("approvals"):
            self.show_tab("approvals")
            self.notify("This is the approval queue: press a again to approve the highlighted proposal")
            return
        if time.monotonic() < self._approve_block_until:
            self.notify("Just approved one: press a again to approve the next proposal", severity="warning")
            self._approve_block_until = 0.0
            return
        cid = self.selected_proposal()
        if cid is None:
            self.notify("Nothing waiting for approval", severity="warning")
            return
        if cid.startswith("cp:"):
            self._confirm_suggestion(cid[3:])
            return
        self._approve_block_until = time.monotonic() + self.app.approve_guard_s
        self.app.approve(cid)

    def _confirm_suggestion(self, proposal_id: str) -> None:
        from .kill import ConfirmScreen

        p = self.app.copilot.proposal(proposal_id)
        self.app.push_screen(ConfirmScreen(
            f"Copilot suggests: {p.summary()}".replace("[", "(").replace("]", ")"), f"{p.rationale}\n\nPress y to {p.kind} order {p.target_order_id} now.",
            yes=p.kind), callback=lambda yes: yes and self.app.confirm_suggestion(proposal_id))

    def _summary(self, key: str) -> str:
        if key.startswith("cp:"):
            return self.app.copilot.proposal(key[3:]).summary()
        order = self.desk.order(key)
        return f"{order.side.value} {order.amount} {order.symbol} {order.spec.type.value}"

    def action_reject(self) -> None:
        if not self.visible_tab("approvals"):
            self.show_tab("approvals")
            return
        cid = self.selected_proposal()
        if cid is None:
            self.notify("Nothing waiting for approval", severity="warning")
            return
        self.app.push_screen(ReasonScreen(self._summary(cid)), callback=lambda reason: self._reject(cid, reason))

    def _reject(self, cid: str, reason: str | None) -> None:
        if reason is None:
            return
        if cid.startswith("cp:"):
            self.app.reject_suggestion(cid[3:], reason)
            return
        self.app.reject(cid, reason)

    def action_proposal_detail(self) -> None:
        cid = self.selected_proposal()
        if cid is None:
            return
        copilot = self.app.copilot
        if cid.startswith("cp:"):
            screen = ProposalScreen(self.desk, copilot=copilot, proposal_id=cid[3:])
        else:
            screen = ProposalScreen(self.desk, cid, copilot=copilot)
        self.app.push_screen(screen, callback=lambda decision: self._decided(cid, decision))

    def _decided(self, cid: str, decision: Decision | None) -> None:
        if decision is None:
            return
        if decision.what == "approve":
            if cid.startswith("cp:"):
                self.app.confirm_suggestion(cid[3:])
            else:
                self.app.approve(cid)
        elif decision.what == "edit":
            self.app.approve(cid, edits=decision.edits)
        elif decision.what == "reject":
            self.app.push_screen(ReasonScreen(self._summary(cid)), callback=lambda reason: self._reject(cid, reason))

    # -- actions: copilot and the other screens -------------------------------------------------
    def action_copilot_ask(self) -> None:
        copilot = self.app.copilot
        if copilot is None:
            self.notify("No copilot in this session", severity="warning")
            return
        last = copilot.last_reply.text if copilot.last_reply else None
        self.app.push_screen(PromptScreen(copilot.status, last),
                             callback=lambda prompt: prompt and self.app.ask_copilot(prompt))

    def action_copilot_toggle(self) -> None:
        self.app.toggle_copilot()

    def action_copilot_auto(self) -> None:
        self.app.toggle_auto_propose()

    def action_reconcile_screen(self) -> None:
        self.app.open_reconcile()

    def action_audit(self) -> None:
        self.app.open_audit()

    def action_tca(self) -> None:
        self.app.open_tca()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "approvals-table":
            self.action_proposal_detail()
        elif event.data_table.id == "executions-table":
            self.action_execution_detail()

    def selected_order(self) -> str | None:
        key = self.query_one(OrdersTable).selected_key
        return key

    def action_cancel_order(self) -> None:
        if not self.visible_tab("orders"):
            self.show_tab("orders")
            self.notify("Open orders: press c again to cancel the highlighted one")
            return
        cid = self.selected_order()
        if cid is None:
            self.notify("No open order selected", severity="warning")
            return
        self.app.cancel(cid)

    def action_modify_order(self) -> None:
        if not self.visible_tab("orders"):
            self.show_tab("orders")
            return
        cid = self.selected_order()
        if cid is None:
            return
        order = self.desk.order(cid)
        if order.status not in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED):
            self.notify(f"{cid} is {order.status.value}: only open orders can be modified", severity="warning")
            return
        self.app.push_screen(ModifyScreen(order), callback=lambda change: change and self.app.modify(cid, *change))

    def action_execution_detail(self) -> None:
        executions = self.desk.executions()
        if not executions:
            self.notify("No executions yet", severity="warning")
            return
        key = self.query_one(ExecutionsTable).selected_key if self.visible_tab("executions") else None
        ex = next((e for e in executions if e.client_order_id == key), executions[0])
        pd, ad = self.decimals().get((ex.venue, ex.symbol), (2, 4))
        self.app.push_screen(ExecutionDetailScreen(ex, pd, ad))
