"""One execution in full: prices against every benchmark, and every leg's timestamp."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ...domain.execution import Execution
from ...domain.orders import LEGS
from .. import format as fmt
from ..keys import CLOSE_BINDINGS
from .ticket_view import words


def execution_table(ex: Execution, pd: int, ad: int) -> Table:
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold", no_wrap=True)
    t.add_column()
    t.add_row("Order", f"{ex.side.value.upper()} {fmt.amount(ex.amount, ad)} {ex.symbol} {words(ex.order_type)} · "
                       f"{ex.venue} · {ex.origin}")
    t.add_row("Status", f"{ex.status}  filled {fmt.amount(ex.filled, ad)} ({ex.fill_ratio * 100:.0f}%)"
                        + ("  PARTIAL" if ex.partial_fill else ""))
    t.add_row("Avg fill", f"{fmt.price(ex.average_price, pd)}   fees {fmt.money(ex.fees, 4)} {ex.fee_currency}")
    for label, price, slip in (("Intended", ex.intended_price, ex.slippage_bps),
                               ("Decision", ex.decision_mid, ex.slippage_decision_bps),
                               ("Approval", ex.approval_mid, ex.slippage_approval_bps),
                               ("Arrival", ex.arrival_mid, ex.slippage_arrival_bps)):
        t.add_row(label, f"{fmt.price(price, pd):>14}   slippage {fmt.bps(slip):>7} bp")
    t.add_row("Latency", f"ack {fmt.ms(ex.latency_ms)} ms   first fill {fmt.ms(ex.time_to_first_fill_ms)} ms   "
                         f"complete {fmt.ms(ex.time_to_complete_ms)} ms   approval wait {fmt.ms(ex.approval_wait_ms)} ms")
    legs = Table(box=None, padding=(0, 2), show_edge=False, header_style="bold")
    legs.add_column("Leg")
    legs.add_column("Time", justify="right")
    legs.add_column("+ms", justify="right")
    for leg in LEGS:
        if leg in ex.legs_wall_ms:
            legs.add_row(leg, fmt.clock(ex.legs_wall_ms[leg], millis=True), fmt.ms(ex.legs_ms.get(leg)))
        else:
            legs.add_row(leg, fmt.DASH, fmt.DASH)
    t.add_row("Legs", legs)
    if ex.errors:
        t.add_row("Errors", "\n".join(ex.errors))
    if ex.reason:
        t.add_row("Reason", ex.reason)
    return t


class ExecutionDetailScreen(ModalScreen[None]):
    BINDINGS = CLOSE_BINDINGS

    def __init__(self, execution: Execution, price_decimals: int, amount_decimals: int):
        super().__init__()
        self.execution, self.pd, self.ad = execution, price_decimals, amount_decimals

    def compose(self) -> ComposeResult:
        with Vertical(id="execution-box", classes="dialog"):
            yield Static(f" Execution {self.execution.client_order_id}", classes="dialog-title")
            with VerticalScroll(id="execution-scroll"):
                yield Static(execution_table(self.execution, self.pd, self.ad), id="execution-body")
            yield Static("[b]esc[/] close", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
