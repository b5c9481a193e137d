"""A supervisor's writes on PostgreSQL: one call to an owner's function each.

With per-person database roles (``db/roles.py``) the supervisor group writes
no table itself: releasing or reassigning another's claim, the schedule's
teams, plans and days, and a batch's print, handover and receipt each go
through a ``SECURITY DEFINER`` function of migration 0016, which checks that
the caller is a supervisor (``bakso_require_supervisor``), does the writes
and appends the audit inside, in the caller's transaction. So do a day's
outcomes and the bookings an absence moves, which a verifier records too
(``bakso_bookings_outcome``, ``bakso_bookings_move``: a verifier or a
supervisor, as itself), and a day's list marked listed (any account). The rules stay in
Python (``domain/claims.py``, ``domain/schedule``, ``domain/batches``): they
decide what is written and build the audit rows (``audit.records``); the
function checks the authority and the rows' actions, and writes.

The same functions run on PostgreSQL without per-person roles (then with the
caller's rights), so one path is tested everywhere; SQLite writes directly.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bakso_tui.domain import audit
from bakso_tui.errors import Refusal
from bakso_tui.locale import t


class ServerRefusal(Refusal):
    """The owner's function refused (not a supervisor, or a rule it holds)."""


def on_server(session: Session) -> bool:
    """Do a supervisor's writes go through the owner's functions here?"""
    return session.get_bind().dialect.name == "postgresql"


def call(session: Session, statement: str, *, rows: list[dict[str, Any]] | None = None,
         **params: Any) -> Any:
    """Run one owner's function (`statement`, with ``:audit`` for `rows` when
    given) and return its scalar; a refusal (SQLSTATE 42501, 22023) as one line."""
    if rows is not None:
        params["audit"] = audit.records(rows)
    try:
        return session.execute(text(statement), params).scalar()
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) in ("42501", "22023"):
            reason = str(exc.orig).strip().splitlines()[0]
            raise ServerRefusal(t("users.db_refused", reason=reason)) from None
        raise


def next_id(session: Session, table: str) -> int:
    """The id the next row of `table` gets (its sequence: every group may use
    it), so the audit rows Python builds can name a row the function inserts."""
    return session.execute(text("SELECT nextval(pg_get_serial_sequence(:t, 'id'))"),
                           {"t": table}).scalar_one()
