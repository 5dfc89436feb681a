"""Depth chart: cumulative bids (left of the spread) and asks (right), as columns of eighth blocks.

A Line-API widget: each column of cells is a price step across the book, its height the size one
would trade by walking the book to that price. The bottom line gives the best bid, the mid and the
best ask, and the deepest cumulative size drawn. Built once per book (the UI tick), drawn line by line.
"""

from __future__ import annotations

from decimal import Decimal

from textual.strip import Strip
from textual.widget import Widget

from ...domain.book import Book
from .. import format as fmt
from .lines import strip

BLOCKS = " ▁▂▃▄▅▆▇█"


class DepthChart(Widget):
    COMPONENT_CLASSES = {"depth--bid", "depth--ask", "depth--axis", "depth--dim"}

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.book: Book | None = None
        self.price_decimals = 2
        self.amount_decimals = 4
        self._columns: list[tuple[str, Decimal]] = []  # per cell column: (side, cumulative size)
        self._built_for: tuple | None = None
        self._top = Decimal(0)

    def show(self, book: Book | None, price_decimals: int, amount_decimals: int) -> None:
        if book is self.book:
            return
        self.book, self.price_decimals, self.amount_decimals = book, price_decimals, amount_decimals
        if book is not None:
            self.border_title = f"Depth {fmt.short_symbol(book.symbol)}"
        self.refresh()

    def _build(self, width: int) -> None:
        key = (id(self.book), width)
        if self._built_for == key:
            return
        self._built_for = key
        book = self.book
        self._columns = []
        if book is None or not book.bids or not book.asks or width < 4:
            return
        half = width // 2
        lowest, highest = book.bids[-1][0], book.asks[-1][0]
        best_bid, best_ask = book.bids[0][0], book.asks[0][0]
        span = max(best_bid - lowest, highest - best_ask) or Decimal(1)
        step = span / half
        cols: list[tuple[str, Decimal]] = []
        for i in range(half):  # left half: from the deepest bid to the best bid
            price = best_bid - (half - 1 - i) * step
            cols.append(("bid", sum((s for p, s in book.bids if p >= price), Decimal(0))))
        for i in range(width - half):  # right half: from the best ask out
            price = best_ask + i * step
            cols.append(("ask", sum((s for p, s in book.asks if p <= price), Decimal(0))))
        self._columns = cols
        self._top = max((c for _, c in cols), default=Decimal(0)) or Decimal(1)

    def render_line(self, y: int) -> Strip:
        width, height = self.size.width, self.size.height
        c = self.get_component_rich_style
        self._build(width)
        if not self._columns:
            if y == height // 2:
                return strip([(" waiting for the book…", c("depth--dim"))], width, self.rich_style)
            return Strip.blank(width, self.rich_style)
        rows = max(1, height - 1)
        if y == rows:  # the axis
            book = self.book
            left = fmt.price(book.best_bid, self.price_decimals)
            right = fmt.price(book.best_ask, self.price_decimals)
            top = f"max {fmt.amount(self._top, self.amount_decimals)}"
            middle = max(1, width - len(left) - len(right) - 2)
            return strip([(left, c("depth--bid")), (f" {top:^{middle}} ", c("depth--axis")),
                          (right, c("depth--ask"))], width, c("depth--axis"))
        level = rows - y  # 1 = the bottom row
        runs: list[list] = []  # one segment per side, not per cell
        for side, cum in self._columns:
            eighths = int(cum / self._top * rows * 8)
            ch = BLOCKS[max(0, min(8, eighths - (level - 1) * 8))]
            if runs and runs[-1][1] == side:
                runs[-1][0] += ch
            else:
                runs.append([ch, side])
        return strip([(text, c("depth--bid") if side == "bid" else c("depth--ask")) for text, side in runs],
                     width, self.rich_style)
