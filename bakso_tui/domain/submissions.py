"""Registering a submission: the path by which a pengajuan enters the database.

Intake and the demo both come through :func:`register`, which fills in what the
office derives from the package: the registration number, the service-time
deadline, the queue rank, the NIK check and the possible-duplicate flag, and
writes the receipt to the audit log. Only ``bakso seed`` (:mod:`bakso_tui.demo.bulk`),
which fills a benchmark database, inserts rows directly, with one audit row
for the whole load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bakso_tui.db.changes import queue_changed
from bakso_tui.db.models import Service, Submission, Village
from bakso_tui.db.types import utcnow
from bakso_tui.domain import audit, nik
from bakso_tui.domain.calendar import due_at
from bakso_tui.domain.queue import name_key
from bakso_tui.domain.workflow import OPEN_STATES, State

# Services whose applicant normally comes from another regency: a NIK from
# elsewhere is expected there and is not a mismatch.
MOVING_IN_SERVICES = frozenset({"pindah_datang", "kia_pindah_datang"})


@dataclass
class NewSubmission:
    external_id: str
    village_code: str
    service_id: str
    submitted_at: datetime
    operator_name: str
    applicant_nik: str
    applicant_kk: str
    applicant_name: str
    applicant_birth_date: date
    applicant_sex: str
    applicant_address: str = ""
    operator_phone: str = ""
    subjects: list[dict[str, Any]] = field(default_factory=list)
    priority_reasons: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    resubmission_of_id: int | None = None


def registration_number(submission_id: int, received: datetime) -> str:
    """The number the office gives a submission, e.g. ``BKS-2026-0000123``."""
    return f"BKS-{received.year}-{submission_id:07d}"


def applicant_checks(*, nik_value: str, kk_value: str, birth_date: date, sex: str,
                     service_id: str, regency_code: str) -> list[nik.Problem]:
    """What does not agree between the NIK/KK and the stated data."""
    problems = nik.check_nik(
        nik_value,
        birth_date=birth_date,
        sex=sex,
        regency_code=None if service_id in MOVING_IN_SERVICES else regency_code,
    )
    problems += nik.check_kk(kk_value)
    return problems


def open_duplicate(session: Session, service_id: str, applicant_nik: str) -> int | None:
    """An open submission for the same resident and service, if any."""
    return session.scalar(
        select(Submission.id)
        .where(
            Submission.service_id == service_id,
            Submission.applicant_nik == applicant_nik,
            Submission.state.in_([s.value for s in OPEN_STATES]),
        )
        .order_by(Submission.id)
        .limit(1)
    )


def register(
    session: Session,
    data: NewSubmission,
    *,
    actor: str,
    received: datetime | None = None,
) -> Submission:
    received = received or utcnow()
    service = session.get(Service, data.service_id)
    village = session.get(Village, data.village_code)
    if service is None or village is None:
        raise ValueError(f"unknown service or village: {data.service_id} {data.village_code}")
    regency = village.code[:5]
    problems = applicant_checks(
        nik_value=data.applicant_nik, kk_value=data.applicant_kk,
        birth_date=data.applicant_birth_date, sex=data.applicant_sex,
        service_id=data.service_id, regency_code=regency,
    )
    duplicate_of = open_duplicate(session, data.service_id, data.applicant_nik)
    sub = Submission(
        external_id=data.external_id,
        village_code=data.village_code,
        service_id=data.service_id,
        state=State.QUEUED.value,
        priority_rank=0 if data.priority_reasons else 1,
        priority_reasons=list(data.priority_reasons),
        possible_duplicate=duplicate_of is not None,
        duplicate_of_id=duplicate_of,
        nik_mismatch=bool(problems),
        nik_problems=[
            {"code": p.code, "kind": p.kind, "params": _jsonable(p.params)} for p in problems
        ],
        resubmission_of_id=data.resubmission_of_id,
        applicant_nik=data.applicant_nik,
        applicant_kk=data.applicant_kk,
        applicant_name=data.applicant_name.strip(),
        name_key=name_key(data.applicant_name),
        applicant_birth_date=data.applicant_birth_date,
        applicant_sex=data.applicant_sex,
        applicant_address=data.applicant_address,
        subjects=data.subjects,
        operator_name=data.operator_name,
        operator_phone=data.operator_phone,
        manifest=data.manifest,
        submitted_at=data.submitted_at,
        received_at=received,
        due_at=due_at(received, service.service_days),
        updated_at=received,
    )
    session.add(sub)
    session.flush()
    sub.number = registration_number(sub.id, received)
    queue_changed(session)
    audit.append(
        session,
        actor=actor,
        action="submission.receive",
        target_type="submission",
        target_id=sub.id,
        to_state=State.QUEUED.value,
        details={"number": sub.number, "village": sub.village_code, "service": sub.service_id},
        at=received,
    )
    return sub


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
