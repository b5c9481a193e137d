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
    migrate.downgrade(db, "-1")
    assert not migrate.is_current(db)
    migrate.downgrade(db, "base")
    assert migrate.current_revision(db) is None
    assert not migrate.is_current(db)
    migrate.upgrade(db)
    assert migrate.is_current(db)


def test_the_head_read_from_the_files_is_alembics():
    """`is_current` (every command, and `bakso tui` before its first frame)
    reads the head from the revision files without importing Alembic."""
    assert migrate.declared_head() == migrate.head_revision()


def test_an_office_with_claims_and_decisions_upgrades(db):
    """A database in use: its accounts hold claims and made decisions (rows that
    point at them). Each migration from 0012 on upgrades it in place; on SQLite
    a table copy of `app_user` would be refused by those foreign keys."""
    from sqlalchemy import func, select

    from bakso_tui.db.models import Decision, Submission
    from bakso_tui.db.types import utcnow
    from bakso_tui.demo.bulk import bulk_seed
    from bakso_tui.domain import claims, users
    from bakso_tui.domain.workflow import Action

    bulk_seed(db, 10)
    with db.write() as s:
        me = users.add_user(s, users.cli_actor(), login="verif9", name="V", role="verifier")
    first = claims.claim_next(db, me.actor())
    claims.decide_once(db, me.actor(), first.submission_id, first.token, Action.APPROVE,
                       override_reason="uji", now=utcnow())
    claims.claim_next(db, me.actor())  # one held
    migrate.downgrade(db, "0012")
    migrate.upgrade(db)
    assert migrate.is_current(db)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == 1
        assert s.scalar(select(func.count()).where(Submission.claim_holder_id == me.id)) == 1
