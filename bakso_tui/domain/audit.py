"""The append-only audit log with a hash chain.

Every state change and every view of a resident's attachment is appended here
(actor, time, action, target, from, to, reason). Each row's ``hash`` is the
sha256 of the previous row's hash and of this row's canonical content, so a
changed, removed or re-ordered row breaks the chain at that point and
:func:`verify` names it.

Writers are serialised so that two concurrent inserts cannot both link to the
same previous row (which would fork the chain): each reads the newest hash from
the one-row ``audit_head`` with ``SELECT … FOR UPDATE``, which on PostgreSQL
waits for the previous writer's commit and then returns its hash; SQLite
writers already hold the database's write lock (``BEGIN IMMEDIATE``, see
``db/engine.py``). The lock is held until the caller's transaction ends, so
keep transactions that write audit rows short.

No code path updates or deletes a row: the application has no such function,
and triggers on both databases refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL). A removal of the newest rows is not visible from the chain alone;
``bakso audit verify`` prints the count and last hash so that an office can
note them (for example on the daily batch's handover record).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from bakso_tui.db.models import AuditEntry, AuditHead
from bakso_tui.db.types import utcnow

GENESIS = "0" * 64


def entry_body(
    *,
    at: datetime,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    from_state: str | None,
    to_state: str | None,
    reason: str,
    details: dict[str, Any],
) -> str:
    """The canonical JSON of a row's content (what its hash covers)."""
    return json.dumps(
        {
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "from": from_state,
            "to": to_state,
            "reason": reason,
            "details": details,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def entry_hash(prev_hash: str, **fields: Any) -> str:
    return chain_hash(prev_hash, entry_body(**fields))


def chain_hash(prev_hash: str, body: str) -> str:
    return hashlib.sha256((prev_hash + "\n" + body).encode("utf-8")).hexdigest()


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: str | int,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> str:
    """Append one row inside the caller's transaction; return its hash."""
    fields = dict(
        at=(at or utcnow()).astimezone(UTC),
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        from_state=from_state,
        to_state=to_state,
        reason=reason or "",
        details=details or {},
    )
    body = entry_body(**fields)
    if session.get_bind().dialect.name == "postgresql":
        # One server-side step (migration 0003): the head's row lock is held for
        # the insert alone, not across round trips.
        return session.execute(
            text(
                "SELECT bakso_audit_append(:at, :actor, :action, :target_type, :target_id,"
                " :from_state, :to_state, :reason, CAST(:details AS json), :body)"
            ),
            {**fields, "details": json.dumps(fields["details"], ensure_ascii=False),
             "body": body},
        ).scalar_one()
    head = session.execute(
        select(AuditHead.hash, AuditHead.count).where(AuditHead.id == 1).with_for_update()
    ).one()
    digest = chain_hash(head.hash, body)
    session.execute(insert(AuditEntry).values(prev_hash=head.hash, hash=digest, **fields))
    session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(hash=digest, count=head.count + 1)
    )
    return digest


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    from_state: str | None
    to_state: str | None
    reason: str
    details: dict[str, Any]


def history(session: Session, target_type: str, target_id: str | int) -> list[AuditRow]:
    """A target's rows, oldest first (for a submission's history pane)."""
    rows = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.target_type == target_type, AuditEntry.target_id == str(target_id))
        .order_by(AuditEntry.id)
    )
    return [
        AuditRow(
            r.id, r.at, r.actor, r.action, r.target_type, r.target_id,
            r.from_state, r.to_state, r.reason, r.details,
        )
        for r in rows
    ]


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    last_hash: str
    first_bad_id: int | None = None
    problem: str | None = None  # "prev_hash" | "hash"


def _walk(session: Session, batch: int = 2000) -> Iterator[AuditEntry]:
    last_id = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        session.expunge_all()


def verify(session: Session) -> VerifyResult:
    """Walk the chain in id order, in pages (memory stays flat)."""
    prev = GENESIS
    count = 0
    for row in _walk(session):
        if row.prev_hash != prev:
            return VerifyResult(False, count, prev, row.id, "prev_hash")
        expected = entry_hash(
            prev,
            at=row.at,
            actor=row.actor,
            action=row.action,
            target_type=row.target_type,
            target_id=row.target_id,
            from_state=row.from_state,
            to_state=row.to_state,
            reason=row.reason,
            details=row.details,
        )
        if row.hash != expected:
            return VerifyResult(False, count, prev, row.id, "hash")
        prev = row.hash
        count += 1
    head = session.execute(select(AuditHead.hash, AuditHead.count)).first()
    if head is not None and (head.hash != prev or head.count != count):
        # Rows at the end were removed (or the head was changed by hand).
        return VerifyResult(False, count, prev, None, "head")
    return VerifyResult(True, count, prev)
