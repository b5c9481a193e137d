"""After closing: printed, handed over to the village, received by each resident.

Every step moves the batch's documents with it and is written to the audit
log. A handover records who received the batch for the village, as OpenCRVS's
collector check does: their name, position and identity number (a NIK that
must be valid), when, and where (on the village's mobile-service day, or at
the office). Documents of an ``in_person`` batch are not handed to the
village: each resident receives their own, so they go from printed straight
to received.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bakso_tui.db.models import BatchDocument, IssuanceBatch, IssuedDocument, Submission
from bakso_tui.db.types import utcnow
from bakso_tui.domain import audit, definer
from bakso_tui.domain.batches.close import next_service_day
from bakso_tui.domain.batches.core import BatchError, BatchState, Kind, Place
from bakso_tui.domain.calendar import office_today
from bakso_tui.domain.nik import NikError, parse_nik
from bakso_tui.domain.users import Actor, Permission, require_in
from bakso_tui.domain.workflow import DocState
from bakso_tui.locale import t


def get_batch(session: Session, number: str, *, lock: bool = False) -> IssuanceBatch:
    """The batch `number`; with `lock` its row locked on PostgreSQL, except where
    the owner's function takes the lock (a supervisor's step, ``domain/definer.py``)."""
    stmt = select(IssuanceBatch).where(IssuanceBatch.number == number.strip())
    if lock and session.get_bind().dialect.name == "postgresql" and not definer.on_server(session):
        stmt = stmt.with_for_update(key_share=True)  # the batch's links may still be read
    batch = session.scalars(stmt).first()
    if batch is None:
        raise BatchError(t("batch.unknown", number=number))
    return batch


def _documents(session: Session, actor: Actor, batch: IssuanceBatch, before: DocState,
               after: DocState, now: datetime, *, only: list[int] | None = None
               ) -> tuple[list[int], list[dict]]:
    """The batch's documents in `before` (of `only`, if given) and their audit rows."""
    cond = [BatchDocument.batch_id == batch.id]
    if only is not None:
        cond.append(BatchDocument.document_id.in_(only))
    ids = list(session.scalars(
        select(BatchDocument.document_id)
        .join(IssuedDocument, IssuedDocument.id == BatchDocument.document_id)
        .where(*cond, IssuedDocument.state == before.value)
        .order_by(BatchDocument.position)
    ))
    return ids, [dict(actor=actor.login, action=f"document.{after.value}",
                      target_type="document", target_id=doc_id, from_state=before.value,
                      to_state=after.value, details={"batch": batch.number}, at=now)
                 for doc_id in ids]


def _step(session: Session, actor: Actor, batch: IssuanceBatch, to: BatchState,
          docs: tuple[list[int], list[dict]], move: tuple[DocState, DocState] | None,
          row: dict, now: datetime, **columns) -> None:
    """One step of a batch: its documents moved, its columns set, the audit rows
    (the documents' then `row`); on PostgreSQL one call to ``bakso_batch_step``."""
    ids, rows = docs
    rows = [*rows, dict(actor=actor.login, target_type="batch", target_id=batch.id, at=now,
                        **row)]
    before, after = move or (None, None)
    if definer.on_server(session):
        definer.call(session, "SELECT bakso_batch_step(:actor, :batch, :from_, :to,"
                     " CAST(:docs AS bigint[]), :doc_from, :doc_to, CAST(:fields AS json), :at,"
                     " CAST(:audit AS json))",
                     rows=rows, actor=actor.login, batch=batch.id, from_=batch.state,
                     to=to.value, docs=ids, doc_from=before and before.value,
                     doc_to=after and after.value, at=now,
                     fields=json.dumps({k: v.isoformat() if isinstance(v, date) else v
                                        for k, v in columns.items()}, ensure_ascii=False))
        session.expire(batch)
        return
    if ids:
        session.execute(update(IssuedDocument).where(IssuedDocument.id.in_(ids))
                        .values(state=after.value, updated_at=now)
                        .execution_options(synchronize_session=False))
    if ids and after == DocState.RECEIVED:
        session.execute(update(BatchDocument).where(BatchDocument.document_id.in_(ids))
                        .values(received_at=now, received_by=actor.login)
                        .execution_options(synchronize_session=False))
    batch.state = to.value
    for name, value in columns.items():
        setattr(batch, name, value)
    audit.append_many(session, rows)


