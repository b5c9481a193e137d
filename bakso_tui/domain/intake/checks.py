"""The checks a village operator could get wrong, after the manifest itself is valid.

Each check returns reasons (:class:`~.reasons.Reason`), one per thing to fix,
and none stops at the first: the operator gets the whole list at once. In
order: dates against today, the village and service against the office's
reference data, the returned submission a re-submission corrects, priority
reasons, NIK and KK numbers, then each attachment (its requirement, its file
inside the package, its content inspected in a bounded child process), and
finally the service's needed requirements: the mandatory ones, one of each
group of alternatives, and those the subject's age makes needed
(:mod:`bakso_tui.domain.requirements`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bakso_tui.attachments.inspect import Inspection, inspect_bytes
from bakso_tui.attachments.inspect import Limits as FileLimits
from bakso_tui.attachments.package import MANIFEST, Package, PackageError, normalise
from bakso_tui.db.engine import Database
from bakso_tui.db.models import Requirement, Service, Submission, Village
from bakso_tui.domain import nik
from bakso_tui.domain.calendar import OFFICE_TZ
from bakso_tui.domain.intake.manifest import FIRST_BIRTH_DATE, AttachmentIn, ManifestIn
from bakso_tui.domain.intake.reasons import Reason, reason
from bakso_tui.domain.requirements import age_on, subject_birth_date, unmet
from bakso_tui.domain.workflow import State

# A village's device clock or time zone may be off; a day ahead is still plausible.
FUTURE_ALLOWANCE = timedelta(days=1)
SUBJECT_DATES = ("birth_date", "death_date")

_INSPECTORS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="inspect")


@dataclass(frozen=True)
class RequirementRef:
    """A service's requirement as intake needs it (a detached copy of the row)."""

    id: str
    name: str
    name_en: str
    mandatory: bool
    one_of: str | None
    mandatory_from_age: int | None
    mandatory_under_age: int | None
    when: str


@dataclass(frozen=True)
class Reference:
    """The villages, services and priority reasons, read once per Intake."""

    villages: frozenset[str]
    services: dict[str, dict[str, RequirementRef]]  # service -> requirement id -> requirement
    priority_ids: frozenset[str]


def load_reference(db: Database) -> Reference:
    from bakso_tui.domain.catalog import load_catalog

    with db.read() as session:
        villages = frozenset(session.scalars(select(Village.code).where(Village.active.is_(True))))
        services: dict[str, dict[str, RequirementRef]] = {
            sid: {} for sid in session.scalars(select(Service.id).where(Service.active.is_(True)))
        }
        for req in session.scalars(select(Requirement).order_by(Requirement.position)):
            if req.service_id in services:
                services[req.service_id][req.id] = RequirementRef(
                    req.id, req.name, req.name_en, req.mandatory, req.one_of,
                    req.mandatory_from_age, req.mandatory_under_age, req.when)
    return Reference(villages, services, frozenset(p.id for p in load_catalog().priority_reasons))


@dataclass(frozen=True)
class CheckedFile:
    entry: AttachmentIn
    name: str  # the path inside the package
    data: bytes
    inspection: Inspection


@dataclass
class Checked:
    """A package that passed every check, ready to be written."""

    manifest: ManifestIn
    raw_manifest: dict[str, Any]
    files: list[CheckedFile]
    resubmission_of_id: int | None


def dates(m: ManifestIn, now: datetime) -> list[Reason]:
    """Nothing after today (a day's allowance for the submission time), nothing before 1900."""
    reasons = []
    if m.submitted_at > now + FUTURE_ALLOWANCE:
        reasons.append(reason("intake.future", f"{MANIFEST}: submitted_at",
                              value=m.submitted_at.isoformat()))
    today = now.astimezone(OFFICE_TZ).date()
    if m.applicant.birth_date > today:
        reasons.append(reason("intake.future", f"{MANIFEST}: applicant.birth_date",
                              value=m.applicant.birth_date.isoformat()))
    for i, subject in enumerate(m.subjects):
        for key in SUBJECT_DATES:
            if key in subject:
                reasons += _subject_date(f"{MANIFEST}: subjects.{i}.{key}", subject[key], today)
    return reasons


def _subject_date(where: str, value: Any, today: date) -> list[Reason]:
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    shown = value if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""
    if day is None:
        return [reason("intake.field_date", where, value=shown)]
    if day > today:
        return [reason("intake.future", where, value=value)]
    if day < FIRST_BIRTH_DATE:
        return [reason("intake.birth_date_range", where, value=value)]
    return []


def places(ref: Reference, m: ManifestIn) -> list[Reason]:
    """A village served by this office, a service of the catalogue."""
    reasons = []
    if m.village_code not in ref.villages:
        reasons.append(reason("intake.unknown_village", f"{MANIFEST}: village_code",
                              value=m.village_code))
    if m.service not in ref.services:
        reasons.append(reason("intake.unknown_service", f"{MANIFEST}: service", value=m.service))
    return reasons


