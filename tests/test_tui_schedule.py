"""The schedule screen (F4): calendar, months, the day's list, marks, and the supervisors' keys."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bakso_tui.app import make_app
from bakso_tui.config import settings_from
from bakso_tui.db.models import IssuedDocument, RecordingBooking, ServiceDay, Submission
from bakso_tui.domain import schedule, users
from bakso_tui.domain.decisions import record_decision
from bakso_tui.domain.workflow import Action, State
from bakso_tui.screens.schedule import ScheduleScreen
from bakso_tui.screens.schedule_day import DayScreen
from bakso_tui.screens.schedule_dialogs import CloseDayDialog, PlanDialog
from bakso_tui.widgets.month_calendar import MonthCalendar
from tui_helpers import FIXED_NOW, Office, fixed_clock, run_async, seed_office, settle

TODAY = date(2026, 3, 11)  # Wednesday (FIXED_NOW)
FRI13, WED25, FRI27 = date(2026, 3, 13), date(2026, 3, 25), date(2026, 3, 27)


def plan_office(db) -> tuple[Office, str]:
    """The TUI office, a team on Wed/Fri in the village with the KTP-el submissions, approved."""
    office = seed_office(db)
    actor = users.cli_actor()
    with db.write() as s:
        ktp = s.scalars(select(Submission).where(Submission.service_id == "ktp_el_baru")
                        .where(Submission.state == "diajukan")
                        .order_by(Submission.id)).all()
        village = ktp[0].village_code
        schedule.add_team(s, actor, "T1", "Tim Keliling Selatan", 2, at=FIXED_NOW)
        schedule.create_plan(s, actor, village_code=village, rule="wed,fri", start=TODAY,
                             until=date(2026, 5, 31), team_code="T1", today=TODAY,
                             at=FIXED_NOW)
        for sub in [k for k in ktp if k.village_code == village]:
            sub.state = State.CLAIMED.value
            record_decision(s, office.supervisor.actor(), sub, Action.APPROVE,
                            override_reason="uji", at=FIXED_NOW)
    return office, village


def app_at(office: Office, *, role: str = "supervisor", clock=fixed_clock, **settings):
    user = office.supervisor if role == "supervisor" else office.verifier
    return make_app(settings=settings_from(settings), db=office.db, user=user, clock=clock)


async def open_schedule(pilot) -> None:
    """F4: the service days' month, its figures read."""
    await pilot.press("f4")
    await settle(pilot)


async def open_day_list(pilot) -> None:
    """The list of the day two after the one the month opens on (today), read."""
    await open_schedule(pilot)
    await pilot.press("right", "right", "enter")
    await settle(pilot)


@pytest.fixture
def planned(sqlite_db):
    return plan_office(sqlite_db)


def status(app) -> str:
    return app.screen.status_line.text


@run_async
async def test_calendar_shows_the_teams_month_and_moves(planned):
    office, village = planned
    app = app_at(office)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_schedule(pilot)
        screen = app.screen
        assert isinstance(screen, ScheduleScreen) and screen.subject == ("team", "T1")
        cal = screen.query_one(MonthCalendar)
        assert cal.cursor == TODAY
        cells = cal.cells
        assert cells[FRI13].bottom == "2/2" and cells[FRI13].kind == "full"
        assert cells[date(2026, 3, 18)].bottom == "libur"  # cuti bersama Nyepi
        assert cells[date(2026, 3, 20)].kind == "holiday"
        assert status(app) == "Rabu, 11 Maret 2026 · tidak ada hari layanan"
        await pilot.press("right", "right")
        assert cal.cursor == FRI13 and status(app).startswith("Jumat, 13 Maret 2026 · ")
        assert "2/2 terpesan" in status(app)
        # The next month is drawn from what was read with this one, before any worker.
        await pilot.press("pagedown")
        assert cal.cursor == date(2026, 4, 13)
        assert cal.cells[date(2026, 4, 3)].kind == "holiday"  # Good Friday
        assert cal.cells[date(2026, 4, 1)].bottom == "0/2"
        await settle(pilot)
        await pilot.press("pageup", "home")
        assert cal.cursor == TODAY


@run_async
async def test_enter_opens_the_day_list_and_marks_after_the_visit(planned):
    office, village = planned
    visit = datetime(2026, 3, 13, 8, 0, tzinfo=UTC)  # Friday, the day itself
    app = app_at(office, clock=lambda: visit)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_schedule(pilot)
        await pilot.press("enter")  # Friday 13 is today in this clock
        await settle(pilot)
        day = app.screen
        assert isinstance(day, DayScreen)
        names = [e.name for e in day.listing.entries]
        assert len(names) == 2 and day.table.row_count == 2
        await pilot.press("d")
        await settle(pilot)
        assert day.listing.entries[0].state == "direkam"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ScheduleScreen)
    with office.db.read() as s:
        sid = s.scalar(select(RecordingBooking.submission_id)
                       .where(RecordingBooking.state == "direkam"))
        states = set(s.scalars(select(IssuedDocument.state)
                               .where(IssuedDocument.submission_id == sid)))
    assert states == {"siap_cetak"}


