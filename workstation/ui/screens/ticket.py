"""The order ticket: buy or sell, every order type and group by keyboard, only the fields the
chosen type needs, a live preview, what will happen on approval (``desk.explain``: native at the
venue, or emulated locally) and every failing check.

Types: limit (the default: the DOM's cursor price, or the touch), market, stop, stop-limit, take-profit
(market / limit), trailing stop (an amount or a percent, with an optional activation price), and three
groups decided as one: a bracket (entry with a stop-loss and/or take-profit), an OCO (a limit and a
stop: one fills, the other goes) and a scaled order (N limits from one price to another). Triggers fire
on last, mark, bid/ask or mid.

One gesture: for the trader's own order, ``enter`` sends it (the main screen stages it and approves it
at once, journaled as staged and approved by the human) once the preview and every check are on
screen; ``ctrl+s`` only stages it into the approval queue. Copilot proposals never come through here.
A limit price taken from the touch follows the market until the trader types one. The screen is built
once per app and re-used (``prepare``): opening it costs no widget building.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static

from ...desk.errors import DeskError
from ...domain.money import ZERO
from ...domain.orders import InvalidSpec, OrderSpec, OrderType, Origin, Side, TimeInForce, TriggerSource
from .. import format as fmt
from ..keys import TICKET_BINDINGS
from ..preview import preview
from ..widgets.choice import Choice
from ..widgets.minibook import MiniBook
from .ticket_form import extra_fields, main_fields
from .ticket_view import (DEFAULT_LABELS, DEFAULT_PLACEHOLDERS, EXTRA, FIELDS, LABELS, OPTIONAL, PLACEHOLDERS,
                          TRIGGER_SOURCES, TYPES, UNITS)
from .ticket_view import explain as explain_request
from .ticket_view import preview_lines



@dataclass(frozen=True)
class StageRequest:
    """What the ticket hands back: the spec (a group's entry / base / first leg), whether the trader
    confirmed a duplicate, and for a group its kind and the Desk verb's arguments."""

    spec: OrderSpec
    confirm_duplicate: bool = False
    group: str | None = None  # bracket | oco | scaled
    params: dict[str, Any] = field(default_factory=dict)
    send: bool = False  # one gesture: approve at once (the human's own order), not only stage


class TicketScreen(ModalScreen[StageRequest | None]):
    BINDINGS = TICKET_BINDINGS
    AUTO_FOCUS = "#amount"

    def __init__(self, desk, venue: str, symbol: str, side: Side, symbols: list[str], *,
                 preview_interval_s: float = 0.5, order_type: Any = OrderType.LIMIT, price: Decimal | None = None,
                 amount: Decimal | None = None, follow_price: bool = True, one_gesture: bool = True):
        super().__init__()
        self.desk, self.venue, self.symbol, self.side = desk, venue, symbol, side
        self.symbols = symbols
        self.preview_interval_s = preview_interval_s
        self.one_gesture = one_gesture
        self.last_error: str | None = None
        self.last_problems: list = []
        self.last_spec: OrderSpec | None = None
        self.last_request: StageRequest | None = None
        self.last_explain: str = ""
        self._duplicate_armed: OrderSpec | None = None
        self._pending: dict[str, Any] | None = dict(order_type=order_type, price=price, amount=amount,
                                                    follow_price=follow_price)
        self.follow_price = follow_price
        self._auto_price: str | None = None  # the last price the ticket itself put in (following the touch)
        self._preview_due = False

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        market = self.desk.market(self.venue, self.symbol)
        support = self._support()
        self.types = list(TYPES)
        with Horizontal(id="ticket-wrap"), Vertical(id="ticket", classes=f"-{self.side.value}"):
            yield Static("", id="ticket-title")
            yield Static(self._hint(), id="ticket-hint")
            with VerticalScroll(id="ticket-body"):
                with Grid(id="ticket-form"):
                    yield from main_fields(market, support, self.symbols, self.side, self.symbol, self.types)
                yield Static("", id="ticket-preview")
                yield Static("", id="ticket-explain")
                yield Static("", id="ticket-problems")
        # (the book beside the ticket is mounted into the wrap on mount: see on_mount)

    async def _ensure_extra(self) -> None:
        if not self.query("#ticket-extra"):
            await self.query_one("#ticket-body").mount(Grid(*extra_fields(), id="ticket-extra"),
                                                       after="#ticket-form")

    @property
    def _has_extra(self) -> bool:
        return bool(self.query("#ticket-extra"))

    def _hint(self) -> str:
        send = "[b]enter[/] send  [b]^s[/] stage only" if self.one_gesture else "[b]enter[/] stage"
        return f"{send}  [b]esc[/] close  [b]^t[/] buy/sell  [b]^o[/] type  [b]^n[/] units  [b]^b[/] fires on"

    def _support(self) -> dict[str, str]:
        try:
            return self.desk.order_types(self.venue, self.symbol)
        except Exception:  # noqa: BLE001 - an older Desk or an unknown symbol: everything plain
            return {}

    def on_mount(self) -> None:
        self.query_one("#ticket-wrap").mount(MiniBook(id="ticket-book"))
        self.set_interval(self.preview_interval_s, self._tick)
        self.set_interval(0.2, self._show_book)
        self._apply_pending()

    def _show_book(self) -> None:
        """The market beside the ticket (the ticket covers the screen while it is open)."""
        books = self.query(MiniBook)
        if not books or not self.is_current:
            return
        market = self.desk.market(self.venue, self.symbol)
        try:
            price = fmt.parse_decimal(self.query_one("#price", Input).value)
        except ValueError:
            price = None
        books.first().show(self.desk.book(self.venue, self.symbol), price, market.price_decimals(),
                           market.amount_decimals())

    def prepare(self, venue: str, symbol: str, side: Side, symbols: list[str], *, order_type: Any = OrderType.LIMIT,
                price: Decimal | None = None, amount: Decimal | None = None, follow_price: bool = True) -> None:
        """Ready the (re-used) ticket for a new order: the fields reset, then these values."""
        self.venue, self.symbol, self.side = venue, symbol, side
        self._duplicate_armed = None
        self._pending = dict(order_type=order_type, price=price, amount=amount, follow_price=follow_price)
        if symbols != self.symbols and self.is_mounted:
            self.query_one("#symbol", Choice).set_options([(fmt.short_symbol(x), x) for x in symbols])
        self.symbols = symbols
        if self.is_mounted:
            self._apply_pending()

    def _apply_pending(self) -> None:
        p, self._pending = self._pending, None
        if p is None:
            return
        extra = self._has_extra
        for name in ("amount", "price", "trigger") + (("trail", "stop", "tp", "start", "end") if extra else ()):
            self.query_one(f"#{name}", Input).value = ""
        choices = [("side", self.side), ("symbol", self.symbol), ("unit", "base"), ("type", p["order_type"]),
                   ("tif", TimeInForce.GTC), ("trigger_by", TriggerSource.LAST)]
        if extra:
            self.query_one("#count", Input).value = "5"
            choices.append(("distribution", "equal"))
        for name, value in choices:
            self.query_one(f"#{name}", Choice).value = value
        for name in ("post_only", "reduce_only"):
            self.query_one(f"#{name}", Checkbox).value = False
        self.follow_price = p["follow_price"] and p["price"] is None
        self._title()
        self._type_changed(p["order_type"])
        if p["price"] is not None:
            self.query_one("#price", Input).value = str(p["price"])
        if p["amount"] is not None:
            self.query_one("#amount", Input).value = str(p["amount"])
        amount = self.query_one("#amount", Input)
        amount.focus()
        amount.select_all()
        self.update_preview()
        self._show_book()

    def _tick(self) -> None:
        """The limit price follows the touch until the trader types one; the preview follows the market."""
        if not self.is_current:
            return  # closed (it is kept for the next order): nothing to follow
        price = self.query_one("#price", Input)
        if self.follow_price and price.display and price.value == (self._auto_price or "") or \
                self.follow_price and price.display and not price.value:
            touch = self._touch_price()
            if touch and touch != price.value:
                self._auto_price = touch
                price.value = touch
        self.update_preview()

    def _title(self) -> None:
        box = self.query_one("#ticket")
        box.set_class(self.side is Side.BUY, "-buy")
        box.set_class(self.side is Side.SELL, "-sell")
        market = self.desk.market(self.venue, self.symbol)
        self.query_one("#ticket-title", Static).update(
            f" {self.side.value.upper()} {self.symbol} · {self.venue}   lot {market.lot}  tick {market.tick}")
        self.query_one("#amount", Input).placeholder = f"in {market.base}"

    # -- reactions --------------------------------------------------------------------------------
    async def on_choice_changed(self, event: Choice.Changed) -> None:
        if event.select.id == "side" and event.value in (Side.BUY, Side.SELL):
            self.side = event.value
            self._title()
        elif event.select.id == "symbol" and isinstance(event.value, str):
            self.symbol = event.value
            self._title()
            price = self.query_one("#price", Input)
            if price.display and "price" not in self._optional_blank():
                price.value = self._auto_price = self._touch_price()
                self.follow_price = True
        elif event.select.id == "type":
            if FIELDS.get(event.value, set()) & EXTRA:
                await self._ensure_extra()
            self._type_changed(event.value)
        self._preview_soon()

    def _optional_blank(self) -> set[str]:
        """Fields that mean something when left blank (a bracket's market entry)."""
        return {"price"} if self.query_one("#type", Choice).value == "bracket" else set()

    def _type_changed(self, order_type) -> None:
        shown = FIELDS.get(order_type, set())
        labels = {**DEFAULT_LABELS, **LABELS.get(order_type, {})}
        holders = {**DEFAULT_PLACEHOLDERS, **PLACEHOLDERS.get(order_type, {})}
        extra = self._has_extra
        for name in OPTIONAL:
            if name in EXTRA and not extra:
                continue  # not built yet: no type shown so far needed it
            visible = name in shown
            widget = self.query_one(f"#{name}")
            label = self.query_one(f"#lbl-{name}", Label)
            widget.display = label.display = visible
            label.update(labels[name])
            if isinstance(widget, Input):
                widget.placeholder = holders.get(name, "")
        price = self.query_one("#price", Input)
        needs_price = order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT, "oco")
        if needs_price and not price.value:
            price.value = self._auto_price = self._touch_price()
        post = self.query_one("#post_only", Checkbox)
        post.display = "post_only" in shown
        if not post.display:
            post.value = False
        self.query_one("#ticket-form").refresh(layout=True)
        if extra:
            self.query_one("#ticket-extra").display = bool(shown & EXTRA)

    def _touch_price(self) -> str:
        """Join our side of the book: best bid for a buy, best ask for a sell."""
        book = self.desk.book(self.venue, self.symbol)
        if book is None:
            return ""
        p = book.best_bid if self.side is Side.BUY else book.best_ask
        return "" if p is None else str(p)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "price" and event.value != (self._auto_price or ""):
            self.follow_price = False  # the trader's own price: it stays where they put it
        self._preview_soon()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self._preview_soon()

    def _preview_soon(self) -> None:
        """Many changes in one go (a ticket being prepared, fast typing): one preview after them."""
        if not self._preview_due:
            self._preview_due = True
            self.call_later(self._preview_now)

    def _preview_now(self) -> None:
        self._preview_due = False
        self.update_preview()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.one_gesture:
            self.action_send()
        else:
            self.action_stage()

    # -- the spec ---------------------------------------------------------------------------------
    def _decimal(self, field: str, label: str) -> Decimal | None:
        try:
            return fmt.parse_decimal(self.query_one(f"#{field}", Input).value, what=label)
        except ValueError as exc:
            raise InvalidSpec(str(exc)) from None

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

    def _trail(self) -> tuple[Decimal | None, Decimal | None]:
        """(trailing_amount, trailing_percent) from "50" or "0.5%"."""
        if not self._has_extra:
            return None, None
        text = self.query_one("#trail", Input).value.strip()
        if not text:
            return None, None
        percent = text.endswith("%")
        try:
            value = fmt.parse_decimal(text.removesuffix("%"), positive=True, what="trail (an amount, or a percent "
                                      "like 0.5%)")
        except ValueError as exc:
            raise InvalidSpec(str(exc)) from None
        if value is None:
            raise InvalidSpec("trail: type an amount, or a percent like 0.5%")
        return (None, value) if percent else (value, None)

    def build_request(self) -> StageRequest:
        """What the fields describe, or InvalidSpec with a message for the trader."""
        kind = self.query_one("#type", Choice).value
        unit = self.query_one("#unit", Choice).value
        raw = self._decimal("amount", "amount")
        if raw is None:
            raise InvalidSpec("enter an amount")
        trigger_by = self.query_one("#trigger_by", Choice).value
        common = dict(venue=self.venue, symbol=self.symbol, side=self.side,
                      reduce_only=self.query_one("#reduce_only", Checkbox).value, origin=Origin.HUMAN)
        tif = self.query_one("#tif", Choice).value
        post_only = self.query_one("#post_only", Checkbox).value
        if kind == "bracket":
            price = self._decimal("price", "entry price")
            stop = self._decimal("stop", "stop-loss")
            tp = self._decimal("tp", "take-profit")
            trail_amount, trail_percent = self._trail()
            if stop is None and tp is None and trail_amount is None and trail_percent is None:
                raise InvalidSpec("a bracket needs a stop-loss, a take-profit, or both")
            amount = self._amount(raw, unit, price)
            entry = OrderSpec(type=OrderType.LIMIT if price is not None else OrderType.MARKET, amount=amount,
                              price=price, trigger_by=trigger_by, **common)
            params: dict[str, Any] = {"stop_price": stop, "take_profit_price": tp}
            if trail_amount is not None or trail_percent is not None:
                params.update(trailing_amount=trail_amount, trailing_percent=trail_percent)
            return StageRequest(entry, group="bracket", params={k: v for k, v in params.items() if v is not None})
        if kind == "oco":
            price = self._decimal("price", "limit leg price")
            stop = self._decimal("trigger", "stop leg trigger")
            if price is None or stop is None:
                raise InvalidSpec("an OCO needs a limit price and a stop trigger")
            amount = self._amount(raw, unit, price)
            legs = [OrderSpec(type=OrderType.LIMIT, amount=amount, price=price, **common),
                    OrderSpec(type=OrderType.STOP_MARKET, amount=amount, trigger_price=stop, trigger_by=trigger_by,
                              **common)]
            return StageRequest(legs[0], group="oco", params={"legs": legs})
        if kind == "scaled":
            start, end = self._decimal("start", "from price"), self._decimal("end", "to price")
            count_text = self.query_one("#count", Input).value.strip()
            if start is None or end is None:
                raise InvalidSpec("a scaled order needs a first and a last price")
            if not count_text.isdigit():
                raise InvalidSpec(f"orders: {count_text!r:.20} is not a whole number; a scaled order needs 2 to 50")
            total = self._amount(raw, unit, (start + end) / 2)
            base = OrderSpec(type=OrderType.LIMIT, amount=total, price=start, time_in_force=tif,
                             post_only=post_only, **common)
            return StageRequest(base, group="scaled", params={
                "total": total, "start": start, "end": end, "count": int(count_text),
                "distribution": self.query_one("#distribution", Choice).value})
        order_type = kind
        price = self._decimal("price", "price") if order_type.has_limit_price else None
        trigger = self._decimal("trigger", "trigger price") if order_type.has_trigger else None
        trail_amount = trail_percent = None
        if order_type is OrderType.TRAILING_STOP:
            trail_amount, trail_percent = self._trail()
            if trail_amount is None and trail_percent is None:
                raise InvalidSpec("a trailing stop needs a trail: an amount, or a percent like 0.5%")
        amount = self._amount(raw, unit, price or trigger)
        spec = OrderSpec(type=order_type, amount=amount, price=price, trigger_price=trigger,
                         trailing_amount=trail_amount, trailing_percent=trail_percent,
                         time_in_force=tif if order_type in (OrderType.MARKET, OrderType.LIMIT) else TimeInForce.GTC,
                         post_only=post_only if order_type is OrderType.LIMIT else False,
                         trigger_by=trigger_by if order_type.has_trigger else TriggerSource.LAST, **common)
        return StageRequest(spec)

    def build_spec(self) -> OrderSpec:
        """The spec the fields describe (a group's entry / first leg / base)."""
        return self.build_request().spec

    def explain(self, request: StageRequest) -> list[str]:
        """What will happen on approval, one line per order (see ticket_view.explain)."""
        return explain_request(self.desk, request)

    def update_preview(self) -> None:
        if not self.is_mounted or self._pending is not None:
            return
        out = self.query_one("#ticket-preview", Static)
        problems_box = self.query_one("#ticket-problems", Static)
        explain_box = self.query_one("#ticket-explain", Static)
        try:
            request = self.build_request()
        except (InvalidSpec, ValueError, TypeError, DeskError) as exc:
            self.last_spec, self.last_request, self.last_error, self.last_problems = None, None, str(exc), []
            out.update(Text(f"  {exc}", style="italic"))
            problems_box.update("")
            explain_box.update("")
            self.last_explain = ""
            return
        spec = request.spec
        self.last_spec, self.last_request, self.last_error = spec, request, None
        p = preview(self.desk, spec)
        self.last_problems = p.problems
        out.update("\n".join(preview_lines(self.desk, request, p)))
        try:
            explained = self.explain(request)
        except Exception as exc:  # noqa: BLE001 - a bad combination: say so, do not crash
            explained = [f"✗ {exc}"]
        self.last_explain = "\n".join(explained)
        explain_box.update(Text("\n".join(f"▸ {line}" for line in explained)))
        explain_box.set_class(any("emulated" in line for line in explained), "-emulated")
        if p.problems:
            text = Text()
            for i, problem in enumerate(p.problems):
                text.append(("\n" if i else "") + f"✗ {problem}")
            problems_box.update(text)
            problems_box.set_class(True, "-fail")
        else:
            what = "enter sends it" if self.one_gesture else "enter stages it for approval"
            problems_box.update(f"✓ every check passes: {what}")
            problems_box.set_class(False, "-fail")

    # -- actions ---------------------------------------------------------------------------------
    def action_send(self) -> None:
        """Enter, one gesture: stage and approve the trader's own order (the checks are on screen)."""
        self._decide(send=True)

    def action_stage(self) -> None:
        """ctrl+s: into the approval queue only."""
        self._decide(send=False)

    def _decide(self, send: bool) -> None:
        self.update_preview()
        if self.last_request is None or self.last_spec is None:
            self.notify(self.last_error or "the order is incomplete", severity="error", timeout=4)
            return
        rules = {p.rule for p in self.last_problems}
        if rules == {"duplicate_order"} and self.last_request.group is None:
            # the duplicate guard asks for a second confirmation: the same keypress again, on the same spec
            if self._duplicate_armed == self.last_spec:
                self.dismiss(StageRequest(self.last_spec, confirm_duplicate=True, send=send))
                return
            self._duplicate_armed = self.last_spec
            self.notify("The same order was staged moments ago: press enter again to stage it a second time",
                        severity="warning", timeout=5)
            return
        if self.last_problems:
            self.notify(f"{len(self.last_problems)} check(s) fail: fix them to stage", severity="error", timeout=4)
            return
        request = self.last_request
        self.dismiss(StageRequest(request.spec, request.confirm_duplicate, request.group, request.params, send=send))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_flip_side(self) -> None:
        select = self.query_one("#side", Choice)
        select.value = Side.SELL if self.side is Side.BUY else Side.BUY

    def action_cycle_type(self) -> None:
        select = self.query_one("#type", Choice)
        select.value = self.types[(self.types.index(select.value) + 1) % len(self.types)]

    def action_cycle_unit(self) -> None:
        select = self.query_one("#unit", Choice)
        select.value = UNITS[(UNITS.index(select.value) + 1) % len(UNITS)]

    def action_cycle_trigger_by(self) -> None:
        select = self.query_one("#trigger_by", Choice)
        select.value = TRIGGER_SOURCES[(TRIGGER_SOURCES.index(select.value) + 1) % len(TRIGGER_SOURCES)]
