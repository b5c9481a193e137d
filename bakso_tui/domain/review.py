"""What a verifier sees of one submission, as plain objects for the screens.

:func:`submission_detail` gathers the applicant's data with the NIK/KK checks
(re-rendered in the user's language), the service's requirement checklist with
each attachment matched to its requirement and the missing ones marked, the
duplicate and re-submission links, and the submission's history from the
audit log. :func:`open_attachment` hands over an attachment's bytes and writes
the view to the audit log: every view of a resident's file is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bakso_tui.attachments.inspect import Problem as FileProblem
from bakso_tui.attachments.store import BlobStore
from bakso_tui.db.models import Attachment, Submission
from bakso_tui.domain import audit
from bakso_tui.domain.decisions import approval_concerns, unmet_requirements
from bakso_tui.domain.requirements import age_on, needed_by_age, subject_birth_date
from bakso_tui.domain.schedule.model import ServiceDayInfo
from bakso_tui.domain.schedule.views import booking_of
from bakso_tui.domain.submissions import applicant_checks
from bakso_tui.domain.nik import mask_for_list
from bakso_tui.domain.users import Actor, Permission, require, require_in, sees_full_nik


@dataclass(frozen=True)
class AttachmentItem:
    id: int
    filename: str
    media_type: str
    pages: int
    size: int
    problems: tuple[str, ...]  # warnings from inspection, in the user's language


@dataclass(frozen=True)
class ChecklistItem:
    requirement_id: str
    name: str
    mandatory: bool  # needed for this submission (always, by age, or as its group's)
    attachments: tuple[AttachmentItem, ...]
    #: How it is needed: "mandatory", "one_of" (one of its group), "age", "when"
    #: (a circumstance the verifier judges) or "optional".
    need: str = "optional"
    #: The circumstance ("bila …") of a "when" requirement or group.
    condition: str = ""
    #: Its group's other members are attached: this one is not needed.
    covered: bool = False

    @property
    def missing(self) -> bool:
        return not self.attachments


@dataclass(frozen=True)
class SubmissionDetail:
    id: int
    number: str
    state: str
    service_id: str
    service_name: str
    village_code: str
    village_name: str
    submitted_at: datetime
    due_at: datetime
    applicant_name: str
    applicant_nik: str
    applicant_kk: str
    applicant_birth_date: date
    applicant_sex: str
    applicant_address: str
    operator: str
    priority_reasons: tuple[str, ...]
    nik_checks: tuple[str, ...]  # every problem of the NIK and KK, one line each
    subjects: tuple[dict, ...]
    checklist: tuple[ChecklistItem, ...]
    duplicate_of: str | None
    resubmission_of: str | None
    history: tuple[audit.AuditRow, ...]
    #: The service day the resident is booked on for recording, and whether at home.
    booking: tuple[ServiceDayInfo, bool] | None = None
    #: What an approval would pass over (missing requirements, NIK, duplicate),
    #: one line each in the user's language: approving asks for a reason.
    concerns: tuple[str, ...] = ()
    #: The needed requirements with nothing attached, by their label ("A atau B").
    missing_labels: tuple[str, ...] = ()
    #: Their ids (a group: all its members).
    unmet_ids: tuple[str, ...] = ()

    @property
    def missing_mandatory(self) -> tuple[str, ...]:
        return self.unmet_ids


def _problems(raw: list) -> tuple[str, ...]:
    return tuple(FileProblem(p["code"], p.get("params", {})).message() for p in raw)


def submission_detail(session: Session, actor: Actor, submission_id: int,
                      *, lang: str = "id") -> SubmissionDetail | None:
    require(actor, Permission.QUEUE_VIEW)
    sub = session.get(Submission, submission_id)
    if sub is None:
        return None
    by_requirement: dict[str, list[AttachmentItem]] = {}
    for att in sub.attachments:
        by_requirement.setdefault(att.requirement_id, []).append(AttachmentItem(
            id=att.id, filename=att.filename, media_type=att.media_type, pages=att.pages,
            size=att.size, problems=_problems(att.problems)))
    unmet = unmet_requirements(sub, lang=lang)
    age = age_on(subject_birth_date(sub.subjects, sub.applicant_birth_date),
                 sub.submitted_at.date())
    groups_met = {req.one_of for req in sub.service.requirements
                  if req.one_of and req.id in by_requirement}
    checklist = tuple(
        ChecklistItem(requirement_id=req.id, name=req.name_en if lang == "en" else req.name,
                      mandatory=req.mandatory or needed_by_age(req, age),
                      attachments=tuple(by_requirement.get(req.id, ())),
                      need=_need(req), condition=(req.when_en if lang == "en" else req.when),
                      covered=bool(req.one_of) and req.one_of in groups_met)
        for req in sub.service.requirements
    )
    checks = applicant_checks(
        nik_value=sub.applicant_nik, kk_value=sub.applicant_kk,
        birth_date=sub.applicant_birth_date, sex=sub.applicant_sex,
        service_id=sub.service_id, regency_code=sub.village_code[:5],
    )

    def number_of(other_id: int | None) -> str | None:
        if other_id is None:
            return None
        return session.scalar(select(Submission.number).where(Submission.id == other_id))

    nik, kk = sub.applicant_nik, sub.applicant_kk
    if not sees_full_nik(actor):
        nik, kk = mask_for_list(nik), mask_for_list(kk)
    return SubmissionDetail(
        id=sub.id,
        number=sub.number or "",
        state=sub.state,
        service_id=sub.service_id,
        service_name=sub.service.name_en if lang == "en" else sub.service.name,
        village_code=sub.village_code,
        village_name=sub.village.name,
        submitted_at=sub.submitted_at,
        due_at=sub.due_at,
        applicant_name=sub.applicant_name,
        applicant_nik=nik,
        applicant_kk=kk,
        applicant_birth_date=sub.applicant_birth_date,
        applicant_sex=sub.applicant_sex,
        applicant_address=sub.applicant_address,
        operator=f"{sub.operator_name} {sub.operator_phone}".strip(),
        priority_reasons=tuple(sub.priority_reasons or ()),
        nik_checks=tuple(p.message() for p in checks),
        subjects=tuple(sub.subjects or ()),
        checklist=checklist,
        duplicate_of=number_of(sub.duplicate_of_id),
        resubmission_of=number_of(sub.resubmission_of_id),
        history=tuple(row for row in audit.history(session, "submission", sub.id)
                      if row.action != "submission.view"),
        booking=booking_of(session, sub.id),
        concerns=tuple(c.text for c in approval_concerns(sub, lang=lang)),
        missing_labels=tuple(item.label() for item in unmet),
        unmet_ids=tuple(rid for item in unmet for rid in item.ids),
    )


def record_view(session: Session, actor: Actor, submission_id: int) -> None:
    """Write that `actor` opened a submission's screen to the audit log."""
    require(actor, Permission.QUEUE_VIEW)
    audit.append(session, actor=actor.login, action="submission.view", target_type="submission",
                 target_id=submission_id, details={})


def _need(req) -> str:
    if req.mandatory:
        return "mandatory"
    if req.one_of:
        return "one_of"
    if req.mandatory_from_age is not None or req.mandatory_under_age is not None:
        return "age"
    return "when" if req.when else "optional"


def open_attachment(session: Session, actor: Actor, attachment_id: int,
                    store: BlobStore | None = None) -> tuple[Attachment, bytes]:
    """An attachment's bytes for the viewer; the view is written to the audit log
    (a write: the account is read again, a disabled one sees nothing more)."""
    actor = require_in(session, actor, Permission.ATTACHMENT_VIEW)
    att = session.get(Attachment, attachment_id)
    if att is None:
        raise LookupError(attachment_id)
    data = (store or BlobStore()).get(session, att.sha256)
    audit.append(session, actor=actor.login, action="attachment.view", target_type="submission",
                 target_id=att.submission_id,
                 details={"attachment": att.id, "file": att.filename, "sha256": att.sha256})
    return att, data
