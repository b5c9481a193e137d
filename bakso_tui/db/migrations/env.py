"""Alembic environment: always driven from `bakso_tui.db.migrate` with a live connection."""

from alembic import context

from bakso_tui.db.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - guarded by migrate.py
    raise RuntimeError("run migrations through `bakso db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
