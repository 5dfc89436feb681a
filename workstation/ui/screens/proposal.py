"""A proposal's details: what it would do now, every check, and approve / reject by key."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ...domain.orders import Order
from .. import format as fmt
from ..keys import CLOSE_BINDINGS, PROPOSAL_BINDINGS
from ..preview import preview


def proposal_table(desk, order: Order) -> Table:
    spec = order.spec
    market = desk.market(spec.venue, spec.symbol)
    pd, ad = market.price_decimals(), market.amount_decimals()
    p = preview(desk, spec, order=order)
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold", no_wrap=True)
    t.add_column()
    t.add_row("Order", f"{spec.side.value.upper()} {fmt.amount(spec.amount, ad)} {spec.symbol} "
                       f"{spec.type.value.replace('_', ' ')} · {spec.venue}")
    if spec.price is not None:
        t.add_row("Price", fmt.price(spec.price, pd))
    if spec.trigger_price is not None:
        t.add_row("Trigger", fmt.price(spec.trigger_price, pd))
    flags = [spec.time_in_force.value] + (["post-only"] if spec.post_only else []) + (["reduce-only"] if spec.reduce_only else [])
    t.add_row("Flags", " ".join(flags))
    t.add_row("Origin", f"{spec.origin.value}" + (f" — {spec.rationale}" if spec.rationale else ""))
    t.add_row("Notional", f"{fmt.money(p.notional)} {market.quote}")
    t.add_row("Exp. avg", f"{fmt.price(p.expected_average, pd)}  ({fmt.bps(p.slippage_bps)} bp vs mid)")
    if p.walk is not None and spec.type.value == "market":
        t.add_row("Walk", f"{p.walk.levels} levels, worst {fmt.price(p.walk.worst_price, pd)}, "
                          f"{'complete' if p.walk.complete else 'book too thin'}")
    t.add_row("Position", f"{fmt.amount(p.position_before, ad)} → {fmt.amount(p.position_after, ad)} {market.base}")
    t.add_row("Decision", f"mid {fmt.price(spec.decision_mid, pd)} at {fmt.clock(spec.decided_at_ms)}")
    checks = Text()
    if p.problems:
        for i, problem in enumerate(p.problems):
            checks.append(("\n" if i else "") + f"✗ {problem}", style="bold")
    else:
        checks.append("✓ every check passes")
    t.add_row("Checks", checks)
    return t


class ProposalScreen(ModalScreen[str | None]):
    """Returns 'approve', 'reject' or None."""

    BINDINGS = PROPOSAL_BINDINGS

    def __init__(self, desk, client_order_id: str):
        super().__init__()
        self.desk, self.cid = desk, client_order_id

    def compose(self) -> ComposeResult:
        with Vertical(id="proposal", classes="dialog"):
            yield Static(f" Proposal {self.cid}", classes="dialog-title")
            yield Static(proposal_table(self.desk, self.desk.order(self.cid)), id="proposal-body")
            yield Static("[b]a[/] approve and send   [b]x[/] reject   [b]esc[/] close", classes="dialog-hint")

    def on_mount(self) -> None:
        self.set_interval(0.5, self._refresh)

    def _refresh(self) -> None:
        order = self.desk.order(self.cid)
        if order.status.value != "pending_approval":
            self.dismiss(None)
            return
        self.query_one("#proposal-body", Static).update(proposal_table(self.desk, order))

    def action_decide(self, what: str) -> None:
        self.dismiss(None if what == "close" else what)


class ReasonScreen(ModalScreen[str | None]):
    """An optional reason for a rejection. Enter confirms (empty is fine); escape keeps the proposal."""

    BINDINGS = CLOSE_BINDINGS
    AUTO_FOCUS = "#reason"

    def __init__(self, summary: str):
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical(id="reason-box", classes="dialog"):
            yield Static(f" Reject {self.summary}", classes="dialog-title")
            yield Input(placeholder="reason (optional)", id="reason")
            yield Static("[b]enter[/] reject   [b]esc[/] keep it", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip())

    def action_close(self) -> None:
        self.dismiss(None)
