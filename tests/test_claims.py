"""Claiming: leases, fencing tokens, releases, and real concurrency on both databases."""

from __future__ import annotations

import multiprocessing as mp
from collections import Counter
from datetime import UTC, datetime, timedelta

import claimers
import pytest
from sqlalchemy import select

from bakso_tui.db.models import IssuedDocument, Submission
from bakso_tui.demo.bulk import bulk_seed
from bakso_tui.domain import users
from bakso_tui.domain.claims import ClaimError, LeaseLost, claim, decide, expire_leases, reassign, release, renew
from bakso_tui.domain.users import PermissionDenied
from bakso_tui.domain.workflow import Action

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def people(db):
    with db.write() as s:
        made = {
            login: users.add_user(s, users.cli_actor(), login=login, name=login, role=role).actor()
            for login, role in [("verif1", "verifier"), ("verif2", "verifier"), ("spv1", "supervisor")]
        }
    return made


def _seed(db, n=5):
    bulk_seed(db, n, now=NOW - timedelta(hours=1))


def test_claim_next_follows_work_order_and_never_gives_one_twice(db, people):
    _seed(db, 5)
    with db.read() as s:
        order = s.scalars(select(Submission.id).order_by(
            Submission.priority_rank, Submission.submitted_at, Submission.id)).all()
    got = []
    for i in range(5):
        with db.write() as s:
            got.append(claim(s, people["verif1" if i % 2 else "verif2"], now=NOW).submission_id)
    assert got == order
    with db.write() as s:
        assert claim(s, people["verif1"], now=NOW) is None


def test_claim_next_in_its_own_transaction_and_expired_leases_come_back(db, people):
    from bakso_tui.domain import audit
    from bakso_tui.domain.claims import claim_next

    _seed(db, 2)
    first = claim_next(db, people["verif1"], lease_minutes=15, now=NOW)
    second = claim_next(db, people["verif2"], lease_minutes=15, now=NOW)
    assert first.submission_id != second.submission_id
    assert claim_next(db, people["verif1"], now=NOW) is None
    later = claim_next(db, people["verif2"], now=NOW + timedelta(minutes=20))
    assert later is not None and later.token == 2  # an expired lease went back and was taken
    with db.read() as s:
        assert audit.verify(s).ok


def test_a_held_submission_is_refused_to_another_verifier(db, people):
    _seed(db, 1)
    with db.write() as s:
        c = claim(s, people["verif1"], now=NOW)
    with pytest.raises(ClaimError, match="verif1"), db.write() as s:
        claim(s, people["verif2"], submission_id=c.submission_id, now=NOW)
    with db.write() as s:  # claiming one's own again renews it, same token
        again = claim(s, people["verif1"], submission_id=c.submission_id, now=NOW + timedelta(minutes=5))
    assert again.token == c.token and again.expires_at > c.expires_at


def test_expired_lease_can_be_taken_and_the_old_token_changes_nothing(db, people):
    _seed(db, 1)
    with db.write() as s:
        old = claim(s, people["verif1"], lease_minutes=15, now=NOW)
    later = NOW + timedelta(minutes=16)
    with db.write() as s:
        new = claim(s, people["verif2"], submission_id=old.submission_id, now=later)
    assert new.token == old.token + 1
    with pytest.raises(LeaseLost), db.write() as s:
        decide(s, people["verif1"], old.submission_id, old.token, Action.APPROVE, now=later)
    with pytest.raises(LeaseLost), db.write() as s:
        renew(s, people["verif1"], old.submission_id, old.token, now=later)
    with db.write() as s:
        decide(s, people["verif2"], new.submission_id, new.token, Action.APPROVE,
               override_reason="bulk load has no attachments", now=later)
    with db.read() as s:
        sub = s.get(Submission, old.submission_id)
        docs = s.scalars(select(IssuedDocument).where(IssuedDocument.submission_id == sub.id)).all()
    assert sub.state == "disetujui" and sub.claim_holder_id is None and docs


def test_an_expired_lease_refuses_its_own_holder_too(db, people):
    _seed(db, 1)
    with db.write() as s:
        c = claim(s, people["verif1"], lease_minutes=1, now=NOW)
    with pytest.raises(LeaseLost), db.write() as s:
        decide(s, people["verif1"], c.submission_id, c.token, Action.REJECT,
               reason_code="duplikat", now=NOW + timedelta(minutes=2))