def mark_printed(session: Session, actor: Actor, number: str, *, printer: str,
                 now: datetime | None = None) -> bool:
    """The batch reached the printer: its documents are ``dicetak``.

    Returns False for a reprint of a batch already past closing (audited, no move).
    """
    actor = require_in(session, actor, Permission.BATCH)
    now = now or utcnow()
    batch = get_batch(session, number, lock=True)
    details = {"number": batch.number, "printer": printer}
    if batch.state != BatchState.CLOSED.value:
        _step(session, actor, batch, BatchState(batch.state), ([], []), None,
              dict(action="batch.reprint", details=details), now)
        return False
    _step(session, actor, batch, BatchState.PRINTED,
          _documents(session, actor, batch, DocState.IN_BATCH, DocState.PRINTED, now),
          (DocState.IN_BATCH, DocState.PRINTED),
          dict(action="batch.print", from_state=BatchState.CLOSED.value,
               to_state=BatchState.PRINTED.value, details=details), now,
          printed_at=now, printer=printer)
    return True


@dataclass(frozen=True)
class Recipient:
    """The village officer who receives a batch (the collector check)."""

    name: str
    position: str
    nik: str


def check_recipient(recipient: Recipient) -> Recipient:
    name, position, nik = (recipient.name.strip(), recipient.position.strip(),
                           recipient.nik.strip())
    if not name:
        raise BatchError(t("batch.recipient_name"))
    if not position:
        raise BatchError(t("batch.recipient_position"))
    try:
        parse_nik(nik)
    except NikError as exc:
        raise BatchError(t("batch.recipient_nik", nik=nik, reason=str(exc))) from None
    return Recipient(name, position, nik)


def handover(
    session: Session,
    actor: Actor,
    number: str,
    recipient: Recipient,
    *,
    on: date | None = None,
    place: Place | None = None,
    now: datetime | None = None,
) -> IssuanceBatch:
    """Record that the village received batch `number` (printed, not yet handed over)."""
    actor = require_in(session, actor, Permission.BATCH)
    now = now or utcnow()
    on = on or office_today(now)
    recipient = check_recipient(recipient)
    batch = get_batch(session, number, lock=True)
    if batch.kind != Kind.VILLAGE.value:
        raise BatchError(t("batch.in_person_no_handover", number=batch.number))
    if batch.state == BatchState.CLOSED.value:
        raise BatchError(t("batch.not_printed", number=batch.number))
    if batch.state != BatchState.PRINTED.value:
        raise BatchError(t("batch.already_handed_over", number=batch.number,
                           name=batch.recipient_name or "?",
                           day=batch.handed_over_on.isoformat() if batch.handed_over_on else "?"))
    if on > office_today(now) or on < batch.office_day:
        raise BatchError(t("batch.bad_handover_day", day=on.isoformat(),
                           closed=batch.office_day.isoformat()))
    if place is None:  # on the village's service day, else at the office
        held = next_service_day(session, batch.village_code, on - timedelta(days=1))
        place = Place.SERVICE_DAY if held == on else Place.OFFICE
    _step(session, actor, batch, BatchState.HANDED_OVER,
          _documents(session, actor, batch, DocState.PRINTED, DocState.HANDED_OVER, now),
          (DocState.PRINTED, DocState.HANDED_OVER),
          dict(action="batch.handover", from_state=BatchState.PRINTED.value,
               to_state=BatchState.HANDED_OVER.value,
               details={"number": batch.number, "to": recipient.name,
                        "position": recipient.position, "nik": recipient.nik,
                        "on": on.isoformat(), "place": place.value}), now,
          handed_over_at=now, handed_over_on=on, handover_place=place.value,
          handed_over_by=actor.login, recipient_name=recipient.name,
          recipient_position=recipient.position, recipient_nik=recipient.nik)
    return batch


