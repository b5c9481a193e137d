"""The schema, as SQLAlchemy 2 typed models: one schema for SQLite and PostgreSQL.

Changes to this file go with an Alembic migration in ``db/migrations/versions``;
``tests/test_migrations.py`` checks that the migrations and these models agree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (BigInteger, Boolean, Computed, Date, ForeignKey, ForeignKeyConstraint,
                        Index, Integer, LargeBinary, SmallInteger, String, Text, UniqueConstraint,
                        literal, text)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bakso_tui.db.base import Base, BigId
from bakso_tui.db.types import utcnow

OPEN_SQL = "state IN ('diajukan', 'diverifikasi')"
FREE_SQL = "state = 'diajukan'"
CLAIMED_SQL = "state = 'diverifikasi'"
FLAGGED_SQL = f"{OPEN_SQL} AND (possible_duplicate OR nik_mismatch)"

class Meta(Base):
    """Facts about the database itself (for example, that `bakso demo` made it)."""

    __tablename__ = "bakso_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RolePrefix(Base):
    """The prefix of this database's PostgreSQL roles, for the database name it
    was made for (``db/roles.py``; empty on SQLite and until ``bakso db roles``)."""

    __tablename__ = "bakso_role_prefix"

    database: Mapped[str] = mapped_column(String(63), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(40))


class Kecamatan(Base):
    __tablename__ = "kecamatan"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)  # 52.03.01
    name: Mapped[str] = mapped_column(String(100))

    villages: Mapped[list[Village]] = relationship(back_populates="kecamatan")


class Village(Base):
    """A desa (2xxx), kelurahan (1xxx) or desa adat (3xxx) the office serves."""

    __tablename__ = "village"

    code: Mapped[str] = mapped_column(String(13), primary_key=True)  # 52.03.01.2001
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # desa | kelurahan | desa_adat
    kecamatan_code: Mapped[str] = mapped_column(ForeignKey("kecamatan.code"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    kecamatan: Mapped[Kecamatan] = relationship(back_populates="villages")


class User(Base):
    __tablename__ = "app_user"
    # A unique index, not a constraint: SQLite adds an index without copying the
    # table, which its foreign keys (claims, decisions) would refuse (migration 0013).
    __table_args__ = (Index("uq_app_user_db_role", "db_role", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # verifier | supervisor | admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: argon2id; never loaded with the row (no login role may read it: migration
    #: 0016): the sign-in reads it alone, everything else asks `has_password`.
    password_hash: Mapped[str | None] = mapped_column(String(255), deferred=True,
                                                      deferred_raiseload=True)
    has_password: Mapped[bool] = mapped_column(Computed("password_hash IS NOT NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The account's PostgreSQL login role (migration 0013, ``db/roles.py``).
    db_role: Mapped[str | None] = mapped_column(String(63))


class Service(Base):
    """One service of the catalogue (synced from ``data/services.toml``)."""

    __tablename__ = "service"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    needs_recording: Mapped[bool] = mapped_column(Boolean, default=False)
    service_days: Mapped[int] = mapped_column(SmallInteger)
    outputs: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Who gets the documents: the village officer in the batch, or the resident
    # in person on the village's service day (migration 0011).
    handover: Mapped[str] = mapped_column(String(16), default="village",
                                          server_default="village")
    # A short name for narrow columns: KK-UBAH, KTP-BARU (migration 0012).
    short: Mapped[str] = mapped_column(String(16), default="", server_default="")

    requirements: Mapped[list[Requirement]] = relationship(
        back_populates="service", order_by="Requirement.position"
    )


class Requirement(Base):
    __tablename__ = "requirement"

    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    mandatory: Mapped[bool] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(SmallInteger)
    # Needed as one of a group, by the subject's age, or in a circumstance the
    # verifier judges (migration 0012; see domain/requirements.py).
    one_of: Mapped[str | None] = mapped_column(String(48))
    mandatory_from_age: Mapped[int | None] = mapped_column(SmallInteger)
    mandatory_under_age: Mapped[int | None] = mapped_column(SmallInteger)
    when: Mapped[str] = mapped_column("needed_when", Text, default="", server_default="")
    when_en: Mapped[str] = mapped_column("needed_when_en", Text, default="", server_default="")

    service: Mapped[Service] = relationship(back_populates="requirements")


class ReasonCode(Base):
    """Why a submission was returned or rejected (synced from ``data/reasons.toml``)."""

    __tablename__ = "reason_code"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    applies_to: Mapped[list[Any]] = mapped_column(default=list)  # ["return", "reject"]
    needs_text: Mapped[bool] = mapped_column(Boolean, default=False)


WORK_ORDER = ("priority_rank", "submitted_at", "id")


def _partial(name: str, columns: tuple[str, ...], where: str) -> Index:
    """An index over the rows that satisfy `where`, on both databases."""
    return Index(name, *columns, postgresql_where=text(where), sqlite_where=text(where))


class Submission(Base):
    """One request from a village for one resident's service (a *pengajuan*)."""

    __tablename__ = "submission"
    __table_args__ = (
        UniqueConstraint("village_code", "external_id", name="uq_submission_village_external"),
        # The queue's work order (priority residents first, then oldest), over
        # open submissions only: a partial index on both databases.
        _partial("ix_submission_queue", WORK_ORDER, OPEN_SQL),
        # One village's queue, and the (few) flagged submissions, in work
        # order: a filtered page reads its rows instead of walking the queue.
        _partial("ix_submission_queue_village", ("village_code", *WORK_ORDER), OPEN_SQL),
        _partial("ix_submission_queue_flagged", WORK_ORDER, FLAGGED_SQL),
        # Claiming the next free submission walks only free rows, in work order.
        _partial("ix_submission_free", WORK_ORDER, FREE_SQL),
        # Leases, to find the expired ones without scanning the claimed work.
        _partial("ix_submission_lease", ("claim_expires_at",), CLAIMED_SQL),
        Index("ix_submission_state_due", "state", "due_at"),
        Index("ix_submission_service_nik", "service_id", "applicant_nik"),
        # Search by the start of a name or submission number: LIKE 'x%' uses
        # a btree on PostgreSQL only with text_pattern_ops (or a C
        # collation); these still serve equality. The unique index on number
        # keeps its default operator class for the constraint. NIK and KK are
        # digits, searched by range on plain indexes (migration 0007).
        Index("ix_submission_name_key", "name_key", postgresql_ops={"name_key": "text_pattern_ops"}),
        Index("ix_submission_applicant_nik", "applicant_nik"),
        Index("ix_submission_applicant_kk", "applicant_kk"),
        Index("ix_submission_number_prefix", "number",
              postgresql_ops={"number": "text_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    external_id: Mapped[str] = mapped_column(String(64))
    village_code: Mapped[str] = mapped_column(ForeignKey("village.code"), index=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"))
    state: Mapped[str] = mapped_column(String(24), default="diajukan")

    # Priority residents (lansia, disabilitas, ...) go first: rank 0, else 1.
    priority_rank: Mapped[int] = mapped_column(SmallInteger, default=1)
    priority_reasons: Mapped[list[Any]] = mapped_column(default=list)

    # Flags beside the state.
    possible_duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))
    nik_mismatch: Mapped[bool] = mapped_column(Boolean, default=False)
    nik_problems: Mapped[list[Any]] = mapped_column(default=list)
    resubmission_of_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))

    applicant_nik: Mapped[str] = mapped_column(String(16))
    applicant_kk: Mapped[str] = mapped_column(String(16))
    applicant_name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))  # upper-cased, for prefix search
    applicant_birth_date: Mapped[date] = mapped_column(Date)
    applicant_sex: Mapped[str] = mapped_column(String(1))  # L | P
    applicant_address: Mapped[str] = mapped_column(Text, default="")
    subjects: Mapped[list[Any]] = mapped_column(default=list)

    operator_name: Mapped[str] = mapped_column(String(200))
    operator_phone: Mapped[str] = mapped_column(String(32), default="")
    manifest: Mapped[dict[str, Any]] = mapped_column(default=dict)

    submitted_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # The claim lease: who holds it, until when, and the fencing token that a
    # decision must present (a lease lost and re-taken bumps the token).
    claim_holder_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    claim_expires_at: Mapped[datetime | None] = mapped_column()
    claim_token: Mapped[int] = mapped_column(BigInteger, default=0)

    village: Mapped[Village] = relationship()
    service: Mapped[Service] = relationship()
    claim_holder: Mapped[User | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="submission", order_by="Attachment.id"
    )
    documents: Mapped[list[IssuedDocument]] = relationship(
        back_populates="submission", order_by="IssuedDocument.id"
    )


