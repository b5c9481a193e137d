"""Scheduled jobs and the scheduler daemon (`bakso jobs run`).

- `inbox`: the intake inbox job;
- `tasks`: what each scheduled job does, and its schedule (office time, WITA);
- `runs`: each run recorded in ``job_run`` (started, finished, outcome, counts, error);
- `lock`: exactly one daemon (a PostgreSQL advisory lock, a lock file on SQLite);
- `daemon`: APScheduler's BlockingScheduler with the jobs, catching up a run missed while down.
"""