@run_async
async def test_absent_is_booked_again(planned):
    office, village = planned
    visit = datetime(2026, 3, 13, 8, 0, tzinfo=UTC)
    app = app_at(office, clock=lambda: visit)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_schedule(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert app.screen.listing.entries[0].state == "tidak_hadir"
    with office.db.read() as s:
        absent = s.scalar(select(RecordingBooking.submission_id)
                          .where(RecordingBooking.state == "tidak_hadir"))
        again = schedule.booking_of(s, absent)[0].day
    assert again == WED25  # 18 and 20 March are holidays


@run_async
async def test_marks_before_the_day_are_refused(planned):
    office, _ = planned
    app = app_at(office)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_day_list(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert app.screen.listing.entries[0].state == "dipesan"
        assert any("belum tiba" in n.message for n in app._notifications)


@run_async
async def test_verifier_is_told_p_and_c_are_supervisor_keys(planned):
    office, _ = planned
    app = app_at(office, role="verifier")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_schedule(pilot)
        await pilot.press("p", "c")
        await pilot.pause()
        assert isinstance(app.screen, ScheduleScreen)
        messages = [n.message for n in app._notifications]
        assert "Tombol p hanya untuk supervisor" in messages
        assert "Tombol c hanya untuk supervisor" in messages


@run_async
async def test_supervisor_plans_and_closes_a_day(planned):
    office, village = planned
    app = app_at(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_schedule(pilot)
        await pilot.press("p")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, PlanDialog)
        dialog.query_one("#plan-village").value = "52.03.01.2003"
        dialog.query_one("#plan-rule").value = "1sel,3sel"
        dialog.query_one("#plan-team").value = "T1"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ScheduleScreen)
        assert any("52.03.01.2003" in n.message or "direncanakan" in n.message
                   for n in app._notifications)
        # Close Friday 13 for the office: its resident moves on.
        await pilot.press("right", "right", "c")
        await pilot.pause()
        assert isinstance(app.screen, CloseDayDialog)
        await pilot.press(*"rapat", "enter")
        await settle(pilot)
        assert app.screen.query_one(MonthCalendar).cells[FRI13].kind == "closed"
    with office.db.read() as s:
        days = s.scalars(select(ServiceDay.day).where(ServiceDay.village_code == "52.03.01.2003")
                         ).all()
        moved = s.scalar(select(ServiceDay.booked).where(ServiceDay.day == FRI13,
                                                         ServiceDay.village_code == village))
    assert date(2026, 3, 17) in days and moved == 0


@run_async
async def test_pick_a_village(planned):
    office, village = planned
    app = app_at(office)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_schedule(pilot)
        await pilot.press("v")
        await pilot.pause()
        await pilot.press(*village)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert screen.subject == ("village", village)
        assert screen.query_one(MonthCalendar).cells[FRI13].top == "T1"


@run_async
async def test_english(planned):
    office, _ = planned
    app = app_at(office, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_schedule(pilot)
        await pilot.press("right", "right")
        assert status(app) == "Friday, 13 March 2026 · " + status(app).split(" · ", 1)[1]
        assert "2/2 booked" in status(app)


@run_async
async def test_find_a_residents_booked_day(planned):
    office, village = planned
    with office.db.read() as s:
        sub = s.scalar(select(Submission).join(
            RecordingBooking, RecordingBooking.submission_id == Submission.id)
            .order_by(Submission.id).limit(1))
    app = app_at(office, role="verifier")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_schedule(pilot)
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*sub.number, "enter")
        await settle(pilot)
        screen = app.screen
        assert screen.subject == ("village", village)
        assert screen.calendar.cursor == FRI13
        assert any(sub.number in n.message and "13 Maret 2026" in n.message
                   for n in app._notifications)
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"5203000000000000", "enter")
        await settle(pilot)
        assert any("tidak ada pemesanan" in n.message for n in app._notifications)


def test_submission_detail_shows_the_booked_day(planned):
    from bakso_tui.domain.review import submission_detail
    from bakso_tui.screens.submission import render_detail

    office, village = planned
    with office.db.read() as s:
        sid = s.scalar(select(RecordingBooking.submission_id).limit(1))
        detail = submission_detail(s, office.supervisor.actor(), sid)
    day, home = detail.booking
    assert day.day == FRI13 and day.village_code == village and home is False
    assert "Perekaman: Jumat, 13 Maret 2026" in render_detail(detail).plain


@run_async
async def test_supervisor_cancels_a_villages_day_from_its_list(planned):
    office, village = planned
    app = app_at(office)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_day_list(pilot)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, CloseDayDialog)
        await pilot.press(*"tim sakit", "enter")
        await settle(pilot)
        assert app.screen.listing.info.state == "dibatalkan"
        # Its two residents move to Wednesday 25, whose two younger residents move
        # on to Friday 27: four moves, and the message says so.
        assert any(n.message.endswith("dibatalkan; 4 warga dipindah, 0 menunggu hari baru")
                   for n in app._notifications)
    with office.db.read() as s:
        assert s.scalar(select(ServiceDay.booked).where(ServiceDay.day == FRI13)) == 0


@run_async
async def test_verifier_may_not_cancel_a_day(planned):
    office, _ = planned
    app = app_at(office, role="verifier")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_day_list(pilot)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, DayScreen)
        assert "Tombol x hanya untuk supervisor" in [n.message for n in app._notifications]
