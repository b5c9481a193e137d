"""Claiming work: leases with fencing tokens, so two verifiers never hold one submission.

A verifier claims a submission (a specific one, or the next free one in work
order) for ``lease_minutes``; the TUI renews the lease while the verifier works.
Every claim bumps the submission's ``claim_token``: a decision must present the
token it was given, so a verifier whose lease ran out (and was perhaps taken by
someone else) changes nothing and is told.

A claim is one ``UPDATE … RETURNING`` of the row its subquery picks. On
PostgreSQL the pick is ``SELECT … FOR UPDATE SKIP LOCKED`` (concurrent claimers
skip each other's rows, no row lock is held while a person thinks), and
:func:`claim_next` is one autocommit call to ``bakso_claim_next`` (migrations
0004, 0005). On SQLite (no SKIP LOCKED) the statement runs inside ``BEGIN
IMMEDIATE``, which serialises claimers on the database's write lock. With
per-person roles every other write here of a verifier's (a claim by number, a
renewal, a release, expiries, a decision) is a server function
(``verifier_pg.py``, migration 0015); the rules stay here and in ``decisions``.

A submission whose lease expired stays ``diverifikasi`` until somebody claims it
by its number (an expired lease is as good as free), or :func:`expire_leases`
returns it to the queue, which claim-next does when nothing else is free.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bakso_tui.db.changes import queue_changed
from bakso_tui.db.models import Decision, Submission, User, state_in
from bakso_tui.db.types import utcnow
from bakso_tui.domain import audit, definer
from bakso_tui.domain.claim_next_pg import claim_next_row
from bakso_tui.domain.claims_view import why_not_free, why_not_held
from bakso_tui.domain import verifier_pg
from bakso_tui.domain.decisions import record_decision
from bakso_tui.domain import users
from bakso_tui.domain.users import Actor, Permission, require, require_in
from bakso_tui.domain.workflow import DECISION_STATE, Action, State
from bakso_tui.errors import Refusal
from bakso_tui.locale import t


class ClaimError(Refusal):
    """A claim the rules refuse, in one line."""


class LeaseLost(ClaimError):
    """The caller no longer holds the submission: nothing was changed."""


@dataclass(frozen=True)
class Claim:
    submission_id: int
    token: int
    expires_at: datetime


DECIDED = frozenset(state.value for state in DECISION_STATE.values())


def _claimable(now: datetime):
    return or_(
        Submission.state == State.QUEUED.value,
        and_(Submission.state == State.CLAIMED.value, Submission.claim_expires_at < now),
    )


def claim(
    session: Session,
    actor: Actor,
    *,
    submission_id: int | None = None,
    lease_minutes: int = 15,
    now: datetime | None = None,
) -> Claim | None:
    """Claim `submission_id`, or the next free submission in work order.

    Returns None when the queue has nothing free. Claiming one's own live claim
    again renews it (same token). Raises ClaimError when somebody else holds it.
    """
    actor = require_in(session, actor, Permission.CLAIM)
    now = now or utcnow()
    expires = now + timedelta(minutes=lease_minutes)
    if submission_id is not None:
        own = session.execute(
            select(Submission.claim_holder_id, Submission.claim_token, Submission.claim_expires_at,
                   Submission.state)
            .where(Submission.id == submission_id)
        ).first()
        if own is None:
            raise ClaimError(t("claim.unknown"))
        if (own.state == State.CLAIMED.value and own.claim_holder_id == actor.id
                and own.claim_expires_at and own.claim_expires_at > now):
            return renew(session, actor, submission_id, own.claim_token,
                         lease_minutes=lease_minutes, now=now)

    if submission_id is None and session.get_bind().dialect.name == "postgresql":
        fast = _claim_next_pg(session, actor, expires, now)
        if fast is not None or not expire_leases(session, now=now):
            return fast
        return _claim_next_pg(session, actor, expires, now)
    if submission_id is not None and verifier_pg.in_use(session):
        token = verifier_pg.claim(session, actor, submission_id, expires, now)
        if token is None:
            return _nothing(session, submission_id, now)
        queue_changed(session)
        return Claim(submission_id, token, expires)
    values = dict(state=State.CLAIMED.value, claim_holder_id=actor.id, claim_expires_at=expires,
                  claim_token=Submission.claim_token + 1, updated_at=now)
    if submission_id is None:
        where = state_in(State.QUEUED)  # served by ix_submission_free
        before = State.QUEUED.value
    else:
        where = and_(Submission.id == submission_id, _claimable(now))
        before = session.scalar(select(Submission.state).where(Submission.id == submission_id))
    pick = (
        select(Submission.id)
        .where(where)
        .order_by(Submission.priority_rank, Submission.submitted_at, Submission.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Concurrent claimers skip each other's rows instead of queueing on them.
        pick = pick.with_for_update(skip_locked=True)
    # One statement: on SQLite inside BEGIN IMMEDIATE (the caller's write session),
    # on PostgreSQL a short transaction that never holds a row while a person thinks.
    take = (
        update(Submission)
        .where(Submission.id == pick.scalar_subquery())
        .values(**values)
        .returning(Submission.id, Submission.claim_token)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(take).first()
    if result is None and submission_id is None and expire_leases(session, now=now):
        result = session.execute(take).first()
    if result is None:
        return _nothing(session, submission_id, now)
    chosen, token = result.id, result.claim_token
    queue_changed(session)
    audit.append(session, actor=actor.login, action="submission.claim", target_type="submission",
                 target_id=chosen, from_state=before, to_state=State.CLAIMED.value,
                 details={"token": token}, at=now)
    return Claim(chosen, token, expires)


def claim_next(db, actor: Actor, *, lease_minutes: int = 15,
               now: datetime | None = None) -> Claim | None:
    """Claim the next free submission in a transaction of its own.

    On PostgreSQL this is one autocommit statement (``bakso_claim_next``): the
    row lock on the audit chain's head is released inside the server, never
    held while a client process waits for its turn on the CPU. Elsewhere it is
    :func:`claim` in a write session.
    """
    require(actor, Permission.CLAIM)
    now = now or utcnow()
    if not db.is_postgresql:
        with db.write() as session:
            return claim(session, actor, lease_minutes=lease_minutes, now=now)
    expires = now + timedelta(minutes=lease_minutes)
    try:
        with db.step() as conn:
            taken = _claim_next_pg(conn, actor, expires, now)
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == "42501":  # the server refused the caller
            with db.read() as session:
                users.refused_by_server(session, actor, Permission.CLAIM, exc)
        if not exc.connection_invalidated:
            raise
        with db.step() as conn:  # the server restarted since the last claim: once more
            taken = _claim_next_pg(conn, actor, expires, now)
    if taken is not None:
        return taken
    with db.write() as session:  # nothing free: return expired leases, then try once more
        if not expire_leases(session, now=now):
            return None
        return claim(session, actor, lease_minutes=lease_minutes, now=now)


def _claim_next_pg(session: Session | Connection, actor: Actor, expires: datetime,
                   now: datetime) -> Claim | None:
    """Claim-next on PostgreSQL: one call to bakso_claim_next (``claim_next_pg.py``)."""
    row = claim_next_row(session, actor, expires, now)
    return Claim(row[0], row[1], expires) if row else None


def _nothing(session: Session, submission_id: int | None, now: datetime) -> None:
    if submission_id is None:
        return None
    raise ClaimError(why_not_free(session, submission_id))


def _back_to_queue(now: datetime) -> dict:
    return dict(state=State.QUEUED.value, claim_holder_id=None, claim_expires_at=None,
                updated_at=now)


def _holding(actor: Actor, submission_id: int, token: int, now: datetime):
    return and_(
        Submission.id == submission_id,
        Submission.state == State.CLAIMED.value,
        Submission.claim_holder_id == actor.id,
        Submission.claim_token == token,
        Submission.claim_expires_at > now,
    )


def renew(
    session: Session,
    actor: Actor,
    submission_id: int,
    token: int,
    *,
    lease_minutes: int = 15,
    now: datetime | None = None,
) -> Claim:
    """Extend a live lease; LeaseLost if it is no longer ours (or the account
    was disabled: its claims went back to the queue then)."""
    actor = require_in(session, actor, Permission.CLAIM, lost=LeaseLost)
    now = now or utcnow()
    expires = now + timedelta(minutes=lease_minutes)
    if verifier_pg.in_use(session):
        done = verifier_pg.renew(session, actor, submission_id, token, expires, now)
    else:
        done = session.execute(
            update(Submission)
            .where(_holding(actor, submission_id, token, now))
            .values(claim_expires_at=expires)
            .execution_options(synchronize_session=False)
        ).rowcount == 1
    if not done:
        raise LeaseLost(t("claim.lost"))
    return Claim(submission_id, token, expires)


def still_held(session: Session, actor: Actor, submission_id: int, token: int, *,
               now: datetime | None = None) -> bool:
    """Whether `actor` still holds this claim: a read, for a screen that heard the
    queue change (a supervisor may have released or reassigned it)."""
    return session.execute(
        select(Submission.id).where(_holding(actor, submission_id, token, now or utcnow()))
    ).first() is not None


def release(session: Session, actor: Actor, submission_id: int, token: int | None = None, *,
            now: datetime | None = None, seen_token: int | None = None) -> None:
    """Give a submission back to the queue.

    The holder releases with their token; a supervisor may release anybody's
    claim (token None), only the claim they saw when `seen_token` is given.
    """
    now = now or utcnow()
    if token is None:
        actor = require_in(session, actor, Permission.CLAIM_RELEASE)
        if definer.on_server(session):  # the owner's function writes and audits
            if not definer.call(session, "SELECT bakso_claim_release_other(:actor, :id,"
                                " :seen, :at)", actor=actor.login, id=submission_id,
                                seen=seen_token, at=now):
                raise ClaimError(why_not_held(session, submission_id, seen_token))
            return queue_changed(session)
        cond = and_(Submission.id == submission_id, Submission.state == State.CLAIMED.value)
        if seen_token is not None:
            cond = and_(cond, Submission.claim_token == seen_token)
    else:
        if verifier_pg.in_use(session):  # the server appends the audit row
            if verifier_pg.release(session, actor, submission_id, token, now):
                queue_changed(session)
            return
        cond = and_(Submission.id == submission_id, Submission.state == State.CLAIMED.value,
                    Submission.claim_holder_id == actor.id, Submission.claim_token == token)
    done = session.execute(
        update(Submission)
        .where(cond)
        .values(**_back_to_queue(now))
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        if token is None:
            raise ClaimError(why_not_held(session, submission_id, seen_token))
        return  # already not ours: releasing is idempotent
    queue_changed(session)
    audit.append(session, actor=actor.login, action="submission.release",
                 target_type="submission", target_id=submission_id,
                 from_state=State.CLAIMED.value, to_state=State.QUEUED.value, at=now)


def reassign(session: Session, actor: Actor, submission_id: int, to_login: str, *,
             lease_minutes: int = 15, now: datetime | None = None,
             seen_token: int | None = None) -> Claim:
    """A supervisor hands a submission to another (active) verifier, with a
    new token; only the claim they saw when `seen_token` is given."""
    actor = require_in(session, actor, Permission.CLAIM_RELEASE)
    now = now or utcnow()
    target = session.scalar(select(User).where(User.login == to_login))
    if target is None:
        raise ClaimError(t("users.unknown", login=to_login))
    if not target.active:
        raise ClaimError(t("claim.to_disabled", login=to_login))
    if not Actor(login=target.login, role=target.role, id=target.id).can(Permission.CLAIM):
        raise ClaimError(t("claim.cannot_verify", login=to_login))
    expires = now + timedelta(minutes=lease_minutes)
    if definer.on_server(session):  # the owner's function writes and audits
        token = definer.call(session, "SELECT bakso_claim_reassign(:actor, :id, :to, :seen,"
                             " :expires, :at)", actor=actor.login, id=submission_id,
                             to=to_login, seen=seen_token, expires=expires, at=now)
        if token is None:
            raise ClaimError(t("claim.not_open") if seen_token is None
                             else why_not_held(session, submission_id, seen_token))
        queue_changed(session)
        return Claim(submission_id, token, expires)
    row = session.execute(
        update(Submission)
        .where(Submission.id == submission_id,
               Submission.state.in_([State.QUEUED.value, State.CLAIMED.value])
               if seen_token is None else
               and_(Submission.state == State.CLAIMED.value,
                    Submission.claim_token == seen_token))
        .values(state=State.CLAIMED.value, claim_holder_id=target.id, claim_expires_at=expires,
                claim_token=Submission.claim_token + 1, updated_at=now)
        .returning(Submission.claim_token)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        raise ClaimError(t("claim.not_open") if seen_token is None
                         else why_not_held(session, submission_id, seen_token))
    queue_changed(session)
    audit.append(session, actor=actor.login, action="submission.reassign",
                 target_type="submission", target_id=submission_id,
                 to_state=State.CLAIMED.value,
                 details={"to": to_login, "token": row.claim_token}, at=now)
    return Claim(submission_id, row.claim_token, expires)


def decide(
    session: Session,
    actor: Actor,
    submission_id: int,
    token: int,
    action: Action,
    *,
    reason_code: str | None = None,
    reason: str = "",
    override_reason: str = "",
    now: datetime | None = None,
):
    """A decision under a lease: refused (LeaseLost) unless the token still
    holds and the account is still active (re-read in this transaction)."""
    actor = require_in(session, actor, Permission.DECIDE, lost=LeaseLost)
    now = now or utcnow()
    server = verifier_pg.in_use(session)
    stmt = select(Submission).where(_holding(actor, submission_id, token, now))
    if server:  # the row locked by the owner's function, as FOR UPDATE does
        verifier_pg.hold(session, actor, submission_id, token, now)
    elif session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    submission = session.scalar(stmt)
    if submission is None:
        raise LeaseLost(t("claim.lost"))
    reasons = dict(reason_code=reason_code, reason=reason, override_reason=override_reason)
    if server:
        return verifier_pg.decide(session, actor, submission, action, token=token, at=now,
                                  lost=LeaseLost, **reasons)
    return record_decision(session, actor, submission, action, at=now, **reasons)


def decided_under(session: Session, actor: Actor, submission_id: int, token: int,
                  action: Action) -> State | None:
    """The state `actor` decided the submission to under fencing token `token`
    with `action`, if that decision is stored.

    The token changes only when a submission is claimed (or reassigned), and a
    decided submission is never claimed again. The decision's author is
    checked too: a claim lost in a server crash (claims commit without waiting
    for the disk, migration 0005) lets the next claimer get the same token.
    """
    row = session.execute(
        select(Submission.state, Submission.claim_token, Decision.actor_id, Decision.action)
        .join(Decision, Decision.submission_id == Submission.id)
        .where(Submission.id == submission_id)
    ).first()
    if (row is None or row.claim_token != token or row.actor_id != actor.id
            or row.action != action.value or row.state not in DECIDED):
        return None
    return State(row.state)


def decide_once(db, actor: Actor, submission_id: int, token: int, action: Action, *,
                now: datetime, patience: float = 30.0, on_lost=None, **reasons: str | None):
    """`decide` in a transaction of its own, stored exactly once: a lost
    connection is retried under the same token (and the same time), and a
    decision whose commit went through unacknowledged is found, not made twice
    (`once.write_once`). Raises `once.NotStored` when the database stayed away,
    `LeaseLost` when the claim is gone (nothing of this decision is stored)."""
    from bakso_tui.domain import once

    def change(session: Session) -> State:
        decide(session, actor, submission_id, token, action, now=now, **reasons)
        return DECISION_STATE[action]

    return once.write_once(
        db,
        change,
        stored=lambda session: decided_under(session, actor, submission_id, token, action),
        refusals=(LeaseLost,),
        patience=patience,
        on_lost=on_lost,
    )


def expire_leases(session: Session, *, now: datetime | None = None) -> int:
    """Return submissions whose lease ran out to the queue (ix_submission_lease)."""
    now = now or utcnow()
    if verifier_pg.in_use(session):  # the server appends the audit rows
        rows = verifier_pg.expire(session, now)
        if rows:
            queue_changed(session)
        return len(rows)
    expired = select(Submission.id).where(
        state_in(State.CLAIMED), Submission.claim_expires_at < now
    )
    if session.get_bind().dialect.name == "postgresql":
        expired = expired.with_for_update(skip_locked=True)
    rows = session.execute(
        update(Submission)
        .where(Submission.id.in_(expired.scalar_subquery()))
        .values(**_back_to_queue(now))
        .returning(Submission.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    if rows:
        queue_changed(session)
    for sid in rows:
        audit.append(session, actor="system", action="submission.lease_expired",
                     target_type="submission", target_id=sid, from_state=State.CLAIMED.value,
                     to_state=State.QUEUED.value, at=now)
    return len(rows)


__all__ = ["Claim", "ClaimError", "LeaseLost", "claim", "claim_next", "decide", "decide_once",
           "decided_under", "expire_leases", "reassign", "release", "renew"]
