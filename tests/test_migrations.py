"""Alembic migrations and the models agree, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bakso_tui.db import migrate
from bakso_tui.db.models import Base


def test_migrated_schema_matches_models(db):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []
    assert migrate.is_current(db)


def test_upgrade_is_idempotent_and_downgrade_works(db):
    migrate.upgrade(db)  # already at head: nothing to do
    assert migrate.current_revision(db) == migrate.head_revision()
    migrate.downgrade(db, "base")
    assert migrate.current_revision(db) is None
    migrate.upgrade(db)
    assert migrate.is_current(db)
