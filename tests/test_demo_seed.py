"""`bakso demo`'s seeding: real scans, varied data, idempotent, never into a real database."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

import packages as pk
from bakso_tui.attachments.store import BlobStore
from bakso_tui.db.engine import Database
from bakso_tui.db.models import Attachment, IssuedDocument, Submission
from bakso_tui.demo.bulk import bulk_seed
from bakso_tui.demo.seed import seed_demo
from bakso_tui.domain import audit, demo_mode, users
from bakso_tui.domain.demo_mode import DemoRefused
from bakso_tui.domain.intake import Intake
from bakso_tui.domain.submissions import NewSubmission, register

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def test_seed_is_varied_real_and_idempotent(db):
    first = seed_demo(db, submissions=60, seed=7, now=NOW)
    assert first.added == 60 and first.submissions == 60
    second = seed_demo(db, submissions=60, seed=7, now=NOW)
    assert second.added == 0 and second.submissions == 60 and second.attachments == first.attachments
    with db.read() as s:
        logins = {u.login for u in users.list_users(s)}
        states = Counter(s.scalars(select(Submission.state)))
        services = set(s.scalars(select(Submission.service_id)))
        media = Counter(s.scalars(select(Attachment.media_type)))
        docs = s.scalar(select(func.count()).select_from(IssuedDocument))
        sample = s.scalars(select(Attachment).where(Attachment.media_type == "application/pdf").limit(1)).one()
        data = BlobStore().get(s, sample.sha256)
        chain = audit.verify(s)
    assert {"verif1", "verif2", "spv1"} <= logins
    assert states["diajukan"] > 20 and (states["disetujui"] + states["dikembalikan"]) > 0
    assert len(services) >= 6
    assert media["application/pdf"] and media["image/jpeg"]
    assert docs > 0
    assert data.startswith(b"%PDF")
    assert chain.ok


def test_seed_refuses_a_real_database(sqlite_db):
    with sqlite_db.write() as s:
        register(s, NewSubmission(
            external_id="REAL-1", village_code="52.03.01.2001", service_id="kk_perubahan",
            submitted_at=NOW, operator_name="Op", applicant_nik="5203011203900001",
            applicant_kk="5203010101100001", applicant_name="Real Person",
            applicant_birth_date=datetime(1990, 3, 12).date(), applicant_sex="L",
        ), actor="intake")
    with pytest.raises(DemoRefused):
        seed_demo(sqlite_db, submissions=5, now=NOW)


def _as(db_url: str, login: str, *, system_login: str = "someone-else"):
    """Open the TUI's sign-in as `login` from another OS login, without a password."""
    db = Database(db_url)
    with db.read() as session:
        free = demo_mode.switches_without_password(session, login)
        try:
            return users.authenticate(session, system_login=system_login, requested=login,
                                      password=None, demo=free).login
        except users.UserError as exc:
            return str(exc)
        finally:
            db.dispose()


def test_demo_switching_is_for_the_demo_file_and_its_own_accounts(sqlite_db, pg_db):
    seed_demo(sqlite_db, submissions=3, now=NOW)
    with sqlite_db.write() as s:
        users.add_user(s, users.cli_actor(), login="real1", name="Real", role="supervisor")
    assert _as(sqlite_db.url, "spv1") == "spv1"
    assert _as(sqlite_db.url, "real1") != "real1"  # added by hand: needs its password
    # PostgreSQL is the office's database: never a demo, even when `bakso demo` seeded it.
    seed_demo(pg_db, submissions=3, now=NOW)
    assert _as(pg_db.url, "spv1") != "spv1"


def test_a_database_that_held_real_data_never_becomes_a_demo(sqlite_db, tmp_path):
    seed_demo(sqlite_db, submissions=3, now=NOW)
    assert _as(sqlite_db.url, "verif1") == "verif1"
    # One real package arrives: switching ends for good, and the loaders refuse the database.
    package = pk.write_folder(tmp_path / "pkg", pk.manifest(external_id="REAL-1"))
    result = Intake(sqlite_db).intake(package)
    assert result.status == "accepted", result.reasons
    assert _as(sqlite_db.url, "verif1") != "verif1"
    with pytest.raises(DemoRefused):
        seed_demo(sqlite_db, submissions=3, now=NOW)
    with pytest.raises(DemoRefused):
        bulk_seed(sqlite_db, 5)
    with sqlite_db.read() as s:
        assert not demo_mode.is_demo(s) and demo_mode.ever_real(s)


