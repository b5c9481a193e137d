"""Schema creation and upgrades through Alembic, on SQLite and PostgreSQL.

Alembic is imported by the commands that change the schema. Whether a
database is current (asked by every command, and by `bakso tui` before its
first frame) is answered without it: the head is read from the revision
files' ``revision``/``down_revision`` lines and the database's from
``alembic_version`` (importing Alembic and loading its script directory cost
start-up ~0.1 s; issue 16). A test holds the two answers equal.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bakso_tui.db.engine import Database

if TYPE_CHECKING:
    from alembic.config import Config

_REVISION = re.compile(r"""^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:['"]([^'"]+)['"]|None)""",
                       re.MULTILINE)


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option(
        "script_location", str(resources.files("bakso_tui.db").joinpath("migrations"))
    )
    return cfg


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def declared_head() -> str | None:
    """The head as the revision files declare it: the one revision no other
    names as its ``down_revision`` (None if that is not exactly one)."""
    revisions, parents = set(), set()
    for path in resources.files("bakso_tui.db").joinpath("migrations", "versions").iterdir():
        if not path.name.endswith(".py") or path.name.startswith("__"):
            continue
        found = dict((key, value) for key, value in _REVISION.findall(path.read_text("utf-8")))
        revisions.add(found.get("revision"))
        parents.add(found.get("down_revision") or None)
    heads = revisions - parents - {None}
    return heads.pop() if len(heads) == 1 else None


def _stamped(db: Database) -> set[str] | None:
    """The revisions in the database's ``alembic_version`` (None: no such table)."""
    try:
        with db.engine.connect() as conn:
            return set(conn.scalars(text("SELECT version_num FROM alembic_version")))
    except DBAPIError:
        return None


def upgrade(db: Database, revision: str = "head") -> None:
    from alembic import command

    cfg = _config()
    with db.write_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(db: Database, revision: str) -> None:
    from alembic import command

    cfg = _config()
    with db.write_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def revision(db: Database, message: str) -> None:
    """Autogenerate a new revision against `db` (a developer's tool)."""
    from alembic import command

    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)


def is_current(db: Database) -> bool:
    head = declared_head()
    if head is None:  # branches, or files this reading does not understand: ask Alembic
        return current_revision(db) == head_revision()
    return _stamped(db) == {head}
