"""A supervisor's writes on PostgreSQL with per-person roles (migration 0016):
role changes through ``bakso_user_role``, password hashes nobody reads, and
the claims, schedules and batches a supervisor changes through the owner's
functions; each refused to a verifier's login role on every path."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, text
from textual.widgets import DataTable, OptionList

from bakso_tui.db.types import utcnow
from bakso_tui.domain import audit, users
from test_grants import actor_of, login_as  # noqa: F401 - the fixture
from test_roles import Roles, free_ids, office_roles, psql, refused, run  # noqa: F401
from tui_helpers import Office, app_for, run_async, settle


def noon(day: date) -> datetime:
    return datetime.combine(day, time(4, 0), tzinfo=UTC)


def free_id(state: Roles) -> int:
    return free_ids(state.office.db, 1)[0]


def member(state: Roles, login: str) -> set[str]:
    """The groups the login role of `login` is a member of."""
    with state.office.db.engine.connect() as conn:
        return {group for group in ("verifier", "supervisor", "admin") if conn.execute(
            text("SELECT pg_has_role(:r, :g, 'MEMBER')"),
            {"r": state.prefix + login, "g": state.prefix + group}).scalar()}


# ------------------------------------------------------------------ role changes


def test_a_supervisor_changes_a_role_and_the_login_role_follows(office_roles):
    state = office_roles
    url = state.url("spv1")
    result = run("--db", url, "users", "role", "verif2", "supervisor")
    assert result.exit_code == 0, result.output
    assert member(state, "verif2") == {"supervisor"}
    with state.db("verif2").read() as s:
        assert users.command_line_actor(s).role == "supervisor"
    # Two supervisors now: one may be demoted, then the last one may not.
    result = run("--db", url, "users", "role", "verif2", "admin")
    assert result.exit_code == 0, result.output
    assert member(state, "verif2") == {"admin"}
    result = run("--db", state.url("adm1"), "users", "role", "spv1", "verifier")
    assert result.exit_code == 1 and "supervisor aktif terakhir" in result.output
    # Past the program's check, the server's: still the last supervisor.
    for statement in ("SELECT bakso_user_role('adm1', 'spv1', 'verifier', now())",
                      "SELECT bakso_user_disable('adm1', 'spv1', now())"):
        assert refused(state.db("adm1"), statement) == "22023", statement
    assert member(state, "spv1") == {"supervisor"}
    with state.office.db.read() as s:
        rows = [r for r in audit.history(s, "user", "verif2") if r.action == "user.role"]
        assert [(r.actor, r.from_state, r.to_state) for r in rows] == [
            ("spv1", "verifier", "supervisor"), ("spv1", "supervisor", "admin")]
        assert users.get_user(s, "verif2").role == "admin"
        assert audit.verify(s).ok


def test_a_verifier_changes_no_role_on_any_path(office_roles):
    state = office_roles
    result = run("--db", state.url("verif1"), "users", "role", "verif1", "supervisor")
    assert result.exit_code == 1, result.output
    result = run("--db", state.url("verif1"), "users", "role", "verif2", "admin")
    assert result.exit_code == 1, result.output
    verifier = state.db("verif1")
    with pytest.raises(users.UserError, match="menolak"), verifier.write() as s:
        users.set_role(s, users.cli_actor(), "verif2", "admin")
    for statement in (
        "SELECT bakso_user_role('verif1', 'verif2', 'admin', now())",
        "SELECT bakso_user_role('verif1', 'verif1', 'supervisor', now())",
        f'GRANT "{state.prefix}supervisor" TO "{state.prefix}verif1"',
        f'REVOKE "{state.prefix}verifier" FROM "{state.prefix}verif2"',
    ):
        assert refused(verifier, statement) == "42501", statement
    done = psql(state, "verif1", "SELECT bakso_user_role('verif1', 'verif1', 'admin', now())")
    assert done.returncode != 0 and "may not manage accounts" in done.stderr
    assert member(state, "verif1") == member(state, "verif2") == {"verifier"}
    with state.office.db.read() as s:
        assert {u.role for u in users.list_users(s) if u.login.startswith("verif")} == {
            "verifier"}


@run_async
async def test_the_accounts_screen_changes_a_role_as_a_supervisors_login_role(office_roles):
    state = office_roles
    office = Office(state.db("spv1"), state.accounts["verif1"], state.accounts["spv1"],
                    state.office.work_order, state.office.names)
    app = app_for(office, role="supervisor")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        table.move_cursor(row=table.get_row_index("verif2"))
        await pilot.press("u")
        await pilot.pause()
        app.screen.query_one(OptionList).highlighted = 1  # supervisor
        await pilot.press("enter")
        await settle(pilot)
        errors = [str(n.message) for n in app._notifications if n.severity == "error"]
        assert errors == []
    assert member(state, "verif2") == {"supervisor"}
    listed = json.loads(run("--db", state.url("spv1"), "users", "list", "--json").output)
    assert {u["login"]: u["role"] for u in listed}["verif2"] == "supervisor"


# ------------------------------------------------------------------ password hashes


def test_no_login_role_reads_a_password_hash(office_roles, pg_db):
    """Column grants: `password_hash` is nobody's to read, the rest of the account
    is everybody's; the program's own reads (accounts, `users list`) still work."""
    state = office_roles
    run("--db", state.office.db.url, "users", "passwd", "verif2",
        input="kata-sandi-baru\nkata-sandi-baru\n")
    with pg_db.write_engine.begin() as conn:
        conn.exec_driver_sql(
            f'CREATE ROLE "{state.prefix}jobs" LOGIN IN ROLE "{state.prefix}service"')
    for login in ("verif1", "spv1", "adm1", "jobs"):
        db = state.db(login)
        for statement in ("SELECT password_hash FROM app_user", "SELECT * FROM app_user",
                          "SELECT count(*) FROM app_user WHERE password_hash LIKE '$argon2%'"):
            assert refused(db, statement) == "42501", (login, statement)
        done = psql(state, login, "SELECT password_hash FROM app_user")
        assert done.returncode != 0 and "permission denied" in done.stderr
        with db.read() as s:
            accounts = {u.login: u for u in users.list_users(s)}
            assert accounts["verif2"].has_password and not accounts["verif1"].has_password
        listed = run("--db", state.url(login), "users", "list", "--json")
        assert listed.exit_code == 0, listed.output
        assert {u["login"]: u["has_password"] for u in json.loads(listed.output)}["verif2"]
    # `bakso db roles` again (every `db upgrade`) keeps it so.
    assert run("--db", state.office.db.url, "db", "roles").exit_code == 0
    assert refused(state.db("spv1"), "SELECT password_hash FROM app_user") == "42501"


@run_async
async def test_the_accounts_screen_shows_who_has_a_password_as_a_login_role(office_roles):
    state = office_roles
    run("--db", state.office.db.url, "users", "passwd", "verif2",
        input="kata-sandi-baru\nkata-sandi-baru\n")
    office = Office(state.db("adm1"), state.accounts["verif1"], state.accounts["adm1"],
                    state.office.work_order, state.office.names)
    app = app_for(office, role="supervisor", first_screen=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        row = table.get_row("verif2")
        assert users.t("tui.users.password_set") in {str(cell) for cell in row}
        errors = [str(n.message) for n in app._notifications if n.severity == "error"]
        assert errors == []


# ------------------------------------------------------------------ a supervisor's writes


def test_a_supervisor_plans_closes_and_hands_over_as_its_login_role(pg_db, login_as):
    """Every schedule and batch step a supervisor takes, as its own login role
    (whose group writes no table of them): each through the owner's function."""
    from schedule_helpers import NOW, TODAY, new_submission, nik_for, villages

    from bakso_tui.domain import batches, claims, schedule
    from bakso_tui.domain.workflow import Action

    with pg_db.write() as s:  # as the intake would have: the owner's seeding
        village = villages(s, 1)[0]
        ids = [new_submission(s, village, i, minutes_ago=30).id for i in (1, 2, 3)]
        ids.append(new_submission(s, village, 4, minutes_ago=20, service="akta_kelahiran").id)
    spv_db, verifier_db = login_as("spv1"), login_as("verif1")
    supervisor, verifier = actor_of(spv_db), actor_of(verifier_db)
    with spv_db.write() as s:
        schedule.add_team(s, supervisor, "T1", "Tim Satu", 5, at=NOW)
        plan = schedule.create_plan(s, supervisor, village_code=village, rule="wed,fri",
                                    start=TODAY, until=TODAY + timedelta(days=60),
                                    team_code="T1", capacity=5, today=TODAY, at=NOW)
    for sid in ids:
        with verifier_db.write() as s:
            held = claims.claim(s, verifier, submission_id=sid, now=NOW)
        claims.decide_once(verifier_db, verifier, sid, held.token, Action.APPROVE,
                           override_reason="berkas asli dilihat", now=NOW)
    first, second, third = plan.days[:3]
    with spv_db.write() as s:
        lowered = schedule.change_day(s, supervisor, village, first, capacity=1, today=TODAY,
                                      at=NOW)
    assert len(lowered.reflow.moved) == 2
    with spv_db.write() as s:
        cancelled = schedule.cancel_day(s, supervisor, village, second, "banjir", today=TODAY,
                                        at=NOW)
    assert cancelled.reflow.moved
    with spv_db.write() as s:
        schedule.close_office_day(s, supervisor, third, "libur", today=TODAY, at=NOW)
    with spv_db.write() as s:
        sheets = schedule.manifest_sheets(s, supervisor, day=first, office_name="Dukcapil",
                                          office_short="DKP", lang="id", at=NOW)
    assert len(sheets[0].rows) == 1
    from bakso_tui.db.schedule_models import RecordingBooking, ServiceDay

    with spv_db.read() as s:
        booked = s.execute(select(RecordingBooking.id, ServiceDay.day)
                           .join(ServiceDay, ServiceDay.id == RecordingBooking.service_day_id)
                           .where(ServiceDay.village_code == village,
                                  RecordingBooking.state == schedule.BOOKED)
                           .order_by(ServiceDay.day, RecordingBooking.id)).all()
    (here, on), (there, on_later) = booked[0], next(b for b in booked if b.day > first)
    assert on == first
    with spv_db.write() as s:  # a day's outcomes, as each group's login role
        schedule.mark_booking(s, supervisor, here, schedule.RECORDED, today=on, at=noon(on))
    with verifier_db.write() as s:
        marked = schedule.mark_booking(s, verifier, there, schedule.ABSENT, today=on_later,
                                       at=noon(on_later))
    assert marked.absent[0][1] > on_later  # booked again, through bakso_bookings_move
    assert marked.absent and marked.absent[0][1] is not None  # booked again
    later = NOW + timedelta(hours=1)
    closed = batches.close_batches(spv_db, supervisor, now=later)
    number = closed[0].number
    with spv_db.write() as s:
        assert batches.mark_printed(s, supervisor, number, printer="pdf", now=later)
        assert not batches.mark_printed(s, supervisor, number, printer="pdf", now=later)
    with spv_db.write() as s:
        batches.handover(s, supervisor, number,
                         batches.Recipient("Lalu Amir", "Sekretaris Desa", nik_for(village, 9)),
                         now=later)
    with spv_db.write() as s:
        assert batches.received(s, supervisor, number, everything=True, now=later).done
    with login_as("adm1").read() as s:
        assert audit.verify(s).ok
        actions = set(s.scalars(text("SELECT DISTINCT action FROM audit_log WHERE actor = 'spv1'")))
        assert "booking.tidak_hadir" in set(
            s.scalars(text("SELECT DISTINCT action FROM audit_log WHERE actor = 'verif1'")))
        assert {"booking.direkam", "document.recorded", "team.add", "plan.create",
                "service_day.change", "service_day.dibatalkan",
                "office.close_day", "service_day.listed", "booking.move", "batch.close",
                "batch.print", "batch.reprint", "batch.handover", "batch.received",
                "document.diterima"} <= actions
        assert batches.verify_payload(s, batches.qr_payload(
            number, s.scalar(text("SELECT digest FROM issuance_batch WHERE number = :n"),
                             {"n": number}))).ok


