"""Reading the schedule: lists of days (keyset pages), a month, a village's next day."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session

from bakso_tui.db.models import RecordingBooking, ServiceDay, Submission, Village
from bakso_tui.domain.schedule.model import BOOKED, DAY_ACTIVE, ServiceDayInfo

DayKey = tuple[date, str]  # (day, village_code): the order of every list of days


def _info_query() -> Select:
    return select(ServiceDay.id, ServiceDay.day, ServiceDay.village_code, Village.name,
                  ServiceDay.team_code, ServiceDay.capacity, ServiceDay.booked,
                  ServiceDay.state, ServiceDay.reason, ServiceDay.listed_at).join(
        Village, Village.code == ServiceDay.village_code)


def _info(row) -> ServiceDayInfo:
    return day_from_row(row.id, row.day, row.village_code, row.name, row.team_code,
                        row.capacity, row.booked, row.state, row.reason, row.listed_at)


def day_from_row(day_id: int, day: date, village_code: str, village_name: str, team_code: str,
                 capacity: int, booked: int, state: str, reason: str,
                 listed_at: object) -> ServiceDayInfo:
    """A day from the columns of ``_info_query``, in their order."""
    return ServiceDayInfo(day_id, day, village_code, village_name, team_code, capacity, booked,
                          state, reason, listed_at is not None)


def day_info(session: Session, day_id: int) -> ServiceDayInfo | None:
    row = session.execute(_info_query().where(ServiceDay.id == day_id)).first()
    return _info(row) if row else None


def list_days(
    session: Session,
    *,
    village: str | None = None,
    team: str | None = None,
    since: date | None = None,
    until: date | None = None,
    after: DayKey | None = None,
    limit: int = 500,
    active_only: bool = True,
) -> list[ServiceDayInfo]:
    """One keyset page of days in (day, village) order."""
    return [_info(r) for r in session.execute(days_query(
        village=village, team=team, since=since, until=until, after=after, limit=limit,
        active_only=active_only))]


def days_query(*, village: str | None = None, team: str | None = None,
               since: date | None = None, until: date | None = None,
               after: DayKey | None = None, limit: int = 500,
               active_only: bool = True) -> Select:
    """The query of ``list_days`` (the dashboard sends it with its other figures)."""
    query = _info_query()
    if active_only:
        query = query.where(ServiceDay.state == DAY_ACTIVE)
    if village:
        query = query.where(ServiceDay.village_code == village)
    if team:
        query = query.where(ServiceDay.team_code == team)
    if since is not None:
        query = query.where(ServiceDay.day >= since)
    if until is not None:
        query = query.where(ServiceDay.day <= until)
    if after is not None:
        query = query.where(tuple_(ServiceDay.day, ServiceDay.village_code) > tuple_(*after))
    return query.order_by(ServiceDay.day, ServiceDay.village_code).limit(limit)


def iter_days(session: Session, *, page: int = 500, **filters) -> Iterator[ServiceDayInfo]:
    """Every day the filters select, read page by page (never all at once)."""
    after: DayKey | None = None
    while True:
        rows = list_days(session, after=after, limit=page, **filters)
        yield from rows
        if len(rows) < page:
            return
        after = (rows[-1].day, rows[-1].village_code)


def month_days(session: Session, *, first: date, last: date, village: str | None = None,
               team: str | None = None) -> list[ServiceDayInfo]:
    """The days of one village or one team between two dates, closed ones included."""
    return list_days(session, village=village, team=team, since=first, until=last,
                     limit=200, active_only=False)


def next_service_day(session: Session, village_code: str, after: date, *,
                     with_room: bool = False) -> ServiceDayInfo | None:
    """The village's first active service day strictly after `after` (with room, if asked).

    For other rules too: documents handed to residents in person go to the
    village on this day.
    """
    query = _info_query().where(ServiceDay.village_code == village_code,
                                ServiceDay.state == DAY_ACTIVE, ServiceDay.day > after)
    if with_room:
        query = query.where(ServiceDay.booked < ServiceDay.capacity)
    row = session.execute(query.order_by(ServiceDay.day).limit(1)).first()
    return _info(row) if row else None


def booking_of(session: Session, submission_id: int) -> tuple[ServiceDayInfo, bool] | None:
    """The submission's live booking: its day, and whether it is a home visit."""
    row = session.execute(
        _info_query().add_columns(RecordingBooking.home_visit)
        .join(RecordingBooking, RecordingBooking.service_day_id == ServiceDay.id)
        .where(RecordingBooking.submission_id == submission_id,
               RecordingBooking.state == BOOKED)
    ).first()
    return (_info(row), row.home_visit) if row else None


