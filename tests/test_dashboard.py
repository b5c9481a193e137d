"""The dashboard's figures (domain/dashboard.py) and the counters behind them
(migration 0014), on SQLite and PostgreSQL: each figure equals a plain count."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, insert, select, update

from bakso_tui.db.models import (
    DailyTally,
    IssuedDocument,
    JobRun,
    OpenTally,
    ServiceDay,
    ServiceTeam,
    Submission,
    VillageTally,
)
from bakso_tui.demo.bulk import bulk_seed
from bakso_tui.domain import dashboard, users
from bakso_tui.domain.calendar import OFFICE_TZ
from bakso_tui.domain.claims import claim, decide
from bakso_tui.domain.users import PermissionDenied
from bakso_tui.domain.workflow import Action

# Friday 20 November 2026, 11:00 WITA.
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def people(db):
    with db.write() as s:
        return {login: users.add_user(s, users.cli_actor(), login=login, name=f"Nama {login}",
                                      role=role).actor()
                for login, role in [("verif1", "verifier"), ("verif2", "verifier"),
                                    ("spv1", "supervisor")]}


def _tally(db) -> dict:
    with db.read() as s:
        return {(r.village_code, r.subject, r.state): r.n
                for r in s.execute(select(VillageTally)).scalars() if r.n}


def _counted(db) -> dict:
    """The same figures counted from the tables themselves."""
    with db.read() as s:
        out: Counter = Counter()
        for village, state in s.execute(select(Submission.village_code, Submission.state)):
            out[(village, "submission",
                 "open" if state in ("diajukan", "diverifikasi") else state)] += 1
        for village, state in s.execute(select(IssuedDocument.village_code, IssuedDocument.state)):
            out[(village, "document", state)] += 1
    return dict(out)


def _open_tally(db) -> dict:
    with db.read() as s:
        return {(r.kind, r.day): r.n for r in s.scalars(select(OpenTally)) if r.n}


def _open_counted(db) -> dict:
    out: Counter = Counter()
    with db.read() as s:
        for received, due in s.execute(select(Submission.received_at, Submission.due_at)
                                       .where(Submission.state.in_(["diajukan", "diverifikasi"]))):
            out[("received", received.astimezone(OFFICE_TZ).date())] += 1
            out[("due", due.astimezone(OFFICE_TZ).date())] += 1
    return dict(out)


def _decide_some(db, people):
    """verif1 approves two and returns one; verif2 rejects one."""
    plan = [("verif1", Action.APPROVE, None), ("verif1", Action.APPROVE, None),
            ("verif1", Action.RETURN, "scan_tidak_terbaca"), ("verif2", Action.REJECT, "duplikat")]
    decided = []
    for login, action, code in plan:
        actor = people[login]
        with db.write() as s:
            held = claim(s, actor, lease_minutes=15, now=NOW)
            decide(s, actor, held.submission_id, held.token, action, reason_code=code,
                   override_reason="uji" if action is Action.APPROVE else "", now=NOW)
        decided.append(held.submission_id)
    return decided


def test_counters_follow_inserts_decisions_documents_and_deletes(db, people):
    bulk_seed(db, 40, now=NOW)
    assert _tally(db) == _counted(db)
    decided = _decide_some(db, people)
    with db.write() as s:  # a claim moves nothing between buckets
        claim(s, people["verif2"], lease_minutes=15, now=NOW)
    assert _tally(db) == _counted(db)
    with db.write() as s:
        village = s.scalar(select(Submission.village_code).where(Submission.id == decided[0]))
        s.execute(insert(IssuedDocument), [
            {"submission_id": decided[0], "village_code": village, "kind": k, "state": "siap_cetak",
             "created_at": NOW, "updated_at": NOW} for k in ("kk", "ktp", "kia")])
    with db.write() as s:
        first = s.scalar(select(func.min(IssuedDocument.id)))
        s.execute(update(IssuedDocument).where(IssuedDocument.id == first).values(state="dicetak"))
    assert _tally(db) == _counted(db)
    with db.write() as s:
        s.execute(delete(IssuedDocument))
    assert _tally(db) == _counted(db)
    assert _open_tally(db) == _open_counted(db)
    with db.write() as s:  # an open submission's limit moved a day
        one = s.scalar(select(func.min(Submission.id)).where(Submission.state == "diajukan"))
        due = s.scalar(select(Submission.due_at).where(Submission.id == one))
        s.execute(update(Submission).where(Submission.id == one)
                  .values(due_at=due + timedelta(days=1)))
    assert _open_tally(db) == _open_counted(db)


def test_received_per_day_counts_office_days(db):
    bulk_seed(db, 80, now=NOW)
    with db.read() as s:
        tally = {r.day: r.n for r in s.scalars(select(DailyTally))}
        received = Counter(at.astimezone(OFFICE_TZ).date()
                           for at in s.scalars(select(Submission.received_at)))
    assert tally == dict(received)


def test_figures_equal_plain_counts(db, people):
    bulk_seed(db, 60, now=NOW)
    _decide_some(db, people)
    with db.write() as s:
        claim(s, people["verif2"], lease_minutes=15, now=NOW)
        s.add(JobRun(job_id="batch_close", started_at=NOW - timedelta(hours=3),
                     finished_at=NOW - timedelta(hours=3), outcome="error", error="gagal"))
        s.add(JobRun(job_id="batch_close", started_at=NOW - timedelta(hours=1),
                     finished_at=NOW - timedelta(hours=1), outcome="ok"))
        village = s.scalar(select(Submission.village_code).limit(1))
        s.add(ServiceTeam(code="TIM-01", name="Tim 1", capacity=30))
        s.flush()
        s.add(ServiceDay(day=(NOW + timedelta(days=2)).date(), village_code=village,
                         team_code="TIM-01", capacity=30, booked=7, state="terjadwal"))
    with db.read() as s:
        board = dashboard.read_dashboard(s, people["spv1"], NOW)
        subs = s.execute(select(Submission.state, Submission.received_at, Submission.due_at,
                                Submission.village_code)).all()
    queued, claimed = board.bands
    assert queued.total == sum(1 for r in subs if r.state == "diajukan")
    assert claimed.total == 1
    assert queued.past_limit == sum(1 for r in subs if r.state == "diajukan" and r.due_at < NOW)
    today = NOW.astimezone(OFFICE_TZ).date()
    assert queued.today == sum(1 for r in subs if r.state == "diajukan"
                               and r.received_at.astimezone(OFFICE_TZ).date() == today)
    assert queued.today + queued.recent + queued.older == queued.total
    assert [(v.login, v.today, v.week) for v in board.verifiers] == [
        ("verif1", 3, 3), ("verif2", 1, 1)]
    assert {(r.action, r.code, r.count) for r in board.reasons} == {
        ("return", "scan_tidak_terbaca", 1), ("reject", "duplikat", 1)}
    assert sum(a.submissions for a in board.kecamatan) == len(subs) == \
        sum(a.submissions for a in board.villages)
    assert sum(a.approved for a in board.villages) == 2
    assert sum(a.returns for a in board.villages) == 1
    assert sum(a.decided for a in board.kecamatan) == 4
    assert [(j.job_id, j.outcome) for j in board.jobs] == [("batch_close", "ok")]
    assert board.jobs[0].started_at == NOW - timedelta(hours=1)
    assert [(d.day, d.booked, d.capacity) for d in board.service_days] == [
        ((NOW + timedelta(days=2)).date(), 7, 30)]
    assert len(board.flow) == dashboard.PLOT_DAYS and board.flow[-1].day == today
    assert sum(d.received for d in board.flow) == sum(
        1 for r in subs if r.received_at.astimezone(OFFICE_TZ).date() >= board.flow[0].day)
    assert board.flow[-1].decided == 4
    assert set(board.timings) == {"whole_read"}
    with db.read() as s:  # query by query, each figure timed: the same board
        each = dashboard.read_dashboard(s, people["spv1"], NOW, each=True)
    assert set(each.timings) == set(dashboard.FIGURES) | {"whole_read"}
    assert replace(each, timings={}) == replace(board, timings={})


def test_verifiers_may_not_read_the_dashboard(db, people):
    with db.read() as s, pytest.raises(PermissionDenied):
        dashboard.read_dashboard(s, people["verif1"], NOW)


def test_working_days_before_skips_weekends_and_holidays():
    from datetime import date

    # Monday 23 Nov 2026: three working days before is Wednesday 18 Nov.
    assert dashboard.working_days_before(date(2026, 11, 23), 3) == date(2026, 11, 18)
    # 24 Dec 2026 is cuti bersama, 25 Dec Christmas: from Monday 28 Dec, one back is the 23rd.
    assert dashboard.working_days_before(date(2026, 12, 28), 1) == date(2026, 12, 23)


def test_migration_0014_counts_what_is_already_there(db, people):
    """Upgrading a database that holds submissions and decisions starts the
    counters from them; the triggers then carry on."""
    from bakso_tui.db import migrate

    bulk_seed(db, 30, now=NOW)
    _decide_some(db, people)
    migrate.downgrade(db, "0013")
    migrate.upgrade(db)
    assert _tally(db) == _counted(db)
    assert _open_tally(db) == _open_counted(db)
    with db.read() as s:
        board = dashboard.read_dashboard(s, people["spv1"], NOW)
    assert [(v.login, v.today) for v in board.verifiers] == [("verif1", 3), ("verif2", 1)]
    _decide_some(db, people)
    assert _tally(db) == _counted(db)
