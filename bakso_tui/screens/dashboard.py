"""The supervisor's dashboard (Dasbor, F6; a supervisor's first screen).

Every figure comes from one worker (`_read`), which reads them all through
``domain/dashboard.read_dashboard`` in a thread and posts them back; the
handler draws what changed and only then arms the next read
(``REFRESH_SECONDS`` later), so two reads never overlap and a key is never
behind one. While another screen is shown, nothing is read. The plot's
widget (textual-plotext) is imported once, in a worker, after the
first figures are on screen; the plot is drawn from the same figures.

The figures are tables one under the other (Tab moves between them): the
queue by age band, the 30-day plot of received against decided, decisions per
verifier, the top reasons, per kecamatan and per village, the coming service
days and the scheduler's last runs. Enter on a row opens the matching list:
the queue filtered by band, kecamatan or village, the service day's list, the
audit of a verifier or of a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter

from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Label, Static
from textual.worker import Worker, get_current_worker

from bakso_tui.domain.calendar import OFFICE_TZ
from bakso_tui.domain.dashboard_model import Dashboard
from bakso_tui.domain.queue_model import QueueFilter
from bakso_tui.locale import language, t
from bakso_tui.screens.base import BaksoScreen
from bakso_tui.screens.dashboard_tables import columns, rows
from bakso_tui.widgets import KeyBar, RowTable, StatusBar, format_count
from bakso_tui.widgets.bindings import tui_binding

REFRESH_SECONDS = 15.0
#: The tables, top to bottom: (id, title key).
SECTIONS = (("bands", "dashboard.section.bands"), ("verifiers", "dashboard.section.verifiers"),
            ("reasons", "dashboard.section.reasons"), ("kecamatan", "dashboard.section.kecamatan"),
            ("villages", "dashboard.section.villages"), ("days", "dashboard.section.days"),
            ("jobs", "dashboard.section.jobs"))
#: The tables of the first frame: all a screen of 80x24 or 100x30 shows under
#: the header (with the plot's nine lines). The others, below, are built and
#: mounted in one go just after that frame, filled from the same read.
FIRST_SECTIONS = 2
#: If the figures take longer than this, the first tables are shown empty until they come.
SLOW_READ_SECONDS = 0.3


class DashboardScreen(BaksoScreen):
    TITLE_KEY = "dashboard.title"
    HELP_KEY = "dashboard.help"
    AUTO_FOCUS = "#dash-bands"

    BINDINGS = [
        tui_binding("enter", "open", "dashboard-open"),
        tui_binding("r", "refresh", "dashboard-refresh"),
    ]

    # Its rules are in app.tcss (which gives every other DataTable the whole
    # height): a screen's own CSS would make Textual parse every stylesheet
    # again from scratch when the screen is first shown.

    class Read(Message):
        """Every figure, read by the worker."""

        def __init__(self, board: Dashboard) -> None:
            super().__init__()
            self.board = board

    class PlotReady(Message):
        """The plot's widget class, imported off the screen's thread (or None)."""

        def __init__(self, plot_class: type | None) -> None:
            super().__init__()
            self.plot_class = plot_class

    def __init__(self) -> None:
        super().__init__()
        self.board: Dashboard | None = None
        self.reads = 0
        self.failed = False
        self._drawn: dict[str, tuple] = {}
        self._tables: dict[str, RowTable] = {}
        self._titles: dict[str, Label] = {}
        self._targets: dict[str, dict[str, Callable[[], None]]] = {}
        self._timer: Timer | None = None
        self._plot = None
        self._width = 0
        self._first_mounted = False
        #: Seconds from `make_app` to the figures, and to the plot, on screen (benchmarks).
        self.first_drawn_seconds: float | None = None
        self.plot_drawn_seconds: float | None = None
        self._plot_failed = False
        # Ask for the figures at once: the database works while the screen is built.
        self._read()

    def compose(self) -> ComposeResult:
        yield self.make_header()
        yield VerticalScroll(id="dash-body")
        yield StatusBar(id="dash-status")
        yield KeyBar()

    def _section(self, key: str, title: str) -> tuple[Label, RowTable]:
        """A table and its title (kept, so that drawing needs no query)."""
        self._titles[key] = Label(t(title), classes="dash-title", id=f"dash-title-{key}")
        self._tables[key] = RowTable(id=f"dash-{key}")
        self._columns(key)
        return self._titles[key], self._tables[key]

    async def _mount_first(self) -> None:
        """The tables of the first frame, filled if the figures are in, mounted
        at once: when the figures come (or, if they are slow, empty a moment
        before). Built after the screen's own set-up, they are styled once."""
        if self._first_mounted or not self.is_attached:
            return
        self._first_mounted = True
        widgets: list = []
        for key, title in SECTIONS[:FIRST_SECTIONS]:
            widgets += self._section(key, title)
            if key == "bands":
                widgets += [Label(t("dashboard.section.flow", days=30), classes="dash-title",
                                  id="dash-title-flow"),
                            Static(t("dashboard.plot_loading"), id="dash-plot-empty")]
        if self.board is not None:
            self._draw(self.board)
        await self.query_one("#dash-body").mount_all(widgets)
        if self.focused is None:
            self.set_focus(self._tables["bands"], scroll_visible=False)  # (its title stays in view)

    async def _mount_below(self) -> None:
        """The tables below the first frame, filled and mounted at once (one layout)."""
        widgets = [w for key, title in SECTIONS[FIRST_SECTIONS:] if key not in self._tables
                   for w in self._section(key, title)]
        if not widgets or not self.is_attached:
            return
        if self.board is not None:
            self._draw(self.board)
        await self.query_one("#dash-body").mount_all(widgets)

    def on_mount(self) -> None:
        # Before any table is mounted, so that no layout with figures is missed.
        self.screen_layout_refresh_signal.subscribe(self, self._laid_out)
        if self.board is None:
            self.query_one(StatusBar).show(t("dashboard.loading"))
            # Before the sign-in (bakso_tui/opening.py) the figures are a while away:
            # the sections' titles and headings are the first frame, filled later.
            if self.bakso.signed_in:
                self.set_timer(SLOW_READ_SECONDS, self._mount_first)
            else:
                self.call_after_refresh(self._mount_first)

    def table(self, key: str) -> DataTable:
        return self._tables[key]

    # ------------------------------------------------------------------ polling

    @work(thread=True, exclusive=True, group="dashboard", exit_on_error=False)
    def _read(self) -> None:
        app = self.bakso
        db = app.db  # (on the first frame: waits for the sign-in, opening.py)
        from sqlalchemy.exc import DBAPIError  # (SQLAlchemy: after it)

        from bakso_tui.domain.dashboard import read_dashboard

        for attempt in (1, 2):
            try:
                with db.one_statement() as session:
                    board = read_dashboard(session, app.actor, app.now(), language())
                break
            except DBAPIError as exc:  # the server restarted since the last read: once more
                if attempt == 2 or not exc.connection_invalidated:
                    raise
        if not get_current_worker().is_cancelled:
            self.post_message(self.Read(board))

    @work(thread=True, exclusive=True, group="dashboard_plot", exit_on_error=False)
    def _load_plot(self) -> None:
        """The plot's widget, once the first figures are on screen: imported
        here, never on the screen's thread nor at start-up."""
        try:
            from bakso_tui.widgets.flow_plot import FlowPlot as plot_class
        except ImportError:  # pragma: no cover - a dependency of the package
            plot_class = None
        self.post_message(self.PlotReady(plot_class))

    async def on_dashboard_screen_read(self, message: Read) -> None:
        self.failed = False
        self.board = message.board
        self.reads += 1
        if not self._first_mounted:
            await self._mount_first()  # drawn before it is mounted
        self._draw(message.board)
        self._arm()

    async def on_dashboard_screen_plot_ready(self, message: PlotReady) -> None:
        if message.plot_class is None:
            self._plot_failed = True
            empty = self.query_one("#dash-plot-empty", Static)
            empty.update(t("dashboard.no_plot"))
            empty.styles.height = "auto"
        elif self._plot is None:
            self._plot = message.plot_class(id="dash-plot")
            self._plot.can_focus = False  # Tab goes from table to table
            await self.query_one("#dash-body").mount(
                self._plot, after=self.query_one("#dash-plot-empty"))
            if self.board is not None:
                self._draw_plot(self.board)
            self.call_after_refresh(self._plot_frame)

    def _plot_frame(self) -> None:
        self.plot_drawn_seconds = perf_counter() - self.bakso.started_at

    def _laid_out(self, _screen) -> None:
        """After a layout: the first one with the figures in their tables (a
        header line until then) is the first frame, once it is painted."""
        if self.board is None or any(key not in self._tables
                                     or self._tables[key].size.height < 2
                                     for key, _ in SECTIONS[:FIRST_SECTIONS]):
            return
        self.screen_layout_refresh_signal.unsubscribe(self)
        self.call_later(self._first_frame)  # after the paint, which may be queued too

    def _first_frame(self) -> None:
        self.first_drawn_seconds = perf_counter() - self.bakso.started_at
        self.call_later(self._after_first_frame)

    async def _after_first_frame(self) -> None:
        """Once the figures are painted: the tables below them, then the plot."""
        await self._mount_below()
        if self._plot is None and not self._plot_failed:
            self._load_plot()

    def _arm(self) -> None:
        """The next read, REFRESH_SECONDS after this one was drawn (never two at once)."""
        if self._timer is not None:
            self._timer.stop()
        if self.is_current:
            self._timer = self.set_timer(REFRESH_SECONDS, self._read)

    def on_screen_suspend(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.is_mounted and self._timer is None and self.board is not None:
            self._read()

    def action_refresh(self) -> None:
        self.query_one(StatusBar).show(t("dashboard.loading"))
        self._read()

    def worker_failed(self, worker: Worker) -> None:
        if worker.group == "dashboard":
            self.failed = True
            self.query_one(StatusBar).show(t("dashboard.failed"), error=True)
            self._arm()  # tried again by itself
            self.call_later(self._mount_first)

    def database_back(self) -> None:
        if self.failed:
            self._read()

    # ------------------------------------------------------------------ drawing

    def on_resize(self) -> None:
        if self.board is not None and self._width != self.size.width:
            for key in self._tables:
                self._columns(key)
            self._draw(self.board)

    def _columns(self, key: str) -> None:
        self._width = self.size.width or self.app.size.width
        table = self.table(key)
        table.clear(columns=True)
        for name, width in columns(key, self._width):
            table.add_column(t(f"dashboard.column.{name}"), key=name, width=width)
        self._drawn.pop(key, None)

    def _fill(self, key: str, rows: list[tuple[str, list, Callable[[], None] | None]],
              *, wrap: bool = False) -> None:
        """Put `rows` (row key, cells, what Enter does) in a table, if they changed."""
        signature = tuple((k, tuple(str(c) for c in cells)) for k, cells, _ in rows)
        self._targets[key] = {k: target for k, _, target in rows if target is not None}
        if key not in self._tables or self._drawn.get(key) == signature:
            return
        self._drawn[key] = signature
        table = self.table(key)
        cursor = table.cursor_row
        table.clear()
        for row_key, cells, _ in rows:
            table.add_row(*cells, key=row_key, height=None if wrap else 1)
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1), animate=False, scroll=False)

    def _draw(self, board: Dashboard) -> None:
        """Every table there is (those below come just after the first frame)."""
        with self.app.batch_update():
            self._fill("bands", rows(self, "bands", board))
            self._draw_plot(board)
            for key, _ in SECTIONS[1:]:
                if key in self._tables:
                    self._fill(key, rows(self, key, board), wrap=key == "reasons")
        at = board.now.astimezone(OFFICE_TZ).strftime("%H:%M:%S")
        self.query_one(StatusBar).show(
            t("dashboard.status", at=at, seconds=int(REFRESH_SECONDS)),
            t("dashboard.open_count", count=format_count(sum(b.total for b in board.bands))))

    def _draw_plot(self, board: Dashboard) -> None:
        if self._plot is None:
            return  # drawn when its widget arrives (PlotReady)
        empty = self.query_one("#dash-plot-empty", Static)
        signature = tuple((d.received, d.decided) for d in board.flow)
        if self._drawn.get("plot") == signature:
            return
        plot = self._plot
        if not plot.is_mounted:
            return  # not mounted yet (the screen is going away): the next read draws it
        empty.display = False
        plot.show_flow([d.received for d in board.flow], [d.decided for d in board.flow],
                       received_label=t("dashboard.plot.received"),
                       decided_label=t("dashboard.plot.decided"),
                       days_label=t("dashboard.plot.days", first=f"{board.flow[0].day:%d-%m}",
                                    last=f"{board.flow[-1].day:%d-%m}"))
        self._drawn["plot"] = signature

    # ------------------------------------------------------------------ Enter

    def action_open(self) -> None:
        focused = self.focused
        if not isinstance(focused, DataTable) or not focused.id or focused.row_count == 0:
            return
        key = focused.id.removeprefix("dash-")
        row_key = focused.coordinate_to_cell_key(focused.cursor_coordinate).row_key.value
        target = self._targets.get(key, {}).get(str(row_key))
        if target is None:
            self.notify(t("dashboard.no_list"), markup=False)
            return
        target()

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def _open_queue(self, filters: QueueFilter) -> None:
        from bakso_tui.screens.queue import QueueScreen

        app = self.bakso
        if not app.may_open("queue"):
            return
        app.action_show_screen("queue")
        if isinstance(app.screen, QueueScreen):
            app.screen.show_filtered(filters)

    def _open_day(self, day_id: int) -> None:
        from bakso_tui.screens.schedule_day import DayScreen

        self.app.push_screen(DayScreen(day_id))

    def _open_audit(self, **filters: str) -> None:
        from bakso_tui.screens.audit import AuditScreen, AuditFilter

        self.app.push_screen(AuditScreen(AuditFilter(**filters)))

    def retranslate(self) -> None:
        super().retranslate()
        for key, title in SECTIONS:
            if key in self._titles:
                self._titles[key].update(t(title))
                self._columns(key)
        for flow in self.query("#dash-title-flow").results(Label):
            flow.update(t("dashboard.section.flow", days=30))
        if self.board is not None:
            self._drawn.pop("plot", None)
            self._draw(self.board)

