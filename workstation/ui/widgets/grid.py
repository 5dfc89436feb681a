"""Many books at once: a grid of compact ladders, one Line-API widget for all of them.

Each cell: the symbol and venue, ``levels`` asks, the mid and spread, ``levels`` bids, our working
quantity at each level. Cells are drawn into cached strips only when their book changed (the UI tick
hands over the books that changed since the last frame: many updates, one redraw per frame), and the
grid repaints only those cells' regions. The arrow keys select a book; ``enter`` opens it in the
single-book view to trade it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from decimal import Decimal
from typing import Iterable

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from ...domain.book import Book
from .. import format as fmt
from ..keys import GRID_BINDINGS
from .lines import fit, segments

Key = tuple[str, str]


@lru_cache(maxsize=8192)
def _num(value: Decimal | None, decimals: int) -> str:
    """A book's prices and sizes repeat from frame to frame: each is formatted once."""
    return fmt.num(value, decimals)


@dataclass(frozen=True)
class GridBook:
    venue: str
    symbol: str
    book: Book | None
    price_decimals: int = 2
    amount_decimals: int = 4
    buys: dict[Decimal, Decimal] = field(default_factory=dict)  # price -> our working quantity
    sells: dict[Decimal, Decimal] = field(default_factory=dict)


class BookGrid(Widget, can_focus=True):
    BINDINGS = GRID_BINDINGS
    COMPONENT_CLASSES = {"grid--title", "grid--selected", "grid--bid", "grid--ask", "grid--size", "grid--own",
                         "grid--spread", "grid--dim"}
    MIN_CELL = 28  # the narrowest a cell may be; with few books, cells widen and deepen to fill the screen
    MAX_LEVELS = 15

    class Opened(Message):
        def __init__(self, venue: str, symbol: str) -> None:
            super().__init__()
            self.venue, self.symbol = venue, symbol

    def __init__(self, levels: int = 4, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.min_levels = self.levels = levels
        self.cell_width = self.MIN_CELL
        self.keys: list[Key] = []
        self.books: dict[Key, GridBook] = {}
        self.selected = 0
        self._strips: dict[Key, list[list[Segment]]] = {}  # per book: its lines' segments
        self._styles: dict[str, Style] | None = None
        self._top_row = 0  # first row of cells on screen (the grid scrolls by whole rows of cells)
        self._width = self._height = 0  # the size, kept on resize: asking the widget costs per line
        self.cells_drawn = 0  # how many cells were drawn (tests, bench)

    @property
    def cell_height(self) -> int:
        return 2 * self.levels + 3  # title, asks, mid, bids, a blank line

    @property
    def columns(self) -> int:
        return max(1, min(len(self.keys) or 1, self._width // self.MIN_CELL))

    def _fit(self) -> None:
        """Cell width and depth for the books and the room: the configured levels at least, more when the
        books are few, so a grid of four is not four small boxes on an empty screen."""
        cols = self.columns
        self.cell_width = max(self.MIN_CELL, self._width // cols) if self._width else self.MIN_CELL
        rows = max(1, -(-len(self.keys) // cols))
        fits = (self._height // rows - 3) // 2 if self._height else self.min_levels
        levels = max(self.min_levels, min(self.MAX_LEVELS, fits))
        if levels != self.levels:
            self.levels = levels
        self._strips.clear()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return container.height

    # -- data ----------------------------------------------------------------------------------
    def set_keys(self, keys: list[Key]) -> None:
        if keys != self.keys:
            selected = self.keys[self.selected] if self.keys and self.selected < len(self.keys) else None
            self.keys = list(keys)
            self.selected = self.keys.index(selected) if selected in self.keys else 0
            self._fit()
            self.refresh()

    def select(self, key: Key) -> None:
        if key in self.keys:
            self.selected = self.keys.index(key)
            self._scroll_to_selected()
            self._strips.clear()
            self.refresh()

    @property
    def selected_key(self) -> Key | None:
        return self.keys[self.selected] if self.keys else None

    def update_books(self, books: Iterable[GridBook]) -> int:
        """Take the books that changed; repaint their cells only. Returns how many cells will be redrawn."""
        regions = []
        for gb in books:
            key = (gb.venue, gb.symbol)
            self.books[key] = gb
            if key in self._strips:
                del self._strips[key]
            region = self._region(key)
            if region is not None:
                regions.append(region)
        if len(regions) > 8:
            self.refresh()
        elif regions:
            self.refresh(*regions)
        return len(regions)

    def theme_changed(self) -> None:
        self._styles = None
        self._strips.clear()
        self.refresh()

    def _region(self, key: Key) -> Region | None:
        if key not in self.keys:
            return None
        index = self.keys.index(key)
        row, col = divmod(index, self.columns)
        y = (row - self._top_row) * self.cell_height
        if y < 0 or y >= self._height:
            return None
        return Region(col * self.cell_width, y, self.cell_width, self.cell_height)

    # -- keys ----------------------------------------------------------------------------------
    def action_move(self, dx: int, dy: int) -> None:
        if not self.keys:
            return
        index = self.selected + dx + dy * self.columns
        if 0 <= index < len(self.keys):
            old = self.keys[self.selected]
            self.selected = index
            self._strips.pop(old, None)
            self._strips.pop(self.keys[index], None)
            if self._scroll_to_selected():
                self.refresh()
            else:
                self.refresh(*[r for r in (self._region(old), self._region(self.keys[index])) if r is not None])

    def action_open(self) -> None:
        if self.keys:
            self.post_message(self.Opened(*self.keys[self.selected]))

    def _scroll_to_selected(self) -> bool:
        visible = max(1, self._height // self.cell_height)
        row = self.selected // self.columns
        top = self._top_row
        if row < top:
            top = row
        elif row >= top + visible:
            top = row - visible + 1
        moved = top != self._top_row
        self._top_row = top
        return moved

    def on_resize(self) -> None:
        self._width, self._height = self.size.width, self.size.height
        self._fit()
        self._scroll_to_selected()
        self.refresh()

    # -- drawing -------------------------------------------------------------------------------
    # A cell is cached as its lines' segments (not Strips): a screen line is the segments of the cells
    # across it, one Strip per line per frame, and nothing is measured twice.
    def _style(self, name: str) -> Style:
        if self._styles is None:
            self._styles = {n.split("--")[1]: self.get_component_rich_style(n) for n in self.COMPONENT_CLASSES}
            self._styles["base"] = self.rich_style
        return self._styles[name]

    def render_line(self, y: int) -> Strip:
        width = self._width
        base = self._style("base")
        ch = self.cell_height
        row, line = divmod(y, ch)
        row += self._top_row
        cols = self.columns
        out: list[Segment] = []
        used = 0
        for col in range(cols):
            index = row * cols + col
            if index >= len(self.keys):
                break
            out.extend(self._cell(self.keys[index], index == self.selected)[line])
            used += self.cell_width
        if used > width:
            return Strip(out, used).crop(0, width)
        if used < width:
            out.append(Segment(" " * (width - used), base))
        return Strip(out, width)

    def _cell(self, key: Key, selected: bool) -> list[list[Segment]]:
        cached = self._strips.get(key)
        if cached is not None:
            return cached
        self.cells_drawn += 1
        gap = Segment(" ", self._style("base"))  # one blank column between cells
        lines = [line + [gap] for line in self._draw(key, selected, self.cell_width - 1)]
        self._strips[key] = lines
        return lines

    def _draw(self, key: Key, selected: bool, w: int) -> list[list[Segment]]:
        gb = self.books.get(key)
        size, dim = self._style("size"), self._style("dim")
        title_style = self._style("selected") if selected else self._style("title")
        title = f" {fmt.short_symbol(key[1])} · {key[0]}"
        out = [segments([(title, title_style)], w, title_style)]
        blank = segments([], w, size)
        if gb is None or gb.book is None:
            out.append(segments([(" waiting for the book…", dim)], w, size))
            return out + [blank] * (self.cell_height - 2)
        book, pd, ad = gb.book, gb.price_decimals, gb.amount_decimals
        ow, aw = 7, max(8, (w - 7 - 3) // 3)
        pw = w - ow - aw - 3
        own = self._style("own")

        def level(price: Decimal, amount: Decimal, side: str, mine_at: dict) -> list[Segment]:
            mine = mine_at.get(price)
            return segments([
                (" ", size),
                (fit(_num(price, pd), pw), self._style(side)),
                (" ", size),
                (fit(_num(amount, ad), aw), size),
                (" ", size),
                (fit(_num(mine, ad), ow) if mine else " " * ow, own if mine else size),
            ], w, size)

        asks = book.asks[: self.levels]
        out += [blank] * (self.levels - len(asks))
        out += [level(p, q, "ask", gb.sells) for p, q in reversed(asks)]
        mid, spread = book.mid, book.spread
        if mid is not None:
            mid_text = fmt.price(mid, pd if fmt.quantize(mid, pd) == mid else pd + 1)
            text = f" {mid_text}  {fmt.price(spread, pd)} {fmt.num(book.spread_bps, 1)}bp"
        else:
            text = " one-sided book"
        out.append(segments([(text, self._style("spread"))], w, self._style("spread")))
        bids = book.bids[: self.levels]
        out += [level(p, q, "bid", gb.buys) for p, q in bids]
        out += [blank] * (self.levels - len(bids))
        out.append(blank)
        return out
