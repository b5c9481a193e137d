"""`bakso jobs …`: the scheduler daemon, its jobs, and running one job now."""

from __future__ import annotations

import logging
import os
import socket
import sys
from datetime import datetime

import click

from bakso_tui.cli.context import (
    CliEnv,
    EXIT_REFUSED,
    echo,
    env_command,
    fail,
    json_option,
    print_table,
)
from bakso_tui.domain.calendar import OFFICE_TZ
from bakso_tui.locale import t
from bakso_tui.locale.plain import dumps


@click.group("jobs")
def jobs_group() -> None:
    """The scheduler daemon (exactly one per database) and its jobs."""


def _context(env: CliEnv):
    from bakso_tui.jobs.tasks import JobContext

    return JobContext(env.database(), env.settings)


@env_command("run", jobs_group)
def jobs_run(env: CliEnv) -> None:
    """Run the scheduler daemon in the foreground (systemd: docs/bakso-jobs.service)."""
    from bakso_tui.jobs.daemon import run_daemon

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    for name, level in (("bakso", logging.INFO), ("apscheduler", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(level)
    ctx = _context(env)

    def ready(specs) -> None:  # the lock is ours from here on
        since = datetime.now(OFFICE_TZ).strftime("%d-%m-%Y %H:%M WITA")
        echo(t("jobs.started", holder=t("jobs.holder", host=socket.gethostname(),
                                              pid=os.getpid(), since=since)), err=True)

    run_daemon(ctx, on_ready=ready)


@env_command("list", jobs_group)
@json_option
def jobs_list(env: CliEnv, as_json: bool) -> None:
    """Each job: its schedule, next run (WITA), last run and outcome."""
    from bakso_tui.jobs.daemon import job_list

    rows = job_list(_context(env))
    if as_json:
        echo(dumps([r.as_json() for r in rows], ensure_ascii=False, indent=2))
        return

    def when(moment) -> str:
        return moment.astimezone(OFFICE_TZ).strftime("%d-%m-%Y %H:%M") if moment else t("jobs.never")

    print_table(
        (t("jobs.col_id"), t("jobs.col_schedule"), t("jobs.col_next"), t("jobs.col_last"),
         t("jobs.col_outcome"), t("jobs.col_name")),
        [(r.id, r.schedule, when(r.next_run), when(r.last_run),
          t(f"jobs.outcome.{r.last_outcome}") if r.last_outcome else t("jobs.never"),
          r.name) for r in rows],
    )


@env_command("once", jobs_group)
@click.argument("job_id")
def jobs_once(env: CliEnv, job_id: str) -> None:
    """Run one job now, in the foreground (for cron users and tests)."""
    from bakso_tui.jobs.daemon import run_one
    from bakso_tui.jobs.tasks import job_specs

    ctx = _context(env)
    specs = {s.id: s for s in job_specs(ctx.settings)}
    if job_id not in specs:
        fail(t("jobs.unknown", id=job_id, known=", ".join(specs)))
    result = run_one(ctx, specs[job_id], "once")
    echo(t("jobs.run_line", id=job_id, outcome=t(f"jobs.outcome.{result.outcome}"),
                 counts=dumps(result.counts, ensure_ascii=False)))
    if result.outcome == "error":
        fail(result.error, EXIT_REFUSED)