def test_renewal_keeps_the_lease_alive(db, people):
    _seed(db, 1)
    with db.write() as s:
        c = claim(s, people["verif1"], lease_minutes=15, now=NOW)
    t = NOW
    for _ in range(3):
        t += timedelta(minutes=10)
        with db.write() as s:
            renew(s, people["verif1"], c.submission_id, c.token, lease_minutes=15, now=t)
    with db.write() as s:
        decide(s, people["verif1"], c.submission_id, c.token, Action.RETURN,
               reason_code="scan_tidak_terbaca", now=t + timedelta(minutes=1))


def test_release_and_supervisor_release_and_reassign(db, people):
    _seed(db, 2)
    with db.write() as s:
        a = claim(s, people["verif1"], now=NOW)
        b = claim(s, people["verif1"], now=NOW)
    with db.write() as s:
        release(s, people["verif1"], a.submission_id, a.token, now=NOW)
    with pytest.raises(PermissionDenied), db.write() as s:
        release(s, people["verif2"], b.submission_id, None, now=NOW)  # a verifier may not
    with db.write() as s:
        moved = reassign(s, people["spv1"], b.submission_id, "verif2", now=NOW)
    assert moved.token == b.token + 1
    with pytest.raises(LeaseLost), db.write() as s:
        decide(s, people["verif1"], b.submission_id, b.token, Action.APPROVE, override_reason="x", now=NOW)
    with db.write() as s:
        release(s, people["spv1"], b.submission_id, None, now=NOW)
    with db.read() as s:
        states = Counter(s.scalars(select(Submission.state)))
    assert states == {"diajukan": 2}


def test_expire_leases_returns_work_to_the_queue(db, people):
    _seed(db, 3)
    with db.write() as s:
        for _ in range(3):
            claim(s, people["verif1"], lease_minutes=15, now=NOW)
    with db.write() as s:
        assert expire_leases(s, now=NOW + timedelta(minutes=10)) == 0
        assert expire_leases(s, now=NOW + timedelta(minutes=16)) == 3


def test_reject_needs_a_reject_reason_and_approve_a_complete_file(db, people):
    _seed(db, 1)
    with db.write() as s:
        c = claim(s, people["verif1"], now=NOW)
    from bakso_tui.domain.decisions import DecisionError

    for kwargs, fragment in [
        ({"action": Action.REJECT}, "kode alasan"),
        ({"action": Action.REJECT, "reason_code": "berkas_kurang"}, "tidak berlaku"),
        ({"action": Action.RETURN, "reason_code": "lainnya"}, "keterangan"),
        ({"action": Action.APPROVE}, "persyaratan wajib"),
    ]:
        action = kwargs.pop("action")
        with pytest.raises(DecisionError, match=fragment), db.write() as s:
            decide(s, people["verif1"], c.submission_id, c.token, action, now=NOW, **kwargs)


def _race(db, naive: bool, n_procs: int, n_subs: int):
    with db.write() as s:
        ids = [users.add_user(s, users.cli_actor(), login=f"c{k}", name=f"C{k}", role="verifier").id
               for k in range(n_procs)]
    bulk_seed(db, n_subs, now=NOW)
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=claimers.run_claimer, args=(db.url, uid, f"c{k}", start, out, naive))
             for k, uid in enumerate(ids)]
    for p in procs:
        p.start()
    start.set()
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    claimed = Counter(sid for _, got, _ in results for sid in got)
    locked = sum(r[2] for r in results)
    return claimed, locked


def test_concurrent_claimers_each_submission_exactly_once(db):
    claimed, locked = _race(db, naive=False, n_procs=6, n_subs=300)
    assert len(claimed) == 300
    assert max(claimed.values()) == 1
    assert locked == 0  # on SQLite too: BEGIN IMMEDIATE queues writers, never "database is locked"
    from bakso_tui.domain import audit

    with db.read() as s:
        chain = audit.verify(s)  # on PostgreSQL the claims' audit rows were written server-side
    assert chain.ok, chain
    assert chain.count >= 300 + 6  # a claim row each, and the accounts


def test_the_naive_select_then_update_claimer_double_claims(pg_db):
    """The same race with a naive claimer: the test can fail, and does for the naive one."""
    claimed, _ = _race(pg_db, naive=True, n_procs=6, n_subs=300)
    assert max(claimed.values()) > 1, "the naive claimer should have given a submission twice"
