"""The recording queue: residents booked onto their village's service days.

A submission whose documents wait for biometric recording
(``menunggu_perekaman``) is booked onto its village's next service day with
room. Who goes first is the queue's own order: priority residents first, then
the oldest submission (:data:`~bakso_tui.db.models.WORK_ORDER`). Bedridden and
disabled residents are booked as home visits; they count against the day's
capacity like everyone else (the team records them).

:func:`reflow_many` (and :func:`reflow`, for one village) is the one place
bookings are made or moved. It reads the villages' days after today and their
live bookings in a few statements whatever their number, and places everyone
who is not fixed in that order, day by day, up to each day's capacity:

- a day whose list has been printed or announced keeps the residents on it
  (only its spare places are filled): nobody who was told a day loses it to
  a newcomer; a day that has not been listed yet is filled in order, so a
  priority resident approved today goes before an older booking there;
- bookings on a day that was closed or cancelled, or beyond a day's lowered
  capacity, are moved to the next day with room, or left waiting (and said
  so) when no day has room;
- days up to and including today are never changed (the team is there).

Approval (:func:`book_after_approval`, called from ``record_decision``), a new
plan, a closed, cancelled or changed day, and an absent resident each run it
for the village concerned. It takes the villages' locks (``lock_villages``),
so concurrent approvals see each other's bookings, and the database's CHECK
keeps every day within its capacity whatever happens. Its audit rows go in
one call (``audit.append_many``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from bakso_tui.db.models import (
    IssuedDocument,
    RecordingBooking,
    ServiceDay,
    Submission,
)
from bakso_tui.domain import audit, definer
from bakso_tui.domain.calendar import office_today
from bakso_tui.domain.schedule.model import (
    BOOKED,
    COUNTED,
    DAY_ACTIVE,
    DROPPED,
    HOME_VISIT_REASONS,
    MOVED,
    Move,
    Reflow,
    lock_villages,
)
from bakso_tui.domain.users import Actor
from bakso_tui.domain.workflow import DocState


class _Day(NamedTuple):  # a tuple: a year of days for 254 villages is 25,000 of them
    id: int
    village: str
    day: date
    capacity: int
    listed: bool


@dataclass
class _Place:
    submission_id: int
    village: str
    key: tuple  # the work order: (priority_rank, submitted_at, id)
    number: str
    name: str
    home_visit: bool
    booking_id: int | None = None  # the live booking, if any
    day_id: int | None = None  # the day it is on now
    day: date | None = None


def home_visit(priority_reasons: list | tuple | None) -> bool:
    return bool(HOME_VISIT_REASONS.intersection(priority_reasons or ()))


def waiting_exists():
    """A submission with documents waiting for recording."""
    return exists().where(
        IssuedDocument.submission_id == Submission.id,
        IssuedDocument.state == DocState.WAITING_RECORDING.value,
    )


def _live_booking():
    return exists().where(
        RecordingBooking.submission_id == Submission.id, RecordingBooking.state == BOOKED
    )


def reflow(session: Session, actor: str, village_code: str, *, today: date,
           at: datetime, capacities: dict[int, int] | None = None,
           by: Actor | None = None) -> Reflow:
    """Place the village's waiting and movable residents on its days after `today`.

    ``capacities`` counts some days with a capacity they are about to get
    (a lowered one), so that whoever no longer fits moves first. A person's
    change (``by``: a supervisor's of the days, anyone's recorded absence)
    writes the moves on PostgreSQL through the owner's ``bakso_bookings_move``
    (``domain/definer.py``); the jobs' and the command line's system write them.
    """
    if by is not None and by.id is not None and definer.on_server(session):
        codes = [village_code]
        lock_villages(session, codes)
        results, changes = _plan(session, codes, today=today, at=at,
                                 capacities=capacities or {})
        definer.call(session, "SELECT bakso_bookings_move(:user, :login, :village,"
                     " CAST(:moved AS bigint[]), CAST(:dropped AS bigint[]), CAST(:new AS json),"
                     " :at, CAST(:audit AS json))",
                     rows=_audit_rows(actor, results[village_code], at), user=by.id,
                     login=by.login, village=village_code, moved=changes.moved,
                     dropped=changes.dropped, at=at,
                     new=json.dumps([{k: r[k] for k in ("submission_id", "service_day_id",
                                                        "home_visit")}
                                     for r in changes.new_rows]))
        return results[village_code]
    return reflow_many(session, actor, [village_code], today=today, at=at,
                       capacities=capacities)[village_code]


def reflow_many(session: Session, actor: str, village_codes: list[str], *, today: date,
                at: datetime, capacities: dict[int, int] | None = None) -> dict[str, Reflow]:
    """:func:`reflow` for several villages at once, in the same few statements."""
    codes = sorted(set(village_codes))
    lock_villages(session, codes)
    results, changes = _plan(session, codes, today=today, at=at, capacities=capacities or {})
    changes.write(session, at)
    audit.append_many(session, [row for code in codes
                                for row in _audit_rows(actor, results[code], at)])
    return results


def plan_after_approval(session: Session, submission: Submission, *,
                        at: datetime) -> dict | None:
    """What :func:`book_after_approval` would change, for an approval not yet
    written (its documents not issued yet): the village locked, nothing
    written. The bookings as ``bakso_decide`` takes them (migration 0015):
    ``{"moved": [booking id], "dropped": [booking id], "new": [{"submission_id",
    "service_day_id", "home_visit"}]}``; None when it needs no recording."""
    if not submission.service.needs_recording:
        return None
    code = submission.village_code
    lock_villages(session, [code])
    _, changes = _plan(session, [code], today=office_today(at), at=at, capacities={},
                       also_waiting=submission.id)
    keys = ("submission_id", "service_day_id", "home_visit")
    return {"moved": changes.moved, "dropped": changes.dropped,
            "new": [{k: row[k] for k in keys} for row in changes.new_rows]}


def _plan(session: Session, codes: list[str], *, today: date, at: datetime,
          capacities: dict[int, int], also_waiting: int | None = None):
    """Who goes where in these (locked) villages: the results and the changes,
    nothing written. `also_waiting`: a submission counted as waiting for
    recording although its documents are not written yet."""
    days = [
        _Day(r.id, r.village_code, r.day, capacities.get(r.id, r.capacity),
             r.listed_at is not None)
        for r in session.execute(
            select(ServiceDay.id, ServiceDay.village_code, ServiceDay.day, ServiceDay.capacity,
                   ServiceDay.listed_at)
            .where(ServiceDay.village_code.in_(codes), ServiceDay.state == DAY_ACTIVE,
                   ServiceDay.day > today)
            .order_by(ServiceDay.village_code, ServiceDay.day, ServiceDay.id)
        )
    ]
    # Places on these days that are settled (recorded, absent) still count.
    settled = dict(session.execute(
        select(RecordingBooking.service_day_id, func.count())
        .join(ServiceDay, ServiceDay.id == RecordingBooking.service_day_id)
        .where(ServiceDay.village_code.in_(codes), ServiceDay.state == DAY_ACTIVE,
               ServiceDay.day > today,
               RecordingBooking.state.in_([s for s in COUNTED if s != BOOKED]))
        .group_by(RecordingBooking.service_day_id)
    ).all())
    # Live bookings that may move: all of these villages', except on days up to today.
    live = session.execute(
        select(RecordingBooking.id, RecordingBooking.service_day_id, RecordingBooking.home_visit,
               ServiceDay.day, ServiceDay.village_code, Submission.id.label("sid"),
               Submission.priority_rank, Submission.submitted_at, Submission.number,
               Submission.applicant_name)
        .join(ServiceDay, ServiceDay.id == RecordingBooking.service_day_id)
        .join(Submission, Submission.id == RecordingBooking.submission_id)
        .where(ServiceDay.village_code.in_(codes), RecordingBooking.state == BOOKED,
               or_(ServiceDay.state != DAY_ACTIVE, ServiceDay.day > today))
    ).all()
    waiting = session.execute(
        select(Submission.id, Submission.village_code, Submission.priority_rank,
               Submission.submitted_at, Submission.number, Submission.applicant_name,
               Submission.priority_reasons)
        .where(Submission.village_code.in_(codes),
               or_(waiting_exists(), Submission.id == also_waiting)
               if also_waiting is not None else waiting_exists(),
               ~_live_booking())
    ).all()
    places: dict[str, list[_Place]] = {code: [] for code in codes}
    for r in live:
        places[r.village_code].append(_Place(
            r.sid, r.village_code, (r.priority_rank, r.submitted_at, r.sid), r.number or "",
            r.applicant_name, r.home_visit, r.id, r.service_day_id, r.day))
    for r in waiting:
        places[r.village_code].append(_Place(
            r.id, r.village_code, (r.priority_rank, r.submitted_at, r.id), r.number or "",
            r.applicant_name, home_visit(r.priority_reasons)))
    by_village: dict[str, list[_Day]] = {code: [] for code in codes}
    for day in days:
        by_village[day.village].append(day)
    results = {code: Reflow(code) for code in codes}
    changes = _Changes()
    for code in codes:
        _place(by_village[code], settled, places[code], results[code], changes, at)
    return results, changes


@dataclass
class _Changes:
    moved: list[int] = field(default_factory=list)  # booking ids that end as moved
    dropped: list[int] = field(default_factory=list)  # ... that end with no day
    new_rows: list[dict] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)  # days whose count changes

    def write(self, session: Session, at: datetime) -> None:
        for state, ids in ((MOVED, self.moved), (DROPPED, self.dropped)):
            if ids:
                session.execute(update(RecordingBooking).where(RecordingBooking.id.in_(ids))
                                .values(state=state, updated_at=at)
                                .execution_options(synchronize_session=False))
        if self.new_rows:
            session.execute(insert(RecordingBooking.__table__), self.new_rows)
        if self.touched:
            _recount(session, self.touched, at)


def _place(days: list[_Day], settled: dict[int, int], places: list[_Place], result: Reflow,
           changes: _Changes, at: datetime) -> None:
    """One village: who stays, who goes where, in the work order."""
    places.sort(key=lambda p: p.key)
    listed = {d.id: d for d in days if d.listed}
    # Residents on a listed day stay there, as many as its capacity allows.
    fixed: dict[int, int] = {}
    movable: list[_Place] = []
    for place in places:
        if place.day_id in listed:
            day = listed[place.day_id]
            if fixed.get(day.id, 0) + settled.get(day.id, 0) < day.capacity:
                fixed[day.id] = fixed.get(day.id, 0) + 1
                continue
        movable.append(place)
    # Everyone else, in the work order, day by day.
    target: dict[int, _Day] = {}
    queue = iter(movable)
    for day in days:
        room = day.capacity - settled.get(day.id, 0) - fixed.get(day.id, 0)
        for _ in range(max(0, room)):
            place = next(queue, None)
            if place is None:
                break
            target[place.submission_id] = day
    for place in movable:
        goal = target.get(place.submission_id)
        if place.booking_id is not None and goal is not None and goal.id == place.day_id:
            continue
        move = Move(place.submission_id, place.number, place.name, place.day,
                    goal.day if goal else None)
        if place.booking_id is not None:
            (changes.moved if goal else changes.dropped).append(place.booking_id)
            changes.touched.add(place.day_id)
            (result.moved if goal else result.unplaced).append(move)
        elif goal is None:
            result.unplaced.append(move)
            continue
        else:
            result.booked.append(move)
        if goal is not None:
            changes.touched.add(goal.id)
            changes.new_rows.append(dict(
                submission_id=place.submission_id, service_day_id=goal.id,
                home_visit=place.home_visit, state=BOOKED, created_at=at, updated_at=at))


def _recount(session: Session, day_ids: set[int], at: datetime) -> None:
    counted = (
        select(func.count()).select_from(RecordingBooking)
        .where(RecordingBooking.service_day_id == ServiceDay.id,
               RecordingBooking.state.in_(COUNTED))
        .scalar_subquery()
    )
    session.execute(
        update(ServiceDay).where(ServiceDay.id.in_(sorted(day_ids)))
        .values(booked=counted, updated_at=at)
        .execution_options(synchronize_session=False)
    )


def _audit_rows(actor: str, result: Reflow, at: datetime) -> list[dict]:
    rows = []
    for kind, moves in (("booking.create", result.booked), ("booking.move", result.moved),
                        ("booking.unplaced", result.unplaced)):
        for move in moves:
            if kind == "booking.unplaced" and move.from_day is None:
                continue  # it waited before and waits still: nothing changed
            rows.append(dict(
                actor=actor, action=kind, target_type="submission",
                target_id=move.submission_id,
                from_state=move.from_day.isoformat() if move.from_day else None,
                to_state=move.to_day.isoformat() if move.to_day else None,
                details={"village": result.village_code}, at=at,
            ))
    return rows


def book_after_approval(session: Session, actor: Actor, submission: Submission, *,
                        at: datetime) -> date | None:
    """Book an approved submission whose documents wait for recording.

    Returns the day it was booked on, None when it needs no recording or no
    day of its village has room (it waits, and is booked when days change).
    """
    if not submission.service.needs_recording:
        return None
    reflow(session, actor.login, submission.village_code, today=office_today(at), at=at)
    return booked_day(session, submission.id)


def booked_day(session: Session, submission_id: int) -> date | None:
    return session.scalar(
        select(ServiceDay.day).join(RecordingBooking,
                                    RecordingBooking.service_day_id == ServiceDay.id)
        .where(RecordingBooking.submission_id == submission_id, RecordingBooking.state == BOOKED)
    )


def book_waiting(session: Session, actor: str, *, today: date, at: datetime,
                 villages: list[str] | None = None) -> Reflow:
    """Reflow every village with residents waiting for a day (or the ones named)."""
    if villages is None:
        villages = list(session.scalars(
            select(Submission.village_code).where(waiting_exists(), ~_live_booking())
            .distinct().order_by(Submission.village_code)
        ))
    total = Reflow("*")
    for result in reflow_many(session, actor, villages, today=today, at=at).values():
        total.extend(result)
    return total
