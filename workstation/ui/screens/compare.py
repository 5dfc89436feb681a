"""One symbol across venues: where to trade a size now.

Type a size (base units) and, if you like, a depth band; ctrl+t flips buy and sell. Each venue that lists the
symbol (or its equivalent) shows its best bid and ask, depth within the band, the taker fee this account pays,
the average of the size walked through its book, the all-in price (fee included) and how far it is from the
best. ctrl+s stages the best venue (or the selected row) as a limit IOC capped at the walked price: a staged
order waits in the approval queue like any other. Reads desk/compare.py over snapshots; no I/O here.
"""

from __future__ import annotations

from decimal import Decimal

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from ...desk.compare import Comparison, compare, stage_from
from ...desk.profiles import Profiles
from ...domain.orders import Side
from .. import format as fmt
from ..widgets.positions import right, styled
from ..widgets.table import DiffTable

NUMBER = r"[0-9.,_]*"


class CompareTable(DiffTable):
    COMPONENT_CLASSES = DiffTable.COMPONENT_CLASSES | {"compare--best", "compare--dim"}
    COLUMNS = [("venue", "Venue", 12), ("bid", "Bid", 11), ("ask", "Ask", 11), ("spread", "Spr bp", 6),
               ("depth", "Depth b|a", 13), ("fee", "Taker %", 8), ("avg", "Walk avg", 11), ("allin", "All-in", 11),
               ("vs", "vs best", 8), ("note", "", 24)]
    DEFAULT_CSS = """
    CompareTable > .compare--best { color: $success; text-style: bold; }
    CompareTable > .compare--dim { color: $text-muted; }
    """

    def show(self, comparison: Comparison, decimals: dict[str, int]) -> None:
        best = self.get_component_rich_style("compare--best", partial=True)
        dim = self.get_component_rich_style("compare--dim", partial=True)
        rows = {}
        chosen = comparison.best
        for q in comparison.quotes:
            d = decimals.get(q.venue, 2)
            style = best if q is chosen else (dim if not q.ranked else None)
            rows[q.venue] = (
                styled(("▶ " if q is chosen else "  ") + q.venue, style), right(fmt.price(q.best_bid, d)),
                right(fmt.price(q.best_ask, d)), right(fmt.num(q.spread_bps, 1)),
                f"{fmt.num(q.depth_bid, 3)}|{fmt.num(q.depth_ask, 3)}",
                right(fmt.num(q.taker_fee * 100, 3) + ("" if q.fee_source == "account" else "*")),
                right(fmt.price(q.average, d + 2)), styled(fmt.price(q.all_in, d + 2), style, "right"),
                right(fmt.bps(q.vs_best_bps) if q.vs_best_bps is not None else fmt.DASH),
                styled("; ".join(q.problems) or ("best all-in" if q is chosen else ""), dim if q.problems else style))
        self.sync(rows, order=list(rows))


class CompareScreen(Screen[None]):
    BINDINGS = [
        Binding("ctrl+t", "flip_side", "Buy/Sell", id="compare_flip_side"),
        Binding("ctrl+s", "stage", "Stage the best", id="compare_stage"),
        Binding("escape", "close", "Close", id="compare_close"),
    ]
    DEFAULT_CSS = """
    CompareScreen { layout: vertical; background: $background; }
    CompareScreen #compare-table { height: 1fr; background: $surface; }
    CompareScreen #compare-form { height: 1; padding: 0 1; }
    CompareScreen #compare-form Label { padding: 0 1 0 2; }
    CompareScreen #compare-form Input { width: 14; }
    CompareScreen #compare-note { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, desk, symbol: str, side: Side = Side.BUY, amount: str = "", profiles: Profiles | None = None):
        super().__init__()
        self.desk = desk
        self.symbol = symbol
        self.side = side
        self.initial_amount = amount
        self.profiles = profiles or Profiles.of(desk)
        self.comparison: Comparison | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="compare-head", classes="screen-head")
        with Horizontal(id="compare-form"):
            yield Label("Size")
            yield Input(self.initial_amount, placeholder="base units", compact=True, id="size", restrict=NUMBER)
            yield Label("Depth within bps")
            yield Input("10", compact=True, id="depth", restrict=NUMBER)
            yield Static("", id="compare-side")
        yield CompareTable(id="compare-table")
        yield Static("", id="compare-note")
        yield Static("[b]ctrl+t[/] buy/sell   [b]ctrl+s[/] stage best (or selected) as limit IOC for approval   "
                     "[b]esc[/] close   * published fee", classes="screen-hint")

    def on_mount(self) -> None:
        self.query_one("#size", Input).focus()
        self.update_view()
        self.set_interval(1.0, self.update_view)
        self._account_fees()

    @work(group="compare-fees", exclusive=True, exit_on_error=False)
    async def _account_fees(self) -> None:
        await self.profiles.refresh()
        self.update_view()

    def on_input_changed(self, _event: Input.Changed) -> None:
        self.update_view()

    def _inputs(self) -> tuple[Decimal | None, Decimal]:
        size = fmt.parse_decimal(self.query_one("#size", Input).value, positive=True)
        depth = fmt.parse_decimal(self.query_one("#depth", Input).value, positive=True) or Decimal(10)
        return size, depth

    def update_view(self) -> None:
        head = self.query_one("#compare-head", Static)
        self.query_one("#compare-side", Static).update(f"  [b]{self.side.value.upper()}[/b] {self.symbol}")
        try:
            size, depth = self._inputs()
        except ValueError as exc:
            head.update(f"One symbol across venues · {exc}")
            return
        if size is None:
            head.update(f"One symbol across venues · {self.symbol} · type a size")
            return
        self.comparison = compare(self.desk, self.symbol, self.side, size, depth, self.profiles)
        decimals = {q.venue: self.desk.market(q.venue, q.symbol).price_decimals() for q in self.comparison.quotes}
        self.query_one(CompareTable).show(self.comparison, decimals)
        best = self.comparison.best
        head.update(f"One symbol across venues · {self.side.value} {size} {self.symbol} · "
                    + (f"best: {best.venue} at {fmt.price(best.all_in, 2)} all-in" if best else
                       "no venue can fill it now") + "".join(f" · {n}" for n in self.comparison.notes))

    def action_flip_side(self) -> None:
        self.side = self.side.opposite
        self.update_view()

    def action_stage(self) -> None:
        if self.comparison is None:
            self.notify("type a size first", severity="warning")
            return
        selected = self.query_one(CompareTable).selected_key
        pick = selected if selected and any(q.venue == selected and q.ranked for q in self.comparison.quotes) else None
        try:
            order = stage_from(self.desk, self.comparison, pick)
        except ValueError as exc:
            self.notify(str(exc), severity="error")
            return
        verdict = "waiting for your approval" if order.status.value == "pending_approval" else \
            f"{order.status.value}: {order.reason}"
        self.query_one("#compare-note", Static).update(f" staged {order.client_order_id} on {order.venue}: {verdict}")
        self.notify(f"Staged {order.side.value} {order.amount} {order.symbol} on {order.venue}: {verdict}",
                    title="Cross-venue", severity="information" if "approval" in verdict else "error")

    def action_close(self) -> None:
        self.dismiss(None)
