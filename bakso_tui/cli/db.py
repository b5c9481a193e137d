"""`bakso db …`: the database schema."""

from __future__ import annotations

import click

from bakso_tui.cli.context import CliEnv, env_command
from bakso_tui.db import migrate
from bakso_tui.domain.reference import sync_reference
from bakso_tui.locale import t


@click.group("db")
def db_group() -> None:
    """The database schema."""


@env_command("upgrade", db_group)
def db_upgrade(env: CliEnv) -> None:
    """Create or upgrade the schema (Alembic) and load the reference data."""
    db = env.database(need_schema=False)
    before = migrate.current_revision(db)
    migrate.upgrade(db)
    with db.write() as session:
        counts = sync_reference(session)
    db.refresh_statistics()  # new indexes are chosen only once they have statistics
    if db.is_postgresql:
        from bakso_tui.db import roles

        with db.write_engine.begin() as conn:
            if roles.role_prefix(conn) is not None:
                roles.secure(conn)  # new tables and functions: the owner's, with their grants
    click.echo(
        t(
            "cli.upgraded",
            url=db.safe_url,
            before=before or "-",
            after=migrate.current_revision(db),
            villages=counts.villages,
            services=counts.services,
        )
    )


@env_command("roles", db_group)
@click.option("--service", "services", multiple=True, metavar="NAME")
def db_roles_cmd(env: CliEnv, services: tuple[str, ...]) -> None:
    """PostgreSQL: make the owner and group roles of this database and their grants.

    Run by a superuser (docs/deploy.md); `db upgrade` runs it again afterwards.
    """
    from bakso_tui.cli.context import echo, fail
    from bakso_tui.db import roles
    from bakso_tui.domain.users import LOGIN_RE

    for name in services:
        if not LOGIN_RE.match(name):
            fail(t("users.bad_login", login=name))
    db = env.database()
    if not db.is_postgresql:
        fail(t("db.roles_sqlite"))
    with db.write_engine.begin() as conn:
        prefix = roles.secure(conn)
        made = [roles.service_login(conn, name) for name in services]
    echo(t("cli.roles_done", prefix=prefix, groups=", ".join(
        prefix + group for group in roles.GROUPS), owner=prefix + "owner"))
    for role in made:
        echo(t("cli.roles_service", role=role, group=prefix + "service"))


@env_command("check", db_group)
def db_check(env: CliEnv) -> None:
    """Verify the audit chain and re-hash every stored attachment (after a restore, or any day).

    One line per problem; exit 1 if there is any.
    """
    from bakso_tui.attachments.store import BlobStore
    from bakso_tui.cli.context import EXIT_REFUSED, fail, progress
    from bakso_tui.domain import integrity, users
    from bakso_tui.domain.users import Permission

    db = env.database()
    with db.read() as session:
        users.require(users.command_line_actor(session), Permission.AUDIT)
    store = BlobStore(env.settings.attachments)
    with progress(t("backup.progress"), integrity.count_blobs(db)) as bar:
        result = integrity.check(db, store, progress=bar.update)
    chain = result.chain
    if chain.ok:
        click.echo(t("cli.audit_ok", count=chain.count, last=chain.last_hash))
    else:
        click.echo(t(f"cli.audit_broken_{chain.problem}", id=chain.first_bad_id,
                     count=chain.count))
    for problem in result.mismatches:
        click.echo(t(f"backup.{problem.problem}", sha=problem.sha256, where=problem.where))
    if not result.mismatches:
        click.echo(t("backup.blobs_ok", count=result.blobs, mb=f"{result.bytes / 1e6:.1f}"))
    if not result.ok:
        fail(t("backup.failed", problems=len(result.mismatches) + (0 if chain.ok else 1)),
             EXIT_REFUSED)
