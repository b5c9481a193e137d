"""The append-only audit log with a hash chain.

Every state change and every view of a resident's attachment is appended here
(actor, time, action, target, from, to, reason). Each row's ``hash`` is the
sha256 of the previous row's hash and of this row's canonical content, so a
changed, removed or re-ordered row breaks the chain at that point and
:func:`verify` names it.

Writers are serialised so that two concurrent inserts cannot both link to the
same previous row (which would fork the chain): each reads the newest hash from
the one-row ``audit_head`` with ``SELECT … FOR UPDATE``. On PostgreSQL the
whole append is one call to the server function ``bakso_audit_append``
(migration 0003), which first queues on an advisory lock (migration 0005, so
that a commit wakes one waiter, not all of them), then locks the head and gets
the previous writer's committed hash; SQLite writers already hold the
database's write lock (``BEGIN IMMEDIATE``, see ``db/engine.py``). The locks
are held until the caller's transaction ends, so keep transactions that write
audit rows short.

No code path updates or deletes a row: the application has no such function,
and triggers on both databases refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL). Whoever owns the tables could still drop the triggers, rewrite
rows and recompute the chain and its head; the chain is therefore anchored
outside the database: an :class:`Anchor` (time, row count, hash of that row)
is appended to a file (daily by the scheduler, or ``bakso audit anchor``) and
printed on every handover record, and ``bakso audit verify --anchor FILE``
checks that the chain still has those hashes at those positions. A missing
head row is a failure too.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from bakso_tui.db.models import AuditEntry, AuditHead
from bakso_tui.db.types import utcnow
from bakso_tui.locale import t

GENESIS = "0" * 64
#: The advisory lock every audit append takes on PostgreSQL (migration 0005).
AUDIT_LOCK_KEY = 0x62616B736F


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
        # One server-side step (migrations 0003 and 0005): the head's row lock
        # is held for the insert alone, not across round trips.
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


def append_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append several rows (each as :func:`append` takes it) inside the caller's transaction.

    On PostgreSQL they go in one round trip to ``bakso_audit_append_many``
    (migration 0010), which chains them in order under the same locks and
    writes the head row once: the chain is the one single appends would make.
    A schedule change that books or moves hundreds of residents writes their
    rows without a round trip, or a new version of the head row, for each.
    """
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        for row in rows:
            append(session, **row)
        return
    session.execute(text("SELECT bakso_audit_append_many(CAST(:rows AS json))"),
                    {"rows": records(rows)})


def records(rows: list[dict[str, Any]]) -> str:
    """`rows` (as :func:`append` takes each) as the JSON ``bakso_audit_append_many``
    takes: also what the owner's functions of a supervisor's writes append
    (``domain/definer.py``)."""
    out = []
    for row in rows:
        fields = dict(
            at=(row.get("at") or utcnow()).astimezone(UTC),
            actor=row["actor"],
            action=row["action"],
            target_type=row["target_type"],
            target_id=str(row["target_id"]),
            from_state=row.get("from_state"),
            to_state=row.get("to_state"),
            reason=row.get("reason") or "",
            details=row.get("details") or {},
        )
        out.append({**fields, "at": fields["at"].isoformat(timespec="microseconds"),
                    "body": entry_body(**fields)})
    return json.dumps(out, ensure_ascii=False)


def hold_lock(session: Session) -> None:
    """Take the audit writers' lock now, as the next append would.

    On PostgreSQL an append holds a transaction-scoped advisory lock until the
    commit. A transaction that also locks rows of its own (a village's
    schedule) takes this lock first, so every such transaction locks in the
    same order (audit, then rows) and two of them cannot deadlock. On SQLite
    the write transaction (``BEGIN IMMEDIATE``) already serialises writers.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})


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
    #: The target as people name it (a submission's, batch's or document's
    #: number), when the reader looked it up; else empty.
    label: str = ""


def target_label(row: AuditRow) -> str:
    """What a row acted on, in words: its number, or the kind and the id."""
    if row.label:
        return row.label
    key = f"history.target.{row.target_type}"
    kind = t(key)
    return f"{row.target_type if kind == key else kind} {row.target_id}"


def action_label(action: str) -> str:
    """An action code (``submission.claim``) in words of the user's language
    (``locale/<lang>/history.toml``); a code without words is shown as it is."""
    key = f"history.action.{action}"
    text = t(key)
    return action if text == key else text


def state_label(state: str | None) -> str:
    """A state of a history row in words; a booking's day (ISO) as DD-MM-YYYY."""
    if not state:
        return ""
    key = f"history.state.{state}"
    text = t(key)
    if text != key:
        return text
    try:
        return date.fromisoformat(state).strftime("%d-%m-%Y")
    except ValueError:
        return state


