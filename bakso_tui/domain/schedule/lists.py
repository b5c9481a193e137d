"""A day's list of residents: for the screen, for the printed manifest, for phones.

:func:`day_list` is what the schedule screen shows (every booking of the day,
with its state). :func:`manifest_sheets` builds the printing layer's
:class:`~bakso_tui.printing.manifest.ManifestSheet` per village for one date
and marks those days listed: from then on nobody on them is moved to make room
for a newcomer. :func:`ics` writes the active days as an iCalendar file for
the teams' phone calendars.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bakso_tui.db.models import (
    Kecamatan,
    RecordingBooking,
    Service,
    ServiceDay,
    ServiceTeam,
    Submission,
    Village,
)
from bakso_tui.domain import audit, definer
from bakso_tui.domain.calendar import OFFICE_TZ
from bakso_tui.domain.schedule.model import COUNTED, ServiceDayInfo
from bakso_tui.domain.schedule.views import day_info, iter_days
from bakso_tui.domain.users import Actor, Permission, require, require_in
from bakso_tui.locale import t

if TYPE_CHECKING:
    from bakso_tui.printing.manifest import ManifestSheet


@dataclass(frozen=True)
class DayEntry:
    booking_id: int
    submission_id: int
    number: str
    name: str
    nik: str
    service: str
    home_visit: bool
    address: str
    priority: bool
    state: str
    operator: str
    phone: str


@dataclass(frozen=True)
class DayList:
    info: ServiceDayInfo
    team_name: str
    kecamatan_name: str
    entries: tuple[DayEntry, ...]


def day_list(session: Session, actor: Actor, day_id: int, *, lang: str = "id",
             states: tuple[str, ...] = COUNTED) -> DayList | None:
    """The day's residents in the work order (priority first, then the oldest)."""
    require(actor, Permission.QUEUE_VIEW)
    info = day_info(session, day_id)
    if info is None:
        return None
    rows = session.execute(
        select(RecordingBooking.id, RecordingBooking.home_visit, RecordingBooking.state,
               Submission.id.label("sid"), Submission.number, Submission.applicant_name,
               Submission.applicant_nik, Submission.applicant_address,
               Submission.priority_rank, Submission.operator_name, Submission.operator_phone,
               Service.name, Service.name_en)
        .join(Submission, Submission.id == RecordingBooking.submission_id)
        .join(Service, Service.id == Submission.service_id)
        .where(RecordingBooking.service_day_id == day_id, RecordingBooking.state.in_(states))
        .order_by(Submission.priority_rank, Submission.submitted_at, Submission.id)
    ).all()
    team_name, kecamatan = session.execute(
        select(ServiceTeam.name, Kecamatan.name)
        .select_from(ServiceDay)
        .join(ServiceTeam, ServiceTeam.code == ServiceDay.team_code)
        .join(Village, Village.code == ServiceDay.village_code)
        .join(Kecamatan, Kecamatan.code == Village.kecamatan_code)
        .where(ServiceDay.id == day_id)
    ).one()
    entries = tuple(
        DayEntry(r.id, r.sid, r.number or "", r.applicant_name, r.applicant_nik,
                 r.name_en if lang == "en" else r.name, r.home_visit, r.applicant_address,
                 r.priority_rank == 0, r.state, r.operator_name, r.operator_phone)
        for r in rows
    )
    return DayList(info, team_name, kecamatan, entries)


def contacts(entries: tuple[DayEntry, ...], limit: int = 3) -> tuple[tuple[str, str], ...]:
    """The village operators who sent the day's submissions, most frequent first."""
    counted = Counter((e.operator.strip(), e.phone.strip()) for e in entries if e.operator.strip())
    return tuple(pair for pair, _ in counted.most_common(limit))


def manifest_sheets(
    session: Session,
    actor: Actor,
    *,
    day: date,
    village: str | None = None,
    office_name: str,
    office_short: str,
    lang: str,
    at: datetime,
    mark_listed: bool = True,
) -> list[ManifestSheet]:
    """One sheet per village with an active service day on `day`."""
    # The printing layer (and the PDF library under it) only when lists are printed.
    from bakso_tui.printing.manifest import ManifestRow, ManifestSheet

    actor = require_in(session, actor, Permission.QUEUE_VIEW)  # it marks the days listed
    sheets = []
    for info in iter_days(session, village=village, since=day, until=day):
        listing = day_list(session, actor, info.id, lang=lang)
        rows = tuple(ManifestRow(e.number, e.name, e.nik, e.service, e.home_visit, e.address,
                                 e.priority) for e in listing.entries)
        sheets.append(ManifestSheet(
            office_name=office_name, office_short=office_short,
            village_code=info.village_code, village_name=info.village_name,
            kecamatan_name=listing.kecamatan_name, day=info.day, team_code=info.team_code,
            team_name=listing.team_name, capacity=info.capacity, rows=rows,
            contacts=contacts(listing.entries), printed_at=at.astimezone(OFFICE_TZ),
        ))
        if mark_listed and not info.listed:
            row = dict(actor=actor.login, action="service_day.listed", target_type="village",
                       target_id=info.village_code,
                       details={"day": info.day.isoformat(), "residents": len(rows)}, at=at)
            if definer.on_server(session):  # the owner's function (migration 0016)
                definer.call(session, "SELECT bakso_day_listed(:actor, :day, :at,"
                             " CAST(:audit AS json))", rows=[row], actor=actor.login,
                             day=info.id, at=at)
                continue
            session.execute(update(ServiceDay).where(ServiceDay.id == info.id)
                            .values(listed_at=at))
            audit.append(session, **row)
    return sheets


def ics(session: Session, *, since: date, until: date | None = None, village: str | None = None,
        team: str | None = None, office_short: str, now: datetime) -> bytes:
    """The active days as VEVENTs (all-day), one per village and day."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//BAKSO//bakso schedule export//ID")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", t("schedule.ics_name", office=office_short))
    for info in iter_days(session, village=village, team=team, since=since, until=until):
        event = Event()
        event.add("uid", f"service-day-{info.id}@bakso")
        event.add("dtstamp", now)
        event.add("dtstart", info.day)
        event.add("dtend", info.day + timedelta(days=1))
        event.add("summary", t("schedule.ics_summary", village=info.village_name,
                               booked=info.booked, capacity=info.capacity))
        event.add("location", f"{info.village_name} ({info.village_code})")
        event.add("description", t("schedule.ics_description", team=info.team_code,
                                   booked=info.booked, capacity=info.capacity))
        event.add("categories", [info.team_code])
        calendar.add_component(event)
    return calendar.to_ical()
