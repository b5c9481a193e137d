"""Batches as the screens and `bakso batch list` see them: keyset pages of plain rows.

Order: newest office day first, then village code, then the batch's id. A
page is read with ``limit + 1`` rows to know whether more follow; the next
page starts after the last row's key (never OFFSET). The day order is served
by ``ix_issuance_batch_day`` read backwards (PostgreSQL sorts each day's few
rows as it goes), a village's batches by ``ix_issuance_batch_village``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bakso_tui.db.models import (
    BatchDocument,
    IssuanceBatch,
    IssuedDocument,
    Kecamatan,
    Submission,
    Village,
)
from bakso_tui.domain.batches.close import next_service_day
from bakso_tui.domain.batches.core import BatchState, Kind, document_number
from bakso_tui.domain.calendar import office_today

BatchKey = tuple[date, str, int]  # (office_day, village_code, id)


@dataclass(frozen=True)
class BatchFilter:
    day: date | None = None
    village_code: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class BatchRow:
    id: int
    number: str
    kind: str
    village_code: str
    village_name: str
    kecamatan_name: str
    office_day: date
    documents: int
    state: str
    printed_at: datetime | None
    handed_over_at: datetime | None
    received_by: str | None
    handover_due: date
    service_day: date | None
    overdue: bool

    @property
    def key(self) -> BatchKey:
        return (self.office_day, self.village_code, self.id)

    def as_json(self) -> dict:
        """The object `bakso batch list --json` prints."""
        return {
            "number": self.number,
            "kind": self.kind,
            "village": self.village_code,
            "village_name": self.village_name,
            "date": self.office_day.isoformat(),
            "documents": self.documents,
            "state": self.state,
            "printed_at": self.printed_at.isoformat() if self.printed_at else None,
            "handed_over_at": self.handed_over_at.isoformat() if self.handed_over_at else None,
            "received_by": self.received_by,
            "handover_due": self.handover_due.isoformat(),
            "overdue": self.overdue,
        }


@dataclass(frozen=True)
class BatchPage:
    rows: list[BatchRow] = field(default_factory=list)
    has_more: bool = False

    @property
    def next_key(self) -> BatchKey | None:
        return self.rows[-1].key if self.rows else None


def is_overdue(kind: str, state: str, due: date, today: date) -> bool:
    return (kind == Kind.VILLAGE.value and due < today
            and state in (BatchState.CLOSED.value, BatchState.PRINTED.value))


def batch_page(
    session: Session,
    filters: BatchFilter = BatchFilter(),
    *,
    after: BatchKey | None = None,
    limit: int = 100,
    now: datetime | None = None,
) -> BatchPage:
    b = IssuanceBatch
    stmt = (
        select(b.id, b.number, b.kind, b.village_code, Village.name, Kecamatan.name,
               b.office_day, b.documents, b.state, b.printed_at, b.handed_over_at,
               b.recipient_name, b.handover_due, b.service_day)
        .join(Village, Village.code == b.village_code)
        .join(Kecamatan, Kecamatan.code == Village.kecamatan_code)
    )
    if filters.day is not None:
        stmt = stmt.where(b.office_day == filters.day)
    if filters.village_code is not None:
        stmt = stmt.where(b.village_code == filters.village_code)
    if filters.state is not None:
        stmt = stmt.where(b.state == filters.state)
    if after is not None:
        day, village, ident = after
        stmt = stmt.where(or_(
            b.office_day < day,
            and_(b.office_day == day,
                 or_(b.village_code > village, and_(b.village_code == village, b.id > ident))),
        ))
    stmt = stmt.order_by(b.office_day.desc(), b.village_code, b.id).limit(limit + 1)
    rows = session.execute(stmt).all()
    today = office_today(now)
    out = [
        BatchRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
                 r[12], r[13], is_overdue(r[2], r[8], r[12], today))
        for r in rows[:limit]
    ]
    return BatchPage(out, len(rows) > limit)


def iter_batches(session: Session, filters: BatchFilter = BatchFilter(), *,
                 now: datetime | None = None, page: int = 500):
    """Every batch the filter matches, page by page (for `bakso batch list`)."""
    after = None
    while True:
        got = batch_page(session, filters, after=after, limit=page, now=now)
        yield from got.rows
        if not got.has_more:
            return
        after = got.next_key


@dataclass(frozen=True)
class DocumentRow:
    document_id: int
    position: int
    number: str
    kind: str
    state: str
    submission: str
    resident: str
    nik: str
    service_id: str
    received_at: datetime | None


def batch_documents(session: Session, batch_id: int) -> list[DocumentRow]:
    """A batch's documents in table order (a batch holds a village's day: tens, not thousands)."""
    rows = session.execute(
        select(IssuedDocument.id, BatchDocument.position, IssuedDocument.created_at,
               IssuedDocument.kind, IssuedDocument.state, Submission.number,
               Submission.applicant_name, Submission.applicant_nik, Submission.service_id,
               BatchDocument.received_at)
        .join(BatchDocument, BatchDocument.document_id == IssuedDocument.id)
        .join(Submission, Submission.id == IssuedDocument.submission_id)
        .where(BatchDocument.batch_id == batch_id)
        .order_by(BatchDocument.position)
    ).all()
    return [
        DocumentRow(r[0], r[1], document_number(r[0], r[2]), r[3], r[4], r[5] or "", r[6], r[7],
                    r[8], r[9])
        for r in rows
    ]


@dataclass(frozen=True)
class BatchDetail:
    """One batch as its screen shows it: the row, the handover record, the documents."""

    row: BatchRow
    digest: str
    audit_hash: str
    closed_at: datetime
    printer: str | None
    handed_over_on: date | None
    handover_place: str | None
    recipient_name: str | None
    recipient_position: str | None
    recipient_nik: str | None
    received_at: datetime | None
    documents: list[DocumentRow]

    #: The day a handover is proposed for: the village's next service day from
    #: today on, when one is planned.
    proposed_day: date | None = None


def batch_detail(session: Session, batch_id: int, *, now: datetime | None = None) -> BatchDetail:
    b = session.get(IssuanceBatch, batch_id)
    village = session.get(Village, b.village_code)
    kecamatan = session.get(Kecamatan, village.kecamatan_code)
    row = BatchRow(b.id, b.number, b.kind, b.village_code, village.name, kecamatan.name,
                   b.office_day, b.documents, b.state, b.printed_at, b.handed_over_at,
                   b.recipient_name, b.handover_due, b.service_day,
                   is_overdue(b.kind, b.state, b.handover_due, office_today(now)))
    today = office_today(now)
    return BatchDetail(row, b.digest, b.audit_hash, b.closed_at, b.printer, b.handed_over_on,
                       b.handover_place, b.recipient_name, b.recipient_position, b.recipient_nik,
                       b.received_at, batch_documents(session, b.id),
                       next_service_day(session, b.village_code, today - timedelta(days=1)))
