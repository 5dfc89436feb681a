"""The order ticket: buy or sell, every field by keyboard, a live preview and every failing check.

It never stages anything itself: it returns an OrderSpec to the main screen, which stages it
(PENDING_APPROVAL). Nothing reaches the venue before an approval keypress.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Select, Static

from ...domain.money import ZERO
from ...domain.orders import InvalidSpec, OrderSpec, OrderType, Origin, Side, TimeInForce
from .. import format as fmt
from ..keys import TICKET_BINDINGS
from ..preview import preview

TYPES = [OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_MARKET, OrderType.STOP_LIMIT,
         OrderType.TAKE_PROFIT_MARKET, OrderType.TAKE_PROFIT_LIMIT]
UNITS = ["base", "quote", "pct"]


@dataclass(frozen=True)
class StageRequest:
    """What the ticket hands back: the spec, and whether the trader confirmed a duplicate."""

    spec: OrderSpec
    confirm_duplicate: bool = False


class TicketScreen(ModalScreen[StageRequest | None]):
    BINDINGS = TICKET_BINDINGS
    AUTO_FOCUS = "#amount"

    def __init__(self, desk, venue: str, symbol: str, side: Side, symbols: list[str], *,
                 preview_interval_s: float = 0.5):
        super().__init__()
        self.desk, self.venue, self.symbol, self.side = desk, venue, symbol, side
        self.symbols = symbols
        self.preview_interval_s = preview_interval_s
        self.last_error: str | None = None
        self.last_problems: list = []
        self.last_spec: OrderSpec | None = None
        self._duplicate_armed: OrderSpec | None = None

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        market = self.desk.market(self.venue, self.symbol)
        types = [t for t in TYPES if t.value in market.capabilities or t in (OrderType.MARKET, OrderType.LIMIT)]
        self.types = types
        with Vertical(id="ticket", classes=f"-{self.side.value}"):
            yield Static("", id="ticket-title")
            with Grid(id="ticket-form"):
                yield Label("Side")
                yield Select([("buy", Side.BUY), ("sell", Side.SELL)], value=self.side, allow_blank=False,
                             compact=True, id="side")
                yield Label("Symbol")
                yield Select([(fmt.short_symbol(s), s) for s in self.symbols], value=self.symbol, allow_blank=False,
                             compact=True, id="symbol")
                yield Label("Amount")
                yield Input(placeholder=f"in {market.base}", compact=True, id="amount", restrict=r"[0-9.,_]*")
                yield Label("Units")
                yield Select([(market.base, "base"), (f"{market.quote} notional", "quote"), ("% of balance", "pct")],
                             value="base", allow_blank=False, compact=True, id="unit")
                yield Label("Type")
                yield Select([(t.value.replace("_", " "), t) for t in types], value=OrderType.MARKET,
                             allow_blank=False, compact=True, id="type")
                yield Label("TIF")
                yield Select([(t.value, t) for t in TimeInForce], value=TimeInForce.GTC, allow_blank=False,
                             compact=True, id="tif")
                yield Label("Price")
                yield Input(placeholder="market", compact=True, id="price", restrict=r"[0-9.,_]*", disabled=True)
                yield Label("Trigger")
                yield Input(placeholder="—", compact=True, id="trigger", restrict=r"[0-9.,_]*", disabled=True)
                yield Checkbox("post-only", compact=True, id="post_only")
                yield Static("")
                yield Checkbox("reduce-only", compact=True, id="reduce_only")
            yield Static("", id="ticket-preview")
            yield Static("", id="ticket-problems")
            yield Static("[b]enter[/] stage  [b]esc[/] close  [b]^t[/] buy/sell  [b]^o[/] type  [b]^n[/] units",
                         id="ticket-hint")

    def on_mount(self) -> None:
        self._title()
        self.update_preview()
        self.set_interval(self.preview_interval_s, self.update_preview)

    def _title(self) -> None:
        box = self.query_one("#ticket")
        box.set_class(self.side is Side.BUY, "-buy")
        box.set_class(self.side is Side.SELL, "-sell")
        market = self.desk.market(self.venue, self.symbol)
        self.query_one("#ticket-title", Static).update(
            f" {self.side.value.upper()} {self.symbol} · {self.venue}   lot {market.lot}  tick {market.tick}")
        self.query_one("#amount", Input).placeholder = f"in {market.base}"

    # -- reactions --------------------------------------------------------------------------------
    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "side" and event.value in (Side.BUY, Side.SELL):
            self.side = event.value
            self._title()
        elif event.select.id == "symbol" and isinstance(event.value, str):
            self.symbol = event.value
            self._title()
            price = self.query_one("#price", Input)
            if not price.disabled:
                price.value = self._touch_price()
        elif event.select.id == "type":
            self._type_changed(event.value)
        self.update_preview()

    def _type_changed(self, order_type) -> None:
        price = self.query_one("#price", Input)
        trigger = self.query_one("#trigger", Input)
        price.disabled = not order_type.has_limit_price
        price.placeholder = "limit price" if order_type.has_limit_price else "market"
        if order_type.has_limit_price and not price.value:
            price.value = self._touch_price()
        trigger.disabled = not order_type.has_trigger
        trigger.placeholder = "trigger price" if order_type.has_trigger else "—"
        post = self.query_one("#post_only", Checkbox)
        post.disabled = order_type is not OrderType.LIMIT
        if post.disabled:
            post.value = False

    def _touch_price(self) -> str:
        """Join our side of the book: best bid for a buy, best ask for a sell."""
        book = self.desk.book(self.venue, self.symbol)
        if book is None:
            return ""
        p = book.best_bid if self.side is Side.BUY else book.best_ask
        return "" if p is None else str(p)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.update_preview()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.update_preview()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_stage()

    # -- the spec ---------------------------------------------------------------------------------
    def _decimal(self, field: str, label: str) -> Decimal | None:
        text = self.query_one(f"#{field}", Input).value.strip().replace(",", "").replace("_", "")
        if not text:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise InvalidSpec(f"{label}: {text!r} is not a number") from None
        if not value.is_finite():
            raise InvalidSpec(f"{label}: {text!r} is not a number")
        return value

    def _amount(self, raw: Decimal, unit: str, price: Decimal | None) -> Decimal:
        market = self.desk.market(self.venue, self.symbol)
        if unit == "base":
            return raw
        book = self.desk.book(self.venue, self.symbol)
        ref = price or (book.mid if book else None)
        if not ref:
            raise InvalidSpec("no price to convert the amount with yet: wait for the book or enter a price")
        contract = market.contract_size or Decimal(1)
        if unit == "quote":
            return market.round_amount(raw / (ref * contract))
        if raw <= 0 or raw > 100:
            raise InvalidSpec(f"% of balance must be between 0 and 100, got {raw}")
        balances = self.desk.balances.get(self.venue, {})
        if self.side is Side.SELL and not market.is_derivative:
            bal = balances.get(market.base)
            free = bal.free if bal else ZERO
            return market.round_amount(free * raw / 100)
        bal = balances.get(market.settle or market.quote)
        free = bal.free if bal else ZERO
        return market.round_amount(free * raw / 100 / (ref * contract))

    def build_spec(self) -> OrderSpec:
        """The spec the fields describe, or InvalidSpec with a message for the trader."""
        order_type = self.query_one("#type", Select).value
        unit = self.query_one("#unit", Select).value
        raw = self._decimal("amount", "amount")
        if raw is None:
            raise InvalidSpec("enter an amount")
        price = self._decimal("price", "price") if order_type.has_limit_price else None
        trigger = self._decimal("trigger", "trigger price") if order_type.has_trigger else None
        amount = self._amount(raw, unit, price or trigger)
        return OrderSpec(
            venue=self.venue, symbol=self.symbol, side=self.side, type=order_type, amount=amount,
            price=price, trigger_price=trigger, time_in_force=self.query_one("#tif", Select).value,
            post_only=self.query_one("#post_only", Checkbox).value,
            reduce_only=self.query_one("#reduce_only", Checkbox).value, origin=Origin.HUMAN)

    def update_preview(self) -> None:
        out = self.query_one("#ticket-preview", Static)
        problems_box = self.query_one("#ticket-problems", Static)
        try:
            spec = self.build_spec()
        except (InvalidSpec, ValueError, TypeError) as exc:
            self.last_spec, self.last_error, self.last_problems = None, str(exc), []
            out.update(Text(f"  {exc}", style="italic"))
            problems_box.update("")
            return
        self.last_spec, self.last_error = spec, None
        market = self.desk.market(spec.venue, spec.symbol)
        pd, ad = market.price_decimals(), market.amount_decimals()
        p = preview(self.desk, spec)
        self.last_problems = p.problems
        lines = []
        if spec.type is OrderType.MARKET and p.walk is not None:
            complete = "complete" if p.walk.complete else f"only {fmt.amount(p.walk.filled, ad)} in book"
            lines.append(f"Expected  avg {fmt.price(p.expected_average, pd)}  worst {fmt.price(p.walk.worst_price, pd)}"
                         f"  slip {fmt.bps(p.slippage_bps)} bp  {p.walk.levels} lvl  {complete}")
        elif spec.type is OrderType.LIMIT:
            if p.marketable:
                lines.append(f"Crosses   {fmt.amount(p.marketable, ad)} fills now (avg {fmt.price(p.expected_average, pd)},"
                             f" {fmt.bps(p.slippage_bps)} bp), {fmt.amount(p.rests, ad)} rests")
            else:
                lines.append(f"Rests     {fmt.amount(spec.amount, ad)} at {fmt.price(spec.price, pd)}"
                             f"  ({fmt.bps(p.slippage_bps)} bp from mid)")
        else:
            lines.append(f"Triggers  at {fmt.price(spec.trigger_price, pd)}, then {spec.type.value.replace('_', ' ')}")
        lines.append(f"Notional  {fmt.money(p.notional)} {market.quote}   amount {fmt.amount(spec.amount, ad)} {market.base}"
                     f"   position {fmt.amount(p.position_before, ad)} → {fmt.amount(p.position_after, ad)}")
        out.update("\n".join(lines))
        if p.problems:
            text = Text()
            for i, problem in enumerate(p.problems):
                text.append(("\n" if i else "") + f"✗ {problem}")
            problems_box.update(text)
            problems_box.set_class(True, "-fail")
        else:
            problems_box.update("✓ every check passes: enter stages it for approval")
            problems_box.set_class(False, "-fail")

    # -- actions ---------------------------------------------------------------------------------
    def action_stage(self) -> None:
        self.update_preview()
        if self.last_spec is None:
            self.notify(self.last_error or "the order is incomplete", severity="error", timeout=4)
            return
        rules = {p.rule for p in self.last_problems}
        if rules == {"duplicate_order"}:
            # the duplicate guard asks for a second confirmation: the same keypress again, on the same spec
            if self._duplicate_armed == self.last_spec:
                self.dismiss(StageRequest(self.last_spec, confirm_duplicate=True))
                return
            self._duplicate_armed = self.last_spec
            self.notify("The same order was staged moments ago: press enter again to stage it a second time",
                        severity="warning", timeout=5)
            return
        if self.last_problems:
            self.notify(f"{len(self.last_problems)} check(s) fail: fix them to stage", severity="error", timeout=4)
            return
        self.dismiss(StageRequest(self.last_spec))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_flip_side(self) -> None:
        select = self.query_one("#side", Select)
        select.value = Side.SELL if self.side is Side.BUY else Side.BUY

    def action_cycle_type(self) -> None:
        select = self.query_one("#type", Select)
        select.value = self.types[(self.types.index(select.value) + 1) % len(self.types)]

    def action_cycle_unit(self) -> None:
        select = self.query_one("#unit", Select)
        select.value = UNITS[(UNITS.index(select.value) + 1) % len(UNITS)]
