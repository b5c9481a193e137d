"""Issuance batches (F5): by day and village, newest first, read in keyset pages.

The list asks the rules for 100 batches at a time and the next page when the
cursor reaches the last row; at most 2,000 rows are held, after which the
next page replaces the window. `v` keeps only the village under the cursor,
`t` only its day, Esc shows everything again. Enter opens a batch
(`batch_detail.py`): its documents, the handover record and the receipts.
"""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable
from textual.worker import Worker, get_current_worker

from bakso_tui.domain.batches import BatchFilter, BatchPage, BatchRow, batch_page
from bakso_tui.domain.users import Permission, require
from bakso_tui.locale import t
from bakso_tui.screens.base import BaksoScreen
from bakso_tui.screens.batch_detail import BatchDetailScreen, state_text
from bakso_tui.widgets import KeyBar, RowTable, StatusBar, format_count
from bakso_tui.widgets.bindings import tui_binding
from bakso_tui.widgets.plain import cell

PAGE = 100
# Names are cut to these widths (cells); a column of numbers takes what it needs.
WIDTHS = {"village": 20, "state": 12, "kecamatan": 14, "received_by": 22}
WINDOW = 2000
WIDE = 110  # from this width on, the day and the recipient are shown
WIDER = 140  # and the kecamatan


class BatchesScreen(BaksoScreen):
    TITLE_KEY = "tui.screen.batches"
    HELP_KEY = "batchscreen.help"
    AUTO_FOCUS = "#batches-table"

    BINDINGS = [
        tui_binding("enter", "open", "batches-open"),
        tui_binding("v", "only_village", "batches-village"),
        tui_binding("t", "only_day", "batches-day"),
        tui_binding("escape", "clear_filter", "batches-clear", show=False),
        tui_binding("r", "refresh", "batches-refresh", show=False),
    ]

    class Loaded(Message):
        def __init__(self, page: BatchPage, append: bool) -> None:
            super().__init__()
            self.page = page
            self.append = append

    def __init__(self) -> None:
        super().__init__()
        self.filters = BatchFilter()
        self.rows: list[BatchRow] = []
        self.has_more = False
        self.loading = False
        self.wide: bool | None = None
        self.wider: bool | None = None

    def compose(self) -> ComposeResult:
        yield self.make_header()
        yield RowTable(id="batches-table")
        yield StatusBar(id="batches-status")
        yield KeyBar()

    @property
    def table(self) -> DataTable:
        return self.query_one("#batches-table", DataTable)

    def on_mount(self) -> None:
        self._columns()
        self.action_refresh()

    def on_resize(self) -> None:
        if (self.wide, self.wider) != (self.size.width >= WIDE, self.size.width >= WIDER):
            self._columns()
            self._fill()

    def _columns(self) -> None:
        self.wide = self.size.width >= WIDE if self.size.width else False
        self.wider = self.size.width >= WIDER
        keys = (["day"] if self.wide else []) + ["number", "village", "documents", "state"]
        if self.wide:
            keys += (["kecamatan"] if self.wider else []) + ["received_by"]
        self.table.clear(columns=True)
        for key in keys:
            self.table.add_column(t(f"batchscreen.column.{key}"), key=key,
                                  width=WIDTHS.get(key))

    def _cells(self, row: BatchRow) -> list[Text]:
        cells = []
        if self.wide:
            cells.append(Text(row.office_day.strftime("%d-%m-%Y")))
        cells += [cell(row.number), cell(row.village_name, no_wrap=True, overflow="ellipsis"),
                  Text(str(row.documents), justify="right"), state_text(row)]
        if self.wider:
            cells.append(cell(row.kecamatan_name, no_wrap=True, overflow="ellipsis"))
        if self.wide:
            cells.append(cell(row.received_by or "", no_wrap=True, overflow="ellipsis"))
        return cells

    # ------------------------------------------------------------------ loading

    def action_refresh(self) -> None:
        self.rows, self.has_more = [], False
        self._status(t("batchscreen.loading"))
        self._fetch(None, append=False)

    @work(thread=True, exclusive=True, group="batches", exit_on_error=False)
    def _fetch(self, after, append: bool) -> None:
        app = self.bakso
        require(app.actor, Permission.BATCH)
        with app.db.read() as session:
            page = batch_page(session, self.filters, after=after, limit=PAGE, now=app.now())
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(page, append))

    def on_batches_screen_loaded(self, message: BatchesScreen.Loaded) -> None:
        self.loading = False
        page = message.page
        if message.append and len(self.rows) + len(page.rows) <= WINDOW:
            self.rows += page.rows
            for row in page.rows:
                self.table.add_row(*self._cells(row), key=str(row.id))
        else:
            self.rows = list(page.rows)
            self._fill()
        self.has_more = page.has_more
        self._status()

    def _fill(self) -> None:
        table = self.table
        current = table.cursor_row
        table.clear()
        for row in self.rows:
            table.add_row(*self._cells(row), key=str(row.id))
        if self.rows:
            table.move_cursor(row=min(current, len(self.rows) - 1))

    def _status(self, busy: str = "") -> None:
        parts = [t("batchscreen.count", count=format_count(len(self.rows)),
                   more="+" if self.has_more else "")]
        if self.filters.village_code and self.rows:
            parts.append(t("batchscreen.only_village", village=self.rows[0].village_name))
        if self.filters.day:
            parts.append(t("batchscreen.only_day", day=self.filters.day.strftime("%d-%m-%Y")))
        self.query_one(StatusBar).show(" · ".join(parts), busy)

    @on(DataTable.RowHighlighted)
    def _near_the_end(self, event: DataTable.RowHighlighted) -> None:
        if (self.has_more and not self.loading and self.rows
                and event.cursor_row >= len(self.rows) - 1):
            self.loading = True
            self._status(t("batchscreen.loading"))
            self._fetch(self.rows[-1].key, append=True)

    # ------------------------------------------------------------------ actions

    def current(self) -> BatchRow | None:
        if not self.rows or self.table.cursor_row >= len(self.rows):
            return None
        return self.rows[self.table.cursor_row]

    def action_open(self) -> None:
        row = self.current()
        if row is not None:
            self.app.push_screen(BatchDetailScreen(row.id), lambda _: self.action_refresh())

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_only_village(self) -> None:
        row = self.current()
        if row is not None:
            self.filters = replace(self.filters, village_code=row.village_code)
            self.action_refresh()

    def action_only_day(self) -> None:
        row = self.current()
        if row is not None:
            self.filters = replace(self.filters, day=row.office_day)
            self.action_refresh()

    def action_clear_filter(self) -> None:
        if self.filters != BatchFilter():
            self.filters = BatchFilter()
            self.action_refresh()

    def worker_failed(self, worker: Worker) -> None:
        if worker.group == "batches":
            self.loading = False
            self.query_one(StatusBar).show(t("batchscreen.failed"), error=True)

    def retranslate(self) -> None:
        super().retranslate()
        self._columns()
        self._fill()
        self._status()
