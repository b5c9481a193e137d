"""Exports for other programs: decisions as JSON lines or CSV.

Rows are read in keyset pages (by decision id), so an export of years of
decisions streams with flat memory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from bakso_tui.db.models import Decision, ReasonCode, Submission, User
from bakso_tui.domain.calendar import OFFICE_TZ
from bakso_tui.locale import language
from bakso_tui.locale.plain import dumps, visible

#: ``reason_code``: the catalogue's code (for programs); ``reason_label``: its name in
#: the user's language; ``reason``: the verifier's text; ``override_reason``: why an
#: approval passed over a missing requirement, a NIK mismatch or a possible duplicate.
DECISION_FIELDS = ("submission", "action", "actor", "at", "reason_code", "reason_label",
                   "reason", "override_reason")


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
    label = ReasonCode.name_en if language() == "en" else ReasonCode.name
    last = 0
    while True:
        stmt = (
            select(Decision.id, Submission.number, Decision.action, User.login, Decision.at,
                   Decision.reason_code, label.label("reason_label"), Decision.reason,
                   Decision.override_reason)
            .join(Submission, Submission.id == Decision.submission_id)
            .outerjoin(ReasonCode, ReasonCode.id == Decision.reason_code)
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
            yield {
                "submission": r.number,
                "action": r.action,
                "actor": r.login,
                # Office time with its offset (+08:00), as the screens show it.
                "at": r.at.astimezone(OFFICE_TZ).isoformat(timespec="seconds"),
                "reason_code": r.reason_code,
                "reason_label": r.reason_label,
                "reason": r.reason,
                "override_reason": r.override_reason,
            }
        last = rows[-1].id


#: A cell starting with one of these is a formula to Excel and LibreOffice (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A value as a CSV cell a spreadsheet shows as text: formulas get a leading quote."""
    text = "" if value is None else visible(value)  # no control character reaches a terminal
    return "'" + text if text.startswith(_FORMULA_START) else text


def write(rows: Iterator[dict], out: IO[str], fmt: str) -> int:
    n = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=DECISION_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: csv_cell(v) for k, v in row.items()})
            n += 1
    else:
        for row in rows:
            out.write(dumps(row) + "\n")
            n += 1
    return n