def priorities(ref: Reference, m: ManifestIn) -> list[Reason]:
    """Priority reasons the catalogue knows."""
    reasons = []
    for i, reason_id in enumerate(m.priority):
        if reason_id not in ref.priority_ids:
            reasons.append(reason("intake.unknown_priority", f"{MANIFEST}: priority.{i}",
                                  value=reason_id, known=", ".join(sorted(ref.priority_ids))))
    return reasons


def numbers(m: ManifestIn) -> list[Reason]:
    """NIK and KK numbers that cannot be right (a mismatch is a flag, not a refusal)."""
    reasons = []
    for problem in nik.check_nik(m.applicant.nik):
        if problem.kind == "invalid":
            reasons.append(reason(f"nik.{problem.code}", f"{MANIFEST}: applicant.nik",
                                  **problem.params))
    for problem in nik.check_kk(m.applicant.kk_number):
        if problem.kind == "invalid":
            reasons.append(reason(f"nik.{problem.code}", f"{MANIFEST}: applicant.kk_number",
                                  **problem.params))
    return reasons


def resubmission(session: Session, m: ManifestIn) -> tuple[int | None, list[Reason]]:
    """The returned submission this one corrects, by external_id in the village or by number."""
    if not m.resubmission_of:
        return None, []
    ref = m.resubmission_of
    row = session.execute(
        select(Submission.id, Submission.state).where(
            or_(
                Submission.number == ref,
                (Submission.village_code == m.village_code) & (Submission.external_id == ref),
            )
        )
    ).first()
    where = f"{MANIFEST}: resubmission_of"
    if row is None:
        return None, [reason("intake.resubmission_unknown", where, value=ref)]
    if row.state != State.RETURNED.value:
        return None, [reason("intake.resubmission_not_returned", where, value=ref,
                             state=row.state)]
    return row.id, []


def attachments(ref: Reference, package: Package, m: ManifestIn,
                limits: FileLimits) -> tuple[list[Reason], list[CheckedFile]]:
    """Each attachment's requirement, its file, and its content; then the mandatory ones."""
    reasons: list[Reason] = []
    requirements = ref.services.get(m.service, {})
    found: list[tuple[AttachmentIn, str, bytes]] = []
    for i, att in enumerate(m.attachments):
        here = f"{MANIFEST}: attachments.{i}"
        if requirements and att.requirement not in requirements:
            reasons.append(reason("intake.unknown_requirement", here, value=att.requirement,
                                  service=m.service, known=", ".join(requirements)))
            continue
        try:
            inner = normalise(att.file)
        except PackageError as exc:
            reasons.append(reason(f"package.{exc.code}", f"{here}.file", **exc.params))
            continue
        data = package.files.get(inner)
        if data is None:
            reasons.append(reason("intake.file_missing", f"{here}.file", value=att.file))
            continue
        found.append((att, inner, data))
    # A package's files are inspected side by side in the bounded children.
    inspections = list(_INSPECTORS.map(lambda item: inspect_bytes(item[2], item[1], limits), found))
    files: list[CheckedFile] = []
    for (att, inner, data), inspection in zip(found, inspections, strict=True):
        fatal = [p for p in inspection.problems if p.fatal]
        reasons += [reason(f"inspect.{p.code}", inner, **p.params) for p in fatal]
        if not fatal:
            files.append(CheckedFile(att, inner, data, inspection))
    named = {a.requirement for a in m.attachments}
    birth = subject_birth_date(m.subjects, m.applicant.birth_date)
    age = age_on(birth, m.submitted_at.astimezone(OFFICE_TZ).date())
    for item in unmet(list(requirements.values()), named, age, lang="id"):
        code = "intake.one_of_missing" if item.kind == "one_of" else "intake.mandatory_missing"
        reasons.append(reason(code, f"{MANIFEST}: attachments", value=", ".join(item.ids),
                              name=item.label()))
    return reasons, files


def check(db: Database, ref: Reference, package: Package, m: ManifestIn, raw: dict[str, Any],
          now: datetime, limits: FileLimits) -> tuple[list[Reason], Checked | None]:
    """Every reason to refuse the package, or none and the package ready to be written."""
    reasons = dates(m, now) + places(ref, m)
    resub_id: int | None = None
    if m.resubmission_of:  # a connection only when there is something to look up
        with db.read() as session:
            resub_id, resub_reasons = resubmission(session, m)
        reasons += resub_reasons
    reasons += priorities(ref, m) + numbers(m)
    file_reasons, files = attachments(ref, package, m, limits)
    reasons += file_reasons
    if reasons:
        return reasons, None
    return [], Checked(manifest=m, raw_manifest=raw, files=files, resubmission_of_id=resub_id)
