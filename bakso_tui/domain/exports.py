"""Exports for other programs: decisions as JSON lines or CSV.

Rows are read in keyset pages (by decision id), so an export of years of
decisions streams with flat memory.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from bakso_tui.db.models import Decision, Submission, User
from bakso_tui.domain.calendar import OFFICE_TZ

DECISION_FIELDS = ("submission", "action", "actor", "at", "reason_code", "reason")


def _bound(day: date | None, *, end: bool) -> datetime | None:
    """A date as the start of that office day (or of the next one for `--to`)."""
    if day is None:
        return None
    if end:
        day += timedelta(days=1)
    return datetime.combine(day, time(0, 0), tzinfo=OFFICE_TZ)


def decisions(session: Session, *, since: date | None = None, until: date | None = None,
              page: int = 2000) -> Iterator[dict]:
    """Decisions from the start of office day `since` to the end of `until`, oldest first."""
    lo, hi = _bound(since, end=False), _bound(until, end=True)
    last = 0
    while True:
        stmt = (
            select(Decision.id, Submission.number, Decision.action, User.login, Decision.at,
                   Decision.reason_code, Decision.reason, Decision.override_reason)
            .join(Submission, Submission.id == Decision.submission_id)
            .join(User, User.id == Decision.actor_id)
            .where(Decision.id > last)
            .order_by(Decision.id)
            .limit(page)
        )
        if lo is not None:
            stmt = stmt.where(Decision.at >= lo)
        if hi is not None:
            stmt = stmt.where(Decision.at < hi)
        rows = session.execute(stmt).all()
        if not rows:
            return
        for r in rows:
            reason = r.reason or r.override_reason
            yield {
                "submission": r.number,
                "action": r.action,
                "actor": r.login,
                "at": r.at.isoformat(timespec="seconds"),
                "reason_code": r.reason_code,
                "reason": reason,
            }
        last = rows[-1].id


def write(rows: Iterator[dict], out: IO[str], fmt: str) -> int:
    n = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=DECISION_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
            n += 1
    else:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n
