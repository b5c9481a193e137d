"""Reading the audit log: filtered, newest first, by keyset pages.

A supervisor (or the administrator) asks who did what: by account, by
submission (its number), by resident (NIK: every submission of that NIK), by
action (``submission.approve``, or every ``submission.`` action with the
prefix) and by office days (WITA). Pages are read by the row id, newest
first (``id < after``): the ids grow with time, the chain is append-only.
Indexes: ``ix_audit_log_actor``, ``ix_audit_log_action``, ``ix_audit_log_at``
(migration 0014) and ``ix_audit_log_target``.

A filter is refused, in one line and before anything is read, when its days
run backwards, span more than ten years, or its NIK is not 16 digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bakso_tui.db.models import AuditEntry, IssuanceBatch, IssuedDocument, Submission
from bakso_tui.domain.audit import AuditRow
from bakso_tui.domain.batches.core import document_number
from bakso_tui.domain.calendar import OFFICE_TZ
from bakso_tui.domain.users import Actor, Permission, require
from bakso_tui.errors import Refusal
from bakso_tui.locale import t

MAX_YEARS = 10
#: A resident with more submissions than this is read by the newest of them.
MAX_SUBMISSIONS = 1000
_DATE = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")


class AuditFilterError(Refusal):
    """A filter refused before anything is read."""


@dataclass(frozen=True)
class AuditFilter:
    user: str | None = None
    submission: str | None = None  # its number (BKS-2026-0000123) or id
    nik: str | None = None
    action: str | None = None  # exact, or a prefix ending in "."
    since: date | None = None  # office days, inclusive
    until: date | None = None

    @property
    def active(self) -> bool:
        return any((self.user, self.submission, self.nik, self.action, self.since, self.until))


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    #: The id to read the next (older) page from, or None at the end.
    next_after: int | None


def parse_day(text: str) -> date | None:
    """A day as the screens write it (29-11-2026) or ISO 8601; empty is None."""
    text = text.strip()
    if not text:
        return None
    found = _DATE.match(text)
    try:
        if found:
            return date(int(found[3]), int(found[2]), int(found[1]))
        return date.fromisoformat(text)
    except ValueError:
        raise AuditFilterError(t("dashboard.audit.bad_day", text=text)) from None


def check_filter(f: AuditFilter) -> None:
    if f.since and f.until:
        if f.since > f.until:
            raise AuditFilterError(t("dashboard.audit.backwards", since=f"{f.since:%d-%m-%Y}",
                                     until=f"{f.until:%d-%m-%Y}"))
        try:
            limit = f.since.replace(year=f.since.year + MAX_YEARS)
        except ValueError:  # 29 February
            limit = f.since.replace(year=f.since.year + MAX_YEARS, day=28)
        if f.until > limit:
            raise AuditFilterError(t("dashboard.audit.too_long", years=MAX_YEARS))
    if f.nik and not re.fullmatch(r"\d{16}", f.nik.strip()):
        raise AuditFilterError(t("dashboard.audit.bad_nik", nik=f.nik))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=OFFICE_TZ)


def _submission_ids(session: Session, f: AuditFilter) -> list[str] | None:
    """The submissions the filter names (None: it names none, so any)."""
    ids: set[int] | None = None
    if f.submission:
        term = f.submission.strip()
        found = session.scalars(select(Submission.id).where(
            or_(Submission.number == term.upper(),
                Submission.id == (int(term) if term.isdigit() else -1)))).all()
        ids = set(found)
    if f.nik:
        found = session.scalars(select(Submission.id)
                                .where(Submission.applicant_nik == f.nik.strip())
                                .order_by(Submission.id.desc()).limit(MAX_SUBMISSIONS)).all()
        ids = set(found) if ids is None else ids & set(found)
    return None if ids is None else [str(i) for i in sorted(ids)]


def audit_page(session: Session, actor: Actor, f: AuditFilter, *, after: int | None = None,
               limit: int = 100) -> AuditPage:
    """One page of the rows `f` selects, newest first, older than row `after`.

    The whole log is for `Permission.AUDIT`; one submission's history (a
    filter naming only the submission) for anyone who may see the queue, as
    its screen shows it."""
    one_submission = f == AuditFilter(submission=f.submission) and bool(f.submission)
    require(actor, Permission.QUEUE_VIEW if one_submission else Permission.AUDIT)
    check_filter(f)
    stmt = select(AuditEntry)
    targets = _submission_ids(session, f)
    if targets is not None:
        if not targets:
            return AuditPage([], None)
        stmt = stmt.where(AuditEntry.target_type == "submission",
                          AuditEntry.target_id.in_(targets))
    if f.user:
        stmt = stmt.where(AuditEntry.actor == f.user.strip())
    if f.action:
        action = f.action.strip()
        stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True)
                          if action.endswith(".") else AuditEntry.action == action)
    if f.since:
        stmt = stmt.where(AuditEntry.at >= _midnight(f.since))
    if f.until:
        stmt = stmt.where(AuditEntry.at < _midnight(f.until + timedelta(days=1)))
    if after is not None:
        stmt = stmt.where(AuditEntry.id < after)
    rows = session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit + 1)).all()
    labels = _labels(session, rows[:limit])
    page = [AuditRow(id=r.id, at=r.at, actor=r.actor, action=r.action,
                     target_type=r.target_type, target_id=r.target_id, from_state=r.from_state,
                     to_state=r.to_state, reason=r.reason, details=r.details,
                     label=labels.get((r.target_type, r.target_id), ""))
            for r in rows[:limit]]
    return AuditPage(page, page[-1].id if len(rows) > limit else None)


def _labels(session: Session, rows) -> dict[tuple[str, str], str]:
    """The numbers people know the page's submissions, batches and documents by:
    one read per kind, by primary key (a page holds at most `limit` rows)."""
    wanted: dict[str, set[int]] = {}
    for r in rows:
        if r.target_type in ("submission", "batch", "document") and r.target_id.isdigit():
            wanted.setdefault(r.target_type, set()).add(int(r.target_id))
    out: dict[tuple[str, str], str] = {}
    if ids := wanted.get("submission"):
        for i, number in session.execute(
                select(Submission.id, Submission.number).where(Submission.id.in_(ids))):
            out["submission", str(i)] = number
    if ids := wanted.get("batch"):
        for i, number in session.execute(
                select(IssuanceBatch.id, IssuanceBatch.number).where(IssuanceBatch.id.in_(ids))):
            out["batch", str(i)] = number
    if ids := wanted.get("document"):
        for i, created in session.execute(select(IssuedDocument.id, IssuedDocument.created_at)
                                          .where(IssuedDocument.id.in_(ids))):
            out["document", str(i)] = document_number(i, created)
    return out


def verify_line(session: Session, actor: Actor, anchors=()) -> tuple[bool, str]:
    """`bakso audit verify` in one line, for the palette: (whole, the line)."""
    from bakso_tui.domain import audit

    require(actor, Permission.AUDIT)
    result = audit.verify(session, anchors)
    if result.ok:
        return True, t("cli.audit_ok", count=result.count, last=result.last_hash)
    anchor = result.anchor
    return False, t(f"cli.audit_broken_{result.problem}", id=result.first_bad_id,
                    count=result.count, anchor_count=anchor.count if anchor else 0,
                    anchor_at=anchor.at.isoformat(timespec="seconds") if anchor else "")
