"""After a visit: who was recorded and who was absent.

Recorded: the booking ends ``direkam`` and the submission's documents that
waited for recording move to ``siap_cetak`` (they go into the next issuance
batch). Absent: the booking ends ``tidak_hadir`` (the place was used) and the
resident is booked again on the village's next day with room. Every change is
audited. A day that has not come yet cannot be marked; a list that names a
resident who is not on the day, or one already marked, is refused whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bakso_tui.db.models import IssuedDocument, RecordingBooking, ServiceDay, Submission
from bakso_tui.domain import audit, definer
from bakso_tui.domain.schedule.booking import booked_day, reflow
from bakso_tui.domain.schedule.model import ABSENT, BOOKED, RECORDED, ScheduleError
from bakso_tui.domain.users import Actor, Permission, require_in
from bakso_tui.domain.workflow import DocState, check_document_move
from bakso_tui.locale import t


@dataclass
class Outcome:
    """What marking a day did: who is recorded, and where the absent went."""

    day: date
    village_code: str
    recorded: list[str] = field(default_factory=list)  # names
    absent: list[tuple[str, date | None]] = field(default_factory=list)  # name, next day


def _day(session: Session, day_id: int) -> ServiceDay:
    found = session.get(ServiceDay, day_id)
    if found is None:
        raise ScheduleError(t("schedule.no_such_day", day=str(day_id)))
    return found


def record_outcomes(
    session: Session,
    actor: Actor,
    day_id: int,
    *,
    recorded: list[str] = (),
    absent: list[str] = (),
    today: date,
    at: datetime,
) -> Outcome:
    """Mark residents of a day recorded or absent; all or nothing.

    Each resident is named by NIK, or by the submission number printed on the
    day's list (where the NIK may be masked).
    """
    actor = require_in(session, actor, Permission.DECIDE)
    day = _day(session, day_id)
    if day.day > today:
        raise ScheduleError(t("schedule.day_not_come", day=day.day.isoformat()))
    both = sorted(set(recorded) & set(absent))
    if both:
        raise ScheduleError(t("schedule.nik_twice", nik=both[0]), usage=True)
    rows = session.execute(
        select(RecordingBooking.id, RecordingBooking.state, Submission.applicant_nik,
               Submission.number)
        .join(Submission, Submission.id == RecordingBooking.submission_id)
        .where(RecordingBooking.service_day_id == day.id)
        .order_by(RecordingBooking.id)
    ).all()
    by_nik: dict[str, list] = {}
    for row in rows:
        by_nik.setdefault(row.applicant_nik, []).append(row)
        if row.number:
            by_nik.setdefault(row.number.upper(), []).append(row)
    chosen: list[tuple[int, str]] = []
    for nik, outcome in [*((n, RECORDED) for n in recorded), *((n, ABSENT) for n in absent)]:
        found = by_nik.get(nik.strip().upper())
        if not found:
            raise ScheduleError(t("schedule.nik_not_on_day", nik=nik, day=day.day.isoformat(),
                                  village=day.village_code))
        live = [r for r in found if r.state == BOOKED]
        if not live:
            raise ScheduleError(t("schedule.already_marked", nik=nik,
                                  state=t(f"schedule.state.{found[-1].state}")))
        chosen.append((live[0].id, outcome))
    return _apply(session, actor, day, chosen, today=today, at=at)


def mark_booking(session: Session, actor: Actor, booking_id: int, outcome: str, *,
                 today: date, at: datetime) -> Outcome:
    """Mark one booking (from the day's list on screen) recorded or absent."""
    actor = require_in(session, actor, Permission.DECIDE)
    booking = session.get(RecordingBooking, booking_id)
    if booking is None:
        raise ScheduleError(t("schedule.no_such_booking", id=booking_id))
    day = _day(session, booking.service_day_id)
    if day.day > today:
        raise ScheduleError(t("schedule.day_not_come", day=day.day.isoformat()))
    if booking.state != BOOKED:
        name = session.get(Submission, booking.submission_id).applicant_name
        raise ScheduleError(t("schedule.already_marked", nik=name,
                              state=t(f"schedule.state.{booking.state}")))
    return _apply(session, actor, day, [(booking.id, outcome)], today=today, at=at)


def _apply(session: Session, actor: Actor, day: ServiceDay, chosen: list[tuple[int, str]], *,
           today: date, at: datetime) -> Outcome:
    """The bookings marked, the recorded residents' documents ready, the audit
    rows (each booking's, then its documents'); the absent booked again. A
    person's marks on PostgreSQL: ``bakso_bookings_outcome`` (migration 0016)."""
    result = Outcome(day.day, day.village_code)
    absent_ids: list[tuple[int, str]] = []
    rows: list[dict] = []
    marks: dict[str, list[int]] = {RECORDED: [], ABSENT: []}
    documents: list[int] = []
    for booking_id, outcome in chosen:
        submission = session.get(Submission, session.get(RecordingBooking,
                                                         booking_id).submission_id)
        marks[outcome].append(booking_id)
        rows.append(dict(actor=actor.login, action=f"booking.{outcome}",
                         target_type="submission", target_id=submission.id, from_state=BOOKED,
                         to_state=outcome, details={"day": day.day.isoformat(),
                                                    "village": day.village_code}, at=at))
        if outcome == RECORDED:
            rows.extend(_documents_ready(session, actor, submission.id, at, documents))
            result.recorded.append(submission.applicant_name)
        else:
            absent_ids.append((submission.id, submission.applicant_name))
    if definer.on_server(session) and actor.id is not None:
        definer.call(session, "SELECT bakso_bookings_outcome(:user, :login, :day,"
                     " CAST(:recorded AS bigint[]), CAST(:absent AS bigint[]), :at,"
                     " CAST(:audit AS json))", rows=rows, user=actor.id, login=actor.login,
                     day=day.id, recorded=marks[RECORDED], absent=marks[ABSENT], at=at)
        session.expire_all()
    else:
        for outcome, ids in marks.items():
            if ids:
                session.execute(update(RecordingBooking).where(RecordingBooking.id.in_(ids))
                                .values(state=outcome, updated_at=at))
        if documents:
            session.execute(update(IssuedDocument).where(IssuedDocument.id.in_(documents))
                            .values(state=DocState.READY.value, updated_at=at))
        audit.append_many(session, rows)
    if absent_ids:
        reflow(session, actor.login, day.village_code, today=max(today, day.day), at=at,
               by=actor)
        for sid, name in absent_ids:
            result.absent.append((name, booked_day(session, sid)))
    return result


def _documents_ready(session: Session, actor: Actor, submission_id: int, at: datetime,
                     documents: list[int]) -> list[dict]:
    """The submission's documents waiting for recording (added to `documents`)
    and their audit rows: they become ready to print."""
    waiting, ready = DocState.WAITING_RECORDING.value, DocState.READY.value
    docs = session.execute(
        select(IssuedDocument.id, IssuedDocument.state)
        .where(IssuedDocument.submission_id == submission_id, IssuedDocument.state == waiting)
    ).all()
    rows = []
    for doc in docs:
        check_document_move(doc.state, ready)
        documents.append(doc.id)
        rows.append(dict(actor=actor.login, action="document.recorded", target_type="document",
                         target_id=doc.id, from_state=waiting, to_state=ready,
                         details={"submission": submission_id}, at=at))
    return rows