def waiting_count(session: Session, village_code: str) -> int:
    """Residents of the village waiting for recording with no day yet."""
    from sqlalchemy import func

    from bakso_tui.domain.schedule.booking import waiting_exists

    return session.scalar(
        select(func.count()).select_from(Submission)
        .where(Submission.village_code == village_code, waiting_exists(),
               ~select(RecordingBooking.id).where(
                   RecordingBooking.submission_id == Submission.id,
                   RecordingBooking.state == BOOKED).exists())
    ) or 0


@dataclass(frozen=True)
class MonthView:
    """One month of one village's or one team's days, with the days nobody serves."""

    first: date  # the 1st of the month
    days: dict[date, ServiceDayInfo]  # the service day on each date (the latest state)
    holidays: dict[date, str]  # national holidays and cuti bersama
    closed: dict[date, str]  # the office's closed days


def month_view(session: Session, year: int, month: int, *, village: str | None = None,
               team: str | None = None) -> MonthView:
    """A month for the calendar: an active day wins over a closed one on the same date."""
    from bakso_tui.domain.calendar import holiday_name
    from bakso_tui.domain.schedule.days import closed_days

    first = date(year, month, 1)
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    days: dict[date, ServiceDayInfo] = {}
    for info in month_days(session, first=first, last=last, village=village, team=team):
        if info.day not in days or info.active:
            days[info.day] = info
    holidays = {}
    day = first
    while day <= last:
        name = holiday_name(day)
        if name:
            holidays[day] = name
        day += timedelta(days=1)
    return MonthView(first, days, holidays, closed_days(session, first, last))


def default_subject(session: Session, today: date) -> tuple[str, str] | None:
    """What the calendar shows first: the team with the next day, else any team or village."""
    row = session.execute(
        select(ServiceDay.team_code).where(ServiceDay.state == DAY_ACTIVE,
                                           ServiceDay.day >= today)
        .order_by(ServiceDay.day, ServiceDay.team_code).limit(1)
    ).first()
    if row:
        return ("team", row.team_code)
    from bakso_tui.db.models import ServiceTeam

    code = session.scalar(select(ServiceTeam.code).order_by(ServiceTeam.code).limit(1))
    return ("team", code) if code else None


@dataclass(frozen=True)
class BookingHit:
    """Where a resident is booked: found by NIK or submission number."""

    submission_id: int
    number: str
    name: str
    day: ServiceDayInfo
    home_visit: bool


def find_bookings(session: Session, term: str, limit: int = 20) -> list[BookingHit]:
    """Live bookings of the submission numbered `term`, or of the applicant with that NIK."""
    term = (term or "").strip().upper()
    if not term:
        return []
    match = Submission.number == term if not term.isdigit() else Submission.applicant_nik == term
    rows = session.execute(
        _info_query().add_columns(RecordingBooking.home_visit, Submission.id.label("sid"),
                                  Submission.number, Submission.applicant_name)
        .join(RecordingBooking, RecordingBooking.service_day_id == ServiceDay.id)
        .join(Submission, Submission.id == RecordingBooking.submission_id)
        .where(match, RecordingBooking.state == BOOKED)
        .order_by(ServiceDay.day).limit(limit)
    ).all()
    return [BookingHit(r.sid, r.number or "", r.applicant_name, _info(r), r.home_visit)
            for r in rows]
