"""The scheduler daemon: one per database, catching up a missed run once, office time whatever TZ says."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bakso_tui.config import Settings, settings_from
from bakso_tui.db.models import JobDaemon, JobRun
from bakso_tui.domain.calendar import OFFICE_TZ
from bakso_tui.jobs.daemon import job_list, missed, previous_fire
from bakso_tui.jobs.runs import LastRun, Outcome, record_run
from bakso_tui.jobs.tasks import JobContext, JobSpec, _at, job_specs


def bakso(*args: str, env: dict | None = None, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bakso_tui", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, **kw)


def config(tmp_path: Path, **jobs: str) -> None:
    lines = [f'{k} = "{v}"' for k, v in jobs.items() if k == "close_at"]
    path = Path(os.environ["BAKSO_CONFIG"])
    path.write_text("[batches]\n" + "\n".join(lines) + "\n" + f'directory = "{tmp_path}/pdf"\n')


def wait_for(predicate, seconds: float = 120, step: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


def runs(db, job_id: str) -> list[JobRun]:
    with db.read() as s:
        return list(s.scalars(select(JobRun).where(JobRun.job_id == job_id).order_by(JobRun.id)))


def stop(proc: subprocess.Popen) -> tuple[str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return out, err


def test_triggers_are_in_office_time_and_a_missed_daily_run_is_found():
    trigger = _at("15:00")
    assert str(trigger.timezone) == "Asia/Makassar"
    now = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)  # 16:30 WITA
    assert previous_fire(trigger, now, now - timedelta(hours=12)) == datetime(
        2026, 11, 23, 15, 0, tzinfo=OFFICE_TZ)
    spec = JobSpec("batch-close", lambda ctx: Outcome(), lambda s: trigger, True)
    grace = timedelta(hours=12)
    assert missed(spec, trigger, None, now, grace) is not None
    before = LastRun(datetime(2026, 11, 22, 7, 0, tzinfo=UTC), None, "ok", "")
    assert missed(spec, trigger, before, now, grace) is not None
    after = LastRun(datetime(2026, 11, 23, 7, 0, 5, tzinfo=UTC), None, "ok", "")
    assert missed(spec, trigger, after, now, grace) is None
    # 14:00 WITA the next day: yesterday's 15:00 is 23 hours back, past the grace.
    assert missed(spec, trigger, None, datetime(2026, 11, 24, 6, 0, tzinfo=UTC), grace) is None


def test_every_run_is_recorded_with_its_outcome(db):
    assert record_run(db, "t", lambda: Outcome("ok", {"n": 2})).outcome == "ok"
    failed = record_run(db, "t", lambda: 1 / 0)
    assert failed.outcome == "error" and "division" in failed.error
    rows = runs(db, "t")
    assert [(r.outcome, r.counts) for r in rows] == [("ok", {"n": 2}), ("error", {})]
    assert all(r.finished_at and r.pid == os.getpid() for r in rows)


def test_jobs_list_in_office_time(db):
    ctx = JobContext(db, Settings(), clock=lambda: datetime(2026, 11, 23, 5, 0, tzinfo=UTC))  # 13:00 WITA
    rows = {r.id: r.as_json() for r in job_list(ctx)}
    assert rows["batch-close"]["next_run"] == "2026-11-23T15:00:00+08:00"
    assert set(rows["batch-close"]) == {"id", "name", "schedule", "next_run", "last_run",
                                        "last_outcome"}
    assert "inbox" not in rows  # no inbox folder configured
    with_inbox = settings_from({"jobs": {"inbox": "/srv/inbox"}})
    assert "inbox" in {s.id for s in job_specs(with_inbox)}


def test_jobs_list_json_shows_wita_whatever_the_host_zone(db, tmp_path):
    config(tmp_path, close_at="15:00")
    proc = bakso("jobs", "list", "--json", "--db", db.url, env={"TZ": "America/New_York"})
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    close = next(j for j in json.loads(out) if j["id"] == "batch-close")
    assert close["next_run"].endswith("T15:00:00+08:00")


def test_a_second_daemon_refuses_naming_the_first(db, tmp_path):
    config(tmp_path, close_at="15:00")
    first = bakso("jobs", "run", "--db", db.url)
    try:
        holder = wait_for(lambda: _daemon_row(db))
        assert holder.pid == first.pid
        second = bakso("jobs", "run", "--db", db.url)
        _, err = second.communicate(timeout=60)
        assert second.returncode == 1
        assert err.strip().count("\n") == 0 and f"pid {first.pid}" in err
        assert holder.host in err
    finally:
        stop(first)
    with db.read() as s:
        assert s.get(JobDaemon, 1).stopped_at is not None
    again = bakso("jobs", "run", "--db", db.url)  # the lock went with the first
    wait_for(lambda: (r := _daemon_row(db)) and r.pid == again.pid)
    stop(again)


def _daemon_row(db):
    with db.read() as s:
        row = s.get(JobDaemon, 1)
        return row if row is not None and row.stopped_at is None else None


def test_a_run_missed_while_down_runs_once_on_start(db, tmp_path):
    past = (datetime.now(OFFICE_TZ) - timedelta(hours=1)).strftime("%H:%M")
    config(tmp_path, close_at=past)
    daemon = bakso("jobs", "run", "--db", db.url)
    try:
        wait_for(lambda: [r for r in runs(db, "batch-close") if r.finished_at])
        time.sleep(2)
    finally:
        stop(daemon)
    caught = runs(db, "batch-close")
    assert [r.trigger for r in caught] == ["catch_up"]
    assert caught[0].outcome == "nothing"  # nothing was ready
    again = bakso("jobs", "run", "--db", db.url)  # the run is recorded: nothing to catch up
    try:
        wait_for(lambda: _daemon_row(db) and _daemon_row(db).pid == again.pid)
        time.sleep(2)
    finally:
        stop(again)
    assert len(runs(db, "batch-close")) == 1


@pytest.mark.parametrize("zone", ["America/New_York", "UTC"])
def test_the_daemon_fires_in_office_time_whatever_tz_says(sqlite_db, tmp_path, zone):
    # The daily time is a few seconds after the daemon is up. Under load a start can
    # take longer than planned: then that daemon is stopped (it is too late to
    # watch it fire) and another gets a later time; the trigger is what is tested.
    for lead in (10, 30, 90):
        target = (datetime.now(OFFICE_TZ) + timedelta(seconds=lead)).replace(microsecond=0)
        config(tmp_path, close_at=target.strftime("%H:%M:%S"))
        daemon = bakso("jobs", "run", "--db", sqlite_db.url, env={"TZ": zone})
        try:
            wait_for(lambda: _daemon_row(sqlite_db) and _daemon_row(sqlite_db).pid == daemon.pid,
                     seconds=120)
            if datetime.now(OFFICE_TZ) < target - timedelta(seconds=2):
                fired = wait_for(lambda: [r for r in runs(sqlite_db, "batch-close")
                                          if r.trigger == "schedule"], seconds=lead + 60)
                break
        finally:
            stop(daemon)
    else:
        pytest.fail("the daemon never started before its time, even 90 s ahead")
    started = fired[0].started_at
    assert target <= started < target + timedelta(seconds=10)


def test_the_next_days_recording_lists_are_written(db, tmp_path):
    from datetime import date

    from bakso_tui.domain import schedule
    from bakso_tui.domain.users import cli_actor

    now = datetime(2026, 3, 12, 8, 0, tzinfo=UTC)  # Thursday 16:00 WITA
    with db.write() as session:
        schedule.add_team(session, cli_actor(), "T1", "Tim 1", at=now)
        schedule.create_plan(session, cli_actor(), village_code="52.03.01.2001", rule="fri",
                             start=date(2026, 3, 12), until=date(2026, 4, 30), team_code="T1",
                             today=date(2026, 3, 12), at=now)
    settings = settings_from({"jobs": {"lists_directory": str(tmp_path / "lists")}})
    spec = next(s for s in job_specs(settings) if s.id == "recording-lists")
    result = spec.run(JobContext(db, settings, clock=lambda: now))
    assert result.outcome == "ok" and result.counts["villages"] == 1
    written = sorted(p.name for p in (tmp_path / "lists").iterdir())
    assert written == ["daftar-perekaman_2026-03-13_52.03.01.2001.pdf",
                       "daftar-perekaman_2026-03-13_52.03.01.2001.txt"]
    later = spec.run(JobContext(db, settings, clock=lambda: now + timedelta(days=1)))
    assert later.outcome == "nothing"  # no service day on Saturday


def test_outcomes_are_words_in_the_users_language(db, tmp_path):
    config(tmp_path, close_at="15:00")
    once = bakso("jobs", "once", "lease-expiry", "--db", db.url)
    out, err = once.communicate(timeout=60)
    assert once.returncode == 0, err
    assert out.startswith("lease-expiry: tidak ada yang dikerjakan")
    listed = bakso("--lang", "en", "jobs", "list", "--db", db.url)
    out, err = listed.communicate(timeout=60)
    line = next(x for x in out.splitlines() if x.startswith("lease-expiry"))
    assert "nothing to do" in line and " nothing " not in line.replace("nothing to do", "")
