"""The tradeable ladder (DOM): one row per price tick, a cursor on a price, our working orders per level.

A Line-API widget (``render_line``): nothing here is a DataTable. Columns, left to right: our working
buy quantity, the bid size (with a depth bar), the price, the ask size, our working sell quantity
(narrow, one "ours" column left of the bids). Rows are every tick, not only the book's levels, so an
order far from the market is one page away, not invisible.

Rows step by the book's own level spacing (a venue whose tick is far finer than the gaps between its
levels would otherwise show a page of empty ticks), any multiple of the tick: ``+`` and ``-`` group
coarser or finer. A row's sizes and our quantities are everything in its bucket (bids and our buys
round down to it, asks and our sells up), so nothing is ever left out of the picture.

Two modes:
- follow (the default, and after ``home``): the view keeps the market in its middle and moves only when
  the mid drifts a sixth of the view away (so the prices do not shimmer); there is no cursor, and the
  ticket keys join the touch (buy at the bid, sell at the ask).
- cursor: ``up``/``down`` (``pageup``/``pagedown``) pick a price; the view stays put and scrolls only to
  keep the cursor on screen; the ticket keys, ``delete`` (cancel ours there), ``M`` (move orders there)
  and ``!`` (an alert there) act on that price. It never moves by itself: a price the trader chose is
  never changed behind their back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from ...domain.book import Book
from .. import format as fmt
from ..keys import DOM_BINDINGS
from .lines import Part, fit, overlay, strip, with_bar


@dataclass(frozen=True)
class DomSnapshot:
    venue: str
    symbol: str
    book: Book | None
    tick: Decimal
    price_decimals: int = 2
    amount_decimals: int = 4
    buys: dict[Decimal, Decimal] = field(default_factory=dict)  # price -> our working buy quantity
    sells: dict[Decimal, Decimal] = field(default_factory=dict)
    triggers: dict[Decimal, str] = field(default_factory=dict)  # price -> side of a stop / take-profit there
    preset: str = ""  # the quantity preset in use, for the title


class Dom(Widget, can_focus=True):
    BINDINGS = DOM_BINDINGS
    COMPONENT_CLASSES = {
        "dom--header", "dom--bid", "dom--ask", "dom--bid-bar", "dom--ask-bar", "dom--size", "dom--own-buy",
        "dom--own-sell", "dom--cursor", "dom--dim", "dom--inside", "dom--picked", "dom--trigger",
    }
    WIDE = 40  # from this many cells: separate buy and sell columns for our orders

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.snapshot: DomSnapshot | None = None
        self.follow = True
        self.cursor: Decimal | None = None
        self.centre: Decimal | None = None
        self.picked: tuple[str, ...] = ()  # orders picked up to move (M), and the price they were at
        self.picked_price: Decimal | None = None
        self.step: Decimal | None = None  # the price step of a row: a multiple of the tick
        self._buys: dict[Decimal, Decimal] = {}
        self._sells: dict[Decimal, Decimal] = {}
        self._triggers: dict[Decimal, str] = {}
        self._cache_for: tuple | None = None
        self._bids: dict[Decimal, Decimal] = {}
        self._asks: dict[Decimal, Decimal] = {}
        self._widths = (7, 7, 8)
        self._scale = Decimal(1)
        self.renders = 0  # lines drawn (tests, bench)
        self._styles: dict[str, Style] | None = None
        self._width = self._height = 0  # kept on resize: asking the widget for its size costs, per line
        self.prepared = 0  # how often the book was bucketed and the columns sized (once per snapshot and size)

    # -- data ----------------------------------------------------------------------------------
    def set_snapshot(self, snapshot: DomSnapshot) -> None:
        old = self.snapshot
        self.snapshot = snapshot
        if old is None or (old.venue, old.symbol) != (snapshot.venue, snapshot.symbol):
            self.follow, self.cursor, self.centre, self.picked, self.picked_price = True, None, None, (), None
            self.step = None
        if self.step is None and snapshot.book is not None:
            self.step = _level_step(snapshot.book, snapshot.tick)
        self.border_title = self._title()
        if self.follow:
            self._follow_market()
        self.refresh()

    def _title(self) -> str:
        snap = self.snapshot
        if snap is None:
            return ""
        mode = "follow" if self.follow else f"▶ {fmt.price(self.cursor, snap.price_decimals)}"
        picked = f" · moving {len(self.picked)}" if self.picked else ""
        return f"{fmt.short_symbol(snap.symbol)} · {snap.venue} · {mode}{picked}" + (f" · {snap.preset}"
                                                                                       if snap.preset else "")

    @property
    def mid(self) -> Decimal | None:
        return self.snapshot.book.mid if self.snapshot and self.snapshot.book else None

    @property
    def rows(self) -> int:
        return max(0, self._height - 1)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return container.height

    @property
    def row_step(self) -> Decimal:
        return self.step or (self.snapshot.tick if self.snapshot else Decimal("0.01"))

    def _snap(self, price: Decimal, rounding=ROUND_HALF_UP) -> Decimal:
        step = self.row_step
        return (price / step).to_integral_value(rounding=rounding) * step

    def _follow_market(self) -> None:
        mid = self.mid
        if mid is None or not self.rows:
            return
        if self.centre is None or abs(mid - self.centre) > self.row_step * max(1, self.rows // 6):
            self.centre = self._snap(mid)

    def zoom(self, coarser: bool) -> None:
        """Group rows coarser (x2) or finer (/2), never finer than the tick; the cursor keeps to the grid."""
        snap = self.snapshot
        if snap is None:
            return
        step = self.row_step * 2 if coarser else self.row_step / 2
        self.step = max(snap.tick, (step / snap.tick).to_integral_value(rounding=ROUND_FLOOR) * snap.tick)
        if self.cursor is not None:
            self.cursor = self._snap(self.cursor, ROUND_FLOOR)
        self.centre = self._snap(self.centre) if self.centre is not None else None
        self._cache_for = None
        self.border_title = self._title()
        self.refresh()

    def action_zoom(self, coarser: bool) -> None:
        self.zoom(coarser)

    # -- geometry --------------------------------------------------------------------------------
    def price_at(self, y: int) -> Decimal | None:
        """The price drawn on line ``y`` (1 .. rows), or None for the header and when there is no market."""
        if self.snapshot is None or self.centre is None or y < 1 or y > self.rows:
            return None
        return self.centre + (self.rows // 2 - (y - 1)) * self.row_step

    def row_of(self, price: Decimal) -> int | None:
        if self.snapshot is None or self.centre is None:
            return None
        steps = (self.centre - price) / self.row_step
        y = 1 + self.rows // 2 + int(steps)
        return y if 1 <= y <= self.rows else None

    # -- the cursor ------------------------------------------------------------------------------
    def move_cursor(self, steps: int) -> None:
        snap = self.snapshot
        if snap is None or snap.book is None:
            return
        if self.cursor is None:
            start = snap.book.best_ask if steps > 0 else snap.book.best_bid
            if start is None:
                return
            self.cursor = self._snap(start, ROUND_CEILING if steps > 0 else ROUND_FLOOR)
            steps -= 1 if steps > 0 else -1
        self.follow = False
        self.cursor = self.cursor + steps * self.row_step
        if self.cursor <= 0:
            self.cursor = self.row_step
        self._keep_cursor_visible()
        self.border_title = self._title()
        self.refresh()

    def _keep_cursor_visible(self) -> None:
        if self.cursor is None or self.centre is None or not self.rows:
            self.centre = self.cursor
            return
        half = self.rows // 2
        step = self.row_step
        top, bottom = self.centre + half * step, self.centre - (self.rows - 1 - half) * step
        if self.cursor > top:
            self.centre += self.cursor - top
        elif self.cursor < bottom:
            self.centre -= bottom - self.cursor

    def recentre(self) -> None:
        self.follow, self.cursor, self.centre = True, None, None
        self._follow_market()
        self.border_title = self._title()
        self.refresh()

    def pick(self, client_order_ids: tuple[str, ...], price: Decimal | None) -> None:
        self.picked, self.picked_price = client_order_ids, price
        self.border_title = self._title()
        self.refresh()

    def action_cursor(self, steps: int) -> None:
        self.move_cursor(steps)

    def action_page(self, direction: int) -> None:
        self.move_cursor(direction * max(1, self.rows - 2))

    def action_recentre(self) -> None:
        self.recentre()

    def on_click(self, event: events.Click) -> None:
        price = self.price_at(event.y)
        if price is not None and price > 0:
            self.follow, self.cursor = False, price
            self.border_title = self._title()
            self.refresh()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if self.centre is not None and self.snapshot is not None:
            self.follow = False
            self.centre += 3 * self.row_step
            self.border_title = self._title()
            self.refresh()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        if self.centre is not None and self.snapshot is not None and self.centre > 3 * self.row_step:
            self.follow = False
            self.centre -= 3 * self.row_step
            self.border_title = self._title()
            self.refresh()

    def on_resize(self) -> None:
        self._width, self._height = self.size.width, self.size.height
        self._cache_for = None
        if self.follow:
            self._follow_market()
        else:
            self._keep_cursor_visible()

    # -- rendering -------------------------------------------------------------------------------
    def _style(self, name: str) -> Style:
        """Component styles, looked up once per theme (asking per cell costs more than drawing it)."""
        if self._styles is None:
            c = self.get_component_rich_style
            self._styles = {n: c(n) for n in self.COMPONENT_CLASSES}
            # modifiers add only what their rule sets (bold, reverse), never the widget's own colours:
            # the best bid and ask stay green and red, reversed
            self._styles["dom--inside"] = c("dom--inside", partial=True)
            self._styles["base"] = self.rich_style
            self._styles["bid-bar"] = Style(bgcolor=self._styles["dom--bid-bar"].bgcolor)
            self._styles["ask-bar"] = Style(bgcolor=self._styles["dom--ask-bar"].bgcolor)
        return self._styles[name]

    def theme_changed(self) -> None:
        self._styles = None
        self.refresh()

    def _prepare(self, width: int) -> None:
        """Per snapshot and size: the book as price -> size, column widths, the depth bars' scale."""
        snap = self.snapshot
        key = (id(snap), width, self._height, self.centre, self.row_step)
        if self._cache_for == key or snap is None:
            return
        self._cache_for = key
        self.prepared += 1
        book = snap.book
        down, up = ROUND_FLOOR, ROUND_CEILING
        self._bids = _buckets(book.bids if book else (), self._snap, down)
        self._asks = _buckets(book.asks if book else (), self._snap, up)
        self._buys = _buckets(snap.buys.items(), self._snap, down)
        self._sells = _buckets(snap.sells.items(), self._snap, up)
        self._triggers = {self._snap(p, down): side for p, side in snap.triggers.items()}
        ad = snap.amount_decimals
        top = self.price_at(1) or Decimal(0)
        pw = max(len(fmt.price(top, snap.price_decimals)), len(fmt.price(self.price_at(self.rows) or top,
                                                                           snap.price_decimals)))
        sizes = list(self._bids.values()) + list(self._asks.values())
        aw = max([len(fmt.amount(s, ad)) for s in sizes] + [4])
        ours = list(self._buys.values()) + list(self._sells.values())
        ow = max([len(fmt.amount(s, ad)) for s in ours] + [4])
        wide = width >= 1 + 2 * ow + 2 * aw + pw + 4
        if not wide:
            # narrow: shrink the sizes to what fits (decimals go first, see fit)
            aw = min(aw, max(4, (width - 1 - ow - pw - 3) // 2))
        self._widths = (ow, aw, pw, wide)
        visible = [p for p in (self.price_at(y) for y in range(1, self.rows + 1)) if p is not None]
        self._scale = max([self._bids.get(p, 0) for p in visible] + [self._asks.get(p, 0) for p in visible]
                          + [Decimal(0)]) or Decimal(1)

    def render_line(self, y: int) -> Strip:
        width = self._width
        base = self._style("base")
        snap = self.snapshot
        if width <= 0:
            return Strip.blank(width, base)
        if snap is None or snap.book is None or self.centre is None:
            if y == self.rows // 2 + 1:
                return strip([(" waiting for the book…", self.get_component_rich_style("dom--dim"))], width, base)
            return Strip.blank(width, base)
        self._prepare(width)
        self.renders += 1
        ow, aw, pw, wide = self._widths
        c = self._style
        if y == 0:
            head = c("dom--header")
            if wide:
                text = f" {'buy':>{ow}} {'bid':>{aw}} {'price':>{pw}} {'ask':<{aw}} {'sell':<{ow}}"
            else:
                text = f" {'ours':>{ow}} {'bid':>{aw}} {'price':>{pw}} {'ask':<{aw}}"
            return strip([(text, head)], width, head)
        price = self.price_at(y)
        if price is None or price <= 0:
            return Strip.blank(width, base)
        return self._row(price, width, ow, aw, pw, wide)

    def _row(self, price: Decimal, width: int, ow: int, aw: int, pw: int, wide: bool) -> Strip:
        snap = self.snapshot
        book = snap.book
        c = self._style
        size_style, dim = c("dom--size"), c("dom--dim")
        bid, ask = self._bids.get(price), self._asks.get(price)
        best_bid, best_ask = book.best_bid, book.best_ask
        best_bid = self._snap(best_bid, ROUND_FLOOR) if best_bid is not None else None
        best_ask = self._snap(best_ask, ROUND_CEILING) if best_ask is not None else None
        if best_ask is not None and price >= best_ask:
            price_style = c("dom--ask")
        elif best_bid is not None and price <= best_bid:
            price_style = c("dom--bid")
        else:
            price_style = dim
        if price in (best_bid, best_ask):
            price_style = price_style + c("dom--inside")
        elif bid is None and ask is None:
            price_style = price_style + dim
        ad, pd = snap.amount_decimals, snap.price_decimals
        buy, sell = self._buys.get(price), self._sells.get(price)
        trigger = self._triggers.get(price)
        own_buy, own_sell = c("dom--own-buy"), c("dom--own-sell")
        marker = ("◆", c("dom--trigger")) if trigger else (" ", size_style)
        bid_text = fit(fmt.amount(bid, ad), aw) if bid is not None else " " * aw
        ask_text = fit(fmt.amount(ask, ad), aw, "<") if ask is not None else " " * aw
        if wide:
            parts: list[Part] = [
                marker,
                (fit(fmt.amount(buy, ad), ow) if buy else " " * ow, own_buy if buy else size_style), (" ", size_style),
                (bid_text, size_style), (" ", size_style),
                (fit(fmt.price(price, pd), pw), price_style), (" ", size_style),
                (ask_text, size_style), (" ", size_style),
                (fit(fmt.amount(sell, ad), ow, "<") if sell else " " * ow, own_sell if sell else size_style),
            ]
            bid_at, ask_at = 1 + ow + 1, 1 + ow + 1 + aw + 1 + pw + 1
        else:
            mine = buy or sell
            parts = [
                marker,
                (fit(fmt.amount(mine, ad), ow) if mine else " " * ow,
                 (own_buy if buy else own_sell) if mine else size_style), (" ", size_style),
                (bid_text, size_style), (" ", size_style),
                (fit(fmt.price(price, pd), pw), price_style), (" ", size_style),
                (ask_text, size_style),
            ]
            bid_at, ask_at = 1 + ow + 1, 1 + ow + 1 + aw + 1 + pw + 1
        if bid:
            n = max(1, int(aw * bid / self._scale))
            parts = with_bar(parts, bid_at + aw - n, bid_at + aw, c("bid-bar"))
        if ask:
            n = max(1, int(aw * ask / self._scale))
            parts = with_bar(parts, ask_at, ask_at + n, c("ask-bar"))
        row = strip(parts, width, size_style)
        if price == self.cursor:
            row = overlay(row, c("dom--cursor"))
        elif self.picked and price == self.picked_price:
            row = overlay(row, c("dom--picked"))
        return row


def _level_step(book: Book, tick: Decimal) -> Decimal:
    """The book's own spacing: the smallest gap between neighbouring levels, as a multiple of the tick."""
    gaps = [a[0] - b[0] for side in (book.bids[:10], book.asks[:10]) for a, b in zip(side, side[1:])]
    gaps = [abs(g) for g in gaps if g]
    if not gaps:
        return tick
    return max(tick, (min(gaps) / tick).to_integral_value(rounding=ROUND_FLOOR) * tick)


def _buckets(levels, snap, rounding) -> dict[Decimal, Decimal]:
    out: dict[Decimal, Decimal] = {}
    for price, size in levels:
        key = snap(price, rounding)
        out[key] = out.get(key, Decimal(0)) + size
    return out
