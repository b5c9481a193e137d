"""A verifier's writes are the owner's functions (migration 0015, domain/verifier_pg.py):
its login role writes no table; the functions refuse a claim it does not hold, a
stale token, another's name, a decision the rules would not make; and through
them the program claims, renews, decides (documents and bookings included) and
releases, each with its audit row, as the Python writes do elsewhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bakso_tui.db import roles
from bakso_tui.db.engine import Database
from bakso_tui.db.models import Decision, IssuedDocument, Submission
from bakso_tui.db.types import utcnow
from bakso_tui.domain import audit, claims, users
from bakso_tui.domain.workflow import Action, State
from test_roles import free_ids, office_roles, psql, refused, run  # noqa: F401 - a fixture
from tui_helpers import Office

PERMISSION, NOT_HELD, BAD = "42501", "BK001", "22023"


def test_the_verifier_group_holds_no_write_on_any_table(office_roles):
    state = office_roles
    group = state.prefix + "verifier"
    with state.office.db.engine.connect() as conn:
        writable = conn.execute(text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v')"
            " AND (has_table_privilege(:g, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')"
            "      OR has_any_column_privilege(:g, c.oid, 'INSERT, UPDATE'))"), {"g": group}
        ).scalars().all()
        definer = dict(conn.execute(text(
            "SELECT proname, prosecdef FROM pg_proc WHERE proname = ANY(:names)"),
            {"names": list(roles.VERIFIER) + ["bakso_book", "bakso_audit_row"]}).all())
    assert writable == []
    assert definer == {**{name: True for name in roles.VERIFIER},
                       "bakso_book": False, "bakso_audit_row": False}


def test_plain_sql_as_a_verifier_changes_nothing_it_holds(office_roles):
    """Even on its own live claim: every table write is refused, in SQLAlchemy and psql."""
    state = office_roles
    one = state.db("verif1")
    me = state.accounts["verif1"].id
    mine = claims.claim_next(one, state.actor("verif1"), now=utcnow())
    for statement in (
        "UPDATE submission SET claim_expires_at = now() + interval '9 days' WHERE id = :i",
        "UPDATE submission SET state = 'diajukan', claim_holder_id = NULL WHERE id = :i",
        "UPDATE submission SET state = 'disetujui', claim_holder_id = NULL WHERE id = :i",
        f"INSERT INTO decision (submission_id, actor_id, action, reason, override_reason, at)"
        f" VALUES (:i, {me}, 'approve', '', '', now())",
        "INSERT INTO issued_document (submission_id, village_code, kind, state, created_at,"
        " updated_at) SELECT id, village_code, 'kk', 'siap_cetak', now(), now()"
        " FROM submission WHERE id = :i",
        "INSERT INTO recording_booking (submission_id, service_day_id, home_visit, state,"
        " created_at, updated_at) VALUES (:i, 1, false, 'dipesan', now(), now())",
        "UPDATE service_day SET booked = 0",
        "UPDATE recording_booking SET state = 'dibatalkan'",
        # The bookings' helper runs with the caller's rights outside bakso_decide.
        "SELECT bakso_book('verif1', s, v, '{}'::json, now())"
        " FROM submission s JOIN service v ON v.id = s.service_id WHERE s.id = :i",
    ):
        assert refused(one, statement, i=mine.submission_id) == PERMISSION, statement
    for statement in (
        f"UPDATE submission SET state = 'ditolak' WHERE id = {mine.submission_id}",
        f"INSERT INTO decision (submission_id, actor_id, action, reason, override_reason, at)"
        f" VALUES ({mine.submission_id}, {me}, 'reject', '', '', now())",
    ):
        done = psql(state, "verif1", statement)
        assert done.returncode != 0 and "permission denied" in done.stderr, statement
    with state.office.db.read() as s:
        row = s.get(Submission, mine.submission_id)
        assert (row.state, row.claim_holder_id, row.claim_token) == (
            State.CLAIMED.value, me, mine.token)
        assert s.scalar(select(Decision.id).where(Decision.submission_id == row.id)) is None


def test_the_functions_refuse_what_is_not_held_or_not_ones_own(office_roles):
    state = office_roles
    one, two = state.db("verif1"), state.db("verif2")
    v1, v2 = state.accounts["verif1"].id, state.accounts["verif2"].id
    now = utcnow()
    theirs = claims.claim_next(two, state.actor("verif2"), now=now)
    mine = claims.claim_next(one, state.actor("verif1"), now=now)
    free = free_ids(state.office.db, 1)[0]
    reject = "'reject', 'duplikat', '', '', '{}', '{}', NULL, NULL, now())"
    cases = {
        # Deciding another's claim, or one's own under a stale or a made-up token.
        f"SELECT bakso_decide({v1}, 'verif1', {theirs.submission_id}, {theirs.token}, {reject}":
            NOT_HELD,
        f"SELECT bakso_decide({v1}, 'verif1', {mine.submission_id}, {mine.token - 1}, {reject}":
            NOT_HELD,
        f"SELECT bakso_decide({v1}, 'verif1', {mine.submission_id}, {mine.token + 7}, {reject}":
            NOT_HELD,
        # Acting in the other verifier's name: its claim, renewal, release, decision.
        f"SELECT bakso_decide({v2}, 'verif2', {theirs.submission_id}, {theirs.token}, {reject}":
            PERMISSION,
        f"SELECT bakso_claim({v2}, 'verif2', {free}, now() + interval '10 minutes', now())":
            PERMISSION,
        f"SELECT bakso_renew({v2}, 'verif2', {theirs.submission_id}, {theirs.token},"
        " now() + interval '20 hours', now())": PERMISSION,
        f"SELECT bakso_release({v2}, 'verif2', {theirs.submission_id}, {theirs.token}, now())":
            PERMISSION,
        f"SELECT bakso_hold({v2}, 'verif2', {theirs.submission_id}, {theirs.token}, now())":
            PERMISSION,
        f"SELECT bakso_claim({v1}, 'verif2', {free}, now() + interval '10 minutes', now())":
            PERMISSION,
        # One's own claim, but a decision the rules would not make.
        f"SELECT bakso_decide({v1}, 'verif1', {mine.submission_id}, {mine.token},"
        " 'reject', 'berkas_kurang', '', '', '{}', '{}', NULL, NULL, now())": BAD,
        f"SELECT bakso_decide({v1}, 'verif1', {mine.submission_id}, {mine.token},"
        " 'return', 'lainnya', '  ', '', '{}', '{}', NULL, NULL, now())": BAD,
        f"SELECT bakso_decide({v1}, 'verif1', {mine.submission_id}, {mine.token},"
        " 'approve', NULL, '', 'x', '{requirement}', '{surat_palsu}', 'siap_cetak', NULL, now())":
            BAD,
        f"SELECT bakso_decide({v1}, 'verif1', {mine.submission_id}, {mine.token},"
        " 'return', 'berkas_kurang', '', '', '{}', '{kk}', NULL, NULL, now())": BAD,
        f"SELECT bakso_decide({v1}, 'verif1', {mine.submission_id}, {mine.token},"
        " 'destroy', NULL, '', '', '{}', '{}', NULL, NULL, now())": BAD,
        # A lease of a week.
        f"SELECT bakso_renew({v1}, 'verif1', {mine.submission_id}, {mine.token},"
        " now() + interval '7 days', now())": BAD,
    }
    for statement, sqlstate in cases.items():
        assert refused(one, statement) == sqlstate, statement
    with one.engine.begin() as conn:
        # Locking another's claim for a decision: not held, nothing locked.
        assert conn.execute(text(
            f"SELECT bakso_hold({v1}, 'verif1', {theirs.submission_id}, {theirs.token}, now())"
        )).scalar() is False
        # Taking a live claim by its number: nothing to take.
        assert conn.execute(text(
            f"SELECT bakso_claim({v1}, 'verif1', {theirs.submission_id},"
            " now() + interval '10 minutes', now())")).scalar() is None
        # A clock set ahead returns nobody's live lease to the queue (spv1's
        # lease of the seeding, at an earlier date, is over by any clock).
        expired = set(conn.execute(text(
            "SELECT submission_id FROM bakso_expire_leases(now() + interval '2 days')")).scalars())
        assert expired.isdisjoint({theirs.submission_id, mine.submission_id})
    done = psql(state, "verif1", f"SELECT bakso_decide({v1}, 'verif1', {theirs.submission_id},"
                                 f" {theirs.token}, {reject}")
    assert done.returncode != 0 and "does not hold" in done.stderr
    with state.office.db.read() as s:
        for held, holder in ((theirs, v2), (mine, v1)):
            row = s.get(Submission, held.submission_id)
            assert (row.state, row.claim_holder_id, row.claim_token) == (
                State.CLAIMED.value, holder, held.token)
        assert s.scalar(select(Decision.id).where(Decision.actor_id.in_([v1, v2]))) is None
        assert audit.verify(s).ok
    # The program says a lost lease as it does everywhere: nothing was changed.
    with pytest.raises(claims.LeaseLost):
        claims.decide_once(one, state.actor("verif1"), theirs.submission_id, theirs.token,
                           Action.REJECT, reason_code="duplikat", now=now)
    # A forged actor through the rules: the database refuses.
    forged = users.Actor(login="verif2", role="verifier", id=v2)
    with pytest.raises(DBAPIError) as error, one.write() as s:
        claims.renew(s, forged, theirs.submission_id, theirs.token, now=now)
    assert error.value.orig.sqlstate == PERMISSION


def test_claim_renew_decide_and_release_under_roles_each_audited(office_roles):
    """The rules' path (the TUI's and the command line's): each write a function,
    each with its audit row as the verifier, and `bakso audit verify` passes."""
    state = office_roles
    one = state.db("verif1")
    me = state.actor("verif1")
    now = utcnow()
    ids = free_ids(state.office.db, 4)
    taken = {}
    with one.write() as s:
        for sid in ids:
            taken[sid] = claims.claim(s, me, submission_id=sid, now=now)
        renewed = claims.renew(s, me, ids[0], taken[ids[0]].token, lease_minutes=60, now=now)
        again = claims.claim(s, me, submission_id=ids[1], now=now)  # one's own: a renewal
    assert renewed.token == taken[ids[0]].token and again.token == taken[ids[1]].token
    claims.decide_once(one, me, ids[0], taken[ids[0]].token, Action.APPROVE,
                       override_reason="berkas asli dilihat", now=now)
    claims.decide_once(one, me, ids[1], taken[ids[1]].token, Action.RETURN,
                       reason_code="lainnya", reason="foto KK terpotong", now=now)
    claims.decide_once(one, me, ids[2], taken[ids[2]].token, Action.REJECT,
                       reason_code="duplikat", now=now)
    with one.write() as s:
        claims.release(s, me, ids[3], taken[ids[3]].token, now=now)
        claims.release(s, me, ids[3], taken[ids[3]].token, now=now)  # idempotent
    with state.office.db.read() as s:
        states = {sid: s.get(Submission, sid).state for sid in ids}
        history = {sid: [(r.action, r.actor, r.to_state) for r in
                         audit.history(s, "submission", sid)][1:] for sid in ids}
        documents = s.scalars(select(IssuedDocument).where(
            IssuedDocument.submission_id == ids[0])).all()
        outputs = s.get(Submission, ids[0]).service.outputs
        decisions = {d.submission_id: (d.action, d.reason_code, d.reason, d.override_reason)
                     for d in s.scalars(select(Decision).where(Decision.submission_id.in_(ids)))}
    assert states == {ids[0]: "disetujui", ids[1]: "dikembalikan", ids[2]: "ditolak",
                      ids[3]: "diajukan"}
    claim = ("submission.claim", "verif1", "diverifikasi")
    assert history[ids[0]][:2] == [claim, ("submission.approve", "verif1", "disetujui")]
    assert history[ids[1]] == [claim, ("submission.return", "verif1", "dikembalikan")]
    assert history[ids[2]] == [claim, ("submission.reject", "verif1", "ditolak")]
    assert history[ids[3]] == [claim, ("submission.release", "verif1", "diajukan")]
    assert sorted(d.kind for d in documents) == sorted(outputs)
    assert decisions == {
        ids[0]: ("approve", None, "", "berkas asli dilihat"),
        ids[1]: ("return", "lainnya", "foto KK terpotong", ""),
        ids[2]: ("reject", "duplikat", "", ""),
    }
    with state.office.db.read() as s:
        created = [audit.history(s, "document", d.id) for d in documents]
    assert [[(r.action, r.actor) for r in rows] for rows in created] == [
        [("document.create", "verif1")]] * len(outputs)
    for login in ("adm1", "verif1"):
        verified = run("--db", state.url(login), "audit", "verify")
        assert verified.exit_code == 0, verified.output


def test_the_tui_claims_returns_rejects_and_releases_as_a_verifiers_login_role(office_roles):
    from test_tui_submission import open_first
    from tui_helpers import app_for, run_async, settle

    from bakso_tui.screens import QueueScreen
    from bakso_tui.screens.submission import SubmissionScreen

    state = office_roles
    office = Office(state.db("verif1"), state.accounts["verif1"], state.accounts["spv1"],
                    state.office.work_order, state.office.names)
    seen: list[int] = []

    @run_async
    async def work() -> None:
        app = app_for(office)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_first(pilot)
            for key, choose in (("k", ("down", "enter")), ("t", ("enter",))):
                assert isinstance(app.screen, SubmissionScreen)
                seen.append(app.screen.claim.submission_id)
                await pilot.press(key)
                await pilot.pause()
                await pilot.press(*choose)
                await settle(pilot)
            assert isinstance(app.screen, SubmissionScreen)  # the next opened by itself
            seen.append(app.screen.claim.submission_id)
            await pilot.press("escape")  # leaves it: released
            await settle(pilot)
            assert isinstance(app.screen, QueueScreen)
            errors = [str(n.message) for n in app._notifications if n.severity == "error"]
            assert errors == []

    work()
    returned, rejected, left = seen
    with state.office.db.read() as s:
        assert [s.get(Submission, sid).state for sid in seen] == [
            "dikembalikan", "ditolak", "diajukan"]
        last = {sid: [(r.action, r.actor) for r in audit.history(s, "submission", sid)][-1]
                for sid in seen}
        assert last == {returned: ("submission.return", "verif1"),
                        rejected: ("submission.reject", "verif1"),
                        left: ("submission.release", "verif1")}
        assert audit.verify(s).ok


# ------------------------------------------------------------------ bookings, both paths


@pytest.fixture
def verifier_db(db):
    """(Database, Actor) of verif1: on PostgreSQL its own login role, with roles
    made (the functions' path); on SQLite the one database (the Python writes)."""
    from schedule_helpers import SYSTEM

    if not db.is_postgresql:
        with db.write() as s:
            actor = users.add_user(s, SYSTEM, login="verif1", name="V", role="verifier").actor()
        yield db, actor
        return
    with db.write_engine.begin() as conn:
        prefix = roles.secure(conn)
    login = None
    try:
        with db.write() as s:
            actor = users.add_user(s, SYSTEM, login="verif1", name="V", role="verifier").actor()
        login = Database(make_url(db.url).set(username=prefix + "verif1")
                         .render_as_string(hide_password=False))
        yield login, actor
    finally:
        if login is not None:
            login.dispose()
        with db.write_engine.begin() as conn:
            roles.drop(conn)


def test_an_approval_books_and_moves_alike_on_both_paths(db, verifier_db):
    """A priority resident approved after an older one takes the first day of a
    one-place plan; the older one moves to the next day: the same bookings, the
    same audit rows, whether Python writes them or bakso_decide does."""
    from schedule_helpers import NOW, new_submission, team_and_plan, villages

    from bakso_tui.domain.schedule.booking import booked_day

    vdb, actor = verifier_db
    with db.write() as s:
        village = villages(s, 1)[0]
        team_and_plan(s, village, capacity=1)
        older = new_submission(s, village, 1, minutes_ago=60).id
        priority = new_submission(s, village, 2, minutes_ago=5, priority=["lansia"]).id
    days = []
    for sid in (older, priority):
        with vdb.write() as s:
            held = claims.claim(s, actor, submission_id=sid, now=NOW)
        claims.decide_once(vdb, actor, sid, held.token, Action.APPROVE,
                           override_reason="berkas asli dilihat", now=NOW + timedelta(minutes=1))
        with db.read() as s:
            days.append(booked_day(s, sid))
    with db.read() as s:
        now_older, now_priority = booked_day(s, older), booked_day(s, priority)
        rows = {sid: [(r.action, r.actor, r.from_state, r.to_state)
                      for r in audit.history(s, "submission", sid) if r.action.startswith("booking")]
                for sid in (older, priority)}
        kinds = s.scalars(select(IssuedDocument.kind).where(
            IssuedDocument.submission_id.in_([older, priority]))).all()
        assert audit.verify(s).ok
    first, _ = days
    assert now_priority == first and now_older > first
    assert rows == {
        older: [("booking.create", "verif1", None, first.isoformat()),
                ("booking.move", "verif1", first.isoformat(), now_older.isoformat())],
        priority: [("booking.create", "verif1", None, first.isoformat())],
    }
    assert kinds == ["ktp_el", "ktp_el"]


def test_the_command_lines_lease_expiry_returns_leases_through_the_function(office_roles):
    """`bakso jobs once lease-expiry` as the service's login role: a verifier's
    run-out lease goes back to the queue (bakso_expire_leases), audited as the
    system; a live one stays."""
    state = office_roles
    with state.office.db.write_engine.begin() as conn:  # the daemon's login (docs/deploy.md)
        conn.exec_driver_sql(f'CREATE ROLE "{state.prefix}jobs" LOGIN IN ROLE '
                             f'"{state.prefix}service"')
    one, me = state.db("verif1"), state.actor("verif1")
    gone, live = free_ids(state.office.db, 2)
    with one.write() as s:
        claims.claim(s, me, submission_id=gone, lease_minutes=15,
                     now=utcnow() - timedelta(hours=1))
        claims.claim(s, me, submission_id=live, lease_minutes=15, now=utcnow())
    done = run("--db", state.url("jobs"), "jobs", "once", "lease-expiry")
    assert done.exit_code == 0, done.output
    with state.office.db.read() as s:
        assert s.get(Submission, gone).state == State.QUEUED.value
        assert s.get(Submission, live).state == State.CLAIMED.value
        last = audit.history(s, "submission", gone)[-1]
        assert (last.action, last.actor) == ("submission.lease_expired", "system")
    verified = run("--db", state.url("verif1"), "audit", "verify")
    assert verified.exit_code == 0, verified.output


def test_an_approval_waits_for_a_supervisors_change_of_its_row_without_deadlock(office_roles):
    """A supervisor's change of the submission (its row locked, then its audit
    row appended) while the holder approves a recording service: the approval
    locks the row first (bakso_hold), so it waits, then finds its claim gone.
    Locking the audit and the village first would deadlock here."""
    import threading

    from schedule_helpers import new_submission, villages

    state = office_roles
    one, me = state.db("verif1"), state.actor("verif1")
    now = utcnow()
    with state.office.db.write() as s:
        sid = new_submission(s, villages(s, 1)[0], 1, now=now).id
    with one.write() as s:
        held = claims.claim(s, me, submission_id=sid, now=now)
    outcome: list[object] = []

    def approve() -> None:
        try:
            claims.decide_once(one, me, sid, held.token, Action.APPROVE,
                               override_reason="berkas asli dilihat", now=now, patience=5)
            outcome.append("approved")
        except Exception as exc:  # noqa: BLE001 - what the approval ended with is the test
            outcome.append(exc)

    with state.office.db.write_engine.connect() as conn, conn.begin():
        conn.execute(text("UPDATE submission SET claim_token = claim_token + 1 WHERE id = :i"),
                     {"i": sid})
        approver = threading.Thread(target=approve)
        approver.start()
        approver.join(1.5)  # it waits on the row, holding no other lock
        assert approver.is_alive()
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": audit.AUDIT_LOCK_KEY})
    approver.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], claims.LeaseLost), outcome
    with state.office.db.read() as s:
        assert s.get(Submission, sid).state == State.CLAIMED.value
        assert s.scalar(select(Decision.id).where(Decision.submission_id == sid)) is None
