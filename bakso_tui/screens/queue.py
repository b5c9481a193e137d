"""The verification queue: keyset pages from `domain.queue.queue_page`, in a window.

Pages are read in a thread worker and come back as `QueueScreen.PageLoaded`
messages; only the message handlers touch the widgets. The table holds a
window of at most ``window_rows`` rows (at least two pages): the next page is
fetched when the cursor nears the end of the window, the previous one when it
nears the top after the window has moved on. Each page remembers the key it
started after, so going back is a keyset read too, never OFFSET.

Every reload bumps ``generation``; a page that arrives for an older generation
(a reload or a new search overtook it) is dropped.

When another session changes the queue the app says so (`bakso_tui.live`) and
the screen reads the page under the cursor again ("reread"), from that page's
own key: the window becomes that page, the cursor stays on its submission, and
the pages around it are read again as the cursor moves. A queue under another
screen does it when it comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from time import perf_counter
from typing import ClassVar, Literal

from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Input
from textual.worker import Worker, get_current_worker

from bakso_tui.domain.queue_model import QueueFilter, QueueKey, QueuePage, QueueRow
from bakso_tui.locale import language, t
from bakso_tui.screens.base import BaksoScreen
from bakso_tui.screens.filters import QueueFilters
from bakso_tui.screens.queue_claims import SupervisorActions
from bakso_tui.widgets import KeyBar, QueueTable, StatusBar, format_count
from bakso_tui.widgets.bindings import tui_binding

Direction = Literal["reset", "next", "prev", "reread"]


@dataclass(frozen=True)
class PageRequest:
    generation: int
    direction: Direction
    index: int  # page number from the head of the queue, in this generation
    after: QueueKey | None
    filters: QueueFilter
    keep_id: int | None = None  # where the cursor should stay after a reload
    start: int = 0  # a reread: the position of the page's first row in the queue
    started: float = field(default_factory=perf_counter)


@dataclass
class LoadedPage:
    index: int
    start: int  # position in the queue of the page's first row (0-based)
    rows: list[QueueRow]
    has_more: bool


class QueueScreen(SupervisorActions, QueueFilters, BaksoScreen):
    TITLE_KEY = "tui.screen.queue"
    HELP_KEY = "tui.queue.help"
    AUTO_FOCUS = "#queue-table"
    HELP_LEGEND = (
        (
            "tui.help.flags",
            tuple(
                (f"tui.flag_short.{flag}", f"tui.flag.{flag}")
                for flag in (
                    "prioritas",
                    "lewat_sla",
                    "kemungkinan_duplikat",
                    "nik_tidak_cocok",
                    "claimed",
                )
            ),
        ),
    )

    BINDINGS = [
        tui_binding("slash", "search", "queue-search"),
        # Not in the key bar (no room at 80 columns): the status bar says "Esc: batal".
        tui_binding("escape", "clear_search", "queue-clear-search", show=False),
        tui_binding("f", "filter", "queue-filter"),
        # In the help, not the key bar: there is no room at 80 columns.
        tui_binding("r", "refresh", "queue-refresh", show=False),
        tui_binding("n", "app.claim_next", "queue-next"),
        # Supervisors: give a claimed submission back to the queue (in the help).
        tui_binding("l", "release", "queue-release", show=False),
        tui_binding("o", "reassign", "queue-reassign", show=False),
    ]

    #: The most rows the table holds at once (at least two pages).
    window_rows: ClassVar[int] = 2000

    class PageLoaded(Message):
        """A page of the queue has been read (posted from the worker thread)."""

        def __init__(self, request: PageRequest, page: QueuePage, seconds: float) -> None:
            super().__init__()
            self.request = request
            self.page = page
            self.seconds = seconds

    class SubmissionChosen(Message):
        """The user pressed Enter on a submission."""

        def __init__(self, row: QueueRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self) -> None:
        super().__init__()
        self.page_size = self.bakso.settings.queue_page_size
        self.filters = QueueFilter()
        self.generation = 0
        self.pages: list[LoadedPage] = []
        self.boundaries: list[QueueKey | None] = [None]
        self.pending: PageRequest | None = None
        self.failed = False
        #: The app's queue_version when this screen last asked for a page.
        self.seen_version = 0
        #: A change was told while a page was on its way: read again after it.
        self.stale = False
        #: Seconds the last page took in the worker (query and transfer), for benchmarks.
        self.last_page_seconds: float | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        # Ask for the first page before anything is laid out: the query runs
        # while the screen is built, and the first frame can carry the rows.
        self.load("reset")
        yield self.make_header()
        # No blinking cursor: over SSH every blink is a redraw.
        search = Input(placeholder=t("tui.queue.search_placeholder"), id="queue-search")
        search.cursor_blink = False
        search.display = False
        yield search
        yield QueueTable(now=self.bakso.now, id="queue-table")
        yield StatusBar(id="queue-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self._show_status()

    @property
    def table(self) -> QueueTable:
        return self.query_one(QueueTable)

    @property
    def search_input(self) -> Input:
        return self.query_one("#queue-search", Input)

    # ------------------------------------------------------------------ loading

    def load(self, direction: Direction) -> None:
        """Ask the worker for a page: the head of the queue, or the next/previous one."""
        if direction == "reset":
            self.generation += 1
            current = self.table.current if self.is_mounted else None
            request = PageRequest(
                self.generation, "reset", 0, None, self.filters,
                keep_id=current.id if current else None,
            )
            self.boundaries = [None]
        elif self.pending is not None or not self.pages:
            return
        elif direction == "reread":
            page = self._page_under_cursor()
            request = PageRequest(
                self.generation, "reread", page.index, self.boundaries[page.index],
                self.filters, keep_id=self.table.current.id if self.table.current else None,
                start=page.start,
            )
        elif direction == "next":
            last = self.pages[-1]
            if not last.has_more or not last.rows:
                return
            index, after = last.index + 1, last.rows[-1].key
            if index < len(self.boundaries):
                self.boundaries[index] = after
            else:
                self.boundaries.append(after)
            request = PageRequest(self.generation, "next", index, after, self.filters)
        else:
            first = self.pages[0]
            if first.index == 0:
                return
            index = first.index - 1
            request = PageRequest(
                self.generation, "prev", index, self.boundaries[index], self.filters
            )
        self.pending = request
        self.failed = False
        self.seen_version = self.bakso.queue_version
        self._fetch(request)
        if self.is_mounted:
            self._show_status()

    @work(thread=True, exclusive=True, group="queue", exit_on_error=False)
    def _fetch(self, request: PageRequest) -> None:
        app = self.bakso
        db = app.db  # (on the first frame: waits for the sign-in, opening.py)
        from bakso_tui.domain.queue import queue_page  # (SQLAlchemy: after it)

        with db.read() as session:
            page = queue_page(
                session,
                app.actor,
                after=request.after,
                limit=self.page_size,
                filters=request.filters,
                lang=language(),
                now=app.now(),
            )
        if not get_current_worker().is_cancelled:
            self.post_message(self.PageLoaded(request, page, perf_counter() - request.started))

    @work(thread=True, group="queue_audit", exit_on_error=False)
    def _record_search(self, term: str) -> None:
        """A search is written to the audit log (its kind, not its text)."""
        from bakso_tui.domain.queue import record_search

        app = self.bakso
        with app.db.write() as session:
            record_search(session, app.actor, term)

    def _first_rows_shown(self) -> None:
        self.bakso.first_rows_seconds = perf_counter() - self.bakso.started_at

    def on_queue_screen_page_loaded(self, message: QueueScreen.PageLoaded) -> None:
        request, page = message.request, message.page
        if request.generation != self.generation:
            return
        self.pending = None
        self.last_page_seconds = message.seconds
        table = self.table
        if request.direction == "reread":
            if not page.rows and request.index > 0:
                self.load("reset")  # the page emptied: start from the head
                return
            self.pages = [LoadedPage(request.index, request.start, list(page.rows),
                                     page.has_more)]
            del self.boundaries[request.index + 1:]
            table.replace_rows(page.rows, keep_id=request.keep_id)
        elif request.direction == "reset":
            self.pages = [LoadedPage(0, 0, list(page.rows), page.has_more)]
            table.replace_rows(page.rows, keep_id=request.keep_id)
            if self.bakso.first_rows_seconds is None:  # once the rows are on screen
                self.call_after_refresh(self._first_rows_shown)
        elif request.direction == "next":
            last = self.pages[-1]
            if not page.rows:
                last.has_more = False
            else:
                self.pages.append(
                    LoadedPage(request.index, last.start + len(last.rows), list(page.rows),
                               page.has_more)
                )
                if self._trim(from_top=True):
                    self._redraw()
                else:
                    table.append_rows(page.rows)
        else:
            first = self.pages[0]
            if not page.rows:
                # The rows before the window were all decided meanwhile: start over.
                self.load("reset")
                return
            start = 0 if request.index == 0 else max(0, first.start - len(page.rows))
            self.pages.insert(0, LoadedPage(request.index, start, list(page.rows), True))
            self._trim(from_top=False)
            self._redraw()
        self._show_status()
        if self.stale:
            self.stale = False
            self.queue_changed()
        self.call_after_refresh(self._maybe_fetch)

    def queue_changed(self) -> None:
        """The queue changed elsewhere (the app was told): read the current page again."""
        if self.failed or not self.pages or not self.is_mounted or not self.app.is_running:
            return
        if self.pending is not None:
            self.stale = True
            return
        self.load("reread")

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.seen_version != self.bakso.queue_version:
            self.queue_changed()

    def _page_under_cursor(self) -> LoadedPage:
        row = self.table.cursor_row
        for page in self.pages:
            if row < len(page.rows):
                return page
            row -= len(page.rows)
        return self.pages[-1]

    def _trim(self, *, from_top: bool) -> bool:
        """Drop whole pages from one end once the window is too big.

        It shrinks to half the window (at least two pages), not just below the
        limit: moving the window redraws the table, so it should happen once
        every few pages of scrolling, not at every page.
        """
        limit = max(self.window_rows, 2 * self.page_size)
        if sum(len(p.rows) for p in self.pages) <= limit:
            return False
        keep = max(limit // 2, 2 * self.page_size)
        while len(self.pages) > 2 and sum(len(p.rows) for p in self.pages) > keep:
            self.pages.pop(0 if from_top else -1)
        return True

    def _redraw(self) -> None:
        current = self.table.current
        self.table.replace_rows(
            [row for page in self.pages for row in page.rows],
            keep_id=current.id if current else None,
            fresh=False,
        )

    def _margin(self) -> int:
        visible = max(5, self.table.scrollable_content_region.height)
        return max(1, min(visible, self.page_size // 2))

    def _maybe_fetch(self) -> None:
        if self.pending is not None or not self.pages or self.failed:
            return
        table = self.table
        row, margin = table.cursor_row, self._margin()
        if self.pages[-1].has_more and row >= table.row_count - margin:
            self.load("next")
        elif self.pages[0].index > 0 and row < margin:
            self.load("prev")

    def worker_failed(self, worker: Worker) -> None:
        if worker.group == "queue":
            self.pending = None
            self.failed = True
            self._show_status()

    def database_back(self) -> None:
        if self.failed or not self.pages:
            self.load("reset")  # the cursor stays on its submission

    # ------------------------------------------------------------------ status

    def _show_status(self) -> None:
        status = self.query_one(StatusBar)
        right = []
        if self.filters.search:
            right.append(t("tui.queue.search_active", term=self.filters.search,
                           key=self.key_for("clear_search", "Esc")))
        active = [v for v in (self.filters.service_id, self.filters.kecamatan_code,
                              self.filters.village_code,
                              self.filters.flag, self.filters.min_age_days) if v]
        if active:
            right.append(t("tui.queue.filter_active", count=len(active)))
        if self.pending is not None and self.pages and self.pending.direction != "reread":
            right.append(t("tui.queue.loading_more"))
        right_text = " · ".join(right)
        if self.failed:
            status.show(t("tui.queue.failed"), right_text, error=True)
            return
        if not self.pages:
            status.show(t("tui.queue.loading"), right_text)
            return
        table = self.table
        shown = table.row_count
        if shown == 0:
            if self.filters.search:
                status.show(t("tui.queue.empty_search", term=self.filters.search), "")
            else:
                status.show(t("tui.queue.empty"), right_text)
            return
        row = self.pages[0].start + min(table.cursor_row, shown - 1) + 1
        total = self.pages[-1].start + len(self.pages[-1].rows)
        key = "tui.queue.rows_more" if self.pages[-1].has_more else "tui.queue.rows_all"
        status.show(t(key, row=format_count(row), total=format_count(total)), right_text)

    # ------------------------------------------------------------------ events

    @on(QueueTable.RowHighlighted, "#queue-table")
    def _row_highlighted(self, event: QueueTable.RowHighlighted) -> None:
        self._show_status()
        self._maybe_fetch()

    @on(QueueTable.RowSelected, "#queue-table")
    def _row_selected(self, event: QueueTable.RowSelected) -> None:
        row = self.table.current
        if row is not None:
            self.post_message(self.SubmissionChosen(row))

    @on(Input.Submitted, "#queue-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        # The query first: the worker runs while the screen re-lays itself out.
        # (Moving the focus updates the key bar by itself: no refresh_bindings.)
        term = event.value.strip()
        if term != (self.filters.search or ""):
            self.filters = replace(self.filters, search=term or None)
            self.load("reset")
            if term:
                self._record_search(term)
        self.search_input.display = False
        self.table.focus()

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_search":
            return bool(self.filters.search) or self.search_input.display
        return True  # release and reassign say so when they are not this role's keys

    def action_search(self) -> None:
        search = self.search_input
        search.value = self.filters.search or ""
        search.display = True
        search.focus()

    def action_clear_search(self) -> None:
        if self.filters.search:
            self.filters = replace(self.filters, search=None)
            self.load("reset")
        search = self.search_input
        search.value = ""
        search.display = False
        self.table.focus()

    def action_refresh(self) -> None:
        self.load("reset")

    def retranslate(self) -> None:
        super().retranslate()
        self.search_input.placeholder = t("tui.queue.search_placeholder")
        self.table.retranslate()
        self._show_status()
        self.load("reset")  # service names come from the database in each language
