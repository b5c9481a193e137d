"""Accounts, roles and what each role may do.

Role checks live in the rules layer (the table and :func:`require` in
``domain/permissions.py``): a screen that forgets to hide a key still cannot
make a verifier release somebody else's claim, because the rule function
itself calls :func:`require` (or :func:`require_in`, which reads the account
again).

Who is at the keyboard: the TUI takes the login from the kernel's uid
(``pwd.getpwuid(os.getuid())``), never from ``$USER``/``$LOGNAME``. Switching to
another account needs that account's password (argon2id), except for the demo's
own accounts on a demo database (``domain/demo_mode.py``), where the switch is
free and the screen says so.

The command line (``bakso users …``) acts as ``cli:<os login>``: whoever holds
the database URL and its credentials already controls the database, so these
commands are the operator's tools, and every change they make is audited.

On PostgreSQL with per-person roles (``bakso db roles``, ``db/roles.py``) the
database is the boundary: who acts is the account whose login role is
``session_user`` (:func:`session_account`), never the OS login; the TUI and
the command line open as that account, and a role with no account acts as
``cli:<role>`` with what the database lets that role do (a superuser: all).
Account changes there go through the server's functions (``bakso_user_add``
and the others, migration 0013), which make, lock and set the password of the
login role in the same transaction as the row.

Every write re-reads its actor's role and ``active`` inside its own
transaction (:func:`require_in`): a disabled account's open TUI can do
nothing more, and disabling releases its claims at once.
"""

from __future__ import annotations

import re
from functools import cache

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from bakso_tui.db import roles as db_roles
from bakso_tui.db.models import Submission, User
from bakso_tui.db.types import utcnow
from bakso_tui.domain import audit
from bakso_tui.domain.permissions import (  # noqa: F401 - also said as users.Permission, …
    ROLE_PERMISSIONS,
    Actor,
    Permission,
    PermissionDenied,
    Role,
    UserInfo,
    os_login,
    require,
    sees_full_nik,
)
from bakso_tui.errors import Refusal
from bakso_tui.locale import t


LOGIN_RE = re.compile(r"^[a-z_][a-z0-9_.-]{0,63}$")


@cache
def _hasher():
    """argon2id with the library's recommended parameters, imported on first use
    (a session signed in by its system login never needs it)."""
    from argon2 import PasswordHasher

    return PasswordHasher()


class UserError(Refusal):
    """A refused account operation or login, in one line."""


def require_in(session: Session, actor: Actor, permission: Permission, *,
               lost: type[Refusal] | None = None) -> Actor:
    """`require`, on the account as it is now: its role and ``active`` read
    again inside the caller's transaction. A disabled account (or one whose
    role no longer has `permission`) is refused, whatever it was at sign-in;
    as `lost` if given (a holder whose claims went back when it was disabled
    is told so as a lost lease). The command line's system actor (no account)
    is checked by `require` only."""
    require(actor, permission)
    if actor.id is None:
        return actor
    row = session.execute(select(User.role, User.active).where(User.id == actor.id)).first()
    if row is None:
        raise UserError(t("users.unknown", login=actor.login))
    if not row.active:
        raise (lost or UserError)(t("users.disabled", login=actor.login))
    actor = Actor(login=actor.login, role=row.role, id=actor.id, name=actor.name)
    require(actor, permission)
    return actor


def refused_by_server(session: Session, actor: Actor, permission: Permission, exc) -> None:
    """The server's functions refused `actor` (SQLSTATE 42501): say why in the
    rules' words (disabled, no longer allowed), else in the server's."""
    require_in(session, actor, permission)
    raise UserError(t("users.db_refused", reason=str(exc.orig).strip().splitlines()[0])) from None


def cli_actor() -> Actor:
    return Actor(login=f"cli:{os_login()}", role="system")


def roles_in_use(session: Session) -> bool:
    """Does the database know its people by their login roles (PostgreSQL
    after ``bakso db roles``)?"""
    return db_roles.role_prefix(session.connection()) is not None


def session_account(session: Session) -> UserInfo | None:
    """The account whose login role this connection is (``session_user``)."""
    role = db_roles.session_role(session.connection())
    user = session.scalar(select(User).where(User.db_role == role))
    return _info(user) if user else None


def command_line_actor(session: Session) -> Actor:
    """Who a command acts as: with per-person database roles, the account of
    ``session_user`` (else ``cli:<role>``, bounded by that role's grants);
    otherwise the account of the OS login when there is one (a verifier who
    logs in to the server acts as that verifier, and the rules refuse what the
    role may not do), else the system (the server's administrator,
    ``cli:<login>``). A disabled account may do nothing."""
    if roles_in_use(session):
        account = session_account(session)
        if account is None:
            return Actor(login=f"cli:{db_roles.session_role(session.connection())}",
                         role="system")
        if not account.active:
            raise UserError(t("users.disabled", login=account.login))
        return account.actor()
    login = os_login()
    user = session.scalar(select(User).where(User.login == login))
    if user is None:
        return cli_actor()
    if not user.active:
        raise UserError(t("users.disabled", login=login))
    return Actor(login=user.login, role=user.role, id=user.id)


