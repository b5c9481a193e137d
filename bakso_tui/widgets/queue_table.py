"""The queue as a table: a window of at most a few thousand rows, never the whole queue.

The table only shows what the queue screen hands it (plain `QueueRow`s); the
screen decides which pages are loaded. Column widths follow the terminal:
in a terminal narrower than 100 columns the NIK column is left out (it is
still searchable, and the submission screen shows it) so that names and
services stay readable at 80×24.

It is drawn with Textual's line API (a `ScrollView` whose `render_line`
returns one ready `Strip` per screen line), not a DataTable: each row is
rendered once into a strip and cached, so a page-down draws some thirty
cached strips instead of two hundred Rich cells (measured with DataTable at
100,000 rows: 188 ms median per page-down, nearly all of it cell rendering).
A fixed header line stays on top.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.color import Color, ColorParseError
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from bakso_tui.domain.queue_model import QueueRow
from bakso_tui.domain.workflow import Flag
from bakso_tui.locale import t
from bakso_tui.locale.plain import visible
from bakso_tui.widgets.bindings import translate_bindings, tui_binding
from bakso_tui.widgets.formatting import format_age

COLUMNS = ("age", "number", "village", "service", "applicant", "nik", "flags")
# The service column fits the catalogue's short names (PINDAH-DTG, KTP-GANTI).
FIXED_WIDTHS = {"age": 6, "number": 16, "service": 10, "nik": 16, "flags": 7}
STRIP_CACHE_LINES = 256  # rendered rows kept: a few screens of even a tall terminal
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
    free = max(20, width - padding - fixed)
    village = free * 9 // 20
    widths = {**fixed_widths, "village": village, "applicant": free - village}
    return tuple((k, widths[k]) for k in keys)


Span = tuple[str, Style | None]  # a piece of a cell's text and its style


def _fit(spans: Sequence[Span], width: int, *, right: bool = False) -> list[Segment]:
    """A cell's spans cut (ending in "…") or padded to exactly `width` cells, with a
    one-cell margin on each side. Plain segments, no Rich rendering: a row is
    built in a few microseconds."""
    total = sum(cell_len(text) for text, _ in spans)
    if total > width:
        out, room = [], max(0, width - 1)
        for text, style in spans:
            if room <= 0:
                break
            size = cell_len(text)
            if size > room:
                text, size = set_cell_size(text, room), room
            out.append(Segment(text, style))
            room -= size
        out.append(Segment("…" if width else ""))
    else:
        out = [Segment(text, style) for text, style in spans if text]
        pad = Segment(" " * (width - total))
        out = [pad, *out] if right else [*out, pad]
    return [Segment(" "), *out, Segment(" ")]


class QueueTable(ScrollView, can_focus=True):
    """Rows of the verification queue with a row cursor; Enter posts `RowSelected`."""

    DEFAULT_CSS = """
    QueueTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        scrollbar-size-vertical: 1;
        &:focus { background-tint: $foreground 5%; }
        & > .queue-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .queue-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .queue-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    COMPONENT_CLASSES = {"queue-table--header", "queue-table--cursor"}

    BINDINGS = [
        tui_binding("enter", "select_cursor", "queue-open"),
        tui_binding("up", "cursor(-1)", "queue-row-up", system=True),
        tui_binding("down", "cursor(1)", "queue-row-down", system=True),
        tui_binding("pageup", "page(-1)", "queue-page-up", system=True),
        tui_binding("pagedown", "page(1)", "queue-page-down", system=True),
        tui_binding("home", "first", "queue-first", system=True),
        tui_binding("end", "last", "queue-last", system=True),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True, repaint=False)

    class RowHighlighted(Message):
        """The cursor moved to another row."""

        def __init__(self, table: QueueTable, index: int) -> None:
            super().__init__()
            self.table = table
            self.index = index

        @property
        def control(self) -> QueueTable:
            return self.table

    class RowSelected(Message):
        """Enter (or a click on the cursor row): open this submission."""

        def __init__(self, table: QueueTable, index: int) -> None:
            super().__init__()
            self.table = table
            self.index = index

        @property
        def control(self) -> QueueTable:
            return self.table

    def __init__(self, *, now: Callable[[], datetime], id: str | None = None) -> None:
        super().__init__(id=id)
        translate_bindings(self)
        self._now = now
        self._rows: list[QueueRow] = []
        self._layout: tuple[tuple[str, int], ...] = ()
        # Rendered lines by submission id, ready to draw: (plain, with the
        # widget's style). Moving the cursor or the window re-uses them; only
        # new data builds new ones. Bounded to a few screens: every Strip
        # carries its own caches, and a line for each of 2,000 rows in the
        # window was 170,000 objects for the garbage collector to walk
        # (70-180 ms pauses every ~15 page-downs).
        self._strips: LRUCache[int, tuple[Strip, Strip]] = LRUCache(STRIP_CACHE_LINES)
        self._strips_for: tuple[int, Style] | None = None
        self._header: Strip | None = None
        self._styles: dict[str, Style] | None = None

    # ------------------------------------------------------------ reading

    @property
    def rows_shown(self) -> Sequence[QueueRow]:
        return self._rows

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def current(self) -> QueueRow | None:
        if not self._rows or not 0 <= self.cursor_row < len(self._rows):
            return None
        return self._rows[self.cursor_row]

    @property
    def column_keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self._layout)

    def column_labels(self) -> list[str]:
        return [t(f"tui.column.{key}") for key in self.column_keys]

    def cells_at(self, index: int) -> list[str]:
        """The text of each cell of row `index`, as shown (for tests)."""
        return ["".join(text for text, _ in spans) for spans in self._cells(self._rows[index])]

    @property
    def visible_rows(self) -> int:
        """How many rows fit under the header."""
        return max(1, self.scrollable_content_region.height - 1)

    @property
    def cursor_in_view(self) -> bool:
        """Is the cursor's row on screen (and so drawn highlighted)?"""
        top = round(self.scroll_y)
        return bool(self._rows) and top <= self.cursor_row < top + self.visible_rows

    @property
    def allow_vertical_scroll(self) -> bool:
        # Textual allows a scroll only once the scrollbar is shown, and it is
        # shown at the next layout: rows that replaced a one-row search result
        # could not be scrolled to, and the cursor sat on row 104 while rows
        # 1-20 were on screen. The table may scroll whenever its rows overflow.
        return not self._check_disabled() and self.max_scroll_y > 0

    # ------------------------------------------------------------ changing

    def replace_rows(
        self, rows: Iterable[QueueRow], *, keep_id: int | None = None, fresh: bool = True
    ) -> None:
        """Show `rows` instead; the cursor stays on submission `keep_id` if it is there,
        at the same height on the screen.

        ``fresh=False`` when the rows are the same data (the window moved): their
        rendered lines are reused, not built again.
        """
        old_offset = self.cursor_row - round(self.scroll_y)
        self._rows = list(rows)
        if fresh:
            self._strips.clear()  # new data from the database: new ages and flags
        index = 0
        if keep_id is not None:
            for i, row in enumerate(self._rows):
                if row.id == keep_id:
                    index = i
                    break
            else:
                index = min(self.cursor_row, max(0, len(self._rows) - 1))
        self._resize_virtual()
        self._place_cursor(index, old_offset)

    def append_rows(self, rows: Sequence[QueueRow]) -> None:
        self._rows.extend(rows)
        self._resize_virtual()
        self.refresh()

    def retranslate(self) -> None:
        translate_bindings(self)
        self._layout = ()
        self._strips.clear()
        self._header = None
        self._styles = None
        self.refresh()

    def move_cursor(self, *, row: int, animate: bool = False, scroll: bool = True) -> None:
        """Put the cursor on row `row` (clamped) and, with `scroll`, bring it into view."""
        if not self._rows:
            return
        self.cursor_row = min(max(row, 0), len(self._rows) - 1)
        if scroll:
            self._scroll_to_cursor()
        self.refresh()

    # ------------------------------------------------------------ actions

    def action_cursor(self, step: int) -> None:
        self.move_cursor(row=self.cursor_row + step)

    def action_page(self, step: int) -> None:
        """A page down keeps the cursor at the same height on the screen."""
        if not self._rows:
            return
        offset = self.cursor_row - round(self.scroll_y)
        row = min(max(self.cursor_row + step * self.visible_rows, 0), len(self._rows) - 1)
        self.cursor_row = row
        self.scroll_to(y=max(0, row - offset), animate=False, immediate=True)
        self._scroll_to_cursor()
        self.refresh()

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self._rows) - 1)

    def action_select_cursor(self) -> None:
        """Open the cursor's row, never one the verifier cannot see: a cursor
        out of view is brought into view instead."""
        if self.current is None:
            return
        if not self.cursor_in_view:
            self._scroll_to_cursor()
            self.refresh()
            return
        self.post_message(self.RowSelected(self, self.cursor_row))

    def watch_cursor_row(self, old: int, new: int) -> None:
        if old != new or not self._rows:
            self.post_message(self.RowHighlighted(self, new))

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        row = round(self.scroll_y) + event.y - 1
        if not 0 <= row < len(self._rows):
            return
        if row == self.cursor_row:
            self.action_select_cursor()
        else:
            self.move_cursor(row=row, scroll=False)

    # ------------------------------------------------------------ drawing

    def on_resize(self, event: events.Resize) -> None:
        if self._layout != column_layout(self._width()):
            self._layout = ()
            self._strips.clear()
            self._header = None
        self._resize_virtual()
        self._scroll_to_cursor()

    def _width(self) -> int:
        # One cell for the vertical scrollbar.
        return max(0, (self.size.width or 80) - 1)

    def _resize_virtual(self) -> None:
        # The header takes the first line of the view, rows the rest.
        self.virtual_size = Size(self._width(), len(self._rows) + 1)

    def _scroll_to_cursor(self) -> None:
        top = round(self.scroll_y)
        rows = self.visible_rows
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + rows:
            self.scroll_to(y=self.cursor_row - rows + 1, animate=False, immediate=True)

    def _place_cursor(self, index: int, offset: int) -> None:
        if not self._rows:
            self.cursor_row = 0
            self.refresh()
            return
        self.cursor_row = index
        offset = max(0, min(offset, self.visible_rows - 1))
        self.scroll_to(y=max(0, index - offset), animate=False, immediate=True)
        self._scroll_to_cursor()
        self.refresh()

    def _ensure_layout(self) -> None:
        layout = column_layout(self._width())
        if layout != self._layout:
            self._layout = layout
            self._strips.clear()
            self._header = None

    def render_line(self, y: int) -> Strip:
        self._ensure_layout()
        width = self.scrollable_content_region.width
        if y == 0:
            if self._header is None:
                self._header = self._header_strip()
            return self._header.extend_cell_length(width).crop(0, width).simplify()
        index = round(self.scroll_y) + y - 1
        base = self.rich_style
        if not 0 <= index < len(self._rows):
            return Strip([Segment(" " * width, base)], width)
        if self._strips_for != (width, base):  # resized, focused or restyled
            self._strips.clear()
            self._strips_for = (width, base)
        row = self._rows[index]
        lines = self._strips.get(row.id)
        if lines is None:
            # Simplified: a cell's margins, text and padding are one segment per
            # style, so the terminal gets one colour change per run, not per piece
            # (Textual writes each segment with its whole style: over SSH the
            # queue's first screen was 2-3 times the bytes).
            plain = self._row_strip(row).extend_cell_length(width).crop(0, width).simplify()
            lines = (plain, plain.apply_style(base))
            self._strips.set(row.id, lines)
        if index == self.cursor_row:
            cursor = self.get_component_rich_style("queue-table--cursor")
            return lines[0].apply_style(base + cursor)
        return lines[1]

    def _line(self, cells: Iterable[Sequence[Span]]) -> Strip:
        segments: list[Segment] = []
        for spans, (key, width) in zip(cells, self._layout, strict=True):
            segments += _fit(spans, width, right=key == "age")
        return Strip(segments)

    def _header_strip(self) -> Strip:
        style = self.get_component_rich_style("queue-table--header")
        strip = self._line([[(t(f"tui.column.{key}"), None)] for key, _ in self._layout])
        return strip.extend_cell_length(self._width() + 1).apply_style(style)

    def _row_strip(self, row: QueueRow) -> Strip:
        return self._line(self._cells(row))

    def _cells(self, row: QueueRow) -> list[list[Span]]:
        self._ensure_layout()
        # Raw segments go to the terminal as they are: every value from a
        # village is escaped here (markup means nothing in a segment).
        by_column = {
            "age": format_age(row.age(self._now())),
            "number": visible(row.number),
            "village": visible(row.village_name),
            "service": visible(row.service_short or row.service_name),
            "applicant": visible(row.applicant_name),
            "nik": visible(row.applicant_nik),
        }
        return [self._flag_spans(row) if key == "flags" else [(by_column[key], None)]
                for key, _ in self._layout]

    def _flag_styles(self) -> dict[str, Style]:
        if self._styles is None:
            self._styles = self._theme_flag_styles()
        return self._styles

    def _theme_flag_styles(self) -> dict[str, Style]:
        variables = self.app.get_css_variables()
        styles: dict[str, Style] = {CLAIMED: Style(dim=True)}
        for flag, variable in FLAG_ORDER:
            try:
                color = Color.parse(variables[variable]).rich_color
            except (KeyError, ColorParseError):
                color = None
            styles[flag] = Style(color=color, bold=True)
        return styles

    def _flag_spans(self, row: QueueRow) -> list[Span]:
        styles = self._flag_styles()
        spans: list[Span] = []
        for i, flag in enumerate(row_flags(row)):
            if i:
                spans.append((" ", None))
            spans.append((t(f"tui.flag_short.{flag}"), styles[flag]))
        return spans
