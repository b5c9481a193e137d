"""Closing the day's ready documents into batches, one per village (and per handover kind).

`close_batches` is idempotent on (village, office day): run again, it takes
only the documents that became ready since, and adds them to the day's batch
while that batch is not printed yet, or opens the day's next batch (``…/2``)
once it is. A document is never in two batches: each is taken in the same
transaction that moves it out of ``siap_cetak``, and the database refuses a
second link (``issuance_batch_document``'s primary key is the document).

Each (village, kind) is one transaction: a crash or a dropped connection
leaves whole batches or none, and the next run completes the rest. On
PostgreSQL a closer first locks the village's row, so two closers running at
once take turns per village; on SQLite the write lock (``BEGIN IMMEDIATE``)
does the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from bakso_tui.db.engine import Database
from bakso_tui.db.models import (
    AuditHead,
    BatchDocument,
    IssuanceBatch,
    IssuedDocument,
    Service,
    Submission,
    Village,
)
from bakso_tui.db.types import utcnow
from bakso_tui.domain import audit, definer
from bakso_tui.domain.batches.core import (
    BatchError,
    BatchState,
    Kind,
    batch_number,
    digest,
    document_number,
)
from bakso_tui.domain.calendar import OFFICE_TZ, add_working_days, office_today
from bakso_tui.domain.schedule import next_service_day as schedule_next_day
from bakso_tui.domain.users import Actor, Permission, require, require_in
from bakso_tui.domain.workflow import DocState
from bakso_tui.locale import t

#: Finds a village's next mobile-service day after a date (None if none is planned).
ServiceDayFinder = Callable[[Session, str, date], date | None]


def next_service_day(session: Session, village_code: str, after: date) -> date | None:
    """The village's first active mobile-service day after `after` (the schedule's):
    where an in-person batch is handed out, and the day a handover is proposed for."""
    info = schedule_next_day(session, village_code, after)
    return info.day if info is not None else None


@dataclass(frozen=True)
class Closed:
    """One batch a close made or added to."""

    batch_id: int
    number: str
    kind: str
    village_code: str
    added: int  # documents added by this run
    documents: int  # documents in the batch now
    new: bool  # the batch was opened by this run


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=OFFICE_TZ).astimezone(UTC)


def check_day(day: date, now: datetime) -> None:
    if day > office_today(now):
        raise BatchError(t("batch.future_day", day=day.isoformat()))


def ready_villages(session: Session, *, village: str | None,
                   cutoff: datetime) -> list[tuple[str, Kind]]:
    """(village, handover kind) pairs with documents ready by `cutoff`, in village order
    (read through ix_issued_document_state_village)."""
    stmt = (
        select(IssuedDocument.village_code, Service.handover)
        .join(Submission, Submission.id == IssuedDocument.submission_id)
        .join(Service, Service.id == Submission.service_id)
        .where(IssuedDocument.state == DocState.READY.value, IssuedDocument.updated_at < cutoff)
        .distinct()
    )
    if village is not None:
        stmt = stmt.where(IssuedDocument.village_code == village)
    pairs = {(code, Kind(kind)) for code, kind in session.execute(stmt)}
    return sorted(pairs, key=lambda p: (p[0], p[1] != Kind.VILLAGE))


def close_batches(
    db: Database,
    actor: Actor,
    *,
    day: date | None = None,
    village: str | None = None,
    handover_days: int = 5,
    now: datetime | None = None,
    service_day: ServiceDayFinder | None = next_service_day,
    on_closed: Callable[[Closed], None] | None = None,
) -> list[Closed]:
    """Close `day`'s ready documents (by default today's, office time) into batches.

    Returns the batches made or added to, in village order; an empty list when
    nothing was ready. `on_closed` is called after each batch's commit.
    """
    require(actor, Permission.BATCH)
    now = now or utcnow()
    day = day or office_today(now)
    check_day(day, now)
    cutoff = min(now, _end_of(day))
    with db.read() as session:
        if village is not None and session.get(Village, village) is None:
            raise BatchError(t("batch.unknown_village", code=village))
        villages = ready_villages(session, village=village, cutoff=cutoff)
    done: list[Closed] = []
    for code, kind in villages:
        with db.write() as session:
            closed = close_one(session, actor, code, kind, day=day, cutoff=cutoff, now=now,
                               handover_days=handover_days, service_day=service_day)
        if closed is not None:
            done.append(closed)
            if on_closed is not None:
                on_closed(closed)
    return done


def close_one(
    session: Session,
    actor: Actor,
    village_code: str,
    kind: Kind,
    *,
    day: date,
    cutoff: datetime,
    now: datetime,
    handover_days: int = 5,
    service_day: ServiceDayFinder | None = next_service_day,
) -> Closed | None:
    """One village's ready documents of one kind into its batch, in the caller's transaction."""
    actor = require_in(session, actor, Permission.BATCH)
    if session.get_bind().dialect.name == "postgresql":
        # Closers of the same village take turns; other villages go on in parallel.
        # NO KEY UPDATE: intake and approvals, whose rows point at the village
        # (a KEY SHARE lock for the foreign key), are not held up.
        # (As the owner, migration 0013: a row lock needs UPDATE rights on the table.)
        session.execute(text("SELECT bakso_lock_villages(:codes)"), {"codes": [village_code]})
    ready = session.execute(
        select(IssuedDocument.id, IssuedDocument.created_at, IssuedDocument.kind,
               Submission.number)
        .join(Submission, Submission.id == IssuedDocument.submission_id)
        .join(Service, Service.id == Submission.service_id)
        .where(
            IssuedDocument.state == DocState.READY.value,
            IssuedDocument.village_code == village_code,
            IssuedDocument.updated_at < cutoff,
            Service.handover == kind.value,
        )
        .order_by(Submission.id, IssuedDocument.id)
    ).all()
    if not ready:
        return None
    latest = session.scalars(
        select(IssuanceBatch)
        .where(IssuanceBatch.village_code == village_code, IssuanceBatch.office_day == day,
               IssuanceBatch.kind == kind.value)
        .order_by(IssuanceBatch.seq.desc())
        .limit(1)
    ).first()
    new = latest is None or latest.state != BatchState.CLOSED.value
    if new:
        seq = 1 if latest is None else latest.seq + 1
        planned = service_day(session, village_code, day) if service_day else None
        fields = dict(number=batch_number(kind, village_code, day, seq), kind=kind.value,
                      village_code=village_code, office_day=day, seq=seq,
                      handover_due=add_working_days(day, handover_days), service_day=planned)
    # A person (a supervisor) closes through the owner's function; the jobs (the
    # service group, no account) write directly.
    if definer.on_server(session) and actor.id is not None:
        return _close_on_server(session, actor, latest if not new else None,
                                fields if new else None, ready, now)
    if new:
        batch = IssuanceBatch(
            **fields, state=BatchState.CLOSED.value, documents=0, digest="", audit_hash="",
            audit_count=0, closed_at=now, closed_by=actor.login)
        session.add(batch)
        session.flush()
        start = 0
    else:
        batch = latest
        start = batch.documents
    ids = [r.id for r in ready]
    moved = session.execute(
        update(IssuedDocument)
        .where(IssuedDocument.id.in_(ids), IssuedDocument.state == DocState.READY.value)
        .values(state=DocState.IN_BATCH.value, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != len(ids):  # somebody else took some: never half a batch
        raise BatchError(t("batch.raced", village=village_code))
    session.execute(insert(BatchDocument), [
        {"document_id": doc_id, "batch_id": batch.id, "position": start + i + 1}
        for i, doc_id in enumerate(ids)
    ])
    audit.append_many(session, [
        dict(actor=actor.login, action="document.batch", target_type="document", target_id=r.id,
             from_state=DocState.READY.value, to_state=DocState.IN_BATCH.value,
             details={"batch": batch.number}, at=now)
        for r in ready
    ])
    lines = session.execute(
        select(IssuedDocument.id, IssuedDocument.created_at, Submission.number)
        .join(BatchDocument, BatchDocument.document_id == IssuedDocument.id)
        .join(Submission, Submission.id == IssuedDocument.submission_id)
        .where(BatchDocument.batch_id == batch.id)
        .order_by(BatchDocument.position)
    ).all()
    batch.documents = len(lines)
    batch.digest = digest(batch.number,
                          [(document_number(i, c), s) for i, c, s in lines])
    batch.closed_at, batch.closed_by = now, actor.login
    batch.audit_hash = audit.append(
        session, actor=actor.login, action="batch.close" if new else "batch.extend",
        target_type="batch", target_id=batch.id, to_state=BatchState.CLOSED.value,
        details={"number": batch.number, "added": len(ids), "documents": batch.documents,
                 "digest": batch.digest}, at=now,
    )
    # Nobody else appends before this transaction ends (the chain's lock is held):
    # the head's count is this row's position, printed with its hash as an anchor.
    batch.audit_count = session.scalar(select(AuditHead.count).where(AuditHead.id == 1))
    session.flush()
    return Closed(batch.id, batch.number, kind.value, village_code, len(ids), batch.documents,
                  new)


def _lines(session: Session, batch_id: int) -> list:
    return session.execute(
        select(IssuedDocument.id, IssuedDocument.created_at, Submission.number)
        .join(BatchDocument, BatchDocument.document_id == IssuedDocument.id)
        .join(Submission, Submission.id == IssuedDocument.submission_id)
        .where(BatchDocument.batch_id == batch_id)
        .order_by(BatchDocument.position)
    ).all()


def _close_on_server(session: Session, actor: Actor, latest: IssuanceBatch | None,
                     fields: dict | None, ready: list, now: datetime) -> Closed:
    """:func:`close_one` through ``bakso_batch_close`` (migration 0016): the batch
    (new, with its id from the sequence, or the open one extended), its documents
    and the audit rows in one call; its digest from the lines read before."""
    if fields is not None:
        batch_id, number, kind, village, lines = (definer.next_id(session, "issuance_batch"),
                                                  fields["number"], fields["kind"],
                                                  fields["village_code"], [])
    else:
        batch_id, number, kind, village = (latest.id, latest.number, latest.kind,
                                           latest.village_code)
        lines = _lines(session, batch_id)
    lines = [*lines, *((r.id, r.created_at, r.number) for r in ready)]
    batch_digest = digest(number, [(document_number(i, c), s) for i, c, s in lines])
    rows = [dict(actor=actor.login, action="document.batch", target_type="document",
                 target_id=r.id, from_state=DocState.READY.value,
                 to_state=DocState.IN_BATCH.value, details={"batch": number}, at=now)
            for r in ready]
    rows.append(dict(actor=actor.login, action="batch.extend" if fields is None else "batch.close",
                     target_type="batch", target_id=batch_id, to_state=BatchState.CLOSED.value,
                     details={"number": number, "added": len(ready), "documents": len(lines),
                              "digest": batch_digest}, at=now))
    definer.call(session, "SELECT bakso_batch_close(:actor, :batch, CAST(:fields AS json),"
                 " CAST(:docs AS bigint[]), :digest, :at, CAST(:audit AS json))", rows=rows,
                 actor=actor.login, batch=batch_id, digest=batch_digest, at=now,
                 docs=[r.id for r in ready], fields=None if fields is None else json.dumps(
                     {k: v.isoformat() if isinstance(v, date) else v
                      for k, v in fields.items()}))
    if latest is not None:
        session.expire(latest)
    return Closed(batch_id, number, kind, village, len(ready), len(lines), fields is not None)
