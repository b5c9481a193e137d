"""The verification queue as the screens see it: keyset pages of plain rows.

Open submissions (queued or claimed) in work order: priority residents first,
then the oldest. A page is fetched with ``limit + 1`` rows to know whether
more follow, and the next page starts after the last row's key; never OFFSET,
never the whole queue. The work order is served by the partial index
``ix_submission_queue`` on both databases; on PostgreSQL a search with few
matches is read through its own index and sorted instead (``queue_page``).
"""

from __future__ import annotations

import json
import re
from collections import namedtuple
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from bakso_tui.db.models import Kecamatan, Service, Submission, User, Village, state_in
from bakso_tui.db.types import utcnow
from bakso_tui.domain import audit
from bakso_tui.domain.nik import mask_for_list
from bakso_tui.domain.queue_model import (  # noqa: F401 - also said as queue.QueueRow, …
    QueueFilter,
    QueueKey,
    QueuePage,
    QueueRow,
)
from bakso_tui.domain.users import Actor, Permission, require, sees_full_nik
from bakso_tui.domain.workflow import OPEN_STATES, Flag

_DIGITS = re.compile(r"^\d{1,16}$")
_NUMBER = re.compile(r"^BKS-\d{4}-\d{7}$")
# On PostgreSQL a search estimated to match at most this many submissions is
# answered by sorting its matches (~5 µs each); a broader one by walking the
# work order, where its matches are dense enough to fill a page quickly. At a
# million open submissions the two cost about the same here (~50 ms).
NARROW_SEARCH = 10_000


# The flags' values, read once: an enum member's ``.value`` is a property,
# and every row of every page asks for them.
_PRIORITY, _PAST_SLA, _DUPLICATE, _NIK_MISMATCH = (
    Flag.PRIORITY.value, Flag.PAST_SLA.value, Flag.POSSIBLE_DUPLICATE.value,
    Flag.NIK_MISMATCH.value)


def _flags(sub_priority: int, dup: bool, nik_bad: bool, due_at: datetime, now: datetime):
    flags = []
    if sub_priority == 0:
        flags.append(_PRIORITY)
    if due_at < now:
        flags.append(_PAST_SLA)
    if dup:
        flags.append(_DUPLICATE)
    if nik_bad:
        flags.append(_NIK_MISMATCH)
    return tuple(flags)


def _search_condition(term: str, postgresql: bool) -> ColumnElement[bool]:
    """What the verifier typed, as conditions the search indexes serve: a
    whole NIK or KK number, the start of one, a submission number or its
    start, or the start of a name."""
    term = term.strip()

    def starts(column, prefix: str):
        if postgresql:  # number and name_key have text_pattern_ops indexes
            return column.startswith(prefix, autoescape=True)
        # SQLite's LIKE never uses an index here; a range over its byte-order
        # (BINARY) index does: every string that starts with `prefix` sorts
        # between it and it followed by the last code point.
        return and_(column >= prefix, column < prefix + "\U0010ffff")

    def digits_start(column, prefix: str):
        # NIK and KK are 16 digits (intake refuses others), and digit strings
        # sort alike under every collation: those starting with "520310" are
        # exactly those from it up to "520311". A range on the plain index is
        # estimated from the column's histogram, which LIKE under a pattern
        # index is not (PostgreSQL guessed 1% of the table for any prefix).
        kept = prefix.rstrip("9")
        if not kept:  # only nines: nothing sorts after them
            return column >= prefix
        return and_(column >= prefix, column < kept[:-1] + str(int(kept[-1]) + 1))

    nik, kk = Submission.applicant_nik, Submission.applicant_kk
    if _DIGITS.match(term):
        if len(term) == 16:
            return or_(nik == term, kk == term)
        return or_(digits_start(nik, term), digits_start(kk, term))
    if _NUMBER.match(term.upper()):  # a whole number: the unique index answers at once
        return Submission.number == term.upper()
    if term.upper().startswith("BKS"):
        return starts(Submission.number, term.upper())
    return starts(Submission.name_key, name_key(term))


