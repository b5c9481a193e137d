"""`bakso demo`'s seeding: real scans, varied data, idempotent, never into a real database."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bakso_tui.attachments.store import BlobStore
from bakso_tui.db.models import Attachment, IssuedDocument, Submission
from bakso_tui.demo.people import DemoRefused
from bakso_tui.demo.seed import seed_demo
from bakso_tui.domain import audit, users
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
