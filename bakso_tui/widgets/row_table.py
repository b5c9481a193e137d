"""A DataTable of whole rows, where Home and End go to the first and last row."""

from __future__ import annotations

from textual.widgets import DataTable

from bakso_tui.widgets.bindings import translate_bindings, tui_binding


class RowTable(DataTable):
    """Row cursor; Home/End move to the first/last row (DataTable's own move sideways)."""

    BINDINGS = [
        tui_binding("home", "scroll_top", "table-first", system=True),
        tui_binding("end", "scroll_bottom", "table-last", system=True),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        translate_bindings(self)