def _estimated_matches(session: Session, condition: ColumnElement[bool]) -> float:
    """PostgreSQL's own estimate of the submissions (any state) a search
    matches: planned, never run (about a millisecond)."""
    compiled = select(literal(1)).select_from(Submission).where(condition).compile(
        dialect=session.get_bind().dialect)
    plan = session.connection().exec_driver_sql(
        "EXPLAIN (FORMAT JSON) " + compiled.string, compiled.params).scalar_one()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"])


def name_key(name: str) -> str:
    """The form of a name used for prefix search: upper case, single spaces."""
    return " ".join(name.upper().split())


def _filtered(stmt: Select, filters: QueueFilter, now: datetime) -> Select:
    if filters.service_id:
        stmt = stmt.where(Submission.service_id == filters.service_id)
    if filters.village_code:
        stmt = stmt.where(Submission.village_code == filters.village_code)
    elif filters.kecamatan_code:
        stmt = stmt.where(Village.kecamatan_code == filters.kecamatan_code)
    if filters.min_age_days:
        stmt = stmt.where(Submission.submitted_at <= now - timedelta(days=filters.min_age_days))
    if filters.flag == Flag.PRIORITY:
        stmt = stmt.where(Submission.priority_rank == 0)
    elif filters.flag == Flag.PAST_SLA:
        stmt = stmt.where(Submission.due_at < now)
    elif filters.flag == Flag.POSSIBLE_DUPLICATE:  # bare columns, so PostgreSQL
        stmt = stmt.where(Submission.possible_duplicate)  # sees the flagged index fits
    elif filters.flag == Flag.NIK_MISMATCH:
        stmt = stmt.where(Submission.nik_mismatch)
    return stmt


def _row_columns(lang: str) -> dict[str, ColumnElement]:
    """The columns of a queue row by name. The select labels each column with
    its name and every row is read into a :data:`_Record` of the same names,
    so the order is written once and a column added here shifts no other."""
    return {
        "id": Submission.id,
        "number": Submission.number,
        "state": Submission.state,
        "submitted_at": Submission.submitted_at,
        "due_at": Submission.due_at,
        "village_code": Submission.village_code,
        "village_name": Village.name,
        "kecamatan_name": Kecamatan.name,
        "service_id": Submission.service_id,
        "service_name": Service.name_en if lang == "en" else Service.name,
        "service_short": Service.short,
        "applicant_name": Submission.applicant_name,
        "applicant_nik": Submission.applicant_nik,
        "priority_reasons": Submission.priority_reasons,
        "priority_rank": Submission.priority_rank,
        "possible_duplicate": Submission.possible_duplicate,
        "nik_mismatch": Submission.nik_mismatch,
        "claim_holder": User.login,
    }


# A plain named tuple: read by name at C speed (SQLAlchemy's own row by name,
# ``row._mapping[...]`` or ``row.name``, cost 0.7-1 ms more per page of 200).
_Record = namedtuple("_Record", _row_columns("id"))


def _queue_row(r: _Record, now: datetime) -> QueueRow:
    return QueueRow(
        id=r.id,
        number=r.number or "",
        state=r.state,
        submitted_at=r.submitted_at,
        due_at=r.due_at,
        village_code=r.village_code,
        village_name=r.village_name,
        kecamatan_name=r.kecamatan_name,
        service_id=r.service_id,
        service_name=r.service_name,
        applicant_name=r.applicant_name,
        applicant_nik=r.applicant_nik,
        priority_reasons=tuple(r.priority_reasons or ()),
        flags=_flags(r.priority_rank, r.possible_duplicate, r.nik_mismatch, r.due_at, now),
        claim_holder=r.claim_holder,
        key=(r.priority_rank, r.submitted_at, r.id),
        service_short=r.service_short or r.service_name,
    )


