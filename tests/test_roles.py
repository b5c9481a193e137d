"""PostgreSQL as the boundary (docs/deploy.md, db/roles.py, migration 0012): each
person's own login role, and what the database itself refuses it, whichever
path it takes: the rules (bypassing the program's own checks), the command
line, SQLAlchemy, and plain psql."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bakso_tui.cli import cli
from bakso_tui.db import roles
from bakso_tui.db.engine import Database
from bakso_tui.db.models import Submission
from bakso_tui.db.types import utcnow
from bakso_tui.domain import audit, claims, users
from bakso_tui.domain.workflow import Action, State
from tui_helpers import Office, seed_office


@dataclass
class Roles:
    office: Office
    prefix: str
    accounts: dict[str, users.UserInfo]
    opened: list[Database]

    def url(self, login: str) -> str:
        url = make_url(self.office.db.url).set(username=self.prefix + login)
        return url.render_as_string(hide_password=False)

    def libpq(self, login: str) -> str:
        url = make_url(self.url(login))
        return f"postgresql://{url.username}@{url.host}:{url.port}/{url.database}"

    def db(self, login: str) -> Database:
        db = Database(self.url(login))
        self.opened.append(db)
        return db

    def actor(self, login: str) -> users.Actor:
        return self.accounts[login].actor()


@pytest.fixture
def office_roles(pg_db):
    """An office whose people are login roles: verif1, verif2, spv1, adm1."""
    with pg_db.write_engine.begin() as conn:
        prefix = roles.secure(conn)
    try:
        office = seed_office(pg_db, count=14)
        with pg_db.write() as s:
            for login, role in (("verif2", "verifier"), ("adm1", "admin")):
                users.add_user(s, users.cli_actor(), login=login, name=login.upper(), role=role)
            accounts = {u.login: u for u in users.list_users(s)}
        state = Roles(office, prefix, accounts, [])
        yield state
        for db in state.opened:
            db.dispose()
    finally:
        with pg_db.write_engine.begin() as conn:
            roles.drop(conn)


def refused(db: Database, statement: str, **params) -> str:
    with pytest.raises(DBAPIError) as error, db.engine.begin() as conn:
        conn.execute(text(statement), params)
    return error.value.orig.sqlstate


def psql(state: Roles, login: str, statement: str) -> subprocess.CompletedProcess:
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    return subprocess.run(["psql", state.libpq(login), "-v", "ON_ERROR_STOP=1", "-c", statement],
                          capture_output=True, text=True, timeout=60)


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def free_ids(db: Database, count: int) -> list[int]:
    with db.read() as s:
        return list(s.scalars(select(Submission.id).where(Submission.state == "diajukan")
                              .order_by(Submission.id).limit(count)))


# ------------------------------------------------------------------ the roles


def test_roles_carry_the_databases_prefix_and_the_owner_logs_in_as_nobody(office_roles):
    db, prefix = office_roles.office.db, office_roles.prefix
    name = make_url(db.url).database
    assert prefix == roles.derive_prefix(name) and len(prefix) <= 27
    with db.engine.connect() as conn:
        owner = conn.execute(text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :r"),
                             {"r": prefix + "owner"}).scalar_one()
        owners = set(conn.execute(text(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")).scalars())
        member = conn.execute(text("SELECT pg_has_role(:login, :group, 'MEMBER')"),
                              {"login": prefix + "verif1", "group": prefix + "verifier"}).scalar()
    assert owner is False
    assert owners == {prefix + "owner"}
    assert member is True
    listed = json.loads(run("--db", db.url, "users", "list", "--json").output)
    assert {u["login"]: u["db_role"] for u in listed} == {
        login: prefix + login for login in ("adm1", "spv1", "verif1", "verif2")}
    # Idempotent (`db upgrade` runs it again), and another database gets other names.
    upgraded = run("--db", db.url, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    again = run("--db", db.url, "db", "roles")
    assert again.exit_code == 0 and prefix + "owner" in again.output
    assert roles.derive_prefix(name + "x") != prefix


def test_sqlite_has_no_database_roles_and_says_why(sqlite_db):
    result = run("--db", sqlite_db.url, "db", "roles")
    assert result.exit_code == 2
    assert result.output.strip() == "bakso: " + users.t("db.roles_sqlite")


def test_the_program_is_who_the_database_role_is(office_roles):
    url = office_roles.url("verif1")
    with office_roles.db("verif1").read() as s:
        assert users.command_line_actor(s).login == "verif1"  # not the OS login
    result = run("--db", url, "tui", "--user", "spv1")
    assert result.exit_code == 2
    assert result.output.strip() == "bakso: " + users.t(
        "users.db_identity", role=office_roles.prefix + "verif1")


# ------------------------------------------------------------------ accounts


def test_a_verifier_cannot_change_an_account_on_any_path(office_roles):
    state = office_roles
    verifier = state.db("verif1")
    # The command line: the program refuses (exit 1), as the verifier it connects as.
    result = run("--db", state.url("verif1"), "users", "passwd", "spv1",
                 input="kata-sandi-baru\nkata-sandi-baru\n")
    assert result.exit_code == 1, result.output
    assert "verif1" in result.output
    result = run("--db", state.url("verif1"), "users", "add", "evil", "--name", "E",
                 "--role", "admin")
    assert result.exit_code == 1
    # The rules called with the command line's all-powerful actor: the database refuses.
    for change in (
        lambda s: users.set_password(s, users.cli_actor(), "spv1", "kata-sandi-baru"),
        lambda s: users.add_user(s, users.cli_actor(), login="evil", name="E", role="admin"),
        lambda s: users.disable_user(s, users.cli_actor(), "adm1"),
    ):
        with pytest.raises(users.UserError, match="menolak"), verifier.write() as s:
            change(s)
    # SQLAlchemy and psql, straight at the tables and the roles.
    for statement in (
        "UPDATE app_user SET role = 'admin' WHERE login = 'verif1'",
        "UPDATE app_user SET active = false WHERE login = 'spv1'",
        "INSERT INTO app_user (login, name, role, active, created_at)"
        " VALUES ('evil', 'E', 'admin', true, now())",
        f'ALTER ROLE "{state.prefix}spv1" PASSWORD \'x\'',
        f'GRANT "{state.prefix}admin" TO "{state.prefix}verif1"',
        "SELECT bakso_user_add('verif1', 'evil', 'E', 'admin', NULL, NULL, now())",
    ):
        assert refused(verifier, statement) == "42501", statement
    done = psql(state, "verif1", "UPDATE app_user SET role = 'admin' WHERE login = 'verif1'")
    assert done.returncode != 0 and "permission denied" in done.stderr
    with state.office.db.read() as s:
        assert users.get_user(s, "verif1").role == "verifier"
        assert users.get_user(s, "evil") is None
        assert users.get_user(s, "spv1").active


def test_an_admin_manages_accounts_and_their_login_roles(office_roles):
    state = office_roles
    url = state.url("adm1")
    result = run("--db", url, "users", "add", "verif3", "--name", "Tiga", "--role", "verifier")
    assert result.exit_code == 0, result.output
    three = state.db("verif3")
    with three.read() as s:
        verif3 = users.command_line_actor(s)
    assert verif3.login == "verif3" and verif3.role == "verifier"
    taken = claims.claim_next(three, verif3, now=utcnow())
    assert taken is not None
    three.dispose()
    result = run("--db", url, "users", "disable", "verif3")
    assert result.exit_code == 0, result.output
    with state.office.db.read() as s:
        assert s.get(Submission, taken.submission_id).state == State.QUEUED.value
        rows = audit.history(s, "submission", taken.submission_id)
        assert [r.action for r in rows][-1] == "submission.release"
        assert rows[-1].actor == "adm1"
        can_login = s.execute(text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :r"),
                              {"r": state.prefix + "verif3"}).scalar_one()
        assert can_login is False
        assert audit.verify(s).ok
    # The admin decides nothing: it may not touch a submission.
    sid = free_ids(state.office.db, 1)[0]
    assert refused(state.db("adm1"), "UPDATE submission SET state = 'disetujui' WHERE id = :i",
                   i=sid) == "42501"


# ------------------------------------------------------------------ decisions


def test_a_verifier_cannot_decide_what_it_does_not_hold(office_roles):
    state = office_roles
    one, two = state.db("verif1"), state.db("verif2")
    now = utcnow()
    held = claims.claim_next(two, state.actor("verif2"), now=now)
    assert held is not None
    # The rules: another's token is refused.
    with pytest.raises(claims.LeaseLost):
        claims.decide_once(one, state.actor("verif1"), held.submission_id, held.token,
                           Action.APPROVE, override_reason="uji", now=now)
    # As verif2 through the rules with a forged actor: the database refuses.
    forged = users.Actor(login="verif2", role="verifier", id=state.accounts["verif2"].id)
    with pytest.raises(DBAPIError), one.write() as s:
        claims.release(s, forged, held.submission_id, held.token, now=now)
    for statement in (
        "UPDATE submission SET state = 'disetujui', claim_holder_id = NULL WHERE id = :i",
        "UPDATE submission SET state = 'diajukan', claim_holder_id = NULL WHERE id = :i",
        "UPDATE submission SET claim_holder_id = {me}, claim_token = claim_token + 1"
        " WHERE id = :i",
        "UPDATE submission SET applicant_name = 'X' WHERE id = :i",
        "INSERT INTO decision (submission_id, actor_id, action, reason, override_reason, at)"
        " VALUES (:i, {other}, 'approve', '', '', now())",
        "SELECT * FROM bakso_claim_next({other}, 'verif2', now() + interval '1 hour', now())",
    ):
        sql = statement.format(me=state.accounts["verif1"].id,
                               other=state.accounts["verif2"].id)
        assert refused(one, sql, i=held.submission_id) == "42501", sql
    done = psql(state, "verif1",
                f"UPDATE submission SET state = 'ditolak' WHERE id = {held.submission_id}")
    assert done.returncode != 0 and "permission denied for table submission" in done.stderr
    with state.office.db.read() as s:
        row = s.get(Submission, held.submission_id)
        assert (row.state, row.claim_holder_id) == ("diverifikasi", state.accounts["verif2"].id)
    # What is its own it decides, through the same login: only by bakso_decide (migration 0015).
    mine = claims.claim_next(one, state.actor("verif1"), now=now)
    for statement in (
        "UPDATE submission SET state = 'disetujui', claim_holder_id = NULL WHERE id = :i",
        "UPDATE submission SET state = 'diajukan', claim_holder_id = NULL WHERE id = :i",
    ):
        assert refused(one, statement, i=mine.submission_id) == "42501", statement
    done = psql(state, "verif1", "UPDATE submission SET state = 'ditolak', claim_holder_id ="
                f" NULL WHERE id = {mine.submission_id}")
    assert done.returncode != 0 and "permission denied for table submission" in done.stderr
    claims.decide_once(one, state.actor("verif1"), mine.submission_id, mine.token,
                       Action.APPROVE, override_reason="uji hak akses", now=now)
    with one.read() as s:
        assert s.get(Submission, mine.submission_id).state == State.APPROVED.value
        assert audit.verify(s).ok


def test_a_supervisor_reassigns_and_releases(office_roles):
    state = office_roles
    spv = state.db("spv1")
    now = utcnow()
    held = claims.claim_next(state.db("verif2"), state.actor("verif2"), now=now)
    with spv.write() as s:
        moved = claims.reassign(s, state.actor("spv1"), held.submission_id, "verif1", now=now)
    with spv.write() as s:
        claims.release(s, state.actor("spv1"), held.submission_id, None, now=now)
    with spv.read() as s:
        assert s.get(Submission, held.submission_id).state == State.QUEUED.value
        actions = [r.action for r in audit.history(s, "submission", held.submission_id)]
        assert actions[-2:] == ["submission.reassign", "submission.release"]
        assert moved.token > held.token
        assert audit.verify(s).ok
    # A verifier may not hand work to another.
    with pytest.raises(users.PermissionDenied), state.db("verif1").write() as s:
        claims.reassign(s, state.actor("verif1"), held.submission_id, "verif2", now=now)


# ------------------------------------------------------------------ the audit


@pytest.mark.parametrize("login", ["verif1", "spv1", "adm1"])
def test_no_login_role_can_rewrite_the_audit(office_roles, login):
    state = office_roles
    db = state.db(login)
    for statement in (
        "UPDATE audit_log SET actor = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "INSERT INTO audit_log (at, actor, action, target_type, target_id, reason, details,"
        " prev_hash, hash) VALUES (now(), 'x', 'x', 'x', 'x', '', '{}', 'x', 'y')",
        "UPDATE audit_head SET count = 0",
        "DROP TRIGGER audit_log_no_change ON audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "DROP TABLE audit_log",
        "CREATE TEMP TABLE audit_log (id int)",  # a stand-in the row checks might read
        "CREATE SCHEMA mine",
    ):
        assert refused(db, statement) == "42501", statement
    # Appending through the server's function, as somebody else: refused.
    with pytest.raises(DBAPIError) as error, db.write() as s:
        audit.append(s, actor="someone-else", action="user.add", target_type="user",
                     target_id="x")
    assert error.value.orig.sqlstate == "42501"
    for statement in ("DELETE FROM audit_log", "DROP TRIGGER audit_log_no_truncate ON audit_log"):
        done = psql(state, login, statement)
        assert done.returncode != 0, statement
    with state.office.db.read() as s:
        assert audit.verify(s).ok


# ------------------------------------------------------------------ the TUI


def test_the_tui_works_as_a_verifiers_login_role(office_roles):
    """The screens' reads and a decision, with the verifier's own database role."""
    from test_tui_submission import complete
    from tui_helpers import app_for, run_async, settle

    from bakso_tui.screens.submission import SubmissionScreen

    state = office_roles
    first = state.office.work_order[0]
    complete(state.office.db, first)
    office = Office(state.db("verif1"), state.accounts["verif1"], state.accounts["spv1"],
                    state.office.work_order, state.office.names)

    @run_async
    async def decide() -> None:
        app = app_for(office)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, SubmissionScreen)
            await pilot.press("a")
            await pilot.pause()
            await pilot.press("enter")
            await settle(pilot)
            errors = [str(n.message) for n in app._notifications if n.severity == "error"]
            assert errors == []

    decide()
    with state.office.db.read() as s:
        row = s.scalar(select(Submission).where(Submission.number == first))
        assert row.state == State.APPROVED.value
        assert audit.verify(s).ok


# ------------------------------------------------------------------ migration 0013


def test_migration_0013_goes_down_and_up_on_both_databases(db):
    from sqlalchemy import inspect

    from bakso_tui.db import migrate

    def state() -> tuple[bool, bool]:
        with db.engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("app_user")}
            functions = db.is_postgresql and conn.execute(text(
                "SELECT count(*) FROM pg_proc WHERE proname = 'bakso_user_add'")).scalar() == 1
        return "db_role" in columns, bool(functions)

    assert state() == (True, db.is_postgresql)
    migrate.downgrade(db, "0012")
    assert state() == (False, False)
    with db.write() as s:
        s.execute(text("INSERT INTO app_user (login, name, role, active, created_at)"
                       " VALUES ('v', 'V', 'verifier', true, CURRENT_TIMESTAMP)"))
    migrate.upgrade(db)
    assert state() == (True, db.is_postgresql)
    with db.write() as s:
        user = users.get_user(s, "v")
        audit.append(s, actor="cli:test", action="user.check", target_type="user",
                     target_id=user.login)
        assert audit.verify(s).ok
