"""What the plotext charts share: a throttled redraw, and theme colours as the RGB triplets plotext wants."""

from __future__ import annotations

import importlib
import math
import sys
import time
import types

from rich.text import Text
from textual.widget import Widget


def plotext():
    """plotext, without its documentation module: plotext 6 builds its help text at import (~0.1 s of the
    ~0.2 s import, more on a loaded machine) and the charts never read it."""
    if "plotext" not in sys.modules:
        sys.modules.setdefault("plotext._doc.doc", _UnreadDocs("plotext._doc.doc"))
        try:
            return importlib.import_module("plotext")
        except ImportError:  # a plotext that wants more from that module: the real one, then
            for name in [m for m in sys.modules if m == "plotext" or m.startswith("plotext.")]:
                del sys.modules[name]
    return importlib.import_module("plotext")


class _UnreadDocs(types.ModuleType):
    docs = None


def component_rgb(widget: Widget, component: str, fallback: tuple[int, int, int]) -> tuple[int, int, int]:
    """A component class's colour from the current theme, or ``fallback`` when it has none."""
    style = widget.get_component_rich_style(component)
    if style.color is not None and style.color.triplet:
        return tuple(style.color.triplet)  # type: ignore[return-value]
    return fallback


class ThrottledPlot(Widget):
    """A plotext drawing rebuilt on the UI tick only when its data or size changed, and at most once per
    ``min_interval_s``: a plotext build costs ~15 ms, far too much for every tick."""

    MIN_SIZE = (10, 4)  # too small to draw anything readable below this

    def __init__(self, *, min_interval_s: float, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.min_interval_s = min_interval_s
        self._rendered = Text("")
        self._stale = True
        self._drawn_at = -math.inf
        self._drawn_size: tuple[int, int] = (0, 0)
        self.draw_count = 0

    def plot_size(self) -> tuple[int, int]:
        return self.size.width, self.size.height

    def _build(self, width: int, height: int) -> Text:
        raise NotImplementedError

    def maybe_redraw(self, force: bool = False) -> bool:
        """Called on the UI tick. A new size redraws at once; new data waits for the interval."""
        size = self.plot_size()
        if not self.display or size[0] < self.MIN_SIZE[0] or size[1] < self.MIN_SIZE[1]:
            return False
        if not force and not self._stale and size == self._drawn_size:
            return False
        now = time.monotonic()
        if not force and now - self._drawn_at < self.min_interval_s and size == self._drawn_size:
            return False
        self._rendered = self._build(*size)
        self._stale, self._drawn_at, self._drawn_size = False, now, size
        self.draw_count += 1
        self.refresh()
        return True