def queue_page(
    session: Session,
    actor: Actor,
    *,
    after: QueueKey | None = None,
    limit: int = 100,
    filters: QueueFilter = QueueFilter(),
    lang: str = "id",
    now: datetime | None = None,
) -> QueuePage:
    """One page of the open queue in work order, starting after `after`."""
    require(actor, Permission.QUEUE_VIEW)
    now = now or utcnow()
    stmt = (
        select(*(column.label(name) for name, column in _row_columns(lang).items()))
        .join(Village, Village.code == Submission.village_code)
        .join(Kecamatan, Kecamatan.code == Village.kecamatan_code)
        .join(Service, Service.id == Submission.service_id)
        .outerjoin(User, User.id == Submission.claim_holder_id)
        .where(state_in(*OPEN_STATES))
    )
    stmt = _filtered(stmt, filters, now)
    first_key = Submission.priority_rank
    search = (filters.search or "").strip()
    if search:
        postgresql = session.get_bind().dialect.name == "postgresql"
        condition = _search_condition(search, postgresql)
        stmt = stmt.where(condition)
        if postgresql and _estimated_matches(session, condition) <= NARROW_SEARCH:
            # Few matches: read them through the search index and sort them.
            # "rank + 0" is an order no index gives, so PostgreSQL cannot
            # choose to walk the work order testing each row, which it prices
            # as nearly free: a name with 3,000 matches took 200 ms that way
            # at a million submissions, against 10-25 ms sorted. Many
            # matches are dense in the work order, and the walk is quick.
            first_key = Submission.priority_rank + 0
    if after is not None:
        # (rank, at, id) >= (rank, at, id + 1) is the same rows as "> after"
        # (ids are integers), but PostgreSQL estimates a row comparison from
        # its first column alone: "priority_rank > 1" reads as no rows left,
        # so a narrow search's next page would walk the whole queue index
        # (1 s at a million rows) instead of the NIK or name index, while
        # "priority_rank >= 1" reads as most of them.
        rank, at, last_id = after
        stmt = stmt.where(
            tuple_(Submission.priority_rank, Submission.submitted_at, Submission.id)
            >= tuple_(rank, at, last_id + 1)
        )
    stmt = stmt.order_by(first_key, Submission.submitted_at, Submission.id).limit(limit + 1)
    result = session.execute(stmt).all()
    rows = [_queue_row(r, now) for r in map(_Record._make, result[:limit])]
    if not sees_full_nik(actor):  # the administrator: the NIK masked before it leaves the rules
        rows = [replace(r, applicant_nik=mask_for_list(r.applicant_nik)) for r in rows]
    return QueuePage(rows=rows, has_more=len(result) > limit)


def search_kind(term: str) -> str:
    """What a search was for, as the audit records it (never the text itself)."""
    term = term.strip()
    if _DIGITS.match(term):
        return "nik_kk" if len(term) == 16 else "nik_kk_prefix"
    if _NUMBER.match(term.upper()) or term.upper().startswith("BKS"):
        return "number"
    return "name"


def record_search(session: Session, actor: Actor, term: str) -> None:
    """Write a queue search to the audit log: who, when, what kind; not the text
    (a NIK or a name typed into a search is itself personal data)."""
    require(actor, Permission.QUEUE_VIEW)
    audit.append(session, actor=actor.login, action="queue.search", target_type="queue",
                 target_id="open", details={"kind": search_kind(term)})


def filter_choices(
    session: Session, lang: str = "id"
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(services, kecamatan) as (id, name) pairs for the filter bar."""
    services = [
        (s.id, s.name_en if lang == "en" else s.name)
        for s in session.scalars(select(Service).order_by(Service.id))
    ]
    kecamatan = [
        (k.code, k.name) for k in session.scalars(select(Kecamatan).order_by(Kecamatan.name))
    ]
    return services, kecamatan


__all__ = [
    "QueueFilter",
    "QueueKey",
    "QueuePage",
    "QueueRow",
    "filter_choices",
    "record_search",
    "name_key",
    "queue_page",
]
