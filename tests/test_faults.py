"""Faults injected on PostgreSQL: each decision stored once or reported as not
stored, no half package, and the audit chain verifies afterwards.

The faults are real: the server ends the program's backends
(`pg_terminate_backend`), the TCP path to the server is cut or refused
(`faults.FaultProxy`), and a COMMIT is let through while its answer is lost.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import packages
import pytest
from conftest import PG_ADMIN_URL
from faults import FaultProxy, terminate_backends
from sqlalchemy import create_engine, event, func, select, text

from bakso_tui.db.engine import Database, transient
from bakso_tui.db.models import AuditEntry, Attachment, Decision, IssuedDocument, Submission
from bakso_tui.demo.bulk import bulk_seed
from bakso_tui.domain import audit, claims, users
from bakso_tui.domain.intake import Intake
from bakso_tui.domain.once import NotStored
from bakso_tui.domain.workflow import Action

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def proxy():
    made = FaultProxy()
    yield made
    made.close()


@pytest.fixture
def via_proxy(pg_db, proxy):
    """The test's database, reached through the proxy."""
    db = Database(proxy.proxied_url(pg_db.url))
    yield db
    db.dispose()


def verifiers(db, n: int) -> list[users.Actor]:
    with db.write() as s:
        return [users.add_user(s, users.cli_actor(), login=f"verif{i}", name=f"V {i}",
                               role="verifier").actor() for i in range(n)]


def chain_ok(db) -> None:
    with db.read() as s:
        result = audit.verify(s)
    assert result.ok, result


def decisions_of(db, submission_id: int) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Decision)
                        .where(Decision.submission_id == submission_id))


def approve(db, actor, claim, **kw):
    return claims.decide_once(db, actor, claim.submission_id, claim.token, Action.APPROVE,
                              override_reason="uji gangguan", now=NOW, **kw)


# ------------------------------------------------------------------ one decision


def test_a_decision_whose_commit_answer_was_lost_is_found_not_made_twice(pg_db, via_proxy, proxy):
    bulk_seed(pg_db, 3, now=NOW - timedelta(hours=1))
    (verifier,) = verifiers(pg_db, 1)
    claim = claims.claim_next(via_proxy, verifier, now=NOW)
    proxy.lose_next_commit_ack()
    stored = approve(via_proxy, verifier, claim)
    assert proxy.acks_lost == 1
    assert stored.found and stored.attempts == 1  # it was committed; the retry found it
    assert decisions_of(pg_db, claim.submission_id) == 1
    with pg_db.read() as s:
        approvals = s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "submission.approve",
            AuditEntry.target_id == str(claim.submission_id)))
        docs = s.scalar(select(func.count()).select_from(IssuedDocument)
                        .where(IssuedDocument.submission_id == claim.submission_id))
    assert approvals == 1 and docs >= 1
    chain_ok(pg_db)


def test_a_decision_cut_half_way_is_tried_again_under_the_same_token(pg_db):
    bulk_seed(pg_db, 3, now=NOW - timedelta(hours=1))
    (verifier,) = verifiers(pg_db, 1)
    claim = claims.claim_next(pg_db, verifier, now=NOW)
    cut = {"pending": True, "done": 0}

    @event.listens_for(pg_db.engine, "before_cursor_execute")
    def _kill_own_backend(conn, cursor, statement, *args):
        # Half-way: the submission row is updated, the audit row not yet written.
        if cut["pending"] and "bakso_audit_append" in statement:
            cut["pending"] = False
            pid = conn.connection.dbapi_connection.info.backend_pid
            admin = Database(PG_ADMIN_URL)
            with admin.engine.connect() as c:
                cut["done"] = c.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
            admin.dispose()

    lost = []
    stored = approve(pg_db, verifier, claim, on_lost=lost.append)
    event.remove(pg_db.engine, "before_cursor_execute", _kill_own_backend)
    assert cut["done"] and len(lost) == 1 and transient(lost[0])
    assert not stored.found and stored.attempts == 2
    assert decisions_of(pg_db, claim.submission_id) == 1
    chain_ok(pg_db)


def test_a_decision_the_database_never_took_is_reported_not_stored(pg_db, via_proxy, proxy):
    bulk_seed(pg_db, 2, now=NOW - timedelta(hours=1))
    (verifier,) = verifiers(pg_db, 1)
    claim = claims.claim_next(via_proxy, verifier, now=NOW)
    proxy.down()
    started = time.monotonic()
    with pytest.raises(NotStored) as refused:
        approve(via_proxy, verifier, claim, patience=1.5)
    assert not refused.value.certain  # it could not even look
    assert time.monotonic() - started < 15
    assert decisions_of(pg_db, claim.submission_id) == 0
    with pg_db.read() as s:
        held = s.get(Submission, claim.submission_id)
        assert held.state == "diverifikasi" and held.claim_token == claim.token
    proxy.up()  # back: deciding again stores it, once
    assert not approve(via_proxy, verifier, claim).found
    assert decisions_of(pg_db, claim.submission_id) == 1
    chain_ok(pg_db)


# ------------------------------------------------------------------ races under cuts


class Killer(threading.Thread):
    """Ends the program's backends of one database at random moments."""

    def __init__(self, database: str, every: float) -> None:
        super().__init__(daemon=True)
        self.database, self.every = database, every
        self.stop = threading.Event()
        self.killed = 0
        self.rounds = 0

    def run(self) -> None:
        rng = random.Random(12)
        while not self.stop.wait(rng.uniform(0.3, 1.7) * self.every):
            self.killed += terminate_backends(PG_ADMIN_URL, self.database)
            self.rounds += 1


