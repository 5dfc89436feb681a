"""The book beside the order ticket: a few levels a side, the mid and spread, and where the ticket's price
sits among them (``▸``). The ticket covers the screen while it is open (drawing the live screen through
it would double what opening costs), so it carries the market with it. A Line-API widget the ticket
feeds a few times a second."""

from __future__ import annotations

from decimal import Decimal

from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from ...domain.book import Book
from .. import format as fmt
from .lines import fit, strip


class MiniBook(Widget):
    COMPONENT_CLASSES = {"minibook--bid", "minibook--ask", "minibook--size", "minibook--spread", "minibook--mine",
                         "minibook--dim"}

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.book: Book | None = None
        self.price: Decimal | None = None
        self.price_decimals = 2
        self.amount_decimals = 4
        self._key: tuple = ()

    def show(self, book: Book | None, price: Decimal | None, price_decimals: int, amount_decimals: int) -> None:
        key = (id(book), price, price_decimals)
        if key == self._key:
            return
        self._key = key
        self.book, self.price = book, price
        if book is not None:
            self.border_title = f"Book {fmt.short_symbol(book.symbol)}"
        self.price_decimals, self.amount_decimals = price_decimals, amount_decimals
        self.refresh()

    @property
    def levels(self) -> int:
        return max(1, (self.size.height - 1) // 2)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        c = self.get_component_rich_style
        book = self.book
        if book is None:
            return strip([(" waiting for the book…" if y == 0 else "", c("minibook--dim"))], width, self.rich_style)
        n = self.levels
        if y < n:  # asks, best at the bottom
            index = n - 1 - y
            return self._level(book.asks, index, c("minibook--ask"), width)
        if y == n:
            mid, spread = book.mid, book.spread
            text = (f" mid {fmt.price(mid, self.price_decimals + 1)}  {fmt.price(spread, self.price_decimals)}"
                    if mid is not None else " one-sided")
            return strip([(text, c("minibook--spread"))], width, c("minibook--spread"))
        return self._level(book.bids, y - n - 1, c("minibook--bid"), width)

    def _level(self, levels, index: int, style: Style, width: int) -> Strip:
        c = self.get_component_rich_style
        if index >= len(levels):
            return Strip.blank(width, self.rich_style)
        price, size = levels[index]
        mine = self.price is not None and price == self.price
        pw = max(8, width - 12)
        return strip([("▸" if mine else " ", c("minibook--mine")),
                      (fit(fmt.price(price, self.price_decimals), pw), style + (c("minibook--mine") if mine else Style())),
                      (fit(fmt.amount(size, self.amount_decimals), 10), c("minibook--size"))], width, self.rich_style)
