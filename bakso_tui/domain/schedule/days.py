"""Teams, plans, and the service days they make: plan, close, cancel, change, list.

Supervisors keep the teams and plan each village's days (``Permission.SCHEDULE``).
A plan is refused whole, naming the clash, when its team already works in
another village on one of its dates, or the village already has a team that
day; the database's unique indexes over active days hold the same line if two
supervisors plan at once. Closing a day for the office, cancelling one
village's day or lowering its capacity moves its bookings (:func:`reflow`)
and reports every move.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bakso_tui.db.models import (
    OfficeClosedDay,
    ServiceDay,
    ServicePlan,
    ServiceTeam,
    Village,
)
from bakso_tui.domain import audit, definer
from bakso_tui.domain.schedule.booking import reflow
from bakso_tui.domain.schedule.model import (
    DAY_ACTIVE,
    DAY_CANCELLED,
    DAY_CLOSED,
    Reflow,
    ScheduleError,
    TeamInfo,
    lock_village,
    team as get_team,
    village as get_village,
)
from bakso_tui.domain.schedule.rules import (
    RuleError,
    Skipped,
    check_range,
    parse_rule,
    served_dates,
)
from bakso_tui.domain.users import Actor, Permission, require_in
from bakso_tui.locale import t

TEAM_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,15}$")
MAX_CAPACITY = 500


def check_capacity(capacity: int) -> int:
    if capacity < 1 or capacity > MAX_CAPACITY:
        raise ScheduleError(t("schedule.bad_capacity", capacity=capacity, max=MAX_CAPACITY),
                            usage=True)
    return capacity


def _write(session: Session, statement: str, rows: list[dict], direct, **params) -> None:
    """A schedule write and its audit rows: on PostgreSQL one call to the owner's
    function (``domain/definer.py``, migration 0016), else `direct()` then the rows."""
    if definer.on_server(session):
        definer.call(session, statement, rows=rows, **params)
        return
    direct()
    audit.append_many(session, rows)


# ------------------------------------------------------------------ teams


def add_team(session: Session, actor: Actor, code: str, name: str, capacity: int = 30,
             *, at: datetime) -> TeamInfo:
    actor = require_in(session, actor, Permission.SCHEDULE)
    code = (code or "").strip().upper()
    if not TEAM_CODE.match(code):
        raise ScheduleError(t("schedule.bad_team_code", code=code), usage=True)
    if not (name or "").strip():
        raise ScheduleError(t("schedule.team_name_needed"), usage=True)
    check_capacity(capacity)
    if session.get(ServiceTeam, code) is not None:
        raise ScheduleError(t("schedule.team_exists", code=code))
    name = name.strip()
    _write(session, "SELECT bakso_team_add(:actor, :code, :name, :capacity, :at,"
           " CAST(:audit AS json))",
           [dict(actor=actor.login, action="team.add", target_type="team", target_id=code,
                 details={"name": name, "capacity": capacity}, at=at)],
           lambda: (session.add(ServiceTeam(code=code, name=name, capacity=capacity,
                                            active=True, created_at=at)), session.flush()),
           actor=actor.login, code=code, name=name, capacity=capacity, at=at)
    return TeamInfo(code, name, capacity, True)


def list_teams(session: Session) -> list[TeamInfo]:
    return [TeamInfo(r.code, r.name, r.capacity, r.active)
            for r in session.scalars(select(ServiceTeam).order_by(ServiceTeam.code))]


# ------------------------------------------------------------------ plans


@dataclass
class PlanResult:
    plan_id: int
    village_code: str
    village_name: str
    team_code: str
    rule: str
    capacity: int
    days: list[date]
    skipped: list[Skipped]
    past: int  # dates of the rule up to today, not planned
    reflow: Reflow = field(default_factory=lambda: Reflow(""))


def closed_days(session: Session, since: date, until: date) -> dict[date, str]:
    return dict(session.execute(
        select(OfficeClosedDay.day, OfficeClosedDay.reason)
        .where(OfficeClosedDay.day >= since, OfficeClosedDay.day <= until)
    ).all())


def _default_team(session: Session, village_code: str) -> ServiceTeam:
    last = session.scalar(
        select(ServicePlan.team_code).where(ServicePlan.village_code == village_code)
        .order_by(ServicePlan.id.desc()).limit(1)
    )
    if last:
        return get_team(session, last)
    teams = session.scalars(select(ServiceTeam).where(ServiceTeam.active)).all()
    if len(teams) == 1:
        return teams[0]
    raise ScheduleError(t("schedule.team_needed"), usage=True)


def create_plan(
    session: Session,
    actor: Actor,
    *,
    village_code: str,
    rule: str,
    start: date,
    until: date,
    team_code: str | None = None,
    capacity: int | None = None,
    today: date,
    at: datetime,
) -> PlanResult:
    """Make a village's days from a rule; refused whole on any clash."""
    actor = require_in(session, actor, Permission.SCHEDULE)
    try:
        parsed = parse_rule(rule)
        check_range(start, until)
    except RuleError as exc:
        raise ScheduleError(str(exc), usage=True) from None
    if capacity is not None:
        check_capacity(capacity)
    place = get_village(session, village_code)
    crew = get_team(session, team_code) if team_code else _default_team(session, place.code)
    capacity = capacity if capacity is not None else crew.capacity
    if until <= today:
        raise ScheduleError(t("schedule.range_past", until=until.isoformat()))
    closed = closed_days(session, start, until)
    served, skipped = served_dates(parsed, start, until, closed)
    past = sum(1 for d in served if d <= today)
    served = [d for d in served if d > today]
    if not served:
        raise ScheduleError(t("schedule.no_days", rule=parsed.text, start=start.isoformat(),
                              until=until.isoformat()))
    _refuse_clash(session, place.code, crew.code, served)
    server = definer.on_server(session)
    if server:  # the id first: the audit row names it
        plan_id = definer.next_id(session, "service_plan")
    else:
        plan = ServicePlan(village_code=place.code, team_code=crew.code, rule=parsed.text,
                           starts_on=start, ends_on=until, capacity=capacity,
                           created_by=actor.login, created_at=at)
        session.add(plan)
        session.flush()
        plan_id = plan.id
    row = dict(actor=actor.login, action="plan.create", target_type="village",
               target_id=place.code,
               details={"plan": plan_id, "team": crew.code, "rule": parsed.text,
                        "from": start.isoformat(), "until": until.isoformat(),
                        "capacity": capacity, "days": len(served),
                        "skipped": [s.day.isoformat() for s in skipped]}, at=at)
    try:
        with session.begin_nested():
            _write(session, "SELECT bakso_plan_create(:actor, :plan, :village, :team, :rule,"
                   " :from_, :until, :capacity, CAST(:days AS date[]), :at, CAST(:audit AS json))",
                   [row], lambda: session.execute(insert(ServiceDay.__table__), [
                       dict(plan_id=plan_id, day=d, village_code=place.code, team_code=crew.code,
                            capacity=capacity, booked=0, state=DAY_ACTIVE, reason="",
                            created_at=at, updated_at=at)
                       for d in served]),
                   actor=actor.login, plan=plan_id, village=place.code, team=crew.code,
                   rule=parsed.text, from_=start, until=until, capacity=capacity,
                   days=served, at=at)
    except IntegrityError:  # another supervisor planned the same day a moment ago
        raise ScheduleError(t("schedule.clash_race", village=place.code)) from None
    result = PlanResult(plan_id, place.code, place.name, crew.code, parsed.text, capacity,
                        served, skipped, past)
    result.reflow = reflow(session, actor.login, place.code, today=today, at=at,
                           by=actor)
    return result


