"""The scheduler daemon: APScheduler's BlockingScheduler running the office's jobs.

- Exactly one per database (`lock.DaemonLock`); a second one refuses naming the first.
- Every trigger carries the office's zone (Asia/Makassar) itself: a CronTrigger
  made without one would use the host's zone, not the scheduler's.
- Jobs are added with fixed ids and ``replace_existing``; ``coalesce`` and a
  misfire grace of hours turn runs missed while the process was stalled into one.
- A daily job whose last time passed while no daemon ran (no run recorded
  since) runs once at start (``catch_up``), if that time is within the grace.
- Each run is recorded in ``job_run``.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.schedulers.blocking import TIMEOUT_MAX, BlockingScheduler
from apscheduler.triggers.base import BaseTrigger

from bakso_tui.domain.calendar import OFFICE_TZ
from bakso_tui.jobs.lock import DaemonLock
from bakso_tui.jobs.runs import LastRun, Outcome, last_runs, record_run
from bakso_tui.jobs.tasks import JobContext, JobSpec, job_specs
from bakso_tui.locale import t

log = logging.getLogger("bakso.jobs")


def previous_fire(trigger: BaseTrigger, now: datetime, since: datetime) -> datetime | None:
    """The trigger's last time at or before `now`, looking back to `since`."""
    last, moment = None, since
    while True:
        nxt = trigger.get_next_fire_time(None, moment)
        if nxt is None or nxt > now:
            return last
        last, moment = nxt, nxt + timedelta(seconds=1)


def missed(spec: JobSpec, trigger: BaseTrigger, last: LastRun | None, now: datetime,
           grace: timedelta) -> datetime | None:
    """The daily run missed while down (None when there is none to catch up)."""
    if not spec.daily:
        return None
    due = previous_fire(trigger, now, now - grace)
    if due is None or (last is not None and last.started_at >= due):
        return None
    return due


def run_one(ctx: JobContext, spec: JobSpec, how: str) -> Outcome:
    result = record_run(ctx.db, spec.id, lambda: spec.run(ctx), how=how, clock=ctx.clock)
    log.info("%s (%s): %s %s %s", spec.id, how, result.outcome, result.counts, result.error)
    return result


@dataclass(frozen=True)
class JobInfo:
    """One line of `bakso jobs list`."""

    id: str
    name: str
    schedule: str
    next_run: datetime | None
    last_run: datetime | None
    last_outcome: str | None

    def as_json(self) -> dict:
        return {
            "id": self.id, "name": self.name, "schedule": self.schedule,
            "next_run": self.next_run.isoformat() if self.next_run else None,
            "last_run": self.last_run.astimezone(OFFICE_TZ).isoformat() if self.last_run else None,
            "last_outcome": self.last_outcome,
        }


def describe(spec: JobSpec, trigger: BaseTrigger) -> str:
    fields = getattr(trigger, "fields", None)
    if fields is not None:
        values = {f.name: str(f) for f in fields}
        hhmm = f"{int(values['hour']):02d}:{int(values['minute']):02d}"
        if values.get("second", "0") != "0":
            hhmm += f":{int(values['second']):02d}"
        return t("jobs.daily", time=hhmm)
    minutes = int(trigger.interval.total_seconds() // 60)
    return t("jobs.every", minutes=minutes)


def job_list(ctx: JobContext) -> list[JobInfo]:
    now = ctx.clock()
    last = last_runs(ctx.db)
    out = []
    for spec in job_specs(ctx.settings):
        trigger = spec.trigger(ctx.settings)
        nxt = trigger.get_next_fire_time(None, now)
        done = last.get(spec.id)
        out.append(JobInfo(spec.id, spec.name, describe(spec, trigger),
                           nxt.astimezone(OFFICE_TZ) if nxt else None,
                           done.started_at if done else None, done.outcome if done else None))
    return out


class DaemonScheduler(BlockingScheduler):
    """APScheduler's BlockingScheduler, stopped by a flag its loop checks on every wake.

    A signal handler must not raise into the loop: APScheduler catches every
    exception (BaseException) around submitting a job, so a stop raised at that
    moment was swallowed and the daemon ran on. Nor may it take the loop's
    locks. `request_stop` sets the flag and wakes the loop from a thread of its
    own; the loop ends, and running jobs are waited for by ``shutdown``.
    """

    stop_requested = False

    def request_stop(self) -> None:
        self.stop_requested = True
        threading.Thread(target=self.wakeup, name="bakso-stop", daemon=True).start()

    def wakeup(self) -> None:
        if self._event is not None:
            self._event.set()

    def _main_loop(self) -> None:  # BlockingScheduler's loop, plus the flag
        wait_seconds = TIMEOUT_MAX
        while self.state != STATE_STOPPED and not self.stop_requested:
            self._event.wait(wait_seconds)
            self._event.clear()
            if self.stop_requested:
                break
            wait_seconds = self._process_jobs()


def build_scheduler(ctx: JobContext) -> tuple[DaemonScheduler, list[JobSpec]]:
    grace = int(ctx.settings.jobs.misfire_grace_hours * 3600)
    scheduler = DaemonScheduler(
        timezone=OFFICE_TZ,
        job_defaults={"coalesce": True, "misfire_grace_time": grace, "max_instances": 1},
    )
    specs = job_specs(ctx.settings)
    for spec in specs:
        # A job every few minutes also runs at start (leases expired while down go back
        # to the queue at once); a daily one waits for its time (or is caught up).
        first = {} if spec.daily else {"next_run_time": datetime.now(OFFICE_TZ)}
        scheduler.add_job(run_one, spec.trigger(ctx.settings), args=(ctx, spec, "schedule"),
                          id=spec.id, name=spec.name, replace_existing=True, **first)
    return scheduler, specs


def catch_up(ctx: JobContext, specs: list[JobSpec], *, stopping=lambda: False) -> list[str]:
    """Run once each daily job whose time passed while no daemon was running."""
    now = ctx.clock()
    grace = timedelta(hours=ctx.settings.jobs.misfire_grace_hours)
    last = last_runs(ctx.db)
    ran = []
    for spec in specs:
        if stopping():
            break
        if missed(spec, spec.trigger(ctx.settings), last.get(spec.id), now, grace) is not None:
            run_one(ctx, spec, "catch_up")
            ran.append(spec.id)
    return ran


def run_daemon(ctx: JobContext, *, on_ready=None) -> None:
    """Hold the lock, catch up, then run the jobs until SIGTERM or Ctrl+C."""
    lock = DaemonLock(ctx.db)
    lock.acquire()  # DaemonRunning when another one holds it
    scheduler, specs = build_scheduler(ctx)

    def stop(signum, frame) -> None:
        scheduler.request_stop()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}

    def watch_lock() -> None:
        if not lock.held():
            log.error(t("jobs.lock_lost"))
            scheduler.request_stop()

    scheduler.add_job(watch_lock, "interval", minutes=1, timezone=OFFICE_TZ, id="daemon-lock",
                      replace_existing=True)
    try:
        if on_ready is not None:
            on_ready(specs)
        catch_up(ctx, specs, stopping=lambda: scheduler.stop_requested)
        scheduler.start()  # blocks until a stop is requested
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if scheduler.running:
            scheduler.shutdown(wait=True)  # the jobs running now finish first
        lock.release()
