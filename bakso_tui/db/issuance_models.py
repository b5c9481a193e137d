"""Issuance batches, the documents in them, and the scheduler daemon's runs (migration 0011).

Part of the one schema: ``bakso_tui.db.models`` imports them, so its metadata
names every table; they name the tables they point at by string, so that the
two modules never import each other.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bakso_tui.db.base import Base, BigId

BATCH_OPEN_SQL = "state IN ('ditutup', 'dicetak')"


class IssuanceBatch(Base):
    """The documents returned to one village together (a *batch penyerahan*).

    ``kind`` is ``village`` (handed to the village officer with a handover
    record) or ``in_person`` (documents whose service is handed to each
    resident in person on the village's service day). One (village, office
    day, kind) may hold several batches, numbered ``seq`` 1, 2, …: a new one
    only once the previous is printed. ``digest`` covers the number and the
    document list (what the QR code carries); ``audit_hash`` and ``audit_count``
    are the audit chain's head when the batch was (last) closed, printed on its
    record as an anchor line that `bakso audit verify --anchor` reads.
    """

    __tablename__ = "issuance_batch"
    __table_args__ = (
        UniqueConstraint("village_code", "office_day", "kind", "seq",
                         name="uq_issuance_batch_slot"),
        # The batches screen and `batch list`: newest day first, by village.
        Index("ix_issuance_batch_day", "office_day", "village_code", "id"),
        Index("ix_issuance_batch_village", "village_code", "office_day", "id"),
        Index("ix_issuance_batch_open", "handover_due", postgresql_where=text(BATCH_OPEN_SQL),
              sqlite_where=text(BATCH_OPEN_SQL)),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(48), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # village | in_person
    village_code: Mapped[str] = mapped_column(ForeignKey("village.code"))
    office_day: Mapped[date] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(SmallInteger)
    state: Mapped[str] = mapped_column(String(16))  # ditutup|dicetak|diserahkan|selesai
    documents: Mapped[int] = mapped_column(Integer, default=0)
    digest: Mapped[str] = mapped_column(String(64))
    audit_hash: Mapped[str] = mapped_column(String(64))
    audit_count: Mapped[int] = mapped_column(BigInteger, default=0)  # the chain's rows then
    closed_at: Mapped[datetime] = mapped_column()
    closed_by: Mapped[str] = mapped_column(String(64))
    handover_due: Mapped[date] = mapped_column(Date)
    overdue_at: Mapped[datetime | None] = mapped_column()  # flagged by the daily job
    service_day: Mapped[date | None] = mapped_column(Date)  # the village's next service day
    printed_at: Mapped[datetime | None] = mapped_column()
    printer: Mapped[str | None] = mapped_column(String(128))
    handed_over_at: Mapped[datetime | None] = mapped_column()
    handed_over_on: Mapped[date | None] = mapped_column(Date)
    handover_place: Mapped[str | None] = mapped_column(String(16))  # service_day | office
    handed_over_by: Mapped[str | None] = mapped_column(String(64))
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    recipient_position: Mapped[str | None] = mapped_column(String(200))
    recipient_nik: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[datetime | None] = mapped_column()  # every document received

    village: Mapped["Village"] = relationship("Village")  # noqa: F821 - models.py


class BatchDocument(Base):
    """A document in a batch. The primary key is the document: never in two batches."""

    __tablename__ = "issuance_batch_document"

    document_id: Mapped[int] = mapped_column(ForeignKey("issued_document.id"), primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("issuance_batch.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime | None] = mapped_column()
    received_by: Mapped[str | None] = mapped_column(String(64))

    document: Mapped["IssuedDocument"] = relationship("IssuedDocument")  # noqa: F821


class JobRun(Base):
    """One run of a scheduled job: when, how it ended, what it counted."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_job", "job_id", "started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(48))
    started_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(16))  # running | ok | nothing | skipped | error
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    trigger: Mapped[str] = mapped_column(String(16), default="schedule")  # schedule|catch_up|once


class JobDaemon(Base):
    """Who runs the scheduler daemon (one row): named when a second one refuses."""

    __tablename__ = "job_daemon"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column()
    stopped_at: Mapped[datetime | None] = mapped_column()


class SlaFlag(Base):
    """When a submission was found past its service-time limit (the SLA job)."""

    __tablename__ = "submission_sla_flag"

    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), primary_key=True)
    flagged_at: Mapped[datetime] = mapped_column()
