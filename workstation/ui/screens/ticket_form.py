"""The order ticket's fields, in grid order: the ones every ticket has, and the ones only brackets,
trailing stops and scaled orders use (built the first time such a type is chosen: most tickets are a
limit or a market order, and fewer widgets open faster)."""

from __future__ import annotations

from typing import Any, Iterator

from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label

from ...domain.orders import OrderType, Side, TimeInForce, TriggerSource
from .. import format as fmt
from ..widgets.choice import Choice
from .ticket_view import DISTRIBUTIONS, TRIGGER_SOURCES, type_value

# No `restrict` on number fields: a key it swallows (the "-" of "-5", the letters of "5abc") changes the
# number without a word. Everything typed is kept and fmt.parse_decimal says what is wrong with it.
NUMBER = None


def type_label(t: Any, support: dict[str, str]) -> str:
    label = type_value(t).replace("_", " ")
    if support.get(type_value(t)) == "emulated":
        label += " · emulated"
    return label


def main_fields(market: Any, support: dict[str, str], symbols: list[str], side: Side, symbol: str,
                types: list[Any]) -> Iterator[Widget]:
    yield Label("Side")
    yield Choice([("buy", Side.BUY), ("sell", Side.SELL)], value=side, id="side")
    yield Label("Symbol")
    yield Choice([(fmt.short_symbol(s), s) for s in symbols], value=symbol, id="symbol")
    yield Label("Amount")
    yield Input(placeholder=f"in {market.base}", compact=True, id="amount", restrict=NUMBER)
    yield Label("Units")
    yield Choice([(market.base, "base"), (f"{market.quote} notional", "quote"), ("% of balance", "pct")],
                 value="base", id="unit")
    yield Label("Type")
    yield Choice([(type_label(t, support), t) for t in types], value=OrderType.LIMIT, id="type")
    yield Label("TIF", id="lbl-tif")
    yield Choice([(t.value, t) for t in TimeInForce if t is TimeInForce.GTC or support.get(t.value) == "native"],
                 value=TimeInForce.GTC, id="tif")
    yield Label("Price", id="lbl-price")
    yield Input(placeholder="limit price", compact=True, id="price", restrict=NUMBER)
    yield Label("Trigger", id="lbl-trigger")
    yield Input(placeholder="trigger price", compact=True, id="trigger", restrict=NUMBER)
    yield Label("Fires on", id="lbl-trigger_by")
    yield Choice([(t.value.replace("_", "/"), t) for t in TRIGGER_SOURCES], value=TriggerSource.LAST,
                 id="trigger_by")
    yield Checkbox("post-only", compact=True, id="post_only", disabled=support.get("post_only") != "native")
    yield Checkbox("reduce-only", compact=True, id="reduce_only", disabled=support.get("reduce_only") != "native")


def extra_fields() -> list[Widget]:
    return [
        Label("Trail", id="lbl-trail"),
        Input(placeholder="amount, or 0.5%", compact=True, id="trail", restrict=NUMBER),
        Label("Stop-loss", id="lbl-stop"),
        Input(placeholder="stop trigger", compact=True, id="stop", restrict=NUMBER),
        Label("Take-prof", id="lbl-tp"),
        Input(placeholder="limit price", compact=True, id="tp", restrict=NUMBER),
        Label("From", id="lbl-start"),
        Input(placeholder="first price", compact=True, id="start", restrict=NUMBER),
        Label("To", id="lbl-end"),
        Input(placeholder="last price", compact=True, id="end", restrict=NUMBER),
        Label("Orders", id="lbl-count"),
        Input("5", placeholder="2 to 50", compact=True, id="count", restrict=NUMBER),
        Label("Sizes", id="lbl-distribution"),
        Choice([(d, d) for d in DISTRIBUTIONS], value="equal", id="distribution"),
    ]