def test_bulk_seed_of_an_empty_database_switches_nothing(sqlite_db):
    with sqlite_db.write() as s:
        users.add_user(s, users.cli_actor(), login="spv1", name="Real", role="supervisor")
    bulk_seed(sqlite_db, 5)
    assert _as(sqlite_db.url, "spv1") != "spv1"


def _age(born, on) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def test_the_demo_has_links_warnings_plausible_people_and_counts_that_add_up(sqlite_db):
    """What a verifier would try or notice at once in the seeded demo (issue 17)."""
    from datetime import date

    from bakso_tui.db.models import BatchDocument, Decision, IssuanceBatch

    report = seed_demo(sqlite_db, submissions=150, seed=2018, now=NOW)
    with sqlite_db.read() as s:
        subs = {x.id: x for x in s.scalars(select(Submission))}
        warned = s.scalar(select(func.count()).select_from(Attachment)
                          .where(Attachment.problems != []))
        batched = s.scalar(select(func.count()).select_from(BatchDocument))
        batch_sum = s.scalar(select(func.sum(IssuanceBatch.documents)))
        decisions = s.scalars(select(Decision)).all()
    # Possible duplicates, open, each pointing at the same resident and service.
    dups = [x for x in subs.values() if x.possible_duplicate]
    assert any(x.state == "diajukan" for x in dups)
    for x in dups:
        first = subs[x.duplicate_of_id]
        assert (first.applicant_nik, first.service_id) == (x.applicant_nik, x.service_id)
    # Re-submissions of returned ones, sent after the return.
    resubs = [x for x in subs.values() if x.resubmission_of_id]
    assert resubs
    for x in resubs:
        first = subs[x.resubmission_of_id]
        assert first.state == "dikembalikan" and x.submitted_at > first.decided_at
        assert first.applicant_nik == x.applicant_nik
    assert warned > 0  # inspection warnings on some scans
    # Plausible people: a newborn's parent is 19 to 45, a child is 19+ years younger
    # than the parent who applies, and no child is called "father/mother of".
    for x in subs.values():
        on = x.submitted_at.date()
        applicant = _age(x.applicant_birth_date, on)
        for subject in x.subjects or ():
            if subject.get("role") != "anak":
                continue
            child = _age(date.fromisoformat(subject["birth_date"]), on)
            assert applicant - child >= 19, (x.number, applicant, child)
            assert not subject["name"].startswith(("Amaq", "Inaq")), subject["name"]
        if x.service_id == "akta_kelahiran":
            assert 17 <= applicant <= 45, (x.number, applicant)
        if x.service_id == "ktp_el_baru":
            assert applicant < 25, (x.number, applicant)
    # Issued documents: the summary's parts add up, and agree with the batches table.
    assert report.documents == (report.documents_in_batches + report.documents_ready
                                + report.documents_waiting)
    assert report.documents_in_batches == batched == (batch_sum or 0) and report.batches > 0
    # Decisions say missing documents by name, and approvals past a concern say why.
    returned = [d for d in decisions if d.reason_code == "berkas_kurang"]
    assert returned and all(not d.reason.replace(", ", "").isidentifier() for d in returned)
    for d in decisions:
        if d.action == "approve" and subs[d.submission_id].nik_mismatch:
            assert d.override_reason


def test_the_demo_summary_says_the_same_counts(tmp_path):
    from click.testing import CliRunner

    from bakso_tui.cli import cli

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    out = CliRunner().invoke(cli, ["demo", "--no-tui", "--submissions", "40", "--db", url])
    assert out.exit_code == 0, out.output
    db = Database(url)
    try:
        with db.read() as s:
            total = s.scalar(select(func.count()).select_from(IssuedDocument))
            from bakso_tui.db.models import IssuanceBatch
            in_batches = s.scalar(select(func.sum(IssuanceBatch.documents))) or 0
    finally:
        db.dispose()
    assert f"{total} dokumen terbit ({in_batches} dalam" in out.output