def _refuse_clash(session: Session, village_code: str, team_code: str, days: list[date],
                  *, ignore_day_id: int | None = None) -> None:
    rows = session.execute(
        select(ServiceDay.id, ServiceDay.day, ServiceDay.village_code, ServiceDay.team_code,
               Village.name)
        .join(Village, Village.code == ServiceDay.village_code)
        .where(ServiceDay.state == DAY_ACTIVE, ServiceDay.day.in_(days),
               (ServiceDay.team_code == team_code) | (ServiceDay.village_code == village_code))
        .order_by(ServiceDay.day)
    ).all()
    for row in rows:
        if row.id == ignore_day_id:
            continue
        if row.team_code == team_code and row.village_code != village_code:
            raise ScheduleError(t("schedule.clash_team", team=team_code, day=row.day.isoformat(),
                                  village=f"{row.name} ({row.village_code})"))
        raise ScheduleError(t("schedule.clash_village", day=row.day.isoformat(),
                              village=f"{row.name} ({row.village_code})", team=row.team_code))


# ------------------------------------------------------------------ changing days


@dataclass
class DayChange:
    """A closed, cancelled or changed day and what it did to the bookings."""

    day: date
    villages: list[str]
    reflow: Reflow


def close_office_day(session: Session, actor: Actor, day: date, reason: str, *, today: date,
                     at: datetime) -> DayChange:
    """The office does no mobile service on `day`: its days close, their bookings move."""
    actor = require_in(session, actor, Permission.SCHEDULE)
    reason = (reason or "").strip()
    if not reason:
        raise ScheduleError(t("schedule.reason_needed"), usage=True)
    if day < today:
        raise ScheduleError(t("schedule.close_past", day=day.isoformat()))
    if session.get(OfficeClosedDay, day) is not None:
        raise ScheduleError(t("schedule.already_closed", day=day.isoformat()))
    _write(session, "SELECT bakso_office_close(:actor, :day, :reason, :at, CAST(:audit AS json))",
           [dict(actor=actor.login, action="office.close_day", target_type="office",
                 target_id=day.isoformat(), reason=reason, at=at)],
           lambda: (session.add(OfficeClosedDay(day=day, reason=reason, created_by=actor.login,
                                                created_at=at)), session.flush()),
           actor=actor.login, day=day, reason=reason, at=at)
    days = session.scalars(
        select(ServiceDay).where(ServiceDay.day == day, ServiceDay.state == DAY_ACTIVE)
        .order_by(ServiceDay.village_code)
    ).all()
    return _end_days(session, actor, days, DAY_CLOSED, reason, today=today, at=at, day=day)


