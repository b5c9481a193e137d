"""A verifier's writes on PostgreSQL with per-person roles: the owner's functions.

There the verifier group may not INSERT or UPDATE any table (``db/roles.py``);
claiming a submission, renewing and releasing its lease, returning expired
leases and deciding are calls to the ``SECURITY DEFINER`` functions of
migration 0015, which check the caller (its account, its group, the claim and
its fencing token) and write with the audit rows in the caller's transaction.
The rules stay in Python: ``claims.py`` and ``decisions.weigh`` work out what
to write, these functions only send it. On SQLite and on a PostgreSQL without
per-person roles (:func:`in_use` False) ``claims.py`` writes it itself.

Claim-next is ``bakso_claim_next`` on every PostgreSQL (``claim_next_pg.py``).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bakso_tui.db.changes import queue_changed
from bakso_tui.db.models import Decision, Submission
from bakso_tui.domain.decisions import weigh
from bakso_tui.domain.permissions import Actor
from bakso_tui.domain.workflow import Action
from bakso_tui.locale import t

#: SQLSTATE of ``bakso_decide`` when the caller does not hold the claim under
#: its token (any more): the lease was lost, nothing was changed.
NOT_HELD = "BK001"


def in_use(session: Session) -> bool:
    """Do the verifier's writes go through the server's functions here?"""
    if session.get_bind().dialect.name != "postgresql":
        return False
    from bakso_tui.domain.users import roles_in_use

    return roles_in_use(session)


def _call(session: Session, statement: str, **params):
    return session.execute(text(statement), params)


def claim(session: Session, actor: Actor, submission_id: int, expires: datetime,
          now: datetime) -> int | None:
    """Claim a free (or expired) submission: its new fencing token, or None."""
    return _call(session, "SELECT bakso_claim(:user, :login, :sid, :expires, :at)",
                 user=actor.id, login=actor.login, sid=submission_id, expires=expires,
                 at=now).scalar()


def renew(session: Session, actor: Actor, submission_id: int, token: int, expires: datetime,
          now: datetime) -> bool:
    return bool(_call(session, "SELECT bakso_renew(:user, :login, :sid, :token, :expires, :at)",
                      user=actor.id, login=actor.login, sid=submission_id, token=token,
                      expires=expires, at=now).scalar())


def hold(session: Session, actor: Actor, submission_id: int, token: int, now: datetime) -> bool:
    """Lock the holder's claim for a decision (the row before the audit's lock)."""
    return bool(_call(session, "SELECT bakso_hold(:user, :login, :sid, :token, :at)",
                      user=actor.id, login=actor.login, sid=submission_id, token=token,
                      at=now).scalar())


def release(session: Session, actor: Actor, submission_id: int, token: int,
            now: datetime) -> bool:
    return bool(_call(session, "SELECT bakso_release(:user, :login, :sid, :token, :at)",
                      user=actor.id, login=actor.login, sid=submission_id, token=token,
                      at=now).scalar())


def expire(session: Session, now: datetime) -> list[int]:
    return list(_call(session, "SELECT submission_id FROM bakso_expire_leases(:at)",
                      at=now).scalars())


def decide(session: Session, actor: Actor, submission: Submission, action: Action, *,
           token: int, at: datetime, lost: type[Exception], **reasons) -> Decision:
    """`decisions.weigh` the decision, then write it through ``bakso_decide``.
    An approval whose documents wait for recording books its day as the
    schedule's rules place it (``schedule.booking.plan_after_approval``), in
    the same call. `lost` is raised when the server finds the claim no longer
    the caller's (lost between the look and the write: nothing was changed)."""
    outcome = weigh(session, submission, action, **reasons)
    booking = None
    if action is Action.APPROVE:
        from bakso_tui.domain.schedule.booking import plan_after_approval

        booking = plan_after_approval(session, submission, at=at)
    try:
        decision = _call(
            session,
            "SELECT bakso_decide(:user, :login, :sid, :token, :action, :code, :reason, :override,"
            " :overridden, :documents, :document_state, CAST(:booking AS json), :at)",
            user=actor.id, login=actor.login, sid=submission.id, token=token,
            action=action.value, code=outcome.reason_code, reason=outcome.reason,
            override=outcome.override_reason, overridden=list(outcome.overridden),
            documents=list(outcome.documents), document_state=outcome.document_state,
            booking=json.dumps(booking) if booking is not None else None, at=at,
        ).scalar_one()
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == NOT_HELD:
            raise lost(t("claim.lost")) from None
        raise
    queue_changed(session)
    session.expire_all()
    return session.get(Decision, decision)


__all__ = ["NOT_HELD", "claim", "decide", "expire", "hold", "in_use", "release", "renew"]
