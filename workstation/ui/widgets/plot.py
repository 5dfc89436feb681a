"""What the plotext charts share: theme colours as the RGB triplets plotext wants."""

from __future__ import annotations

from textual.color import Color
from textual.widget import Widget


def component_rgb(widget: Widget, component: str, fallback: tuple[int, int, int]) -> tuple[int, int, int]:
    """A component class's colour from the current theme, or ``fallback`` when it has none."""
    style = widget.get_component_rich_style(component)
    if style.color is not None and style.color.triplet:
        return tuple(style.color.triplet)  # type: ignore[return-value]
    return fallback
