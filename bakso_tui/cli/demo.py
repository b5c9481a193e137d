"""`bakso demo` (a demo database, seeded, then the TUI) and `bakso seed` (bulk load for benchmarks)."""

from __future__ import annotations

import click

from bakso_tui.cli.context import CliEnv, demo_database_url, env_command, progress
from bakso_tui.cli.tui import run_tui
from bakso_tui.db import migrate
from bakso_tui.demo.bulk import bulk_seed
from bakso_tui.demo.seed import seed_demo
from bakso_tui.locale import t


@env_command("demo")
@click.option("--no-tui", is_flag=True)
@click.option("--submissions", default=300, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--seed", default=2018, show_default=True)
def demo_cmd(env: CliEnv, no_tui: bool, submissions: int, seed: int) -> None:
    """Create (or reuse) and seed a demo database, then open the TUI as spv1.

    Without --db, the demo lives in its own SQLite file in the user data
    directory, never in the office's configured database.
    """
    if not env.db_url:
        env.db_url = demo_database_url()
    db = env.database(need_schema=False)
    migrate.upgrade(db)
    report = seed_demo(db, submissions=submissions, seed=seed, progress=progress)
    click.echo(t("cli.demo_done", url=db.safe_url, **report.as_dict()))
    click.echo(t("cli.demo_use", url=db.safe_url))
    if not no_tui:
        run_tui(env, None, demo_user="spv1")


@env_command("seed")
@click.option("--submissions", "count", required=True, type=click.IntRange(1, 10_000_000))
@click.option("--seed", default=1, show_default=True)
def seed_cmd(env: CliEnv, count: int, seed: int) -> None:
    """Bulk synthetic load for benchmarks (queued submissions, no attachments)."""
    db = env.database(need_schema=False)
    migrate.upgrade(db)
    with progress(t("demo.progress"), count) as bar:
        made = bulk_seed(db, count, seed=seed, progress=bar.update)
    click.echo(t("cli.seeded", count=made, url=db.safe_url))
