"""Time and sales: the symbol's public trades, newest on top, the aggressor's side coloured, a size filter.

A Line-API widget fed a list of ``desk.tape.Print`` (newest first) by the main screen; the size filter
(``f`` cycles it through the quantity presets) only hides small prints, it never changes them. A print
of five times the filter or more is drawn bold.
"""

from __future__ import annotations

from decimal import Decimal

from textual.strip import Strip
from textual.widget import Widget

from ...desk.tape import Print
from .. import format as fmt
from .lines import fit, strip


class TapeView(Widget):
    COMPONENT_CLASSES = {"tape--header", "tape--buy", "tape--sell", "tape--none", "tape--big", "tape--dim"}

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.prints: list[Print] = []
        self.symbol = ""
        self.min_amount: Decimal | None = None
        self.price_decimals = 2
        self.amount_decimals = 4
        self._version: object = None

    def show(self, symbol: str, prints: list[Print], price_decimals: int, amount_decimals: int,
             min_amount: Decimal | None, version: object = None) -> None:
        key = (symbol, version, min_amount, len(prints))
        if key == self._version:
            return
        self._version = key
        self.symbol, self.prints = symbol, prints
        self.price_decimals, self.amount_decimals, self.min_amount = price_decimals, amount_decimals, min_amount
        self.border_title = f"Tape {fmt.short_symbol(symbol)}" + (f" ≥ {min_amount}" if min_amount else "")
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        c = self.get_component_rich_style
        if y == 0:
            return strip([(f"{'time':<9}{'price':>{max(8, width - 19)}}{'size':>9}", c("tape--header"))],
                         width, c("tape--header"))
        i = y - 1
        if i >= len(self.prints):
            if i == 0:
                return strip([(" no trades yet", c("tape--dim"))], width, self.rich_style)
            return Strip.blank(width, self.rich_style)
        p = self.prints[i]
        style = c("tape--buy") if p.side == "buy" else c("tape--sell") if p.side == "sell" else c("tape--none")
        if self.min_amount and p.amount >= 5 * self.min_amount:
            style = style + c("tape--big")
        arrow = "▲" if p.side == "buy" else "▼" if p.side == "sell" else " "
        when = fmt.clock(p.time_ms)
        pw = max(8, width - 19)
        return strip([(when + " ", c("tape--dim")), (fit(fmt.price(p.price, self.price_decimals), pw), style),
                      (fit(fmt.amount(p.amount, self.amount_decimals), 9), style), (arrow, style)],
                     width, self.rich_style)