def history(session: Session, target_type: str, target_id: str | int) -> list[AuditRow]:
    """A target's rows, oldest first (for a submission's history pane)."""
    rows = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.target_type == target_type, AuditEntry.target_id == str(target_id))
        .order_by(AuditEntry.id)
    )
    return [
        AuditRow(
            id=r.id, at=r.at, actor=r.actor, action=r.action, target_type=r.target_type,
            target_id=r.target_id, from_state=r.from_state, to_state=r.to_state,
            reason=r.reason, details=r.details,
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Anchor:
    """The chain's state at one moment, kept outside the database.

    ``count`` rows existed and the ``count``-th (in chain order) had ``hash``.
    A line of an anchor file reads ``2026-11-29T15:00:00+08:00 1234 <hash>``.
    """

    at: datetime
    count: int
    hash: str

    def line(self) -> str:
        return f"{self.at.isoformat(timespec='seconds')} {self.count} {self.hash}"


class AnchorFileError(ValueError):
    """A line of an anchor file that is not an anchor (its number says which)."""

    def __init__(self, path: Path, number: int) -> None:
        super().__init__(f"{path}:{number}")
        self.path = path
        self.number = number


_ANCHOR = re.compile(r"^(\S+) (\d+) ([0-9a-f]{64})$")


def read_anchors(path: Path) -> list[Anchor]:
    """The anchors of a file; blank lines and ``#`` comments are skipped."""
    anchors = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _ANCHOR.match(line)
        try:
            at = datetime.fromisoformat(match.group(1)) if match else None
        except ValueError:
            at = None
        if match is None or at is None or at.tzinfo is None:
            raise AnchorFileError(path, number)
        anchors.append(Anchor(at, int(match.group(2)), match.group(3)))
    return anchors


def current_anchor(session: Session, now: datetime) -> Anchor:
    """The head as it stands (read, not verified): what to write down or print."""
    head = session.execute(select(AuditHead.hash, AuditHead.count)).first()
    if head is None:
        return Anchor(now, 0, GENESIS)
    return Anchor(now, head.count, head.hash)


def append_anchor(path: Path, anchor: Anchor) -> None:
    """Append one line to the anchor file (made 0600 if new), flushed to disk.

    The file is only ever appended to; docs/audit.md says how an office makes
    it append-only for everyone but root (``chattr +a``) and keeps copies.
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (anchor.line() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    last_hash: str
    first_bad_id: int | None = None
    #: "prev_hash" | "hash" | "head" | "head_missing" | "anchor" | "anchor_beyond"
    problem: str | None = None
    #: The anchor the chain does not match (problems "anchor" and "anchor_beyond").
    anchor: Anchor | None = None


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


def verify(session: Session, anchors: Iterable[Anchor] = ()) -> VerifyResult:
    """Walk the chain in id order, in pages (memory stays flat).

    Each row must link to the one before and hash to its content; the head
    row must exist and match the last row; and the chain must have, at each
    anchor's position, the anchor's hash (a chain rewritten and recomputed
    from the start fails here, and so does one cut below an anchor).
    """
    expected_at: dict[int, Anchor] = {}
    for anchor in sorted(anchors, key=lambda a: a.count):
        expected_at.setdefault(anchor.count, anchor)
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
        anchor = expected_at.pop(count, None)
        if anchor is not None and anchor.hash != prev:
            return VerifyResult(False, count, prev, row.id, "anchor", anchor)
    head = session.execute(select(AuditHead.hash, AuditHead.count)).first()
    if head is None:
        return VerifyResult(False, count, prev, None, "head_missing")
    if head.hash != prev or head.count != count:
        # Rows at the end were removed (or the head was changed by hand).
        return VerifyResult(False, count, prev, None, "head")
    beyond = [a for c, a in expected_at.items() if c > 0]
    if beyond:
        return VerifyResult(False, count, prev, None, "anchor_beyond", beyond[0])
    return VerifyResult(True, count, prev)
