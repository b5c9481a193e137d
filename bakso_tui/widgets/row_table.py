"""A DataTable of whole rows, where Home and End go to the first and last row."""

from __future__ import annotations

from rich.text import Text, TextType
from textual.widgets import DataTable
from textual.widgets.data_table import CellType, ColumnKey, RowKey

from bakso_tui.widgets.bindings import translate_bindings, tui_binding


def plain(cell: object) -> object:
    """A string as the text it is: DataTable reads a string cell or label as Rich
    markup, so a resident's name with ``[/b]`` in it would end the app and one
    with ``[b]`` would lose it, and ``:smile:`` would become an emoji (loading
    Rich's emoji table, 1 MB, into every session). Other cells are left as made."""
    return Text(cell, end="") if isinstance(cell, str) else cell


class RowTable(DataTable):
    """Row cursor; Home/End move to the first/last row (DataTable's own move sideways).
    Strings in cells and column labels are shown as written (:func:`plain`)."""

    BINDINGS = [
        tui_binding("home", "scroll_top", "table-first", system=True),
        tui_binding("end", "scroll_bottom", "table-last", system=True),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        translate_bindings(self)

    def add_column(self, label: TextType, *, width: int | None = None, key: str | None = None,
                   default: CellType | None = None) -> ColumnKey:
        return super().add_column(plain(label), width=width, key=key, default=default)

    def add_row(self, *cells: CellType, height: int | None = 1, key: str | None = None,
                label: TextType | None = None) -> RowKey:
        return super().add_row(*map(plain, cells), height=height, key=key,
                               label=None if label is None else plain(label))

    def update_cell(self, row_key: RowKey | str, column_key: ColumnKey | str, value: CellType,
                    *, update_width: bool = False) -> None:
        super().update_cell(row_key, column_key, plain(value), update_width=update_width)
