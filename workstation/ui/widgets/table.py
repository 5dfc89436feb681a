"""A DataTable that diffs: rows are added, removed and updated cell by cell, never cleared.

Subclasses declare COLUMNS (key, label, width); `sync(rows)` takes row key -> cells and
touches only what changed. Column widths are fixed (no `update_width` on the hot path).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

Cell = str | Text


class DiffTable(DataTable):
    COLUMNS: list[tuple[str, str, int]] = []
    EMPTY = ""

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        # No cell padding: every cell carries one leading space instead, which saves a column per column.
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=False, show_cursor=True,
                         cell_padding=0, cursor_foreground_priority="renderable")
        self._cells: dict[str, tuple[Cell, ...]] = {}
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
            self.move_cursor(row=self.get_row_index(key))
        except RowDoesNotExist:
            pass

    def invalidate(self) -> None:
        """Forget the cached cells (e.g. after a theme change) so the next sync rewrites every cell."""
        self._cells = {k: tuple("\0" for _ in v) for k, v in self._cells.items()}

    def sync(self, rows: dict[str, tuple[Cell, ...]], order: list[str] | None = None) -> bool:
        """Make the table show `rows`. Returns True when rows were added or removed."""
        self.sync_count += 1
        keys = [k for k, _, _ in self.COLUMNS]
        changed_shape = False
        for gone in [k for k in self._cells if k not in rows]:
            self.remove_row(gone)
            del self._cells[gone]
            changed_shape = True
        added = []
        for key, cells in rows.items():
            cells = tuple(_pad(c) for c in cells)
            old = self._cells.get(key)
            if old is None:
                self.add_row(*cells, key=key)
                added.append(key)
                changed_shape = True
            elif old != cells:
                for column, new, was in zip(keys, cells, old):
                    if new != was:
                        self.update_cell(key, column, new)
                if cells[0] == old[0]:
                    cells = (old[0], *cells[1:])  # keep the stored object: its identity orders the row
            self._cells[key] = cells
        if order is not None and added:
            self._reorder(order)
        return changed_shape

    def _reorder(self, order: list[str]) -> None:
        # DataTable.sort hands the key function cell values, not row keys; the first cell of each
        # row is a distinct Text object (see sync), so its identity tells us the row.
        rank_by_cell = {id(self._cells[key][0]): i for i, key in enumerate(order) if key in self._cells}
        selected = self.selected_key
        self.sort(self.COLUMNS[0][0], key=lambda cell: rank_by_cell.get(id(cell), 1 << 30))
        if selected is not None:
            self.select_key(selected)


def _pad(cell: Cell) -> Text:
    """One leading space (the gap between columns), and always a Text (see _reorder)."""
    if isinstance(cell, Text):
        if cell.justify == "right":
            return cell
        out = Text(" ", justify=cell.justify)
        out.append_text(cell)
        return out
    return Text(f" {cell}")
