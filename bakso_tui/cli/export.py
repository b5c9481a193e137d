"""`bakso export …`: data for other programs."""

from __future__ import annotations

import sys
from datetime import date

import click

from bakso_tui.cli.context import OFFICE_DATE, CliEnv, check_range, env_command
from bakso_tui.domain import exports
from bakso_tui.files import tighten_stream


@click.group("export")
def export_group() -> None:
    """Data for other programs."""


@env_command("decisions", export_group)
@click.option("--from", "since", type=OFFICE_DATE)
@click.option("--to", "until", type=OFFICE_DATE)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
def export_decisions(env: CliEnv, since: date | None, until: date | None, fmt: str) -> None:
    """One row per decision: submission, action, actor, at, reason_code, reason."""
    check_range(since, until)
    tighten_stream(sys.stdout)  # `> file` was made by the shell, under its umask
    with env.database().read() as session:
        exports.write(exports.decisions(session, since=since, until=until), sys.stdout, fmt)