def _info(user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        login=user.login,
        name=user.name,
        role=user.role,
        active=user.active,
        has_password=bool(user.has_password),
        db_role=user.db_role,
    )


def get_user(session: Session, login: str) -> UserInfo | None:
    user = session.scalar(select(User).where(User.login == login))
    return _info(user) if user else None


def list_users(session: Session) -> list[UserInfo]:
    return [_info(u) for u in session.scalars(select(User).order_by(User.login))]


def verifiers(session: Session) -> list[UserInfo]:
    """Active accounts that may hold a claim: who a supervisor can hand work to."""
    return [u for u in list_users(session)
            if u.active and Actor(login=u.login, role=u.role, id=u.id).can(Permission.CLAIM)]


def add_user(
    session: Session,
    actor: Actor,
    *,
    login: str,
    name: str,
    role: str,
    password: str | None = None,
    now=None,
) -> UserInfo:
    """A new account; with per-person database roles also its login role
    ``<prefix><login>`` in the role's group (and, with `password`, that role's
    password, as a SCRAM verifier), in the same transaction."""
    actor = require_in(session, actor, Permission.USERS)
    if not LOGIN_RE.match(login):
        raise UserError(t("users.bad_login", login=login))
    if role not in {r.value for r in Role}:
        raise UserError(t("users.bad_role", role=role, roles=", ".join(r.value for r in Role)))
    if not name.strip():
        raise UserError(t("users.no_name"))
    if session.scalar(select(User.id).where(User.login == login)) is not None:
        raise UserError(t("users.exists", login=login))
    if password is not None:
        check_password(password)
    password_hash = _hasher().hash(password) if password else None
    now = now or utcnow()
    if session.get_bind().dialect.name == "postgresql":
        prefix = db_roles.role_prefix(session.connection())
        if prefix is not None and len((prefix + login).encode()) > 63:
            raise UserError(t("users.login_too_long", login=login, limit=63 - len(prefix)))
        _server(session, "SELECT bakso_user_add(:actor, :login, :name, :role, :hash, :scram, :at)",
                actor=actor.login, login=login, name=name.strip(), role=role, hash=password_hash,
                scram=db_roles.scram_verifier(password) if password else None, at=now)
        session.expire_all()
        return _info(session.scalar(select(User).where(User.login == login)))
    user = User(
        login=login,
        name=name.strip(),
        role=role,
        active=True,
        password_hash=password_hash,
        created_at=now,
    )
    session.add(user)
    session.flush()
    audit.append(
        session,
        actor=actor.login,
        action="user.add",
        target_type="user",
        target_id=login,
        to_state="active",
        details={"role": role},
        at=now,
    )
    return _info(user)


def _server(session: Session, statement: str, **params):
    """One of the server's account functions; its refusal as one line."""
    from sqlalchemy.exc import DBAPIError

    try:
        return session.execute(text(statement), params).scalar()
    except DBAPIError as exc:
        state = getattr(exc.orig, "sqlstate", None)
        if state in ("42501", "42710", "22023"):
            reason = str(exc.orig).strip().splitlines()[0]
            raise UserError(t("users.db_refused", reason=reason)) from None
        raise


def _load(session: Session, login: str) -> User:
    """The account, locked for the change (on PostgreSQL the server's account
    function locks it: a role without UPDATE on ``app_user`` may not lock rows)."""
    stmt = select(User).where(User.login == login)
    if session.get_bind().dialect.name != "postgresql":
        stmt = stmt.with_for_update()
    user = session.scalar(stmt)
    if user is None:
        raise UserError(t("users.unknown", login=login))
    return user


def _keep_a_supervisor(session: Session, user: User) -> None:
    """Refuse taking away the last active supervisor: nobody could manage
    accounts, claims or the schedule from the back office any more. The
    supervisors' rows are locked first (PostgreSQL), so two supervisors
    disabling each other at once cannot both succeed."""
    if user.role != Role.SUPERVISOR or not user.active:
        return
    stmt = select(User.id).where(User.role == Role.SUPERVISOR.value, User.active.is_(True))
    if session.get_bind().dialect.name == "postgresql" and not roles_in_use(session):
        # (With per-person roles nobody may lock account rows; the server's
        # functions write them, and this check is a read there.)
        stmt = stmt.order_by(User.id).with_for_update()
    if len(session.scalars(stmt).all()) <= 1:
        raise UserError(t("users.last_supervisor", login=user.login))


