"""Who holds what: the claims a supervisor sees on the claims screen.

Each held claim with its holder, since when (the newest claim or
reassignment in the audit log, read for the held rows only through
``ix_audit_log_target``), and its lease. :func:`why_not_held` says in one line
why a claim a supervisor saw is no longer there to release or reassign
(decided a moment ago, back in the queue, taken by someone else).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bakso_tui.db.models import AuditEntry, Submission, User, Village, state_in
from bakso_tui.domain.users import Actor, Permission, require
from bakso_tui.domain.workflow import State
from bakso_tui.locale import t

CLAIM_ACTIONS = ("submission.claim", "submission.reassign")


@dataclass(frozen=True)
class HeldClaim:
    submission_id: int
    number: str
    holder_login: str
    holder_name: str
    village_name: str
    service_id: str
    since: datetime | None
    expires_at: datetime
    token: int

    def lease_left(self, now: datetime) -> timedelta:
        return max(self.expires_at - now, timedelta(0))


def held_claims(session: Session, actor: Actor, *, limit: int = 500) -> list[HeldClaim]:
    """Every claim held now (expired leases too, until someone takes them),
    the longest held first. A supervisor's view (`Permission.CLAIM_RELEASE`)."""
    require(actor, Permission.CLAIM_RELEASE)
    rows = session.execute(
        select(Submission.id, Submission.number, User.login, User.name, Village.name.label("village"),
               Submission.service_id, Submission.claim_expires_at, Submission.claim_token)
        .join(User, User.id == Submission.claim_holder_id)
        .join(Village, Village.code == Submission.village_code)
        .where(state_in(State.CLAIMED))
        .order_by(Submission.claim_expires_at, Submission.id).limit(limit)).all()
    since: dict[str, datetime] = {}
    if rows:
        since = dict(session.execute(
            select(AuditEntry.target_id, func.max(AuditEntry.at))
            .where(AuditEntry.target_type == "submission",
                   AuditEntry.target_id.in_([str(r.id) for r in rows]),
                   AuditEntry.action.in_(CLAIM_ACTIONS))
            .group_by(AuditEntry.target_id)).all())
    held = [HeldClaim(r.id, r.number or "", r.login, r.name, r.village, r.service_id,
                      since.get(str(r.id)), r.claim_expires_at, r.claim_token) for r in rows]
    return sorted(held, key=lambda c: (c.since is not None, c.since or c.expires_at))


def why_not_held(session: Session, submission_id: int, seen_token: int | None) -> str:
    """Why a supervisor's release or reassignment of a claim found nothing to change."""
    row = session.execute(
        select(Submission.state, Submission.claim_token, User.login)
        .outerjoin(User, User.id == Submission.claim_holder_id)
        .where(Submission.id == submission_id)).first()
    if row is None:
        return t("claim.unknown")
    if row.state not in (State.QUEUED.value, State.CLAIMED.value):
        return t("claim.closed", state=row.state)
    if row.state == State.QUEUED.value:
        return t("claim.not_claimed")
    if seen_token is not None and row.claim_token != seen_token:
        return t("claim.changed", login=row.login or "?")
    return t("claim.not_claimed")


def why_not_free(session: Session, submission_id: int) -> str:
    """Why a submission asked for by number could not be claimed, in one line:
    held by someone (until when), already closed, or taken this very moment."""
    from bakso_tui.domain.calendar import OFFICE_TZ

    row = session.execute(
        select(Submission.state, Submission.claim_expires_at, User.login)
        .outerjoin(User, User.id == Submission.claim_holder_id)
        .where(Submission.id == submission_id)
    ).first()
    if row is not None and row.state == State.CLAIMED.value:
        until = row.claim_expires_at
        return t("claim.held", login=row.login or "?",
                 until=until.astimezone(OFFICE_TZ).strftime("%H:%M") if until else "?")
    if row is not None and row.state not in (State.QUEUED.value, State.CLAIMED.value):
        return t("claim.closed", state=row.state)
    # Locked by a concurrent claimer this very moment (SKIP LOCKED skipped it).
    return t("claim.busy")
