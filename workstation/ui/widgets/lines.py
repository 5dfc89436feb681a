"""Helpers the Line-API widgets share: a line of styled parts as a Strip, and a depth bar behind cells."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

Part = tuple[str, Style]


def segments(parts: list[Part], width: int, fill: Style | None = None) -> list[Segment]:
    """The parts left to right as segments, cut or padded (with ``fill``) to exactly ``width`` cells."""
    out, used = [], 0
    for text, style in parts:
        if used >= width:
            break
        if used + len(text) > width:
            text = text[: width - used]
        out.append(Segment(text, style))
        used += len(text)
    if used < width:
        out.append(Segment(" " * (width - used), fill or (parts[-1][1] if parts else Style())))
    return out


def strip(parts: list[Part], width: int, fill: Style | None = None) -> Strip:
    """The parts left to right, cut or padded (with ``fill``) to exactly ``width`` cells."""
    return Strip(segments(parts, width, fill), width)


def with_bar(parts: list[Part], start: int, end: int, bar: Style) -> list[Part]:
    """The parts with ``bar`` (a background) added on the cells [start, end)."""
    if end <= start:
        return parts
    out: list[Part] = []
    x = 0
    for text, style in parts:
        a, b = x, x + len(text)
        x = b
        if b <= start or a >= end or not text:
            out.append((text, style))
            continue
        lo, hi = max(start, a) - a, min(end, b) - a
        if lo:
            out.append((text[:lo], style))
        out.append((text[lo:hi], style + bar))
        if hi < len(text):
            out.append((text[hi:], style))
    return out


def fit(text: str, width: int, align: str = ">") -> str:
    """Aligned in ``width``. A number too wide loses decimals, never leading digits (a size must never
    read smaller than it is): when even its whole part does not fit it shows as a row of '#'."""
    if width <= 0:
        return ""
    if len(text) > width:
        head = text.split(".")[0]
        if len(head) > width:
            return "#" * width
        return text[:width].rstrip(".").rjust(width) if align == ">" else text[:width].rstrip(".").ljust(width)
    return f"{text:{align}{width}}"


def overlay(line: Strip, style: Style) -> Strip:
    """``style`` on top of every cell of the line (a cursor's background wins over a depth bar's)."""
    return Strip(Segment.apply_style(list(line), post_style=style), line.cell_length)