def test_claim_race_with_connections_cut_decides_each_submission_once(pg_db):
    total = 80
    bulk_seed(pg_db, total, now=NOW - timedelta(hours=1))
    people = verifiers(pg_db, 6)
    database = pg_db.engine.url.database
    killer = Killer(database, every=0.05)
    errors: list[BaseException] = []
    decided: Counter[int] = Counter()
    not_stored: list[int] = []
    # Reads the test's own way, unseen by the killer (another application_name).
    watcher = create_engine(pg_db.url)

    def verifier(actor) -> None:
        db = Database(pg_db.url, pool_size=1)
        try:
            while True:
                try:
                    claim = claims.claim_next(db, actor, now=NOW)
                except Exception as exc:  # noqa: BLE001
                    if transient(exc):
                        continue  # a claim whose answer was lost waits for its lease to end
                    raise
                if claim is None:
                    return
                try:
                    stored = approve(db, actor, claim, patience=5)
                except claims.LeaseLost:
                    continue
                except NotStored:
                    # Reported as not stored: and it is not.
                    with watcher.connect() as conn:
                        assert conn.execute(select(func.count()).select_from(Decision).where(
                            Decision.submission_id == claim.submission_id)).scalar() == 0
                    not_stored.append(claim.submission_id)
                    continue
                decided[claim.submission_id] += 1
                assert stored.value.value == "disetujui"
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            db.dispose()

    killer.start()
    threads = [threading.Thread(target=verifier, args=(p,)) for p in people]
    for th in threads:
        th.start()
    for th in threads:
        th.join(300)
    killer.stop.set()
    killer.join()
    watcher.dispose()
    assert not errors, errors
    print(f"claim race: {sum(decided.values())} decided, {len(not_stored)} reported not stored,"
          f" {killer.killed} backends ended")
    assert killer.killed > 0
    # Claims whose answer was lost to a cut, and those not stored, wait for
    # their lease; then they are decided too.
    later = NOW + timedelta(hours=1)
    with pg_db.write() as s:
        claims.expire_leases(s, now=later)
    while (claim := claims.claim_next(pg_db, people[0], now=later)):
        claims.decide_once(pg_db, people[0], claim.submission_id, claim.token, Action.APPROVE,
                           override_reason="uji gangguan", now=later)
        decided[claim.submission_id] += 1
    assert max(decided.values()) == 1
    with pg_db.read() as s:
        per_submission = Counter(s.scalars(select(Decision.submission_id)))
        states = Counter(s.scalars(select(Submission.state)))
    assert len(per_submission) == total and set(per_submission.values()) == {1}
    assert states == {"disetujui": total}
    chain_ok(pg_db)


def test_intake_with_connections_cut_leaves_no_half_package(pg_db, tmp_path):
    count = 16
    paths = []
    for i in range(count):
        m = packages.manifest(external_id=f"CUT-{i:03d}")
        m["applicant"] = {**m["applicant"], "name": f"Pemohon {i}"}
        paths.append(packages.write_folder(tmp_path / f"p{i}", m))
    intake = Intake(pg_db)
    killer = Killer(pg_db.engine.url.database, every=0.08)
    outcomes: Counter[str] = Counter()
    killer.start()
    for path in paths:
        try:
            outcomes[intake.intake(path, now=NOW).status] += 1
        except Exception as exc:  # noqa: BLE001 - what the run reports as "try again"
            assert transient(exc), exc
            outcomes["cut"] += 1
    killer.stop.set()
    killer.join()
    print("intake under cuts:", dict(outcomes), "backends ended:", killer.killed)
    assert killer.killed > 0
    # The office sends the inbox again: every package is there exactly once.
    again = Counter(intake.intake(path, now=NOW).status for path in paths)
    assert again["accepted"] + again["duplicate"] == count, again
    assert again["duplicate"] == outcomes["accepted"] + outcomes["duplicate"]
    with pg_db.read() as s:
        subs = s.scalars(select(Submission.id).where(Submission.external_id.like("CUT-%"))).all()
        files = Counter(s.scalars(select(Attachment.submission_id)))
    assert len(subs) == count
    wanted = len(packages.manifest()["attachments"])
    assert all(files[sid] == wanted for sid in subs)  # no submission without its files
    chain_ok(pg_db)


def test_a_decision_is_found_stored_only_if_it_is_this_verifiers(db):
    """A claim lost in a server crash (claims commit without waiting for the
    disk) can hand the same token to the next claimer: the first verifier's
    retry must not take the other's decision for its own."""
    bulk_seed(db, 1, now=NOW - timedelta(hours=1))
    first, second = verifiers(db, 2)
    with db.write() as s:
        claim = claims.claim(s, second, now=NOW)
    claims.decide_once(db, second, claim.submission_id, claim.token, Action.REJECT,
                       reason_code="duplikat", now=NOW)
    with db.read() as s:
        assert claims.decided_under(s, second, claim.submission_id, claim.token,
                                    Action.REJECT).value == "ditolak"
        assert claims.decided_under(s, first, claim.submission_id, claim.token,
                                    Action.REJECT) is None
        assert claims.decided_under(s, second, claim.submission_id, claim.token,
                                    Action.APPROVE) is None
    with pytest.raises(claims.LeaseLost):
        claims.decide_once(db, first, claim.submission_id, claim.token, Action.REJECT,
                           reason_code="duplikat", now=NOW)
    assert decisions_of(db, claim.submission_id) == 1
