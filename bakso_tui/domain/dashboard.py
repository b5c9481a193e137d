"""The supervisor's dashboard: every figure, each from an index or a counter.

At a million submissions on PostgreSQL each figure answers in well under
100 ms (``bench/dashboard.py``), because none of them walks the submissions:

- the queue by state and age band: ``open_tally`` (open submissions by the
  office day they were received and the day their service time ends), the
  claimed ones (few) and those due earlier today on ``ix_submission_state_due``;
- decisions today and this week per verifier, the top return and reject
  reasons (last 30 days) and the decided line of the plot:
  ``decision_tally`` (office day, verifier, action, reason → count);
- per kecamatan and village: ``village_tally``;
- received per day: ``daily_tally``;
- all three counters are kept by triggers in the writers' own transactions
  (migration 0014), so no writer can forget them;
- coming service days: ``ix_service_day_day``; the scheduler's last runs:
  ``ix_job_run_job``.

Bands: *today* is received since midnight (WITA), *1-3 days* in the three
working days before, *older* the rest; *past the limit* counts those whose
service time (``domain/calendar.due_at``) has run out, whatever their age, so
it overlaps the age bands. Returns: submissions whose decision was to return
them; the approval rate is approved over decided (approved, returned,
rejected).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from time import perf_counter
from typing import TYPE_CHECKING

from sqlalchemy import Select, bindparam, case, func, literal_column, select
from sqlalchemy.orm import Session

from bakso_tui.db.models import (
    DailyTally,
    DecisionTally,
    JobRun,
    Kecamatan,
    OpenTally,
    ReasonCode,
    Submission,
    User,
    Village,
    VillageTally,
    state_in,
)
from bakso_tui.db.tally_models import DOCUMENT, SUBMISSION
from bakso_tui.domain.calendar import office_today
from bakso_tui.domain.dashboard_model import (  # noqa: F401 - also said as dashboard.Area, …
    Area,
    Band,
    Dashboard,
    DayFlow,
    JobLast,
    ReasonCount,
    VerifierCount,
    local_midnight,
    working_days_before,
)
from bakso_tui.domain.users import Actor, Permission, require
from bakso_tui.domain.workflow import OPEN_STATES, Action, DocState, State

if TYPE_CHECKING:  # the schedule's package brings dateutil: not at start-up (issue 16)
    from bakso_tui.domain.schedule.model import ServiceDayInfo

PLOT_DAYS = 30
REASON_DAYS = 30
TOP_REASONS = 5
SERVICE_DAYS_AHEAD = 14
COMING_DAYS = 12

WAITING_RECORDING = (DocState.WAITING_RECORDING.value,)
WAITING_PRINTING = (DocState.READY.value, DocState.IN_BATCH.value)
WAITING_HANDOVER = (DocState.PRINTED.value,)


# -------------------------------------------------------------------- figures
#
# Each figure is one or a few queries (``_queries``) and what is made from
# their rows (``_board``). ``read_dashboard`` sends every query as ONE
# statement, each query's rows as a JSON array in a column of its one row:
# one round trip instead of a dozen, so a read in the screen's worker is not
# held up a dozen times while the screen's thread keeps the interpreter busy.
# ``read_dashboard(each=True)`` sends them one by one and times each figure
# (the benchmark); both give the same board.

#: The figures and their queries, in the benchmark's words.
FIGURES = {
    "queue_bands": ("open_tally", "due_today", "claimed"),
    "decisions_by_verifier": ("verifiers",),
    "top_reasons": ("reasons",),
    "areas": ("areas",),
    "service_days": ("service_days",),
    "job_runs": ("job_runs",),
    "daily_flow": ("received", "decided"),
}


def _sum_if(condition, value=None):
    return func.coalesce(func.sum(case((condition, VillageTally.n if value is None else value),
                                       else_=0)), 0)


def _params(now: datetime) -> dict[str, date | datetime]:
    """The moments and days the queries are asked with (``_queries``' parameters)."""
    today = office_today(now)
    first_recent = working_days_before(today, 3)
    return {"now": now, "today": today, "start_today": local_midnight(today),
            "first_recent": first_recent, "start_recent": local_midnight(first_recent),
            "monday": today - timedelta(days=today.weekday()),
            "since_reasons": today - timedelta(days=REASON_DAYS - 1),
            "first_plot": today - timedelta(days=PLOT_DAYS - 1),
            "last_service_day": today + timedelta(days=SERVICE_DAYS_AHEAD)}


@lru_cache(maxsize=8)
def _queries(lang: str) -> dict[str, Select]:
    """Every query of the dashboard, made once per language: a read only binds
    ``_params`` (building them each time cost more than sending them)."""
    now, today, start_today, first_recent, start_recent, monday, since_reasons, first_plot = (
        bindparam(name) for name in ("now", "today", "start_today", "first_recent",
                                     "start_recent", "monday", "since_reasons", "first_plot"))
    n = OpenTally.n
    submission = VillageTally.subject == SUBMISSION
    document = VillageTally.subject == DOCUMENT
    newest_run = (select(JobRun.job_id, func.max(JobRun.started_at).label("at"))
                  .group_by(JobRun.job_id).subquery())
    from bakso_tui.domain.schedule.views import days_query

    return {
        # The open submissions by the office day they came in and the day their
        # service time ends (kind: received | due).
        "open_tally": select(
            OpenTally.kind, func.sum(case((OpenTally.day == today, n), else_=0)),
            func.sum(case((OpenTally.day < today, n), else_=0)),
            func.sum(case(((OpenTally.day >= first_recent) & (OpenTally.day < today), n),
                          else_=0)),
            func.sum(n)).group_by(OpenTally.kind),
        "due_today": select(func.count()).select_from(Submission).where(
            state_in(*OPEN_STATES), Submission.due_at >= start_today, Submission.due_at < now),
        "claimed": select(
            func.count(), func.count(case((Submission.due_at < now, 1))),
            func.count(case((Submission.received_at >= start_today, 1))),
            func.count(case(((Submission.received_at >= start_recent)
                             & (Submission.received_at < start_today), 1))))
        .where(state_in(State.CLAIMED)),
        "verifiers": select(
            User.login, User.name,
            func.sum(case((DecisionTally.day == today, DecisionTally.n), else_=0)),
            func.sum(DecisionTally.n))
        .join(User, User.id == DecisionTally.actor_id)
        .where(DecisionTally.day >= monday, DecisionTally.day <= today)
        .group_by(User.login, User.name),
        "reasons": select(
            DecisionTally.action, DecisionTally.reason_code,
            func.coalesce(ReasonCode.name_en if lang == "en" else ReasonCode.name, ""),
            func.sum(DecisionTally.n))
        .outerjoin(ReasonCode, ReasonCode.id == DecisionTally.reason_code)
        .where(DecisionTally.day >= since_reasons,
               DecisionTally.action.in_([Action.RETURN.value, Action.REJECT.value]))
        .group_by(DecisionTally.action, DecisionTally.reason_code,
                  ReasonCode.name_en if lang == "en" else ReasonCode.name),
        # Every village with its kecamatan and its counters, added up per village.
        "areas": select(
            Village.code, Village.name, Village.kecamatan_code,
            Kecamatan.name.label("kecamatan_name"), _sum_if(submission),
            _sum_if(submission & (VillageTally.state == State.APPROVED.value)),
            _sum_if(submission & VillageTally.state.in_(
                [State.APPROVED.value, State.RETURNED.value, State.REJECTED.value])),
            _sum_if(submission & (VillageTally.state == State.RETURNED.value)),
            _sum_if(document & VillageTally.state.in_(WAITING_RECORDING)),
            _sum_if(document & VillageTally.state.in_(WAITING_PRINTING)),
            _sum_if(document & VillageTally.state.in_(WAITING_HANDOVER)))
        .join(Kecamatan, Kecamatan.code == Village.kecamatan_code)
        .outerjoin(VillageTally, VillageTally.village_code == Village.code)
        .group_by(Village.code, Village.name, Village.kecamatan_code, Kecamatan.name),
        "service_days": days_query(since=today, until=bindparam("last_service_day"),
                                   limit=COMING_DAYS),
        "job_runs": select(
            JobRun.job_id, JobRun.started_at, JobRun.finished_at, JobRun.outcome, JobRun.error,
            JobRun.id)
        .join(newest_run, (newest_run.c.job_id == JobRun.job_id)
              & (newest_run.c.at == JobRun.started_at)),
        "received": select(DailyTally.day, DailyTally.n)
        .where(DailyTally.kind == "received", DailyTally.day >= first_plot),
        "decided": select(DecisionTally.day, func.sum(DecisionTally.n))
        .where(DecisionTally.day >= first_plot).group_by(DecisionTally.day),
    }


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _moment(value) -> datetime | None:
    """A UTC moment from a row: a datetime, or its text inside JSON (PostgreSQL
    writes the offset; SQLite keeps naive UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _bands(rows: dict[str, list], now: datetime) -> list[Band]:
    by_kind = {r[0]: [int(x or 0) for x in r[1:]] for r in rows["open_tally"]}
    open_today, _, open_recent, open_total = by_kind.get("received", [0, 0, 0, 0])
    due_before = by_kind.get("due", [0, 0, 0, 0])[1]
    open_past = due_before + int(rows["due_today"][0][0] or 0)
    total, late, today, recent = (int(x or 0) for x in rows["claimed"][0])
    held = Band(State.CLAIMED.value, total, today, recent, late)
    queued = Band(State.QUEUED.value, max(open_total - held.total, 0),
                  max(open_today - held.today, 0), max(open_recent - held.recent, 0),
                  max(open_past - held.past_limit, 0))
    return [queued, held]


def _reasons(rows: list) -> list[ReasonCount]:
    out: list[ReasonCount] = []
    for action in (Action.RETURN.value, Action.REJECT.value):
        mine = sorted((r for r in rows if r[0] == action and r[3]),
                      key=lambda r: (-r[3], r[1]))[:TOP_REASONS]
        out += [ReasonCount(action, code, name or "", int(count))
                for _, code, name, count in mine]
    return out


def _areas(rows: list) -> tuple[list[Area], list[Area]]:
    villages = [Area(code, name, kecamatan_code, *(int(x or 0) for x in counts))
                for code, name, kecamatan_code, _, *counts in rows]
    kecamatan: dict[str, Area] = {}
    for (_, _, code, name, *_), village in zip(rows, villages, strict=True):
        kecamatan.setdefault(code, Area(code, name)).add(village)
    by_load = lambda a: (-a.submissions, a.name)  # noqa: E731
    return sorted(kecamatan.values(), key=by_load), sorted(villages, key=by_load)


def _jobs(rows: list) -> list[JobLast]:
    seen: dict[str, JobLast] = {}
    for job_id, started, finished, outcome, error, _ in sorted(rows, key=lambda r: (r[0], r[5])):
        seen[job_id] = JobLast(job_id, _moment(started), _moment(finished), outcome, error)
    return list(seen.values())


def _flow(rows: dict[str, list], now: datetime) -> list[DayFlow]:
    first = office_today(now) - timedelta(days=PLOT_DAYS - 1)
    received = {_day(day): int(n) for day, n in rows["received"]}
    decided = {_day(day): int(n or 0) for day, n in rows["decided"]}
    days = [first + timedelta(days=i) for i in range(PLOT_DAYS)]
    return [DayFlow(day, received.get(day, 0), decided.get(day, 0)) for day in days]


def _service_days(rows: list) -> list[ServiceDayInfo]:
    from bakso_tui.domain.schedule.views import day_from_row

    days = [day_from_row(r[0], _day(r[1]), *r[2:]) for r in rows]
    return sorted(days, key=lambda d: (d.day, d.village_code))


def _json_rows(query: Select, dialect: str):
    """A query's rows as one JSON array of arrays (a scalar subquery)."""
    sub = query.subquery()
    if dialect == "postgresql":
        rows = func.json_agg(func.json_build_array(*sub.c))
        return select(func.coalesce(rows, literal_column("'[]'::json"))).scalar_subquery()
    return select(func.json_group_array(func.json_array(*sub.c))).scalar_subquery()


@lru_cache(maxsize=8)
def _one_statement(dialect: str, lang: str) -> Select:
    return select(*(_json_rows(q, dialect).label(name) for name, q in _queries(lang).items()))


def read_dashboard(session: Session, actor: Actor, now: datetime, lang: str = "id", *,
                   each: bool = False) -> Dashboard:
    """Every figure of the dashboard: one statement, or with `each` one query
    after another, each figure timed (in ``Dashboard.timings``)."""
    require(actor, Permission.DASHBOARD)
    queries, params = _queries(lang), _params(now)
    timings: dict[str, float] = {}
    start = perf_counter()
    if each:
        rows = {}
        for figure, names in FIGURES.items():
            began = perf_counter()
            for name in names:
                rows[name] = [tuple(r) for r in session.execute(queries[name], params)]
            timings[figure] = round((perf_counter() - began) * 1000, 2)
    else:
        one = session.execute(_one_statement(session.get_bind().dialect.name, lang),
                              params).one()
        rows = {name: value if isinstance(value, list) else json.loads(value)
                for name, value in zip(queries, one, strict=True)}
    timings["whole_read"] = round((perf_counter() - start) * 1000, 2)
    verifiers = sorted((VerifierCount(login, name, int(today), int(week))
                        for login, name, today, week in rows["verifiers"] if week),
                       key=lambda r: (-r.today, -r.week, r.login))
    kecamatan, villages = _areas(rows["areas"])
    return Dashboard(now, _bands(rows, now), verifiers, _reasons(rows["reasons"]), kecamatan,
                     villages, _service_days(rows["service_days"]), _jobs(rows["job_runs"]),
                     _flow(rows, now), timings)
