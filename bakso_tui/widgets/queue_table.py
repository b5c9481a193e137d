"""The queue as a table: a window of at most a few thousand rows, never the whole queue.

The table only shows what the queue screen hands it (plain `QueueRow`s); the
screen decides which pages are loaded. Column widths follow the terminal:
in a terminal narrower than 100 columns the NIK column is left out (it is
still searchable, and the submission screen shows it) so that names and
services stay readable at 80×24.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from rich.style import Style
from rich.text import Text
from textual.color import Color, ColorParseError
from textual.events import Resize

from bakso_tui.domain.queue import QueueRow
from bakso_tui.domain.workflow import Flag
from bakso_tui.locale import t
from bakso_tui.widgets.bindings import translate_bindings, tui_binding
from bakso_tui.widgets.formatting import format_age
from bakso_tui.widgets.row_table import RowTable

COLUMNS = ("age", "number", "village", "service", "applicant", "nik", "flags")
FIXED_WIDTHS = {"age": 6, "number": 16, "nik": 16, "flags": 7}
WIDE = 98  # from this table width on (a 100-column terminal), the NIK column is shown

# Compact flags in display order, with the theme variable that colours each one.
FLAG_ORDER = (
    (Flag.PRIORITY.value, "text-warning"),
    (Flag.PAST_SLA.value, "text-error"),
    (Flag.POSSIBLE_DUPLICATE.value, "text-primary"),
    (Flag.NIK_MISMATCH.value, "text-error"),
)
CLAIMED = "claimed"


def row_flags(row: QueueRow) -> list[str]:
    """The flag ids of a row in display order (``claimed`` last)."""
    flags = [flag for flag, _ in FLAG_ORDER if flag in row.flags]
    if row.claim_holder:
        flags.append(CLAIMED)
    return flags


def column_layout(width: int) -> tuple[tuple[str, int], ...]:
    """(column, width) pairs that fill `width` terminal cells (cell padding included)."""
    wide = width >= WIDE
    keys = [k for k in COLUMNS if k != "nik" or wide]
    fixed_widths = {**FIXED_WIDTHS, "flags": 9 if wide else FIXED_WIDTHS["flags"]}
    padding = 2 * len(keys)
    fixed = sum(fixed_widths[k] for k in keys if k in fixed_widths)
    free = max(30, width - padding - fixed)
    village = free * 3 // 10
    service = free * 3 // 10
    widths = {**fixed_widths, "village": village, "service": service,
              "applicant": free - village - service}
    return tuple((k, widths[k]) for k in keys)


def _cell(value: str) -> Text:
    # Text, never a str: a str cell would be read as Rich markup ("[" in a name).
    return Text(value, no_wrap=True, overflow="ellipsis")


class QueueTable(RowTable):
    """Rows of the verification queue; Enter posts `DataTable.RowSelected`."""

    DEFAULT_CSS = """
    QueueTable {
        height: 1fr;
        scrollbar-size-vertical: 1;
    }
    """

    BINDINGS = [tui_binding("enter", "select_cursor", "queue-open")]

    def __init__(self, *, now: Callable[[], datetime], id: str | None = None) -> None:
        super().__init__(id=id)
        translate_bindings(self)
        self._now = now
        self._rows: list[QueueRow] = []
        self._layout: tuple[tuple[str, int], ...] = ()
        # Cells of the rows in the window, by submission id: moving the window
        # re-adds rows without building their cells again.
        self._cells: dict[int, tuple[Text, ...]] = {}

    # ------------------------------------------------------------ reading

    @property
    def rows_shown(self) -> Sequence[QueueRow]:
        return self._rows

    @property
    def current(self) -> QueueRow | None:
        if not self._rows or not 0 <= self.cursor_row < len(self._rows):
            return None
        return self._rows[self.cursor_row]

    # ------------------------------------------------------------ changing

    def replace_rows(
        self, rows: Iterable[QueueRow], *, keep_id: int | None = None, fresh: bool = True
    ) -> None:
        """Show `rows` instead; the cursor stays on submission `keep_id` if it is there.

        ``fresh=False`` when the rows are the same data (the window moved, the
        terminal was resized): their cells are reused, not built again.
        """
        old_row, old_offset = self.cursor_row, self.cursor_row - round(self.scroll_y)
        self._rows = list(rows)
        if fresh:
            self._cells.clear()  # new data from the database: new ages and flags
        self._rebuild()
        index = 0
        if keep_id is not None:
            for i, row in enumerate(self._rows):
                if row.id == keep_id:
                    index = i
                    break
            else:
                index = min(old_row, max(0, len(self._rows) - 1))
        self._place_cursor(index, old_offset)

    def append_rows(self, rows: Sequence[QueueRow]) -> None:
        self._rows.extend(rows)
        self._add(rows)

    def retranslate(self) -> None:
        translate_bindings(self)
        self._layout = ()
        self._cells.clear()
        self.replace_rows(self._rows, keep_id=self.current.id if self.current else None)

    # ------------------------------------------------------------ internals

    def on_resize(self, event: Resize) -> None:
        if self._layout != column_layout(self._width()):
            current = self.current
            self.replace_rows(self._rows, keep_id=current.id if current else None, fresh=False)

    def _width(self) -> int:
        # One cell for the vertical scrollbar.
        return max(0, (self.size.width or 80) - 1)

    def _rebuild(self) -> None:
        layout = column_layout(self._width())
        if layout != self._layout:
            self.clear(columns=True)
            for key, width in layout:
                label = Text(t(f"tui.column.{key}"), no_wrap=True, overflow="ellipsis")
                if key == "age":
                    label.justify = "right"
                self.add_column(label, width=width, key=key)
            self._layout = layout
            self._cells.clear()
        else:
            self.clear()
        shown = {row.id for row in self._rows}
        for gone in [i for i in self._cells if i not in shown]:
            del self._cells[gone]
        self._add(self._rows)

    def _place_cursor(self, index: int, offset: int) -> None:
        if not self._rows:
            return
        self.move_cursor(row=index, animate=False, scroll=False)
        offset = max(0, min(offset, self.scrollable_content_region.height - 1))
        self.call_after_refresh(self.scroll_to, y=max(0, index - offset), animate=False)

    def _flag_styles(self) -> dict[str, Style]:
        variables = self.app.get_css_variables()
        styles: dict[str, Style] = {CLAIMED: Style(dim=True)}
        for flag, variable in FLAG_ORDER:
            try:
                color = Color.parse(variables[variable]).rich_color
            except (KeyError, ColorParseError):
                color = None
            styles[flag] = Style(color=color, bold=True)
        return styles

    def _add(self, rows: Iterable[QueueRow]) -> None:
        now = self._now()
        styles: dict[str, Style] | None = None
        keys = [key for key, _ in self._layout]
        cache = self._cells
        for row in rows:
            cells = cache.get(row.id)
            if cells is None:
                styles = styles or self._flag_styles()
                by_column = {
                    "age": Text(format_age(row.age(now)), justify="right", no_wrap=True),
                    "number": _cell(row.number),
                    "village": _cell(row.village_name),
                    "service": _cell(row.service_name),
                    "applicant": _cell(row.applicant_name),
                    "nik": _cell(row.applicant_nik),
                    "flags": self._flags_text(row, styles),
                }
                cells = cache[row.id] = tuple(by_column[k] for k in keys)
            self.add_row(*cells, key=str(row.id))

    @staticmethod
    def _flags_text(row: QueueRow, styles: dict[str, Style]) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, flag in enumerate(row_flags(row)):
            if i:
                text.append(" ")
            text.append(t(f"tui.flag_short.{flag}"), styles[flag])
        return text
