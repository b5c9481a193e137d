"""Roles and what each may do: the permission table, who acts (`Actor`), and the
check every rule calls first (:func:`require`), an account as the screens see it
(`UserInfo`) and the system login a session signs in as (`os_login`). No database
here: the first screen is drawn with these before SQLAlchemy is imported. Accounts
themselves, and the check that re-reads an account inside a write, are in
``domain/users.py``."""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from enum import StrEnum

from bakso_tui.errors import Refusal
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
    """An account as the screens and rules see it (read by ``domain/users.py``)."""

    id: int
    login: str
    name: str
    role: str
    active: bool
    has_password: bool
    db_role: str | None = None

    def actor(self) -> Actor:
        return Actor(login=self.login, role=self.role, id=self.id, name=self.name)


class PermissionDenied(Refusal):
    def __init__(self, actor: Actor, permission: Permission) -> None:
        super().__init__(
            t("users.denied", login=actor.login, role=actor.role, permission=permission.value)
        )
        self.permission = permission


def sees_full_nik(actor: Actor) -> bool:
    """Whether `actor` sees NIKs and KKs in full: only the roles that decide
    (the administrator sees lists with them masked)."""
    return actor.can(Permission.DECIDE)


def require(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        raise PermissionDenied(actor, permission)


def os_login() -> str:
    """The login of the kernel's uid: not `$USER`, which anyone can set."""
    return pwd.getpwuid(os.getuid()).pw_name
