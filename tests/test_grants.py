"""The grants of `bakso db roles` (db/roles.py) are enough: everything the
program does works when each part connects as its own login role: intake and
the jobs as the service role, claims and decisions as a verifier, a release as
a supervisor, `audit verify` as an admin. (What they refuse: tests/test_roles.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import packages
import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bakso_tui.cli import cli
from bakso_tui.db import migrate, roles
from bakso_tui.db.engine import Database
from bakso_tui.demo.bulk import bulk_seed
from bakso_tui.domain import audit, claims, users
from bakso_tui.domain.intake import Intake
from bakso_tui.domain.workflow import Action

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def login_as(pg_db):
    """`login_as(name)`: a Database connected as login role <prefix><name>."""
    bulk_seed(pg_db, 3, now=NOW - timedelta(hours=1))  # a bulk load is the owner's job
    # The daemon's login (docs/deploy.md): a member of the service group, made as
    # an office makes it, by `bakso db roles --service jobs` (twice: idempotent).
    for _ in range(2):
        made = CliRunner().invoke(cli, ["--db", pg_db.url, "db", "roles", "--service", "jobs"])
        assert made.exit_code == 0, made.output
    with pg_db.write_engine.begin() as conn:
        prefix = roles.role_prefix(conn)
    assert f"{prefix}jobs" in made.output and f"{prefix}service" in made.output
    with pg_db.write() as s:
        for login, role in (("verif1", "verifier"), ("spv1", "supervisor"), ("adm1", "admin")):
            users.add_user(s, users.cli_actor(), login=login, name=login.upper(), role=role)
    opened: list[Database] = []

    def login_as(name: str) -> Database:
        url = make_url(pg_db.url).set(username=prefix + name)
        opened.append(Database(url.render_as_string(hide_password=False)))
        return opened[-1]

    yield login_as
    for db in opened:
        db.dispose()
    with pg_db.write_engine.begin() as conn:
        roles.drop(conn)


def actor_of(db: Database) -> users.Actor:
    with db.read() as s:
        return users.command_line_actor(s)


def test_everything_the_program_does_works_as_each_login_role(pg_db, login_as, tmp_path):
    service, verifier_db = login_as("jobs"), login_as("verif1")
    supervisor_db, admin_db = login_as("spv1"), login_as("adm1")
    verifier, supervisor = actor_of(verifier_db), actor_of(supervisor_db)
    assert (verifier.login, supervisor.login) == ("verif1", "spv1")
    assert actor_of(service).login.startswith("cli:")  # no account: a service
    assert migrate.is_current(verifier_db)
    # Intake (blobs, submission, attachments, audit) as the service.
    result = Intake(service).intake(packages.write_folder(tmp_path / "p", packages.manifest()),
                                    now=NOW)
    assert result.status == "accepted", result
    # Claims and a decision as the verifier, a release as the supervisor.
    first = claims.claim_next(verifier_db, verifier, now=NOW)
    claims.decide_once(verifier_db, verifier, first.submission_id, first.token, Action.APPROVE,
                       override_reason="uji hak akses", now=NOW)
    second = claims.claim_next(verifier_db, verifier, now=NOW)
    with supervisor_db.write() as s:
        claims.release(s, supervisor, second.submission_id, None, now=NOW)
    third = claims.claim_next(verifier_db, verifier, now=NOW)
    with verifier_db.write() as s:
        claims.release(s, verifier, third.submission_id, third.token, now=NOW)
    # Expired leases go back as the jobs do it, and as a claim finds them.
    claims.claim_next(verifier_db, verifier, now=NOW)
    with service.write() as s:
        assert claims.expire_leases(s, now=NOW + timedelta(hours=1)) == 1
    claims.claim_next(verifier_db, verifier, now=NOW + timedelta(hours=2))
    assert claims.claim_next(verifier_db, verifier, now=NOW + timedelta(hours=4)) is not None
    with admin_db.read() as s:
        assert audit.verify(s).ok


def test_nobody_but_the_owner_changes_the_schema_version(pg_db, login_as):
    for name in ("jobs", "verif1", "spv1", "adm1"):
        with pytest.raises(Exception) as error, login_as(name).engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'x'"))
        assert error.value.orig.sqlstate == "42501", name


def test_schedules_approvals_and_batches_work_as_their_roles(pg_db, login_as):
    """A supervisor plans service days and closes batches, a verifier's approval
    books the resident's recording (the village's row lock is the owner's)."""
    from schedule_helpers import NOW, TODAY, new_submission, villages

    from bakso_tui.domain import batches, schedule
    from bakso_tui.domain.schedule.booking import booked_day

    with pg_db.write() as s:  # as the intake would have: the owner's seeding
        village = villages(s, 1)[0]
        ktp = new_submission(s, village, 1, minutes_ago=30).id
        birth = new_submission(s, village, 2, minutes_ago=20, service="akta_kelahiran").id
    spv_db, verifier_db = login_as("spv1"), login_as("verif1")
    supervisor, verifier = actor_of(spv_db), actor_of(verifier_db)
    with spv_db.write() as s:
        schedule.add_team(s, supervisor, "T1", "Tim Satu", 5, at=NOW)
        schedule.create_plan(s, supervisor, village_code=village, rule="wed,fri", start=TODAY,
                             until=TODAY + timedelta(days=60), team_code="T1", capacity=5,
                             today=TODAY, at=NOW)
    for sid in (ktp, birth):
        with verifier_db.write() as s:
            held = claims.claim(s, verifier, submission_id=sid, now=NOW)
        claims.decide_once(verifier_db, verifier, sid, held.token, Action.APPROVE,
                           override_reason="berkas asli dilihat", now=NOW)
    with verifier_db.read() as s:
        assert booked_day(s, ktp) is not None
    closed = batches.close_batches(spv_db, supervisor, now=NOW + timedelta(hours=1))
    assert closed and sum(c.documents for c in closed) >= 1
    with login_as("adm1").read() as s:
        assert audit.verify(s).ok
