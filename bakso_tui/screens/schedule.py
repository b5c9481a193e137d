"""Mobile-service days (F4): a month calendar for one team or one village.

The arrows move the day, PgUp/PgDn the month; each day shows who serves it and
how many of its places are booked. Enter opens the day's list (residents, and
recorded or absent marks). Supervisors plan days (``p``) and close a day for
the office (``c``); anyone else pressing those keys is told whose keys they are.

Months are read in a worker and kept: the months either side of the one shown
are read with it, so PgUp/PgDn draw at once from what is kept and the worker
only freshens it.
"""

from __future__ import annotations

from datetime import date, timedelta

from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.worker import Worker

from bakso_tui.domain import regions, schedule
from bakso_tui.domain.calendar import office_today
from bakso_tui.domain.schedule import (
    BookingHit,
    MonthView,
    ScheduleError,
    ServiceDayInfo,
    TeamInfo,
)
from bakso_tui.domain.users import Permission
from bakso_tui.locale import t
from bakso_tui.printing.manifest import long_date
from bakso_tui.screens.base import BaksoScreen
from bakso_tui.screens.schedule_dialogs import (
    CloseDayDialog,
    FindDialog,
    PickDialog,
    PlanDialog,
    PlanRequest,
)
from bakso_tui.widgets import KeyBar
from bakso_tui.widgets.bindings import tui_binding
from bakso_tui.widgets.month_calendar import CalendarCell, InfoLine, MonthCalendar

Subject = tuple[str, str]  # ("team", code) or ("village", code)
MonthKey = tuple[str, str, int, int]


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    y, m = divmod(year * 12 + month - 1 + by, 12)
    return y, m + 1


