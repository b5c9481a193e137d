"""Each run of a scheduled job, recorded in ``job_run`` (what the supervisor screens read).

A run is written when it starts (outcome ``running``) and again when it ends:
``ok``, ``nothing`` (nothing to do) or
``error`` with its error in one line. A run that dies with its process stays
``running``; the next run of the same job is not held up by it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from bakso_tui.db.engine import Database
from bakso_tui.db.models import JobRun
from bakso_tui.db.types import utcnow


@dataclass
class Outcome:
    """What a job function returns: how it ended and what it counted."""

    outcome: str = "ok"  # ok | nothing | error
    counts: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0].strip() if text else ""
    return first if first else type(error).__name__


def record_run(db: Database, job_id: str, work: Callable[[], Outcome], *, how: str = "schedule",
               clock: Callable[[], datetime] = utcnow) -> Outcome:
    """Run `work`, recording the run; an exception becomes outcome ``error`` (never raised)."""
    with db.write() as session:
        run = JobRun(job_id=job_id, started_at=clock(), outcome="running", counts={}, error="",
                     host=socket.gethostname(), pid=os.getpid(), trigger=how)
        session.add(run)
        session.flush()
        run_id = run.id
    try:
        result = work()
    except Exception as exc:  # noqa: BLE001 - a job's failure is recorded, the daemon goes on
        result = Outcome("error", {}, one_line(exc))
    with db.write() as session:
        session.execute(update(JobRun).where(JobRun.id == run_id).values(
            finished_at=clock(), outcome=result.outcome, counts=result.counts,
            error=result.error[:1000]))
    return result


@dataclass(frozen=True)
class LastRun:
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    error: str


def last_runs(db: Database) -> dict[str, LastRun]:
    """The newest run of each job (ix_job_run_job)."""
    with db.read() as session:
        newest = (select(JobRun.job_id, func.max(JobRun.started_at).label("at"))
                  .group_by(JobRun.job_id).subquery())
        rows = session.execute(
            select(JobRun.job_id, JobRun.started_at, JobRun.finished_at, JobRun.outcome,
                   JobRun.error, JobRun.id)
            .join(newest, (newest.c.job_id == JobRun.job_id) & (newest.c.at == JobRun.started_at))
            .order_by(JobRun.id)
        ).all()
    return {r[0]: LastRun(r[1], r[2], r[3], r[4]) for r in rows}
