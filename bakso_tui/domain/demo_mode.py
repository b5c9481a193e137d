"""When a database is a demo, and which of its accounts switch without a password.

`bakso demo` makes an embedded SQLite database of fictitious residents in
which its own accounts (verif1, verif2, spv1, admin1) open without a password,
so that a newcomer can try every role. That convenience must never reach an
office's database, so demo mode holds only while all of these are true:

- the database is SQLite (the embedded, single-user database; PostgreSQL is
  the office's and never a demo);
- `bakso demo` marked it (``bakso_meta`` key ``synthetic`` = ``demo``;
  `bakso seed`'s bulk load marks ``bulk``, which switches nothing);
- it has never held a real submission: intake marks the database
  (``real_data``) when it registers a package, for good, and a database with
  submissions the demo or the bulk loader did not make is refused by both;
- the account is one the demo itself created (``demo_accounts``); an account
  added by hand later needs its password like anywhere else.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bakso_tui.db.models import Meta, Submission
from bakso_tui.errors import SetupError
from bakso_tui.locale import t

SYNTHETIC = "synthetic"
DEMO_ACCOUNTS = "demo_accounts"
REAL_DATA = "real_data"
#: The marker of databases made before `synthetic` existed (by the demo or the bulk loader).
LEGACY_DEMO = "demo"
LEGACY_ACCOUNTS = ("verif1", "verif2", "spv1", "admin1")


class DemoRefused(SetupError):
    """The demo or the bulk loader was pointed at a database that holds, or held, real data."""


def _meta(session: Session, key: str) -> str | None:
    row = session.get(Meta, key)
    return row.value if row is not None else None


def ever_real(session: Session) -> bool:
    """Whether the database holds or ever held a submission that is not synthetic."""
    if _meta(session, REAL_DATA) == "true":
        return True
    synthetic = _meta(session, SYNTHETIC) or (
        "legacy" if _meta(session, LEGACY_DEMO) == "true" else None
    )
    has_submissions = session.scalar(select(Submission.id).limit(1)) is not None
    return has_submissions and synthetic is None


def refuse_real(session: Session) -> None:
    """`DemoRefused` unless the database is empty or synthetic and never held real data."""
    if ever_real(session):
        raise DemoRefused(t("demo.refused"))


def mark_synthetic(session: Session, kind: str) -> None:
    """Mark the database as made by `bakso demo` ("demo") or `bakso seed` ("bulk")."""
    refuse_real(session)
    current = _meta(session, SYNTHETIC)
    # A demo database stays a demo when the bulk loader adds to it; never the reverse.
    if current != "demo":
        session.merge(Meta(key=SYNTHETIC, value=kind))


def add_demo_account(session: Session, login: str) -> None:
    """Record that the demo created `login` (only such accounts switch without a password)."""
    logins = demo_logins(session, include_legacy=False)
    session.merge(Meta(key=DEMO_ACCOUNTS, value=",".join(sorted({*logins, login}))))


def mark_real(session: Session) -> None:
    """A real submission arrived: this database is never a demo again."""
    if _meta(session, REAL_DATA) != "true":
        session.merge(Meta(key=REAL_DATA, value="true"))


def demo_logins(session: Session, *, include_legacy: bool = True) -> frozenset[str]:
    value = _meta(session, DEMO_ACCOUNTS)
    if value:
        return frozenset(value.split(","))
    if include_legacy and _meta(session, LEGACY_DEMO) == "true":
        return frozenset(LEGACY_ACCOUNTS)
    return frozenset()


def is_demo(session: Session) -> bool:
    """Whether this database is a demo now (see the module's conditions)."""
    if session.get_bind().dialect.name != "sqlite" or _meta(session, REAL_DATA) == "true":
        return False
    kind = _meta(session, SYNTHETIC)
    if kind is None:
        return _meta(session, LEGACY_DEMO) == "true" and bool(demo_logins(session))
    return kind == "demo"


def switches_without_password(session: Session, login: str) -> bool:
    """Whether `login` may be opened from another OS login without its password."""
    return is_demo(session) and login in demo_logins(session)
