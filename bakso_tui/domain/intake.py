"""Intake of village submission packages: strict, idempotent, and never losing one.

A package is a folder or a .zip with ``submission.json`` (schema
``bakso.submission/1``) and the attachment files it names (DESIGN.md §4).
:func:`intake_package` reads it without trusting it, checks everything a
village operator could get wrong, inspects every attachment in a bounded child
process, and then either

- registers the submission with its attachments ("accepted"),
- does nothing because (village, external_id) is already known ("duplicate"), or
- keeps the whole package in quarantine with its reasons ("quarantined").

Every reason is one line that says where ("submission.json: applicant.nik: …",
"kk.pdf: …") and what to fix. The slow work (reading, inspecting) happens
before the short write transaction.

A corrected re-submission of a returned (dikembalikan) submission comes with a
new ``external_id`` and ``resubmission_of`` naming the returned one (its
external_id in the same village, or its registration number); the new
submission links to it.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bakso_tui.attachments.inspect import Inspection, inspect_bytes
from bakso_tui.attachments.package import (
    MANIFEST,
    Package,
    PackageError,
    PackageLimits,
    normalise,
    read_package,
)
from bakso_tui.attachments.store import BlobStore
from bakso_tui.config import Settings
from bakso_tui.db.engine import Database
from bakso_tui.db.models import (
    Attachment,
    QuarantinedPackage,
    Requirement,
    Service,
    Submission,
    Village,
)
from bakso_tui.db.types import utcnow
from bakso_tui.domain import audit, nik
from bakso_tui.domain.calendar import OFFICE_TZ
from bakso_tui.domain.submissions import NewSubmission, register
from bakso_tui.domain.workflow import State
from bakso_tui.locale import t

SCHEMA = "bakso.submission/1"
CLOCK_SKEW = timedelta(minutes=15)

Status = Literal["accepted", "duplicate", "quarantined"]


# ----------------------------------------------------------------- the manifest


class _Model(BaseModel):
    # Unknown keys are kept in the stored manifest but not interpreted: a newer
    # village app may send more than this version knows.
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)


class OperatorIn(_Model):
    name: str = Field(min_length=1, max_length=200)
    phone: str = Field(default="", max_length=32)


class ApplicantIn(_Model):
    nik: str
    kk_number: str
    name: str = Field(min_length=1, max_length=200)
    birth_date: date
    sex: Literal["L", "P"]
    address: str = Field(default="", max_length=1000)


class AttachmentIn(_Model):
    requirement: str = Field(min_length=1, max_length=48)
    file: str = Field(min_length=1, max_length=255)


class ManifestIn(_Model):
    schema_: Literal["bakso.submission/1"] = Field(alias="schema")
    external_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
    village_code: str = Field(pattern=r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
    submitted_at: datetime
    operator: OperatorIn
    service: str = Field(min_length=1, max_length=48)
    applicant: ApplicantIn
    subjects: list[dict[str, Any]] = Field(default_factory=list, max_length=20)
    priority: list[str] = Field(default_factory=list, max_length=10)
    attachments: list[AttachmentIn] = Field(min_length=1, max_length=50)
    resubmission_of: str | None = Field(default=None, max_length=64)

    @field_validator("submitted_at")
    @classmethod
    def _office_time(cls, value: datetime) -> datetime:
        # A time without a zone is the office's own (WITA).
        if value.tzinfo is None:
            value = value.replace(tzinfo=OFFICE_TZ)
        return value.astimezone(UTC)


_PYDANTIC_KEYS = {
    "missing": "field_missing",
    "string_pattern_mismatch": "field_format",
    "literal_error": "field_choice",
    "date_parsing": "field_date",
    "date_from_datetime_parsing": "field_date",
    "date_from_datetime_inexact": "field_date",
    "date_type": "field_date",
    "datetime_parsing": "field_datetime",
    "datetime_from_date_parsing": "field_datetime",
    "datetime_type": "field_datetime",
    "string_type": "field_text",
    "string_too_short": "field_empty",
    "string_too_long": "field_too_long",
    "too_short": "field_empty",
    "too_long": "field_too_long",
    "list_type": "field_list",
    "model_type": "field_object",
    "dict_type": "field_object",
}


def _schema_reasons(exc: ValidationError) -> list[str]:
    reasons = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "submission.json"
        where = where.replace("schema_", "schema")
        key = _PYDANTIC_KEYS.get(err["type"], "field_invalid")
        value = err.get("input")
        shown = value if isinstance(value, (str, int, float)) else ""
        reasons.append(
            t(f"intake.{key}", where=f"{MANIFEST}: {where}", value=shown, detail=err["msg"])
        )
    return reasons


# ----------------------------------------------------------------- results


@dataclass
class IntakeResult:
    package: str
    status: Status
    submission: str | None = None
    reasons: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "package": self.package,
            "status": self.status,
            "submission": self.submission,
            "reasons": self.reasons,
        }


@dataclass
class _Checked:
    """A package that passed every check, ready to be written."""

    manifest: ManifestIn
    raw_manifest: dict[str, Any]
    files: list[tuple[AttachmentIn, str, bytes, Inspection]]
    resubmission_of_id: int | None


_INSPECTORS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="inspect")


@dataclass(frozen=True)
class _Reference:
    """The villages, services and priority reasons, read once per Intake."""

    villages: frozenset[str]
    services: dict[str, dict[str, tuple[bool, str]]]  # service -> requirement -> (mandatory, name)
    priority_ids: frozenset[str]


class Intake:
    """Intake with one office's settings; safe to use from several threads.

    The reference data (villages, catalogue) is read once, when first needed:
    an Intake lives for one run of ``bakso intake`` or of the inbox job.
    """

    def __init__(self, db: Database, settings: Settings | None = None, *, actor: str = "intake"):
        self.db = db
        self.settings = settings or Settings()
        att = self.settings.attachments
        self.package_limits = PackageLimits(
            max_package_bytes=att.max_package_bytes, max_file_bytes=att.max_file_bytes
        )
        self.file_limits = att.file_limits()
        self.store = BlobStore(att)
        self.actor = actor
        self._ref: _Reference | None = None

    def _reference(self) -> _Reference:
        if self._ref is None:
            from bakso_tui.domain.catalog import load_catalog

            with self.db.read() as session:
                villages = frozenset(session.scalars(
                    select(Village.code).where(Village.active.is_(True))))
                services: dict[str, dict[str, tuple[bool, str]]] = {
                    sid: {} for sid in session.scalars(
                        select(Service.id).where(Service.active.is_(True)))
                }
                for req in session.scalars(select(Requirement).order_by(Requirement.position)):
                    if req.service_id in services:
                        services[req.service_id][req.id] = (req.mandatory, req.name)
            self._ref = _Reference(
                villages, services, frozenset(p.id for p in load_catalog().priority_reasons))
        return self._ref

    # -- the one entry point

    def intake(self, path: Path, *, now: datetime | None = None) -> IntakeResult:
        now = now or utcnow()
        name = str(path)
        try:
            package = read_package(path, self.package_limits)
        except PackageError as exc:
            return self._quarantine(name, None, None, None, [f"{path.name}: {exc.message()}"], now)
        except OSError as exc:
            return IntakeResult(name, "quarantined", reasons=[
                t("intake.unreadable_path", path=name, detail=exc.strerror or str(exc))
            ])

        manifest_bytes = package.get(MANIFEST)
        if manifest_bytes is None:
            return self._quarantine(name, package, None, None, [t("intake.no_manifest")], now)
        try:
            raw = json.loads(manifest_bytes.decode("utf-8-sig"))
        except UnicodeDecodeError:
            return self._quarantine(name, package, None, None, [t("intake.not_utf8")], now)
        except json.JSONDecodeError as exc:
            return self._quarantine(name, package, None, None, [
                t("intake.bad_json", line=exc.lineno, column=exc.colno, detail=exc.msg)
            ], now)
        if not isinstance(raw, dict):
            return self._quarantine(name, package, None, None, [t("intake.not_object")], now)
        village = raw.get("village_code") if isinstance(raw.get("village_code"), str) else None
        external = raw.get("external_id") if isinstance(raw.get("external_id"), str) else None
        try:
            manifest = ManifestIn.model_validate(raw)
        except ValidationError as exc:
            return self._quarantine(name, package, village, external, _schema_reasons(exc), now)

        # Idempotency first: a package already accepted changes nothing.
        existing = self._existing(manifest.village_code, manifest.external_id)
        if existing is not None:
            return IntakeResult(name, "duplicate", submission=existing)

        reasons, checked = self._check(package, manifest, raw, now)
        if reasons:
            return self._quarantine(name, package, village, external, reasons, now)
        return self._accept(name, checked, now)

    def intake_many(self, paths, *, workers: int = 4, now: datetime | None = None):
        """Intake of many packages, several at a time; results in the order given.

        At most ``2 × workers`` packages are in flight, so memory stays flat
        however many are given.
        """
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="intake") as pool:
            window: deque = deque()
            for path in paths:
                window.append(pool.submit(self.intake, path, now=now))
                if len(window) >= 2 * workers:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()

    # -- checks

    def _existing(self, village_code: str, external_id: str) -> str | None:
        with self.db.read() as session:
            return session.scalar(
                select(Submission.number).where(
                    Submission.village_code == village_code,
                    Submission.external_id == external_id,
                )
            )

    def _check(
        self, package: Package, m: ManifestIn, raw: dict[str, Any], now: datetime
    ) -> tuple[list[str], _Checked | None]:
        reasons: list[str] = []
        where = MANIFEST
        if m.submitted_at > now + CLOCK_SKEW:
            reasons.append(t("intake.future", where=f"{where}: submitted_at",
                             value=m.submitted_at.isoformat()))
        if m.applicant.birth_date > now.date():
            reasons.append(t("intake.future", where=f"{where}: applicant.birth_date",
                             value=m.applicant.birth_date.isoformat()))

        ref = self._reference()
        village_ok = m.village_code in ref.villages
        service_ok = m.service in ref.services
        requirements = ref.services.get(m.service, {})
        priority_ids = ref.priority_ids
        resub_id, resub_reason = None, None
        if m.resubmission_of:
            with self.db.read() as session:
                resub_id, resub_reason = self._resubmission(session, m)

        if not village_ok:
            reasons.append(t("intake.unknown_village", where=f"{where}: village_code",
                             value=m.village_code))
        if not service_ok:
            reasons.append(t("intake.unknown_service", where=f"{where}: service", value=m.service))
        if resub_reason:
            reasons.append(resub_reason)
        for i, reason_id in enumerate(m.priority):
            if reason_id not in priority_ids:
                reasons.append(t("intake.unknown_priority", where=f"{where}: priority.{i}",
                                 value=reason_id, known=", ".join(sorted(priority_ids))))

        for problem in nik.check_nik(m.applicant.nik):
            if problem.kind == "invalid":
                reasons.append(f"{where}: applicant.nik: {problem.message()}")
        for problem in nik.check_kk(m.applicant.kk_number):
            if problem.kind == "invalid":
                reasons.append(f"{where}: applicant.kk_number: {problem.message()}")

        files: list[tuple[AttachmentIn, str, bytes, Inspection]] = []
        seen_requirements: set[str] = set()
        found: list[tuple[AttachmentIn, str, bytes]] = []
        for i, att in enumerate(m.attachments):
            here = f"{where}: attachments.{i}"
            if requirements and att.requirement not in requirements:
                reasons.append(t("intake.unknown_requirement", where=here, value=att.requirement,
                                 service=m.service, known=", ".join(requirements)))
                continue
            try:
                inner = normalise(att.file)
            except PackageError as exc:
                reasons.append(f"{here}.file: {exc.message()}")
                continue
            data = package.files.get(inner)
            if data is None:
                reasons.append(t("intake.file_missing", where=f"{here}.file", value=att.file))
                continue
            found.append((att, inner, data))
        # A package's files are inspected side by side in the bounded children.
        inspections = list(_INSPECTORS.map(
            lambda item: inspect_bytes(item[2], item[1], self.file_limits), found))
        for (att, inner, data), inspection in zip(found, inspections, strict=True):
            fatal = [p for p in inspection.problems if p.fatal]
            for problem in fatal:
                reasons.append(f"{inner}: {problem.message()}")
            if not fatal:
                seen_requirements.add(att.requirement)
                files.append((att, inner, data, inspection))

        for req_id, (mandatory, name) in requirements.items():
            if mandatory and req_id not in seen_requirements and not any(
                a.requirement == req_id for a in m.attachments
            ):
                reasons.append(t("intake.mandatory_missing", where=f"{where}: attachments",
                                 value=req_id, name=name))

        if reasons:
            return reasons, None
        return [], _Checked(manifest=m, raw_manifest=raw, files=files, resubmission_of_id=resub_id)

    def _resubmission(self, session: Session, m: ManifestIn) -> tuple[int | None, str | None]:
        if not m.resubmission_of:
            return None, None
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
            return None, t("intake.resubmission_unknown", where=where, value=ref)
        if row.state != State.RETURNED.value:
            return None, t("intake.resubmission_not_returned", where=where, value=ref,
                           state=row.state)
        return row.id, None

    # -- outcomes

    def _accept(self, name: str, checked: _Checked, now: datetime) -> IntakeResult:
        m = checked.manifest
        try:
            with self.db.write() as session:
                shas = self.store.put_many(session, [
                    (data, inspection.media_type or "") for _, _, data, inspection in checked.files
                ])
                sub = register(
                    session,
                    NewSubmission(
                        external_id=m.external_id,
                        village_code=m.village_code,
                        service_id=m.service,
                        submitted_at=m.submitted_at,
                        operator_name=m.operator.name,
                        operator_phone=m.operator.phone,
                        applicant_nik=m.applicant.nik,
                        applicant_kk=m.applicant.kk_number,
                        applicant_name=m.applicant.name,
                        applicant_birth_date=m.applicant.birth_date,
                        applicant_sex=m.applicant.sex,
                        applicant_address=m.applicant.address,
                        subjects=m.subjects,
                        priority_reasons=list(dict.fromkeys(m.priority)),
                        manifest=checked.raw_manifest,
                        resubmission_of_id=checked.resubmission_of_id,
                    ),
                    actor=self.actor,
                    received=now,
                )
                for (ref, inner, data, inspection), sha in zip(checked.files, shas, strict=True):
                    session.add(Attachment(
                        submission_id=sub.id,
                        service_id=m.service,
                        requirement_id=ref.requirement,
                        filename=inner,
                        sha256=sha,
                        size=len(data),
                        media_type=inspection.media_type or "",
                        pages=inspection.pages,
                        info=inspection.summary(),
                        problems=[{"code": p.code, "params": p.params} for p in inspection.problems],
                    ))
                self._resolve_quarantine(session, m.village_code, m.external_id, sub.id, now)
                flags = []
                if sub.possible_duplicate:
                    flags.append("kemungkinan_duplikat")
                if sub.nik_mismatch:
                    flags.append("nik_tidak_cocok")
                number = sub.number
        except IntegrityError:
            # Another intake of the same package won the race: same answer as a re-send.
            existing = self._existing(m.village_code, m.external_id)
            if existing is not None:
                return IntakeResult(name, "duplicate", submission=existing)
            raise
        return IntakeResult(name, "accepted", submission=number, flags=flags)

    @staticmethod
    def _resolve_quarantine(session: Session, village: str, external: str, sub_id: int,
                            now: datetime) -> None:
        for row in session.scalars(
            select(QuarantinedPackage).where(
                QuarantinedPackage.village_code == village,
                QuarantinedPackage.external_id == external,
                QuarantinedPackage.resolved_submission_id.is_(None),
            )
        ):
            row.resolved_submission_id = sub_id
            row.resolved_at = now

    def _quarantine(
        self,
        name: str,
        package: Package | None,
        village: str | None,
        external: str | None,
        reasons: list[str],
        now: datetime,
    ) -> IntakeResult:
        raw = package.raw if package is not None else None
        with self.db.write() as session:
            sha = self.store.put(session, raw, "application/zip") if raw is not None else None
            row = None
            if sha is not None:
                row = session.scalar(
                    select(QuarantinedPackage).where(
                        QuarantinedPackage.sha256 == sha,
                        QuarantinedPackage.resolved_submission_id.is_(None),
                    )
                )
            if row is not None:
                row.attempts += 1
                row.received_at = now
            else:
                row = QuarantinedPackage(
                    package=name[-500:],
                    sha256=sha,
                    size=len(raw) if raw is not None else 0,
                    village_code=(village or "")[:32] or None,
                    external_id=(external or "")[:64] or None,
                    reasons=[{"message": r} for r in reasons],
                    received_at=now,
                )
                session.add(row)
                session.flush()
                audit.append(
                    session,
                    actor=self.actor,
                    action="package.quarantine",
                    target_type="package",
                    target_id=row.id,
                    to_state="karantina",
                    reason="; ".join(reasons)[:2000],
                    details={"package": name[-200:], "sha256": sha},
                    at=now,
                )
        return IntakeResult(name, "quarantined", reasons=reasons)


@dataclass(frozen=True)
class QuarantineRow:
    id: int
    package: str
    village_code: str | None
    external_id: str | None
    reasons: list[str]
    received_at: datetime
    attempts: int
    resolved_submission_id: int | None


def list_quarantine(session: Session, *, open_only: bool = True, limit: int = 100,
                    after_id: int | None = None) -> list[QuarantineRow]:
    stmt = select(QuarantinedPackage).order_by(QuarantinedPackage.id.desc()).limit(limit)
    if open_only:
        stmt = stmt.where(QuarantinedPackage.resolved_submission_id.is_(None))
    if after_id is not None:
        stmt = stmt.where(QuarantinedPackage.id < after_id)
    return [
        QuarantineRow(r.id, r.package, r.village_code, r.external_id,
                      [x["message"] for x in r.reasons], r.received_at, r.attempts,
                      r.resolved_submission_id)
        for r in session.scalars(stmt)
    ]
