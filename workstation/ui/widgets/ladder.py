"""The order book ladder: a Line-API widget (render_line -> Strip), no DataTable.

Asks on top (best ask just above the spread line), bids below, up to `levels` a side,
as many as the height allows. Each row: our own resting order marker, price, size and
cumulative size, with a depth bar (cumulative size) as a background from the right edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from ...domain.book import Book
from ...domain.money import ZERO
from .. import format as fmt


@dataclass(frozen=True)
class LadderSnapshot:
    venue: str
    symbol: str
    book: Book | None
    price_decimals: int = 2
    amount_decimals: int = 4
    own: dict[tuple[str, Decimal], Decimal] = field(default_factory=dict)  # (bid|ask, price) -> our remaining


class Ladder(Widget, can_focus=True):
    COMPONENT_CLASSES = {
        "ladder--header", "ladder--bid", "ladder--ask", "ladder--bid-bar", "ladder--ask-bar",
        "ladder--size", "ladder--spread", "ladder--own", "ladder--dim",
    }

    def __init__(self, levels: int = 20, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.levels = levels
        self.snapshot: LadderSnapshot | None = None
        self._rows: list[tuple[str, int]] = []  # per y: (kind, index)
        self._layout_for: tuple[int, int] | None = None
        self._columns_for: tuple[LadderSnapshot, int] | None = None  # (the snapshot itself, width)
        self._columns_cache: tuple[int, int, int] = (8, 6, 7)
        self._sums_for: LadderSnapshot | None = None
        self._cum: dict[str, list[Decimal]] = {"ask": [], "bid": []}  # running totals per side
        self._total = ZERO
        self.columns_computed = 0  # how often the widths were worked out (tests, bench)

    # -- data ----------------------------------------------------------------------------------
    def set_snapshot(self, snapshot: LadderSnapshot) -> None:
        if self.snapshot is None or self.snapshot.symbol != snapshot.symbol:
            self.border_title = f"{snapshot.symbol} · {snapshot.venue}"
        self.snapshot = snapshot
        self.refresh()

    @property
    def mid(self) -> Decimal | None:
        return self.snapshot.book.mid if self.snapshot and self.snapshot.book else None

    def on_resize(self) -> None:
        self._layout_for = None
        self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return 2 + 2 * self.levels

    # -- layout ---------------------------------------------------------------------------------
    def visible_levels(self) -> int:
        return max(0, min(self.levels, (self.size.height - 2) // 2))

    def _layout(self) -> list[tuple[str, int]]:
        key = (self.size.width, self.size.height)
        if self._layout_for != key:
            n = self.visible_levels()
            rows: list[tuple[str, int]] = [("header", 0)]
            rows += [("ask", i) for i in range(n - 1, -1, -1)]
            rows.append(("spread", 0))
            rows += [("bid", i) for i in range(n)]
            rows += [("blank", 0)] * max(0, self.size.height - len(rows))
            self._rows, self._layout_for = rows, key
        return self._rows

    # -- rendering ------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.size.width
        rows = self._layout()
        base = self.rich_style
        if y >= len(rows) or width <= 0:
            return Strip.blank(width, base)
        kind, index = rows[y]
        snap = self.snapshot
        if kind == "blank":
            return Strip.blank(width, base)
        if kind == "header":
            return self._header(width)
        if snap is None or snap.book is None:
            if kind == "spread":
                return self._text_line("waiting for the book…", self.get_component_rich_style("ladder--dim"), width)
            return Strip.blank(width, base)
        if kind == "spread":
            return self._spread(snap, width)
        return self._level(snap, kind, index, width)

    def _columns(self, snap: LadderSnapshot, width: int) -> tuple[int, int, int]:
        """Column widths: worked out once per snapshot and width, not once per line."""
        key = (snap, width)
        if self._columns_for is None or self._columns_for[0] is not snap or self._columns_for[1] != width:
            self._columns_cache = self._compute_columns(snap, width)
            self._columns_for = key
            self.columns_computed += 1
        return self._columns_cache

    def _sums(self, snap: LadderSnapshot, kind: str, index: int) -> tuple[Decimal, Decimal]:
        """Cumulative size at a level and the depth bar's scale: once per snapshot, not per line."""
        if self._sums_for is not snap:
            book = snap.book
            assert book is not None
            self._cum = {"ask": _running(book.asks, self.levels), "bid": _running(book.bids, self.levels)}
            self._sums_for = snap
        cum = self._cum[kind]
        other = self._cum["bid" if kind == "ask" else "ask"]
        n = len(cum)
        # the bar's scale: the deeper of the two sides over the same number of levels
        total = max(cum[n - 1] if n else ZERO, other[min(n, len(other)) - 1] if other and n else ZERO)
        return (cum[index] if index < n else ZERO), total

    def _compute_columns(self, snap: LadderSnapshot, width: int) -> tuple[int, int, int]:
        book = snap.book
        assert book is not None
        levels = book.asks[: self.levels] + book.bids[: self.levels]
        pw = max((len(fmt.price(p, snap.price_decimals)) for p, _ in levels), default=8)
        sw = max((len(fmt.amount(s, snap.amount_decimals)) for _, s in levels), default=6)
        cw = sw + 1
        if 2 + pw + 1 + sw + 1 + cw > width:
            cw = 0
        return pw, sw, cw

    def _header(self, width: int) -> Strip:
        snap = self.snapshot
        style = self.get_component_rich_style("ladder--header")
        line = ""
        if snap and snap.book:
            pw, sw, cw = self._columns(snap, width)
            line = f"  {'price':>{pw}} {'size':>{sw}}" + (f" {'total':>{cw - 1}}" if cw else "")
        return self._text_line(line, style, width)

    def _spread(self, snap: LadderSnapshot, width: int) -> Strip:
        book = snap.book
        assert book is not None
        pd = snap.price_decimals
        mid = book.mid
        mid_decimals = pd if mid is None or fmt.quantize(mid, pd) == mid else pd + 1
        mid_text = fmt.price(mid, mid_decimals)
        spread = fmt.price(book.spread, pd)
        bps = fmt.num(book.spread_bps, 1)
        for text in (f" mid {mid_text}  spread {spread} {bps}bp", f" mid {mid_text} spr {spread} {bps}bp",
                     f" mid {mid_text} spr {spread}",
                     f" {mid_text} {spread}", f" {mid_text}"):
            if len(text) <= width:
                break
        return self._text_line(text, self.get_component_rich_style("ladder--spread"), width)

    def _text_line(self, text: str, style: Style, width: int) -> Strip:
        text = text[:width].ljust(width)
        return Strip([Segment(text, style)], width)

    def _level(self, snap: LadderSnapshot, kind: str, index: int, width: int) -> Strip:
        book = snap.book
        assert book is not None
        side_levels = book.asks if kind == "ask" else book.bids
        base = self.rich_style
        if index >= len(side_levels):
            return Strip.blank(width, base)
        price, size = side_levels[index]
        pw, sw, cw = self._columns(snap, width)
        cum, total = self._sums(snap, kind, index)
        own = snap.own.get(("ask" if kind == "ask" else "bid", price))
        price_style = self.get_component_rich_style("ladder--ask" if kind == "ask" else "ladder--bid")
        size_style = self.get_component_rich_style("ladder--size")
        own_style = self.get_component_rich_style("ladder--own")
        bar_style = self.get_component_rich_style("ladder--ask-bar" if kind == "ask" else "ladder--bid-bar")
        marker = "● " if own is not None else "  "
        parts: list[tuple[str, Style]] = [
            (marker, own_style if own is not None else size_style),
            (f"{fmt.price(price, snap.price_decimals):>{pw}}", own_style if own is not None else price_style),
            (" ", size_style),
            (f"{fmt.amount(size, snap.amount_decimals):>{sw}}", size_style),
        ]
        if cw:
            parts.append((f" {fmt.amount(cum, snap.amount_decimals):>{cw - 1}}", size_style))
        used = sum(len(t) for t, _ in parts)
        parts.append((" " * max(width - used, 0), size_style))
        bar = int(round(width * (cum / total))) if total else 0
        return Strip(_with_bar(parts, width - bar, width, Style(bgcolor=bar_style.bgcolor)), width).crop(0, width)


def _running(levels: list, n: int) -> list[Decimal]:
    out, acc = [], ZERO
    for _, size in levels[:n]:
        acc += size
        out.append(acc)
    return out


def _with_bar(parts: list[tuple[str, Style]], start: int, width: int, bar: Style) -> list[Segment]:
    """Segments for the parts, with the bar's background on cells [start, width)."""
    segments: list[Segment] = []
    x = 0
    for text, style in parts:
        end = x + len(text)
        if end <= start or not text:
            segments.append(Segment(text, style))
        elif x >= start:
            segments.append(Segment(text, style + bar))
        else:
            cut = start - x
            segments.append(Segment(text[:cut], style))
            segments.append(Segment(text[cut:], style + bar))
        x = end
        if x >= width:
            break
    return segments