class ScheduleScreen(BaksoScreen):
    TITLE_KEY = "schedule.tui.title"
    HELP_KEY = "schedule.tui.help"
    AUTO_FOCUS = "#schedule-calendar"

    BINDINGS = [
        tui_binding("left", "move(-1)", "schedule-left", system=True),
        tui_binding("right", "move(1)", "schedule-right", system=True),
        tui_binding("up", "move(-7)", "schedule-up", system=True),
        tui_binding("down", "move(7)", "schedule-down", system=True),
        tui_binding("pageup", "month(-1)", "schedule-prev-month", system=True),
        tui_binding("pagedown", "month(1)", "schedule-next-month", system=True),
        tui_binding("home", "today", "schedule-today", show=False),
        tui_binding("enter", "open_day", "schedule-open"),
        tui_binding("p", "plan", "schedule-plan"),
        tui_binding("c", "close_day", "schedule-close"),
        tui_binding("t", "pick_team", "schedule-team"),
        tui_binding("v", "pick_village", "schedule-village"),
        tui_binding("slash", "find", "schedule-find"),
        tui_binding("r", "refresh", "schedule-refresh", show=False),
    ]

    class MonthsLoaded(Message):
        def __init__(self, subject: Subject, views: dict[MonthKey, MonthView],
                     teams: list[TeamInfo] | None = None) -> None:
            super().__init__()
            self.subject = subject
            self.views = views
            self.teams = teams

    class Changed(Message):
        """A plan or a closed day went through: what to tell the user."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Found(Message):
        def __init__(self, term: str, hits: list[BookingHit]) -> None:
            super().__init__()
            self.term = term
            self.hits = hits

    def __init__(self) -> None:
        super().__init__()
        self.today = office_today(self.bakso.now())
        self.subject: Subject | None = None
        self.months: dict[MonthKey, MonthView] = {}
        self.teams: dict[str, TeamInfo] = {}
        self.villages = {v.code: v.name for v in regions.office_villages()}
        self.last_plan: PlanRequest | None = None

    def compose(self) -> ComposeResult:
        self._load(None, self.today.year, self.today.month)
        yield self.make_header()
        yield InfoLine(id="schedule-subject")
        yield MonthCalendar(today=self.today, id="schedule-calendar")
        yield InfoLine(id="schedule-status", classes="-status")
        yield KeyBar()

    @property
    def calendar(self) -> MonthCalendar:
        return self.query_one(MonthCalendar)

    @property
    def status_line(self) -> InfoLine:
        return self.query_one("#schedule-status", InfoLine)

    # ------------------------------------------------------------------ loading

    def _key(self, year: int, month: int) -> MonthKey | None:
        return (*self.subject, year, month) if self.subject else None

    @work(thread=True, exclusive=True, group="schedule", exit_on_error=False)
    def _load(self, subject: Subject | None, year: int, month: int) -> None:
        """The month and the ones either side (and, the first time, the subject)."""
        app = self.bakso
        with app.db.read() as session:
            teams = None
            if subject is None:
                teams = schedule.list_teams(session)
                subject = schedule.default_subject(session, self.today)
                if subject is None:
                    first = next(iter(self.villages))
                    subject = ("village", first)
            kind, code = subject
            views = {}
            for by in (0, -1, 1):
                y, m = _shift(year, month, by)
                views[(kind, code, y, m)] = schedule.month_view(
                    session, y, m, **{kind: code})
        self.post_message(self.MonthsLoaded(subject, views, teams))

    def on_schedule_screen_months_loaded(self, message: MonthsLoaded) -> None:
        if message.teams is not None:
            self.teams = {x.code: x for x in message.teams}
        if self.subject is None:
            self.subject = message.subject
        elif message.subject != self.subject:
            return  # read for a team or village no longer shown
        cursor = self.calendar.cursor
        key = self._key(cursor.year, cursor.month)
        shown = self.months.get(key)
        self.months.update(message.views)
        if shown is None or self.months.get(key) != shown or message.teams is not None:
            self._draw()  # only when what is on screen changed

    def action_refresh(self) -> None:
        self.months.clear()
        self._load(self.subject, self.calendar.cursor.year, self.calendar.cursor.month)

    # ------------------------------------------------------------------ drawing

    def _draw(self) -> None:
        cal = self.calendar
        view = self.months.get(self._key(cal.cursor.year, cal.cursor.month))
        cal.show(self._cells(view) if view else {})
        self._subject_line()
        self._status(view)

    def _cells(self, view: MonthView) -> dict[date, CalendarCell]:
        cells: dict[date, CalendarCell] = {}
        by_team = self.subject and self.subject[0] == "team"
        for day, name in {**view.holidays, **view.closed}.items():
            kind = "holiday" if day in view.holidays else "closed"
            cells[day] = CalendarCell("", t(f"schedule.tui.{kind}_short"), kind)
        for day, info in view.days.items():
            top = info.village_name if by_team else info.team_code
            if info.active:
                kind = "full" if info.booked >= info.capacity else "service"
                bottom = f"{info.booked}/{info.capacity}"
            else:
                kind = "closed" if info.state == schedule.DAY_CLOSED else "cancelled"
                bottom = t(f"schedule.state.{info.state}")
            cells[day] = CalendarCell(top, bottom, kind)
        return cells

    def _subject_line(self) -> None:
        cal = self.calendar
        month = f"{t(f'schedule.month.{cal.cursor.month}')} {cal.cursor.year}"
        if self.subject is None:
            text = month
        elif self.subject[0] == "team":
            team = self.teams.get(self.subject[1])
            name = f" — {team.name}" if team else ""
            text = t("schedule.tui.subject_team", code=self.subject[1], name=name, month=month)
        else:
            text = t("schedule.tui.subject_village", code=self.subject[1],
                     name=self.villages.get(self.subject[1], ""), month=month)
        self.query_one("#schedule-subject", InfoLine).show(text)

    def current_day(self) -> ServiceDayInfo | None:
        cal = self.calendar
        view = self.months.get(self._key(cal.cursor.year, cal.cursor.month))
        return view.days.get(cal.cursor) if view else None

    def _status(self, view: MonthView | None) -> None:
        cursor = self.calendar.cursor
        head = long_date(cursor)
        if view is None:
            self.status_line.show(f"{head} · {t('schedule.tui.loading')}")
            return
        info = view.days.get(cursor)
        if info is not None and info.active:
            text = t("schedule.tui.day_line", date=head, village=info.village_name,
                     team=info.team_code, booked=info.booked, capacity=info.capacity)
        elif info is not None:
            text = t("schedule.tui.day_ended", date=head, village=info.village_name,
                     state=t(f"schedule.state.{info.state}"), reason=info.reason or "-")
        elif cursor in view.holidays:
            text = f"{head} · {view.holidays[cursor]}"
        elif cursor in view.closed:
            text = t("schedule.tui.office_closed", date=head, reason=view.closed[cursor])
        else:
            text = t("schedule.tui.no_day", date=head)
        self.status_line.show(text)

    # ------------------------------------------------------------------ moving

    def _moved(self, before: date) -> None:
        cursor = self.calendar.cursor
        if (cursor.year, cursor.month) != (before.year, before.month):
            if self._key(cursor.year, cursor.month) not in self.months:
                self.calendar.show({})
            # Read (and freshen) after this frame: the drawing does not share
            # the interpreter with the worker's queries.
            self.call_after_refresh(self._load, self.subject, cursor.year, cursor.month)
        self._draw()

    def action_move(self, days: int) -> None:
        before = self.calendar.cursor
        self.calendar.move(days=days)
        self._moved(before)

    def action_month(self, months: int) -> None:
        before = self.calendar.cursor
        self.calendar.move(months=months)
        self._moved(before)

    def action_today(self) -> None:
        before = self.calendar.cursor
        self.calendar.cursor = self.today
        self._moved(before)

    # ------------------------------------------------------------------ actions

    def action_open_day(self) -> None:
        info = self.current_day()
        if info is None:
            self.notify(t("schedule.tui.no_day", date=long_date(self.calendar.cursor)),
                        severity="warning")
            return
        from bakso_tui.screens.schedule_day import DayScreen

        self.app.push_screen(DayScreen(info.id), lambda _: self.action_refresh())

    def _supervisor(self, key: str) -> bool:
        if self.bakso.can(Permission.SCHEDULE):
            return True
        self.notify(t("schedule.tui.supervisor_key", key=key), severity="warning")
        return False

    def action_plan(self) -> None:
        if not self._supervisor("p"):
            return
        cursor = self.calendar.cursor
        start = max(cursor, self.today + timedelta(days=1))
        kind, code = self.subject or ("village", "")
        request = self.last_plan or PlanRequest(
            village=code if kind == "village" else "", rule="rab,jum", start=start.isoformat(),
            until=(start + timedelta(days=91)).isoformat(),
            team=code if kind == "team" else "", capacity="")
        self.app.push_screen(PlanDialog(request), self._plan_chosen)

    def _plan_chosen(self, request: PlanRequest | None) -> None:
        if request is not None:
            self.last_plan = request
            self._plan(request)

    @work(thread=True, exclusive=True, group="schedule_change", exit_on_error=False)
    def _plan(self, request: PlanRequest) -> None:
        app = self.bakso
        try:
            start = date.fromisoformat(request.start)
            until = date.fromisoformat(request.until)
        except ValueError:
            self.app.call_from_thread(self._refused, t("schedule.tui.bad_dates"))
            return
        try:
            capacity = int(request.capacity) if request.capacity else None
        except ValueError:
            self.app.call_from_thread(
                self._refused, t("schedule.cli.bad_number", option=t("schedule.tui.field.capacity"),
                                 value=request.capacity))
            return
        try:
            with app.db.write() as session:
                result = schedule.create_plan(
                    session, app.actor, village_code=request.village, rule=request.rule,
                    start=start, until=until, team_code=request.team or None,
                    capacity=capacity, today=self.today, at=app.now())
        except ScheduleError as exc:
            self.app.call_from_thread(self._refused, str(exc))
            return
        self.last_plan = None
        self.post_message(self.Changed(t(
            "schedule.tui.planned", days=len(result.days), village=result.village_name,
            skipped=len(result.skipped), booked=len(result.reflow.booked),
            moved=len(result.reflow.moved))))

    def _refused(self, text: str) -> None:
        self.notify(text, severity="error", timeout=10, markup=False)

    def on_schedule_screen_changed(self, message: Changed) -> None:
        self.notify(message.text, timeout=8, markup=False)
        self.action_refresh()

    def action_close_day(self) -> None:
        if not self._supervisor("c"):
            return
        cursor = self.calendar.cursor
        info = self.current_day()
        booked = info.booked if info and info.active else 0
        self.app.push_screen(CloseDayDialog(long_date(cursor), booked),
                             lambda reason: reason and self._close(cursor, reason))

    @work(thread=True, exclusive=True, group="schedule_change", exit_on_error=False)
    def _close(self, day: date, reason: str) -> None:
        app = self.bakso
        try:
            with app.db.write() as session:
                change = schedule.close_office_day(session, app.actor, day, reason,
                                                   today=self.today, at=app.now())
        except ScheduleError as exc:
            self.app.call_from_thread(self._refused, str(exc))
            return
        self.post_message(self.Changed(t(
            "schedule.tui.closed", date=long_date(day), villages=len(change.villages),
            moved=len(change.reflow.moved), waiting=len(change.reflow.unplaced))))

    def action_pick_team(self) -> None:
        choices = [(x.code, f"{x.code} — {x.name}") for x in self.teams.values()]
        if not choices:
            self.notify(t("schedule.tui.no_teams"), severity="warning")
            return
        self.app.push_screen(PickDialog(t("schedule.tui.pick_team"), choices),
                             lambda code: code and self._show("team", code))

    def action_pick_village(self) -> None:
        choices = [(code, f"{name} ({code})") for code, name in self.villages.items()]
        self.app.push_screen(PickDialog(t("schedule.tui.pick_village"), choices),
                             lambda code: code and self._show("village", code))

    def action_find(self) -> None:
        self.app.push_screen(FindDialog(), lambda term: term and self._find(term))

    @work(thread=True, exclusive=True, group="schedule", exit_on_error=False)
    def _find(self, term: str) -> None:
        with self.bakso.db.read() as session:
            hits = schedule.find_bookings(session, term)
        self.post_message(self.Found(term, hits))

    def on_schedule_screen_found(self, message: Found) -> None:
        if not message.hits:
            self.notify(t("schedule.tui.not_found", term=message.term), severity="warning",
                        markup=False)
            return
        hit = message.hits[0]
        self.notify(t("schedule.tui.found", number=hit.number, name=hit.name,
                      date=long_date(hit.day.day), village=hit.day.village_name), markup=False)
        self.calendar.cursor = hit.day.day
        self._show("village", hit.day.village_code)

    def _show(self, kind: str, code: str) -> None:
        self.subject = (kind, code)
        self.months.clear()
        self._draw()
        self._load(self.subject, self.calendar.cursor.year, self.calendar.cursor.month)

    def worker_failed(self, worker: Worker) -> None:
        if worker.group == "schedule":
            self.status_line.show(t("schedule.tui.failed"), error=True)

    def retranslate(self) -> None:
        super().retranslate()
        self.calendar.refresh()
        self._draw()