def find_day(session: Session, village_code: str, day: date) -> ServiceDay:
    found = session.scalar(
        select(ServiceDay).where(ServiceDay.village_code == village_code, ServiceDay.day == day,
                                 ServiceDay.state == DAY_ACTIVE)
    )
    if found is None:
        raise ScheduleError(t("schedule.no_day", village=village_code, day=day.isoformat()))
    return found


def cancel_day(session: Session, actor: Actor, village_code: str, day: date, reason: str, *,
               today: date, at: datetime) -> DayChange:
    """Cancel one village's day; its bookings move to the village's next day with room."""
    actor = require_in(session, actor, Permission.SCHEDULE)
    if day <= today:
        raise ScheduleError(t("schedule.change_past", day=day.isoformat()))
    found = find_day(session, get_village(session, village_code).code, day)
    return _end_days(session, actor, [found], DAY_CANCELLED, (reason or "").strip(),
                     today=today, at=at, day=day)


def _end_days(session: Session, actor: Actor, days: list[ServiceDay], state: str, reason: str,
              *, today: date, at: datetime, day: date) -> DayChange:
    change = DayChange(day, [], Reflow("*"))
    for found in days:
        # Lock first, then change: a booking made meanwhile is on the locked side.
        lock_village(session, found.village_code)
        _write(session, "SELECT bakso_day_change(:actor, :day, :state, :reason, NULL, NULL, :at,"
               " CAST(:audit AS json))",
               [dict(actor=actor.login, action=f"service_day.{state}", target_type="village",
                     target_id=found.village_code, from_state=DAY_ACTIVE, to_state=state,
                     reason=reason, details={"day": found.day.isoformat(),
                                             "team": found.team_code}, at=at)],
               lambda: session.execute(update(ServiceDay).where(ServiceDay.id == found.id)
                                       .values(state=state, reason=reason, updated_at=at)),
               actor=actor.login, day=found.id, state=state, reason=reason, at=at)
        change.villages.append(found.village_code)
        change.reflow.extend(reflow(session, actor.login, found.village_code, today=today,
                                    at=at, by=actor))
    return change


def change_day(session: Session, actor: Actor, village_code: str, day: date, *,
               capacity: int | None = None, team_code: str | None = None, today: date,
               at: datetime) -> DayChange:
    """Another capacity or team for one day; residents beyond a lower capacity move."""
    actor = require_in(session, actor, Permission.SCHEDULE)
    if day <= today:
        raise ScheduleError(t("schedule.change_past", day=day.isoformat()))
    found = find_day(session, get_village(session, village_code).code, day)
    lock_village(session, found.village_code)
    before = {"capacity": found.capacity, "team": found.team_code}
    values: dict = {"updated_at": at}
    if team_code:
        crew = get_team(session, team_code)
        _refuse_clash(session, found.village_code, crew.code, [day], ignore_day_id=found.id)
        values["team_code"] = crew.code
    if capacity is not None:
        values["capacity"] = check_capacity(capacity)
    change = DayChange(day, [found.village_code], Reflow(found.village_code))
    new_capacity = values.get("capacity", found.capacity)
    if new_capacity < found.capacity:
        # Move whoever no longer fits first: booked <= capacity holds at every step.
        change.reflow = reflow(session, actor.login, found.village_code, today=today, at=at,
                               capacities={found.id: new_capacity}, by=actor)
    row = dict(actor=actor.login, action="service_day.change", target_type="village",
               target_id=found.village_code,
               details={"day": day.isoformat(), "before": before,
                        "after": {"capacity": new_capacity,
                                  "team": values.get("team_code", found.team_code)}}, at=at)
    try:  # the change and its audit row, then the residents a higher capacity takes in
        with session.begin_nested():
            _write(session, "SELECT bakso_day_change(:actor, :day, NULL, NULL, :capacity, :team,"
                   " :at, CAST(:audit AS json))", [row],
                   lambda: session.execute(update(ServiceDay).where(ServiceDay.id == found.id)
                                           .values(**values)),
                   actor=actor.login, day=found.id, capacity=values.get("capacity"),
                   team=values.get("team_code"), at=at)
    except IntegrityError:  # the team was given that day elsewhere a moment ago
        raise ScheduleError(t("schedule.clash_race", village=found.village_code)) from None
    if new_capacity > found.capacity:
        change.reflow = reflow(session, actor.login, found.village_code, today=today, at=at,
                               by=actor)
    return change
