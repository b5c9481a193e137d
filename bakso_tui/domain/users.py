"""Accounts, roles and what each role may do.

Role checks live here, in the rules layer: a screen that forgets to hide a key
still cannot make a verifier release somebody else's claim, because the rule
function itself calls :func:`require`.

Who is at the keyboard: the TUI takes the login from the kernel's uid
(``pwd.getpwuid(os.getuid())``), never from ``$USER``/``$LOGNAME``. Switching to
another account needs that account's password (argon2id), except on a database
that ``bakso demo`` made, where the switch is free and the screen says so.

The command line (``bakso users …``) acts as ``cli:<os login>``: whoever holds
the database URL and its credentials already controls the database, so these
commands are the operator's tools, and every change they make is audited.
"""

from __future__ import annotations

import os
import pwd
import re
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bakso_tui.db.models import User
from bakso_tui.domain import audit
from bakso_tui.locale import t


class Role(StrEnum):
    VERIFIER = "verifier"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Permission(StrEnum):
    QUEUE_VIEW = "queue.view"
    CLAIM = "submission.claim"
    DECIDE = "submission.decide"
    ATTACHMENT_VIEW = "attachment.view"
    CLAIM_RELEASE = "claim.release"  # release or reassign someone else's claim
    DASHBOARD = "dashboard.view"
    SCHEDULE = "schedule.manage"
    BATCH = "batch.manage"
    USERS = "users.manage"
    AUDIT = "audit.view"


_VERIFIER = frozenset(
    {Permission.QUEUE_VIEW, Permission.CLAIM, Permission.DECIDE, Permission.ATTACHMENT_VIEW}
)
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VERIFIER: _VERIFIER,
    # Kepala seksi / kepala bidang: verifies too, and runs the floor.
    Role.SUPERVISOR: _VERIFIER
    | {
        Permission.CLAIM_RELEASE,
        Permission.DASHBOARD,
        Permission.SCHEDULE,
        Permission.BATCH,
        Permission.USERS,
        Permission.AUDIT,
    },
    # The office's IT administrator: accounts and the audit, not residents' files.
    Role.ADMIN: frozenset(
        {Permission.QUEUE_VIEW, Permission.DASHBOARD, Permission.USERS, Permission.AUDIT}
    ),
}

LOGIN_RE = re.compile(r"^[a-z_][a-z0-9_.-]{0,63}$")
_hasher = PasswordHasher()  # argon2id with the library's recommended parameters


@dataclass(frozen=True)
class Actor:
    """Who does something: an account of the office, or the command line."""

    login: str
    role: str
    id: int | None = None
    name: str = ""

    @property
    def is_system(self) -> bool:
        return self.role == "system"

    def can(self, permission: Permission) -> bool:
        if self.is_system:
            return True
        try:
            return permission in ROLE_PERMISSIONS[Role(self.role)]
        except ValueError:
            return False


@dataclass(frozen=True)
class UserInfo:
    id: int
    login: str
    name: str
    role: str
    active: bool
    has_password: bool

    def actor(self) -> Actor:
        return Actor(login=self.login, role=self.role, id=self.id, name=self.name)


class PermissionDenied(Exception):
    def __init__(self, actor: Actor, permission: Permission) -> None:
        super().__init__(
            t("users.denied", login=actor.login, role=actor.role, permission=permission.value)
        )
        self.permission = permission


class UserError(Exception):
    """A refused account operation or login, in one line."""


def require(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        raise PermissionDenied(actor, permission)


def os_login() -> str:
    """The login of the kernel's uid: not `$USER`, which anyone can set."""
    return pwd.getpwuid(os.getuid()).pw_name


def cli_actor() -> Actor:
    return Actor(login=f"cli:{os_login()}", role="system")


def _info(user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        login=user.login,
        name=user.name,
        role=user.role,
        active=user.active,
        has_password=bool(user.password_hash),
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
) -> UserInfo:
    require(actor, Permission.USERS)
    if not LOGIN_RE.match(login):
        raise UserError(t("users.bad_login", login=login))
    if role not in {r.value for r in Role}:
        raise UserError(t("users.bad_role", role=role, roles=", ".join(r.value for r in Role)))
    if not name.strip():
        raise UserError(t("users.no_name"))
    if session.scalar(select(User.id).where(User.login == login)) is not None:
        raise UserError(t("users.exists", login=login))
    user = User(
        login=login,
        name=name.strip(),
        role=role,
        active=True,
        password_hash=_hasher.hash(password) if password else None,
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
    )
    return _info(user)


def _load(session: Session, login: str) -> User:
    user = session.scalar(select(User).where(User.login == login).with_for_update())
    if user is None:
        raise UserError(t("users.unknown", login=login))
    return user


def disable_user(session: Session, actor: Actor, login: str) -> UserInfo:
    require(actor, Permission.USERS)
    user = _load(session, login)
    if not user.active:
        return _info(user)
    user.active = False
    audit.append(
        session,
        actor=actor.login,
        action="user.disable",
        target_type="user",
        target_id=login,
        from_state="active",
        to_state="disabled",
    )
    return _info(user)


def set_password(session: Session, actor: Actor, login: str, password: str) -> None:
    require(actor, Permission.USERS)
    if len(password) < 8:
        raise UserError(t("users.short_password"))
    user = _load(session, login)
    user.password_hash = _hasher.hash(password)
    audit.append(
        session, actor=actor.login, action="user.password", target_type="user", target_id=login
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
    Another account needs its password, unless the database is a demo database.
    """
    login = requested or system_login
    user = session.scalar(select(User).where(User.login == login))
    if user is None:
        raise UserError(t("users.unknown", login=login))
    if not user.active:
        raise UserError(t("users.disabled", login=login))
    if login != system_login and not demo:
        if not user.password_hash:
            raise UserError(t("users.no_password", login=login))
        if not password:
            raise UserError(t("users.password_needed", login=login))
        try:
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            raise UserError(t("users.wrong_password", login=login)) from None
    return _info(user)
