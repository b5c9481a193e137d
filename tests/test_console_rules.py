"""The supervisor's console in the rules layer, on SQLite and PostgreSQL: the
claims list and its fenced release and reassignment, and the audit viewer's
filters and keyset pages; each bad input refused in one line, nothing written."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bakso_tui.db.models import AuditEntry, Submission
from bakso_tui.demo.bulk import bulk_seed
from bakso_tui.domain import users
from bakso_tui.domain.audit_view import AuditFilter, AuditFilterError, audit_page, verify_line
from bakso_tui.domain.claims import ClaimError, claim, decide, reassign, release
from bakso_tui.domain.claims_view import held_claims
from bakso_tui.domain.users import PermissionDenied
from bakso_tui.domain.workflow import Action

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def office(db):
    bulk_seed(db, 12, now=NOW - timedelta(hours=1))
    with db.write() as s:
        people = {login: users.add_user(s, users.cli_actor(), login=login, name=f"Nama {login}",
                                        role=role).actor()
                  for login, role in [("verif1", "verifier"), ("verif2", "verifier"),
                                      ("verif3", "verifier"), ("spv1", "supervisor")]}
        users.disable_user(s, users.cli_actor(), "verif3")
    return db, people


def _audit_count(db) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry))


def test_held_claims_say_who_since_when_and_the_lease(office):
    db, people = office
    with db.write() as s:
        first = claim(s, people["verif1"], lease_minutes=15, now=NOW - timedelta(minutes=20))
        second = claim(s, people["verif2"], lease_minutes=15, now=NOW - timedelta(minutes=5))
    with db.read() as s:
        held = held_claims(s, people["spv1"])
        with pytest.raises(PermissionDenied):
            held_claims(s, people["verif1"])
    assert [(c.holder_login, c.submission_id) for c in held] == [
        ("verif1", first.submission_id), ("verif2", second.submission_id)]
    assert held[0].since == NOW - timedelta(minutes=20)
    assert held[0].lease_left(NOW) == timedelta(0)  # expired, not yet taken
    assert held[1].lease_left(NOW) == timedelta(minutes=10)


def test_release_of_a_claim_decided_a_moment_ago_is_refused(office):
    db, people = office
    with db.write() as s:
        held = claim(s, people["verif1"], lease_minutes=15, now=NOW)
    with db.read() as s:
        seen = held_claims(s, people["spv1"])[0]
    with db.write() as s:
        decide(s, people["verif1"], held.submission_id, held.token, Action.REJECT,
               reason_code="duplikat", now=NOW)
    before = _audit_count(db)
    with db.write() as s, pytest.raises(ClaimError, match="sudah selesai diputuskan"):
        release(s, people["spv1"], seen.submission_id, None, now=NOW, seen_token=seen.token)
    with db.write() as s, pytest.raises(ClaimError, match="sudah selesai diputuskan"):
        reassign(s, people["spv1"], seen.submission_id, "verif2", now=NOW,
                 seen_token=seen.token)
    assert _audit_count(db) == before
    with db.read() as s:
        assert s.get(Submission, held.submission_id).state == "ditolak"


def test_a_claim_taken_by_someone_else_since_it_was_read_is_left_alone(office):
    db, people = office
    with db.write() as s:
        held = claim(s, people["verif1"], lease_minutes=15, now=NOW - timedelta(minutes=30))
    with db.read() as s:
        seen = held_claims(s, people["spv1"])[0]
    with db.write() as s:  # the lease ran out; verif2 took it by its number
        claim(s, people["verif2"], submission_id=held.submission_id, now=NOW)
    with db.write() as s, pytest.raises(ClaimError, match="kini dipegang verif2"):
        release(s, people["spv1"], seen.submission_id, None, now=NOW, seen_token=seen.token)
    with db.read() as s:
        assert s.get(Submission, held.submission_id).claim_holder_id == people["verif2"].id


def test_reassigning_to_a_disabled_or_unknown_account_is_refused(office):
    db, people = office
    with db.write() as s:
        held = claim(s, people["verif1"], lease_minutes=15, now=NOW)
    before = _audit_count(db)
    with db.write() as s, pytest.raises(ClaimError, match="verif3 nonaktif"):
        reassign(s, people["spv1"], held.submission_id, "verif3", now=NOW, seen_token=held.token)
    with db.write() as s, pytest.raises(ClaimError, match="tidak terdaftar"):
        reassign(s, people["spv1"], held.submission_id, "nobody", now=NOW, seen_token=held.token)
    assert _audit_count(db) == before
    with db.write() as s:
        moved = reassign(s, people["spv1"], held.submission_id, "verif2", now=NOW,
                         seen_token=held.token)
    assert moved.token == held.token + 1


def _history(db, people):
    """verif1 claims and approves one, verif2 claims and returns another."""
    out = []
    for login, action, code in (("verif1", Action.APPROVE, None),
                                ("verif2", Action.RETURN, "berkas_kurang")):
        with db.write() as s:
            held = claim(s, people[login], lease_minutes=15, now=NOW)
            decide(s, people[login], held.submission_id, held.token, action, reason_code=code,
                   override_reason="uji" if action is Action.APPROVE else "", now=NOW)
        out.append(held.submission_id)
    return out


def test_audit_filters_and_keyset_pages_newest_first(office):
    db, people = office
    approved, returned = _history(db, people)
    spv = people["spv1"]
    with db.read() as s:
        number = s.get(Submission, approved).number
        nik = s.get(Submission, returned).applicant_nik
        everything, after = [], None
        while True:
            page = audit_page(s, spv, AuditFilter(), after=after, limit=3)
            everything += page.rows
            after = page.next_after
            if after is None:
                break
        all_ids = s.scalars(select(AuditEntry.id).order_by(AuditEntry.id.desc())).all()
        assert [r.id for r in everything] == list(all_ids)
        by_user = audit_page(s, spv, AuditFilter(user="verif1")).rows
        assert {r.actor for r in by_user} == {"verif1"} and \
            {"submission.claim", "submission.approve"} <= {r.action for r in by_user}
        by_number = audit_page(s, spv, AuditFilter(submission=number)).rows
        assert {r.target_id for r in by_number} == {str(approved)}
        by_nik = audit_page(s, spv, AuditFilter(nik=nik)).rows
        assert str(returned) in {r.target_id for r in by_nik}
        prefix = audit_page(s, spv, AuditFilter(action="submission.")).rows
        assert {r.action for r in prefix} == {"submission.claim", "submission.approve",
                                              "submission.return"}
        assert audit_page(s, spv, AuditFilter(action="submission.return", since=date(2026, 11, 20),
                                              until=date(2026, 11, 20))).rows
        assert not audit_page(s, spv, AuditFilter(action="submission.return",
                                                  until=date(2026, 11, 19))).rows
        assert audit_page(s, spv, AuditFilter(submission="BKS-0000-0000000")).rows == []
        with pytest.raises(PermissionDenied):
            audit_page(s, people["verif1"], AuditFilter())


@pytest.mark.parametrize("bad, message", [
    (AuditFilter(since=date(2026, 11, 20), until=date(2026, 11, 1)), "terbalik"),
    (AuditFilter(since=date(2010, 1, 1), until=date(2026, 1, 1)), "lebih dari 10 tahun"),
    (AuditFilter(nik="1234"), "16 angka"),
])
def test_audit_filters_refused_in_one_line(office, bad, message):
    db, people = office
    with db.read() as s, pytest.raises(AuditFilterError, match=message) as refused:
        audit_page(s, people["spv1"], bad)
    assert "\n" not in str(refused.value)


def test_verify_line_is_one_line(office):
    db, people = office
    _history(db, people)
    with db.read() as s:
        whole, line = verify_line(s, people["spv1"])
    assert whole and "\n" not in line and "utuh" in line
