"""Reusable widgets of the back office; each carries its own DEFAULT_CSS."""

from bakso_tui.widgets.bindings import describe, translate_bindings
from bakso_tui.widgets.key_bar import KeyBar
from bakso_tui.widgets.header import OfficeHeader, role_label, user_line
from bakso_tui.widgets.formatting import format_age, format_count
from bakso_tui.widgets.queue_table import QueueTable, column_layout, row_flags
from bakso_tui.widgets.row_table import RowTable
from bakso_tui.widgets.status import StatusBar

__all__ = [
    "KeyBar",
    "OfficeHeader",
    "QueueTable",
    "RowTable",
    "StatusBar",
    "column_layout",
    "describe",
    "format_age",
    "format_count",
    "role_label",
    "row_flags",
    "translate_bindings",
    "user_line",
]
