"""Price chart of the selected symbol: plotext candles plus the live last price.

Candles come from the venue (fetched by a worker in the app every few seconds); the live
mid updates the forming candle. Redrawing costs ~10 ms, so it happens at most twice a second
(`min_interval_s`) and only when the data changed, never per tick: `set_mid` and
`set_candles` only mark the chart stale, and only when what they bring differs.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from rich.style import Style
from rich.text import Span, Text
from textual.strip import Strip

from .plot import ThrottledPlot, component_rgb, plotext

Candle = tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal]



class PriceChart(ThrottledPlot):
    COMPONENT_CLASSES = {"chart--up", "chart--down", "chart--text", "chart--last"}

    def __init__(self, *, max_candles: int = 90, min_interval_s: float = 0.5, id: str | None = None,
                 classes: str | None = None):
        super().__init__(min_interval_s=min_interval_s, id=id, classes=classes)
        self.max_candles = max_candles
        self.symbol = ""
        self.price_decimals = 2
        self.candles: list[Candle] = []
        self.last: Decimal | None = None
        self._strips: list[Strip] = []
        self._strips_for: tuple[int, int] | None = None

    # -- data ---------------------------------------------------------------------------------
    def set_symbol(self, symbol: str, price_decimals: int) -> None:
        if symbol != self.symbol:
            self.symbol, self.price_decimals = symbol, price_decimals
            self.candles, self.last = [], None
            self.border_title = f"{symbol} 1m"
            self._stale = True

    def set_candles(self, symbol: str, candles: list[Candle]) -> None:
        if symbol != self.symbol:
            return
        fresh = list(candles[-self.max_candles:])
        if self.last is not None and fresh:
            ts, o, h, low, _c, v = fresh[-1]
            fresh[-1] = (ts, o, max(h, self.last), min(low, self.last), self.last, v)
        if fresh == self.candles:
            return  # the same bars again (a reload between minutes): nothing to redraw
        self.candles = fresh
        self._stale = True

    def set_mid(self, mid: Decimal | None) -> None:
        if mid is None or mid == self.last:
            return
        self.last = mid
        self._apply_last(mid)
        self._stale = True

    def _apply_last(self, price: Decimal) -> None:
        if self.candles:
            ts, o, h, low, _c, v = self.candles[-1]
            self.candles[-1] = (ts, o, max(h, price), min(low, price), price, v)

    def theme_changed(self) -> None:
        self._stale = True
        self.maybe_redraw(force=True)

    # -- drawing ------------------------------------------------------------------------------
    def on_resize(self) -> None:
        self.maybe_redraw(force=True)

    def render_line(self, y: int) -> Strip:
        """Line API: the plot is turned into strips once per redraw, not on every frame or relayout."""
        width = self.size.width
        if self._strips_for != (self.draw_count, width):
            console = self.app.console
            base = self.rich_style
            self._strips = [Strip(list(line.render(console)), line.cell_len).apply_style(base)
                            .adjust_cell_length(width, base)
                            for line in self._rendered.split("\n", allow_blank=True)]
            self._strips_for = (self.draw_count, width)
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(width, self.rich_style)

    def _build(self, width: int, height: int) -> Text:
        if not self.candles:
            return Text("loading candles…", style=self.get_component_rich_style("chart--text"))
        plt = plotext()  # imported on first draw: keeps start-up fast
        from plotext._settings import defaults  # candle colours are module defaults in plotext 6

        up = component_rgb(self, "chart--up", (43, 212, 125))
        down = component_rgb(self, "chart--down", (255, 92, 92))
        text = component_rgb(self, "chart--text", (140, 150, 160))
        last = component_rgb(self, "chart--last", (245, 165, 36))
        plt.terminal.limit(False, False)  # the widget decides the size, not the terminal plotext sees
        plt.add_theme("workstation", canvas=None, text=text, sequence=[up])
        fig = plt.figure
        fig.clear()
        fig.plot_size(width, height)
        fig.theme("workstation")
        fig.canvas("default")
        candles = self.candles[-max(10, min(self.max_candles, (width - 12) // 2)):]
        xs = list(range(len(candles)))
        saved = (defaults.candlestick_up_color, defaults.candlestick_down_color)
        defaults.candlestick_up_color, defaults.candlestick_down_color = up, down
        try:
            fig.draw(fig.candlestick({
                "date": xs,
                "open": [float(c[1]) for c in candles],  # floats for drawing only, never for money
                "close": [float(c[4]) for c in candles],
                "high": [float(c[2]) for c in candles],
                "low": [float(c[3]) for c in candles],
            }))
            if self.last is not None:
                fig.line(float(self.last), relative=False, pixel=plt.pixel(foreground=last))
            step = max(1, len(candles) // max(1, width // 12))
            positions = list(range(0, len(candles), step))
            labels = [datetime.fromtimestamp(candles[i][0] / 1000).strftime("%H:%M") for i in positions]
            fig.ruler("x").ticks(positions, labels)  # times, not bar indexes
            out = fig.build().string()
        except Exception as exc:  # a plotting bug must never take the screen down
            return Text(f"chart unavailable: {exc}", style=self.get_component_rich_style("chart--text"))
        finally:
            defaults.candlestick_up_color, defaults.candlestick_down_color = saved
        plot = Text.from_ansi(out, no_wrap=True, end="")
        # plotext paints some cells' backgrounds; the widget's own background (the theme's) shows instead
        plot.spans = [Span(span.start, span.end, Style(color=span.style.color, bold=span.style.bold))
                      if isinstance(span.style, Style) else span for span in plot.spans]
        return plot

