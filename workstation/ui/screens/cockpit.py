"""The cockpit's modal screens: a fast action's one confirmation, the alerts (price alerts set and what
fired), and the account's balances in full."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from ...desk.account import account
from ...desk.actions import Plan
from .. import format as fmt
from ..keys import ALERTS_BINDINGS, CLOSE_BINDINGS, CONFIRM_BINDINGS
from ..widgets.alerts import AlertsTable


class PlanScreen(ModalScreen[bool]):
    """What a fast action will do, and what the risk gate says now; y (or enter) does it, once."""

    BINDINGS = CONFIRM_BINDINGS + [("enter", "confirm", "Yes")]

    def __init__(self, plan: Plan):
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical(id="confirm-box", classes="dialog" + (" -danger" if plan.kind in ("flatten", "reverse") else "")):
            yield Static(f" {plan.title}", classes="dialog-title", markup=False)
            yield Static("\n".join(f"▸ {line}" for line in plan.lines) or "▸ nothing to do", id="plan-lines",
                         markup=False)
            if plan.problems:
                yield Static("\n".join(f"✗ {p}" for p in plan.problems), id="plan-problems", markup=False)
                yield Static("[b]esc[/] close: the risk gate refuses this now", classes="dialog-hint")
            else:
                yield Static("every order goes through the risk gate again as it is sent", id="plan-ok")
                yield Static("[b]y[/] do it   [b]esc[/] no", classes="dialog-hint")

    def action_confirm(self) -> None:
        if self.plan.problems:
            self.notify("The risk gate refuses this now: see the reasons", severity="error", timeout=4)
            return
        self.dismiss(True)

    def action_close(self) -> None:
        self.dismiss(False)


class AlertsScreen(ModalScreen[None]):
    """Price alerts set (delete removes one), a line to add one at a level, and every alert that fired."""

    BINDINGS = ALERTS_BINDINGS

    def __init__(self, app, venue: str, symbol: str, ask: bool = False):
        super().__init__()
        self.owner, self.venue, self.symbol, self.ask = app, venue, symbol, ask

    def compose(self) -> ComposeResult:
        with Vertical(id="alerts-box", classes="dialog"):
            yield Static(f" Alerts · {self.symbol} on {self.venue}", classes="dialog-title")
            yield Static("Price alerts set", classes="section")
            yield DataTable(id="rules-table", cursor_type="row")
            yield Input(placeholder=f"a {self.symbol} price: alert when the mid reaches it", id="alert-level",
                        compact=True, restrict=r"[0-9.,_]*")
            yield Static("", id="alert-error")
            yield Static("Fired, newest first", classes="section")
            yield AlertsTable(id="alerts-fired")
            yield Static("[b]![/] new at a price   [b]delete[/] remove the selected alert   [b]esc[/] close",
                         classes="dialog-hint")

    def on_mount(self) -> None:
        table = self.query_one("#rules-table", DataTable)
        table.add_columns("Id", "Venue", "When", "Note")
        self.update_view()
        if self.ask:
            self.query_one("#alert-level", Input).focus()

    def update_view(self) -> None:
        book = self.owner.alert_book
        table = self.query_one("#rules-table", DataTable)
        table.clear()
        for rule in sorted(book.rules.values(), key=lambda r: r.id):
            table.add_row(rule.id, rule.venue, rule.describe(), rule.note, key=rule.id)
        self.query_one(AlertsTable).show(book.alerts())

    def action_add(self) -> None:
        self.query_one("#alert-level", Input).focus()

    def action_remove(self) -> None:
        table = self.query_one("#rules-table", DataTable)
        if not table.row_count:
            return
        key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        self.owner.alert_book.remove(str(key.value))
        self.update_view()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        error = self.query_one("#alert-error", Static)
        try:
            level = fmt.parse_decimal(event.value, positive=True)
        except ValueError as exc:
            error.update(str(exc))
            return
        if level is None:
            error.update("type a price")
            return
        if self.owner.add_price_alert(self.venue, self.symbol, level):
            event.input.value = ""
            error.update("")
            self.update_view()

    def action_close(self) -> None:
        self.dismiss(None)


class AccountScreen(ModalScreen[None]):
    """Every balance: per venue and asset, free / in orders / total, its price and value."""

    BINDINGS = CLOSE_BINDINGS

    def __init__(self, desk):
        super().__init__()
        self.desk = desk

    def compose(self) -> ComposeResult:
        with Vertical(id="account-box", classes="dialog"):
            yield Static(" Account: balances as the venues last reported them", classes="dialog-title")
            yield DataTable(id="balances-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="account-summary", markup=False)
            yield Static("[b]esc[/] close   [b]r[/] on the main screen refreshes from the venues",
                         classes="dialog-hint")

    def on_mount(self) -> None:
        snap = account(self.desk)
        table = self.query_one(DataTable)
        table.add_columns("Venue", "Asset", "Free", "In orders", "Total", "Price", "Value")
        lines = []
        for v in snap.venues:
            for a in v.assets:
                table.add_row(v.venue, a.currency, fmt.num(a.free, 8).rstrip("0").rstrip(".") or "0",
                              fmt.num(a.in_orders, 8).rstrip("0").rstrip(".") or "0",
                              fmt.num(a.total, 8).rstrip("0").rstrip(".") or "0",
                              fmt.num(a.price, 2) if a.price is not None else "unpriced",
                              f"{fmt.money(a.value)} {v.currency}" if a.value is not None else fmt.DASH)
            if v.known:
                lines.append(f"{v.venue}: equity {fmt.money(v.equity)} {v.currency} (derivatives uPnL "
                             f"{fmt.money(v.derivatives_upnl, 2, sign=True)}), buying power {fmt.money(v.buying_power)}"
                             + (f", perp {fmt.money(v.perp_buying_power)}" if v.perp_buying_power is not None else "")
                             + (f", margin {fmt.money(v.margin_used)} = {fmt.num(v.margin_ratio_pct, 1)}% of equity "
                                f"(cap {v.margin_cap_pct}%)" if v.margin_ratio_pct is not None else "")
                             + f", day PnL {fmt.money(v.day_pnl, 2, sign=True)}, uPnL {fmt.money(v.upnl, 2, sign=True)}")
        self.query_one("#account-summary", Static).update("\n".join(lines) or "waiting for the first refresh")

    def action_close(self) -> None:
        self.dismiss(None)