def test_a_supervisors_group_writes_nothing_directly_and_a_verifier_calls_no_function(
        office_roles):
    state = office_roles
    spv, verifier = state.db("spv1"), state.db("verif1")
    sid = free_id(state)
    for statement in (
        "INSERT INTO service_team (code, name, capacity, active, created_at)"
        " VALUES ('X', 'X', 5, true, now())",
        "UPDATE service_day SET state = 'ditutup'",
        "INSERT INTO office_closed_day (day, reason, created_by, created_at)"
        " VALUES ('2030-01-02', 'x', 'spv1', now())",
        "UPDATE issuance_batch SET state = 'selesai'",
        "UPDATE job_run SET outcome = 'x'",
        "UPDATE submission SET applicant_name = 'X' WHERE id = :i",
    ):
        assert refused(spv, statement, i=sid) == "42501", statement
    calls = (
        "SELECT bakso_team_add('{me}', 'T9', 'x', 5, now(), '[]')",
        "SELECT bakso_office_close('{me}', '2030-01-02', 'x', now(), '[]')",
        "SELECT bakso_day_change('{me}', 1, 'ditutup', 'x', NULL, NULL, now(), '[]')",
        "SELECT bakso_plan_create('{me}', 1, 'x', 'x', 'x', '2030-01-01', '2030-02-01', 5,"
        " '{{}}', now(), '[]')",
        "SELECT bakso_batch_step('{me}', 1, 'ditutup', 'dicetak', '{{}}', 'dalam_batch',"
        " 'dicetak', '{{}}', now(), '[]')",
        "SELECT bakso_batch_close('{me}', 1, NULL, '{{}}', 'x', now(), '[]')",
        "SELECT bakso_claim_release_other('{me}', :i, NULL, now())",
        "SELECT bakso_claim_reassign('{me}', :i, 'verif1', NULL, now(), now())",
    )
    for call in calls:
        assert refused(verifier, call.format(me="verif1"), i=sid) == "42501", call
        assert refused(spv, call.format(me="verif1"), i=sid) == "42501", call  # as another
    # Bookings: a verifier or supervisor moves them (an absence it records), as itself only.
    other = state.accounts["verif2"].id
    for call in ("SELECT bakso_bookings_move({other}, 'verif2', 'x', '{{}}', '{{}}', '[]', now(),"
                 " '[]')",
                 "SELECT bakso_bookings_outcome({other}, 'verif2', 1, '{{}}', '{{}}', now(),"
                 " '[]')"):
        assert refused(verifier, call.format(other=other)) == "42501", call
    assert refused(state.db("adm1"), "SELECT bakso_bookings_move({me}, 'adm1', 'x', '{{}}',"
                   " '{{}}', '[]', now(), '[]')".format(me=state.accounts["adm1"].id)) == "42501"
    # As itself, with rows of another kind, or naming another row than it writes: refused.
    for forged in ([{"action": "user.add", "actor": "spv1"}],
                   [{"action": "team.add", "actor": "spv1", "target_type": "team",
                     "target_id": "T8"}]):
        assert refused(spv, "SELECT bakso_team_add('spv1', 'T9', 'x', 5, now(),"
                       " CAST(:a AS json))", a=json.dumps(forged)) == "42501", forged
    done = psql(state, "verif1", "SELECT bakso_office_close('verif1', '2030-01-02', 'x',"
                " now(), '[]')")
    assert done.returncode != 0 and "may not do a supervisor" in done.stderr
    with state.office.db.read() as s:
        assert s.scalar(text("SELECT count(*) FROM service_team")) == 0
        assert audit.verify(s).ok


@run_async
async def test_the_claims_screen_releases_as_a_supervisors_login_role(office_roles):
    from bakso_tui.db.models import Submission
    from bakso_tui.domain import claims
    from bakso_tui.domain.workflow import State

    state = office_roles
    held = claims.claim_next(state.db("verif2"), state.actor("verif2"), now=utcnow())
    office = Office(state.db("spv1"), state.accounts["verif1"], state.accounts["spv1"],
                    state.office.work_order, state.office.names)
    app = app_for(office, role="supervisor")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        table.move_cursor(row=table.get_row_index(str(held.submission_id)))
        await pilot.press("l")
        await settle(pilot)
        errors = [str(n.message) for n in app._notifications if n.severity == "error"]
        assert errors == []
    with state.office.db.read() as s:
        assert s.get(Submission, held.submission_id).state == State.QUEUED.value
        assert audit.history(s, "submission", held.submission_id)[-1].actor == "spv1"