def disable_user(session: Session, actor: Actor, login: str, *, now=None) -> UserInfo:
    """Disable an account (never one's own, never the last active supervisor):
    it can sign in no more, its login role loses its group and LOGIN, and the
    submissions it holds go back to the queue now (each release audited). Its
    open sessions can decide nothing more: every write re-reads ``active``
    (:func:`require_in`)."""
    actor = require_in(session, actor, Permission.USERS)
    if login == actor.login:
        raise UserError(t("users.disable_self", login=login))
    user = _load(session, login)
    if not user.active:
        return _info(user)
    _keep_a_supervisor(session, user)
    now = now or utcnow()
    if session.get_bind().dialect.name == "postgresql":
        _server(session, "SELECT bakso_user_disable(:actor, :login, :at)",
                actor=actor.login, login=login, at=now)
        session.expire_all()
        return _info(_load(session, login))
    user.active = False
    audit.append(
        session,
        actor=actor.login,
        action="user.disable",
        target_type="user",
        target_id=login,
        from_state="active",
        to_state="disabled",
        at=now,
    )
    held = session.execute(
        update(Submission)
        .where(Submission.claim_holder_id == user.id, Submission.state == "diverifikasi")
        .values(state="diajukan", claim_holder_id=None, claim_expires_at=None, updated_at=now)
        .returning(Submission.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    for submission_id in sorted(held):
        audit.append(session, actor=actor.login, action="submission.release",
                     target_type="submission", target_id=submission_id,
                     from_state="diverifikasi", to_state="diajukan",
                     details={"disabled": login}, at=now)
    return _info(user)


def set_role(session: Session, actor: Actor, login: str, role: str, *, now=None) -> UserInfo:
    """Give an account another role: never one's own, and the last active
    supervisor stays a supervisor. On PostgreSQL through the server's
    ``bakso_user_role`` (migration 0016), which with per-person database roles
    also moves the login role to the new role's group, in the same transaction."""
    actor = require_in(session, actor, Permission.USERS)
    if role not in {r.value for r in Role}:
        raise UserError(t("users.bad_role", role=role, roles=", ".join(r.value for r in Role)))
    if login == actor.login:
        raise UserError(t("users.role_self", login=login))
    user = _load(session, login)
    if user.role == role:
        return _info(user)
    if role != Role.SUPERVISOR:
        _keep_a_supervisor(session, user)
    now = now or utcnow()
    if session.get_bind().dialect.name == "postgresql":
        _server(session, "SELECT bakso_user_role(:actor, :login, :role, :at)",
                actor=actor.login, login=login, role=role, at=now)
        session.expire_all()
        return _info(_load(session, login))
    before = user.role
    user.role = role
    audit.append(session, actor=actor.login, action="user.role", target_type="user",
                 target_id=login, from_state=before, to_state=role, at=now)
    return _info(user)


MIN_PASSWORD = 8


def check_password(password: str) -> None:
    """A password an office may rely on: at least :data:`MIN_PASSWORD` characters."""
    if len(password) < MIN_PASSWORD:
        raise UserError(t("users.short_password", minimum=MIN_PASSWORD))


def set_password(session: Session, actor: Actor, login: str, password: str, *,
                 now=None) -> None:
    """Set an account's password; with per-person database roles also its
    login role's (as a SCRAM verifier: the server never sees the password)."""
    actor = require_in(session, actor, Permission.USERS)
    check_password(password)
    user = _load(session, login)
    password_hash = _hasher().hash(password)
    now = now or utcnow()
    if session.get_bind().dialect.name == "postgresql":
        _server(session, "SELECT bakso_user_password(:actor, :login, :hash, :scram, :at)",
                actor=actor.login, login=login, hash=password_hash,
                scram=db_roles.scram_verifier(password), at=now)
        return
    session.execute(update(User).where(User.id == user.id).values(password_hash=password_hash))
    audit.append(
        session, actor=actor.login, action="user.password", target_type="user", target_id=login,
        at=now,
    )


def authenticate(
    session: Session,
    *,
    system_login: str,
    requested: str | None,
    password: str | None,
    demo: bool,
) -> UserInfo:
    """The account that opens the TUI, or `UserError` with one line saying why not.

    Without ``requested`` (or with the same login) the OS login is the account.
    Another account needs its password, unless ``demo`` says this account
    switches without one (``demo_mode.switches_without_password``).
    """
    login = requested or system_login
    user = session.scalar(select(User).where(User.login == login))
    if user is None:
        raise UserError(t("users.unknown", login=login))
    if not user.active:
        raise UserError(t("users.disabled", login=login))
    if login != system_login and not demo:
        if not user.has_password:
            raise UserError(t("users.no_password", login=login))
        if not password:
            raise UserError(t("users.password_needed", login=login))
        from argon2 import exceptions as argon2_errors

        # Read alone, here only (SQLite, or PostgreSQL without per-person roles,
        # where the program signs people in; with them no login role reads it).
        stored = session.scalar(select(User.password_hash).where(User.id == user.id))
        try:
            _hasher().verify(stored, password)
        except (argon2_errors.VerificationError, argon2_errors.InvalidHashError):
            raise UserError(t("users.wrong_password", login=login)) from None
    return _info(user)