def state_in(*states: str) -> ColumnElement[bool]:
    """``submission.state IN ('a', …)`` with the values written into the SQL.

    SQLite uses a partial index (the queue's, the free rows', the leases') only
    when the query repeats the index's own condition, and a bound parameter
    never does: the queue's first page at 100,000 submissions took 206 ms with
    one, 1 ms without. The states are the workflow's constants, never input.
    """
    return Submission.state.in_([literal(str(s), literal_execute=True) for s in states])


class Blob(Base):
    """Attachment content, addressed by its sha256.

    ``data`` holds the bytes when the store is the database (the default);
    with a directory store it is NULL and the file lives at ``<dir>/ab/cd/<sha256>``.
    """

    __tablename__ = "blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    """A scanned file of a submission, matched to a requirement of its service."""

    __tablename__ = "attachment"
    __table_args__ = (
        ForeignKeyConstraint(
            ["service_id", "requirement_id"],
            ["requirement.service_id", "requirement.id"],
            name="fk_attachment_requirement",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    service_id: Mapped[str] = mapped_column(String(48))
    requirement_id: Mapped[str] = mapped_column(String(48))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int] = mapped_column(SmallInteger, default=1)
    info: Mapped[dict[str, Any]] = mapped_column(default=dict)  # page sizes, images, ...
    problems: Mapped[list[Any]] = mapped_column(default=list)

    submission: Mapped[Submission] = relationship(back_populates="attachments")


class IssuedDocument(Base):
    """A document a submission produces (a birth gives akta, KK and KIA)."""

    __tablename__ = "issued_document"
    __table_args__ = (Index("ix_issued_document_state_village", "state", "village_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    village_code: Mapped[str] = mapped_column(ForeignKey("village.code"))
    kind: Mapped[str] = mapped_column(String(48))
    state: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="documents")


class Decision(Base):
    __tablename__ = "decision"
    __table_args__ = (Index("ix_decision_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    action: Mapped[str] = mapped_column(String(16))  # approve | return | reject
    reason_code: Mapped[str | None] = mapped_column(ForeignKey("reason_code.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    override_reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User] = relationship()
    submission: Mapped[Submission] = relationship()


class AuditEntry(Base):
    """The append-only audit log. Each row carries the hash of the one before.

    No code path updates or deletes a row; triggers refuse it on both databases.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_target", "target_type", "target_id"),
        # The audit viewer's filters, newest first (migration 0013).
        Index("ix_audit_log_actor", "actor", "id"),
        Index("ix_audit_log_action", "action", "id"),
        Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The newest hash of the audit chain, in one row.

    Writers read it with ``SELECT … FOR UPDATE``: the row lock serialises them
    (so the chain cannot fork) and hands each waiter the latest committed hash.
    On PostgreSQL the whole append is the server function ``bakso_audit_append``,
    which first queues on an advisory lock (migrations 0003 and 0005). It is
    only a pointer: ``bakso audit verify`` checks the log itself and compares
    the head with its last row.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class QuarantinedPackage(Base):
    """A refused intake package, kept whole with its reasons until it is resent fixed.

    The package's bytes (the zip, or a zip made of the folder) are in the blob
    store under ``sha256``; nothing of it is lost. ``package_sha256`` is the
    sha256 of those bytes, known even when they were too large to keep (then
    ``sha256`` is NULL): one open entry per package (a partial unique index),
    so the same bytes sent again, by any name and whatever could be read of
    them, count an attempt on their entry. ``reasons`` are codes with their
    parameters (``[{code, where, params}]``), translated when shown. When the
    fixed package is accepted (same village and external_id),
    ``resolved_submission_id`` points at the submission it became.
    """

    __tablename__ = "quarantine"
    __table_args__ = (
        Index("ix_quarantine_village_external", "village_code", "external_id"),
        Index("uq_quarantine_open_package", "package_sha256", unique=True,
              sqlite_where=text("resolved_submission_id IS NULL"),
              postgresql_where=text("resolved_submission_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    package: Mapped[str] = mapped_column(String(500))  # the name it came under, escaped
    # NULL only on entries stored before migration 0008 without their bytes.
    package_sha256: Mapped[str | None] = mapped_column(String(64))
    # NULL only when the package was too large to keep (it stays where it came from).
    sha256: Mapped[str | None] = mapped_column(ForeignKey("blob.sha256"), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    village_code: Mapped[str | None] = mapped_column(String(32))
    external_id: Mapped[str | None] = mapped_column(String(64))
    reasons: Mapped[list[Any]] = mapped_column(default=list)  # [{code, where, params}]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    resolved_submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))
    resolved_at: Mapped[datetime | None] = mapped_column()


# The mobile-service days' tables live in their own module (this one stays
# readable); imported here so that `bakso_tui.db.models` names every table.
from bakso_tui.db.schedule_models import (  # noqa: E402, F401
    ACTIVE_DAY_SQL,
    BOOKED_SQL,
    OfficeClosedDay,
    RecordingBooking,
    ServiceDay,
    ServicePlan,
    ServiceTeam,
)


# Issuance batches, their documents and the scheduler's runs (migration 0011), likewise.
from bakso_tui.db.issuance_models import (  # noqa: E402, F401
    BATCH_OPEN_SQL,
    BatchDocument,
    IssuanceBatch,
    JobDaemon,
    JobRun,
    SlaFlag,
)


# The dashboard's counters, kept by triggers (migration 0013).
from bakso_tui.db.tally_models import (  # noqa: E402, F401
    DailyTally,
    DecisionTally,
    OpenTally,
    VillageTally,
)
