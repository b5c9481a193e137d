"""Writing intake's outcomes: the accepted submission, the quarantined package, the list.

Each outcome is one short write transaction, safe when several intakes run at
once (threads of one run, or two ``bakso intake`` processes over one inbox):

- attachment bytes go to the blob store with an insert that ignores a blob
  already there, in sha256 order (two packages sharing a KK scan never
  collide, and never wait on each other in a cycle);
- a submission's (village, external_id) is unique: the intake that loses the
  race reports "duplicate", the same answer as a re-send;
- a quarantined package is one open row per sha256 of its bytes (a partial
  unique index) written with an upsert, so two intakes of one refused package
  count two attempts on one entry.

Locks are taken in one order by every writer: blobs, then the package's
quarantine entry (an accepted package locks its open entries before it
registers), then the audit chain's lock, which is held until commit, so from
there on writers take turns. No two intakes wait on each other in a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bakso_tui.attachments.store import BlobStore
from bakso_tui.db.engine import Database
from bakso_tui.db.models import Attachment, QuarantinedPackage, Submission
from bakso_tui.domain import audit, demo_mode
from bakso_tui.domain.intake.checks import Checked
from bakso_tui.domain.intake.reasons import Reason
from bakso_tui.domain.submissions import NewSubmission, register
from bakso_tui.domain.workflow import Flag
from bakso_tui.locale.plain import visible

# "failed": nothing was stored (the database could not be reached, or the path
# could not be read); the package is left where it is for the next run.
Status = Literal["accepted", "duplicate", "quarantined", "failed"]
QUARANTINE_STATE = "karantina"


@dataclass
class IntakeResult:
    package: str
    status: Status
    submission: str | None = None
    reasons: list[Reason] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)

    def messages(self) -> list[str]:
        """The reasons, one line each, in the current language."""
        return [r.message() for r in self.reasons]

    def as_json(self) -> dict[str, Any]:
        return {
            "package": self.package,
            "status": self.status,
            "submission": self.submission,
            "reasons": self.messages(),
        }


def existing(db: Database, village_code: str, external_id: str) -> str | None:
    """The number of the submission (village, external_id) became, if any."""
    with db.read() as session:
        return session.scalar(
            select(Submission.number).where(
                Submission.village_code == village_code,
                Submission.external_id == external_id,
            )
        )


def accept(db: Database, store: BlobStore, name: str, checked: Checked, now: datetime,
           actor: str) -> IntakeResult:
    """Register the submission with its attachments; "duplicate" if another intake won."""
    m = checked.manifest
    try:
        with db.write() as session:
            shas = store.put_many(session, [
                (f.data, f.inspection.media_type or "") for f in checked.files
            ])
            open_entries = _lock_open_entries(session, m.village_code, m.external_id)
            sub = register(session, _new_submission(checked), actor=actor, received=now)
            for f, sha in zip(checked.files, shas, strict=True):
                session.add(Attachment(
                    submission_id=sub.id,
                    service_id=m.service,
                    requirement_id=f.entry.requirement,
                    filename=f.name,
                    sha256=sha,
                    size=len(f.data),
                    media_type=f.inspection.media_type or "",
                    pages=f.inspection.pages,
                    info=f.inspection.summary(),
                    problems=[{"code": p.code, "params": p.params} for p in f.inspection.problems],
                ))
            demo_mode.mark_real(session)  # a database that held a real submission is no demo
            if open_entries:
                session.execute(
                    update(QuarantinedPackage)
                    .where(QuarantinedPackage.id.in_(open_entries))
                    .values(resolved_submission_id=sub.id, resolved_at=now)
                )
            flags = [flag for flag, on in ((Flag.POSSIBLE_DUPLICATE, sub.possible_duplicate),
                                           (Flag.NIK_MISMATCH, sub.nik_mismatch)) if on]
            number = sub.number
    except IntegrityError:
        # Another intake of the same package won the race: same answer as a re-send.
        known = existing(db, m.village_code, m.external_id)
        if known is not None:
            return IntakeResult(name, "duplicate", submission=known)
        raise
    return IntakeResult(name, "accepted", submission=number, flags=flags)


def _new_submission(checked: Checked) -> NewSubmission:
    m = checked.manifest
    return NewSubmission(
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
    )


def _lock_open_entries(session: Session, village: str, external: str) -> list[int]:
    """The open quarantine entries of this package, locked before the audit lock is."""
    return list(session.scalars(
        select(QuarantinedPackage.id).where(
            QuarantinedPackage.village_code == village,
            QuarantinedPackage.external_id == external,
            QuarantinedPackage.resolved_submission_id.is_(None),
        ).with_for_update()
    ))


def quarantine(db: Database, store: BlobStore, name: str, *, raw: bytes | None,
               package_sha256: str, village: str | None, external: str | None,
               reasons: list[Reason], now: datetime, actor: str) -> IntakeResult:
    """Keep the package with its reasons: a new entry, or one more attempt on its entry.

    `raw` is None when the package was too large to keep; `package_sha256`
    names it either way.
    """
    stored = [r.as_json() for r in reasons]
    shown_name = visible(name)[-500:]
    with db.write() as session:
        sha = store.put(session, raw, "application/zip") if raw is not None else None
        values = dict(
            package=shown_name, package_sha256=package_sha256, sha256=sha,
            size=len(raw) if raw is not None else 0,
            village_code=village, external_id=external, reasons=stored, received_at=now,
        )
        insert = (postgresql.insert if db.is_postgresql else sqlite.insert)(QuarantinedPackage)
        stmt = insert.values(**values, attempts=1).on_conflict_do_update(
            index_elements=[QuarantinedPackage.package_sha256],
            index_where=QuarantinedPackage.resolved_submission_id.is_(None),
            set_={
                "attempts": QuarantinedPackage.attempts + 1,
                **{k: insert.excluded[k] for k in
                   ("package", "village_code", "external_id", "reasons", "received_at")},
            },
        ).returning(QuarantinedPackage.id, QuarantinedPackage.attempts)
        row = session.execute(stmt).one()
        audit.append(
            session,
            actor=actor,
            action="package.quarantine",
            target_type="package",
            target_id=row.id,
            to_state=QUARANTINE_STATE,
            reason=",".join(dict.fromkeys(r.code for r in reasons))[:2000],
            details={"package": shown_name[-200:], "sha256": package_sha256,
                     "kept": sha is not None, "attempt": row.attempts, "reasons": stored[:20]},
            at=now,
        )
    return IntakeResult(name, "quarantined", reasons=reasons)


@dataclass(frozen=True)
class QuarantineRow:
    id: int
    package: str
    village_code: str | None
    external_id: str | None
    reasons: list[Reason]
    received_at: datetime
    attempts: int
    resolved_submission_id: int | None

    def messages(self) -> list[str]:
        return [r.message() for r in self.reasons]


def list_quarantine(session: Session, *, open_only: bool = True, limit: int = 100,
                    after_id: int | None = None) -> list[QuarantineRow]:
    """Quarantine entries, newest first, a page at a time (keyset on id)."""
    stmt = select(QuarantinedPackage).order_by(QuarantinedPackage.id.desc()).limit(limit)
    if open_only:
        stmt = stmt.where(QuarantinedPackage.resolved_submission_id.is_(None))
    if after_id is not None:
        stmt = stmt.where(QuarantinedPackage.id < after_id)
    return [
        QuarantineRow(r.id, r.package, r.village_code, r.external_id,
                      [Reason.from_json(x) for x in r.reasons], r.received_at, r.attempts,
                      r.resolved_submission_id)
        for r in session.scalars(stmt)
    ]
