"""A DataTable that diffs: rows are added, removed and updated cell by cell, never cleared.

Subclasses declare COLUMNS (key, label, width); `sync(rows, order)` takes row key -> cells and the
order to show them in, and touches only what changed. Column widths are fixed (no `update_width` on
the hot path). The order is kept whatever happens to the cells (a theme change rewrites every cell):
each row's first cell carries its row key, and the rows are re-sorted by the given order whenever the
table's order differs from it. A new row takes the cursor (``follow_new``), so the newest order or
execution is the one selected, and the view scrolls to it.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

Cell = str | Text


class KeyedText(Text):
    """A row's first cell, carrying the row key: what the sort keys on (cell values are all it is given)."""

    row_key: str = ""


class DiffTable(DataTable):
    COLUMNS: list[tuple[str, str, int]] = []
    EMPTY = ""

    def __init__(self, *, id: str | None = None, classes: str | None = None, follow_new: bool = True):
        # No cell padding: every cell carries one leading space instead, which saves a column per column.
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=False, show_cursor=True,
                         cell_padding=0, cursor_foreground_priority="renderable")
        self._cells: dict[str, tuple[Cell, ...]] = {}
        self._order: list[str] = []
        self.follow_new = follow_new
        self.sync_count = 0

    def on_mount(self) -> None:
        for key, label, width in self.COLUMNS:
            self.add_column(f" {label}", key=key, width=width + 1)

    def style_for(self, component: str) -> str:
        """A rich style string for a theme component class (so cells follow the theme)."""
        style = self.get_component_rich_style(component, partial=True)
        return str(style) if style else ""

    @property
    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:
            return None
        return key.value if key is not None else None

    def select_key(self, key: str) -> None:
        try:
            self.move_cursor(row=self.get_row_index(key), scroll=True)
        except RowDoesNotExist:
            pass

    def row_keys(self) -> list[str]:
        """The keys in the order shown."""
        return [row.key.value for row in self.ordered_rows if row.key.value is not None]

    def invalidate(self) -> None:
        """Forget the cached cells (e.g. after a theme change) so the next sync rewrites every cell."""
        self._cells = {k: tuple("\0" for _ in v) for k, v in self._cells.items()}

    def sync(self, rows: dict[str, tuple[Cell, ...]], order: list[str] | None = None) -> bool:
        """Make the table show `rows`, in `order` (default: as given). True when rows came or went."""
        self.sync_count += 1
        keys = [k for k, _, _ in self.COLUMNS]
        changed_shape = False
        for gone in [k for k in self._cells if k not in rows]:
            self.remove_row(gone)
            del self._cells[gone]
            changed_shape = True
        added = []
        for key, cells in rows.items():
            cells = tuple(_pad(c, key if i == 0 else None) for i, c in enumerate(cells))
            old = self._cells.get(key)
            if old is None:
                self.add_row(*cells, key=key)
                added.append(key)
                changed_shape = True
            elif old != cells:
                for column, new, was in zip(keys, cells, old):
                    if new != was:
                        self.update_cell(key, column, new)
            self._cells[key] = cells
        wanted = [k for k in (order if order is not None else list(rows)) if k in self._cells]
        if changed_shape or wanted != self._order:
            self._order = wanted
            if self.row_keys() != wanted:
                self._reorder(wanted)
        if added and self.follow_new:
            first = min(added, key=lambda k: wanted.index(k) if k in wanted else len(wanted))
            self.select_key(first)
        return changed_shape

    def _reorder(self, order: list[str]) -> None:
        rank = {key: i for i, key in enumerate(order)}
        selected = self.selected_key
        self.sort(self.COLUMNS[0][0], key=lambda cell: rank.get(getattr(cell, "row_key", ""), 1 << 30))
        if selected is not None:
            self.select_key(selected)


def _pad(cell: Cell, row_key: str | None = None) -> Text:
    """One leading space (the gap between columns), and always a Text; the first cell carries the row key."""
    if isinstance(cell, Text):
        if cell.justify == "right" and row_key is None:
            return cell
        out: Text = KeyedText(" " if cell.justify != "right" else "", justify=cell.justify) if row_key is not None \
            else Text(" ", justify=cell.justify)
        out.append_text(cell)
    else:
        out = KeyedText(f" {cell}") if row_key is not None else Text(f" {cell}")
    if row_key is not None:
        out.row_key = row_key  # type: ignore[attr-defined]
    return out


def styled(text: str, style, justify: str = "left") -> Text:
    t = Text(text, justify=justify)
    if style:
        t.stylize(style)
    return t


def right(text: str, style=None) -> Text:
    return styled(text, style, "right")
