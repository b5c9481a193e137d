"""One service day's list: the residents booked, and after the visit who was recorded.

``d`` marks the resident under the cursor recorded (direkam: the documents
become ready to print), ``a`` absent (tidak hadir: booked again on the
village's next day with room). Marks are refused before the day has come.
Supervisors cancel the village's day with ``x``: its residents move to the
village's next day with room.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Label
from textual.worker import Worker

from bakso_tui.domain import schedule
from bakso_tui.domain.calendar import office_today
from bakso_tui.domain.schedule import DayEntry, DayList, ScheduleError
from bakso_tui.domain.nik import mask_for_list
from bakso_tui.domain.users import Permission, sees_full_nik
from bakso_tui.locale import language, t
from bakso_tui.locale.plain import visible
from bakso_tui.printing.manifest import long_date, show_nik
from bakso_tui.screens.base import BaksoScreen
from bakso_tui.screens.schedule_dialogs import CloseDayDialog
from bakso_tui.widgets import KeyBar, RowTable, StatusBar
from bakso_tui.widgets.bindings import tui_binding
from bakso_tui.widgets.plain import cell

COLUMNS = ("no", "name", "nik", "service", "where", "state")


class DayScreen(BaksoScreen):
    TITLE_KEY = "schedule.tui.day_title"
    HELP_KEY = "schedule.tui.day_help"
    AUTO_FOCUS = "#day-table"

    BINDINGS = [
        tui_binding("d", "mark('direkam')", "schedule-recorded"),
        tui_binding("a", "mark('tidak_hadir')", "schedule-absent"),
        tui_binding("x", "cancel_day", "schedule-cancel-day"),
        tui_binding("r", "refresh", "schedule-refresh", show=False),
        tui_binding("escape", "leave", "schedule-back"),
    ]

    class Loaded(Message):
        def __init__(self, listing: DayList | None) -> None:
            super().__init__()
            self.listing = listing

    class Marked(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, day_id: int) -> None:
        super().__init__()
        self.day_id = day_id
        self.listing: DayList | None = None
        self.wide = True

    def compose(self) -> ComposeResult:
        self.load()
        yield self.make_header()
        yield Label(t("schedule.tui.loading"), id="day-head", markup=False)
        yield RowTable(id="day-table")
        yield StatusBar(id="day-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self._columns()

    def on_resize(self) -> None:
        if self.wide != (self.app.size.width >= 100):
            self._columns()
            self._fill()

    @property
    def columns(self) -> tuple[str, ...]:
        """Below 100 columns the service is left out (recording is nearly always KTP-el)."""
        return COLUMNS if self.wide else tuple(c for c in COLUMNS if c != "service")

    @property
    def table(self) -> RowTable:
        return self.query_one(RowTable)

    def _columns(self) -> None:
        self.wide = self.app.size.width >= 100
        self.table.clear(columns=True)
        for key in self.columns:
            self.table.add_column(t(f"schedule.tui.col.{key}"), key=key)

    @work(thread=True, exclusive=True, group="schedule_day", exit_on_error=False)
    def load(self) -> None:
        app = self.bakso
        with app.db.read() as session:
            listing = schedule.day_list(session, app.actor, self.day_id, lang=language())
        self.post_message(self.Loaded(listing))

    def action_refresh(self) -> None:
        self.load()

    def on_day_screen_loaded(self, message: Loaded) -> None:
        self.listing = message.listing
        self._fill()

    def _fill(self) -> None:
        listing = self.listing
        if listing is None:
            return
        info = listing.info
        self.query_one("#day-head", Label).update(t(
            "schedule.tui.day_head", date=long_date(info.day), village=visible(info.village_name),
            code=visible(info.village_code), team=visible(listing.team_name), booked=info.booked,
            capacity=info.capacity, state=t(f"schedule.state.{info.state}")))
        table = self.table
        row = table.cursor_row
        table.clear()
        display = self.bakso.settings.nik_display
        full = sees_full_nik(self.bakso.actor)  # the administrator sees NIKs masked
        for i, entry in enumerate(listing.entries, 1):
            cells = {
                "no": Text(str(i)),
                "name": cell(entry.name + (" ★" if entry.priority else ""), no_wrap=True,
                             overflow="ellipsis"),
                "nik": cell(show_nik(entry.nik, display) if full else mask_for_list(entry.nik)),
                "service": cell(entry.service, no_wrap=True, overflow="ellipsis"),
                "where": cell(t("schedule.tui.home", address=entry.address) if entry.home_visit
                              else t("schedule.tui.at_village"), no_wrap=True,
                              overflow="ellipsis"),
                "state": Text(t(f"schedule.state.{entry.state}"),
                              style="bold" if entry.state == schedule.BOOKED else "dim"),
            }
            table.add_row(*(cells[c] for c in self.columns), key=str(entry.booking_id))
        if listing.entries:
            table.move_cursor(row=min(row, len(listing.entries) - 1))
        home = sum(e.home_visit for e in listing.entries)
        self.query_one(StatusBar).show(t("schedule.tui.day_status", count=len(listing.entries),
                                         home=home))

    def current(self) -> DayEntry | None:
        if self.listing is None or not self.listing.entries:
            return None
        return self.listing.entries[min(self.table.cursor_row, len(self.listing.entries) - 1)]

    def action_mark(self, outcome: str) -> None:
        entry = self.current()
        if entry is None:
            return
        self._mark(entry, outcome)

    @work(thread=True, exclusive=True, group="schedule_mark", exit_on_error=False)
    def _mark(self, entry: DayEntry, outcome: str) -> None:
        app = self.bakso
        try:
            with app.db.write() as session:
                result = schedule.mark_booking(session, app.actor, entry.booking_id, outcome,
                                               today=office_today(app.now()), at=app.now())
        except ScheduleError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="warning", markup=False)
            return
        if result.absent:
            name, day = result.absent[0]
            text = t("schedule.tui.marked_absent", name=name,
                     day=long_date(day) if day else t("schedule.cli.no_room"))
        else:
            text = t("schedule.tui.marked_recorded", name=entry.name)
        self.post_message(self.Marked(text))

    def on_day_screen_marked(self, message: Marked) -> None:
        self.notify(message.text, markup=False)
        self.load()

    def action_cancel_day(self) -> None:
        """Supervisors: cancel this village's day; its residents move on (and are told so)."""
        if not self.bakso.can(Permission.SCHEDULE):
            self.notify(t("schedule.tui.supervisor_key", key="x"), severity="warning")
            return
        if self.listing is None:
            return
        info = self.listing.info
        title = t("schedule.tui.cancel_title", village=info.village_name,
                  day=long_date(info.day))
        self.app.push_screen(CloseDayDialog(title, info.booked, title_is_text=True),
                             lambda reason: reason and self._cancel(reason))

    @work(thread=True, exclusive=True, group="schedule_mark", exit_on_error=False)
    def _cancel(self, reason: str) -> None:
        app = self.bakso
        info = self.listing.info
        try:
            with app.db.write() as session:
                change = schedule.cancel_day(session, app.actor, info.village_code, info.day,
                                             reason, today=office_today(app.now()),
                                             at=app.now())
        except ScheduleError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="warning", markup=False)
            return
        self.post_message(self.Marked(t(
            "schedule.cli.cancelled", day=info.day.isoformat(), village=info.village_name,
            moved=len(change.reflow.moved), waiting=len(change.reflow.unplaced))))

    def action_leave(self) -> None:
        self.dismiss(None)

    def worker_failed(self, worker: Worker) -> None:
        if worker.group == "schedule_day":
            self.query_one(StatusBar).show(t("schedule.tui.failed"), error=True)

    def retranslate(self) -> None:
        super().retranslate()
        self._columns()
        self._fill()