@dataclass(frozen=True)
class Receipt:
    received: int  # documents marked received now
    remaining: int  # documents of the batch not yet received
    done: bool


def received(
    session: Session,
    actor: Actor,
    number: str,
    *,
    niks: list[str] | None = None,
    everything: bool = False,
    now: datetime | None = None,
) -> Receipt:
    """Residents received their documents: all of the batch's, or those of `niks`.

    A NIK that is not an applicant's in the batch refuses the whole call
    (nothing is changed), naming the NIK.
    """
    actor = require_in(session, actor, Permission.BATCH)
    now = now or utcnow()
    if not everything and not niks:
        raise BatchError(t("batch.received_what"))
    batch = get_batch(session, number, lock=True)
    before = DocState.PRINTED if batch.kind == Kind.IN_PERSON.value else DocState.HANDED_OVER
    ready_state = (BatchState.PRINTED if batch.kind == Kind.IN_PERSON.value
                   else BatchState.HANDED_OVER)
    if batch.state == BatchState.DONE.value:
        raise BatchError(t("batch.all_received", number=batch.number))
    if batch.state != ready_state.value:
        key = "batch.not_printed" if batch.state == BatchState.CLOSED.value else \
            "batch.not_handed_over"
        raise BatchError(t(key, number=batch.number))
    only: list[int] | None = None
    if not everything:
        rows = session.execute(
            select(BatchDocument.document_id, Submission.applicant_nik)
            .join(IssuedDocument, IssuedDocument.id == BatchDocument.document_id)
            .join(Submission, Submission.id == IssuedDocument.submission_id)
            .where(BatchDocument.batch_id == batch.id)
        ).all()
        known = {nik for _, nik in rows}
        wanted = [n.strip() for n in niks or []]
        for nik in wanted:
            if nik not in known:
                raise BatchError(t("batch.nik_not_in_batch", nik=nik, number=batch.number))
        only = [doc for doc, nik in rows if nik in set(wanted)]
    moved = _documents(session, actor, batch, before, DocState.RECEIVED, now, only=only)
    left = (session.scalar(
        select(func.count()).select_from(BatchDocument)
        .join(IssuedDocument, IssuedDocument.id == BatchDocument.document_id)
        .where(BatchDocument.batch_id == batch.id,
               IssuedDocument.state != DocState.RECEIVED.value)
    ) or 0) - len(moved[0])
    done = left == 0
    to = BatchState.DONE if done else ready_state
    _step(session, actor, batch, to, moved, (before, DocState.RECEIVED),
          dict(action="batch.received", from_state=ready_state.value, to_state=to.value,
               details={"number": batch.number, "documents": len(moved[0]),
                        "niks": sorted(set(niks or [])) if not everything else "all"}),
          now, **({"received_at": now} if done else {}))
    return Receipt(len(moved[0]), left, done)


def flag_overdue(session: Session, *, now: datetime | None = None) -> list[str]:
    """Village batches not handed over within their working days: flagged once, audited."""
    now = now or utcnow()
    today = office_today(now)
    late = session.scalars(
        select(IssuanceBatch)
        .where(IssuanceBatch.state.in_([BatchState.CLOSED.value, BatchState.PRINTED.value]),
               IssuanceBatch.handover_due < today, IssuanceBatch.overdue_at.is_(None),
               IssuanceBatch.kind == Kind.VILLAGE.value)
        .order_by(IssuanceBatch.id)
    ).all()
    for batch in late:
        batch.overdue_at = now
        audit.append(session, actor="system", action="batch.overdue", target_type="batch",
                     target_id=batch.id, details={"number": batch.number,
                                                  "due": batch.handover_due.isoformat()}, at=now)
    return [b.number for b in late]
