"""Demo submissions that point at earlier ones: possible duplicates and re-submissions.

A village sometimes sends the same resident's request twice (the operator was
not sure the first went through): the second is registered with the D flag and
a link to the first, which is still open. A returned submission comes back
corrected, as a re-submission that names it. The demo picks the earlier
submission from those it has already seeded (by its own external ids), so
seeding stays deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from bakso_tui.db.models import Submission
from bakso_tui.domain.workflow import State


@dataclass(frozen=True)
class Earlier:
    """What a later submission copies from an earlier one."""

    id: int
    village_code: str
    service_id: str
    nik: str
    kk: str
    name: str
    birth_date: date
    sex: str
    address: str
    subjects: list
    submitted_at: datetime
    decided_at: datetime | None


def _earlier(row: Submission) -> Earlier:
    return Earlier(row.id, row.village_code, row.service_id, row.applicant_nik,
                   row.applicant_kk, row.applicant_name, row.applicant_birth_date,
                   row.applicant_sex, row.applicant_address, list(row.subjects or ()),
                   row.submitted_at, row.decided_at)


def open_original(session: Session, prefix: str, now: datetime) -> Earlier | None:
    """The newest open demo submission, no duplicate itself, filed at least an hour ago."""
    row = session.scalar(
        select(Submission)
        .where(Submission.external_id.like(f"{prefix}%"),
               Submission.state == State.QUEUED.value,
               Submission.possible_duplicate.is_(False),
               Submission.submitted_at < now - timedelta(hours=1))
        .order_by(Submission.id.desc())
        .limit(1)
    )
    return _earlier(row) if row is not None else None


def returned_original(session: Session, prefix: str, now: datetime) -> Earlier | None:
    """The oldest returned demo submission not re-submitted yet, returned an hour ago or more."""
    later = aliased(Submission)
    row = session.scalar(
        select(Submission)
        .where(Submission.external_id.like(f"{prefix}%"),
               Submission.state == State.RETURNED.value,
               Submission.decided_at < now - timedelta(hours=1),
               ~select(later.id).where(later.resubmission_of_id == Submission.id).exists())
        .order_by(Submission.id)
        .limit(1)
    )
    return _earlier(row) if row is not None else None


__all__ = ["Earlier", "open_original", "returned_original"]
