"""Exactly one scheduler daemon per database.

APScheduler 3 cannot share a job store between schedulers, and two daemons
would close and print the same day twice (harmless, since every job is
idempotent, but wasteful and confusing). So the daemon holds a lock for its
whole life:

- PostgreSQL: a session-level advisory lock, ``pg_try_advisory_lock`` on a
  connection of its own that stays open (the lock goes when the process or
  its connection does);
- SQLite: ``fcntl.flock`` on ``<database file>.jobs.lock``.

Whoever holds it writes its host, process id and start time into
``job_daemon`` (and, on SQLite, into the lock file), so a second daemon
refuses in one line that names the first.
"""

from __future__ import annotations

import fcntl
import os
import socket
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, text

from bakso_tui.db.engine import Database
from bakso_tui.db.models import JobDaemon
from bakso_tui.db.types import utcnow
from bakso_tui.domain.calendar import OFFICE_TZ
from bakso_tui.errors import Refusal, SetupError
from bakso_tui.locale import t

# 'baks' and 'jobs' in ASCII: the two-key form lives apart from the audit's one-key lock.
LOCK_KEYS = (0x62616B73, 0x6A6F6273)


class DaemonRunning(Refusal):
    """Another daemon holds the lock; the message names it."""


class DaemonLock:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: Connection | None = None
        self._file = None
        self.started_at: datetime | None = None

    def _holder(self, fallback: str = "") -> str:
        with self.db.read() as session:
            row = session.get(JobDaemon, 1)
        if row is None or row.stopped_at is not None:
            return fallback or "?"
        return t("jobs.holder", host=row.host, pid=row.pid,
                 since=row.started_at.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M WITA"))

    def acquire(self) -> None:
        if self.db.is_postgresql:
            conn = self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            got = conn.execute(text("SELECT pg_try_advisory_lock(:a, :b)"),
                               {"a": LOCK_KEYS[0], "b": LOCK_KEYS[1]}).scalar()
            if not got:
                conn.close()
                raise DaemonRunning(t("jobs.already_running", holder=self._holder()))
            self._conn = conn
        else:
            path = self.db.sqlite_path()
            if path is None:
                raise SetupError(t("jobs.needs_file"))
            lock_path = Path(f"{path}.jobs.lock")
            handle = lock_path.open("a+")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                noted = handle.read().strip()
                handle.close()
                raise DaemonRunning(t("jobs.already_running",
                                      holder=self._holder(noted))) from None
            self._file = handle
        self.started_at = utcnow()
        holder = dict(host=socket.gethostname(), pid=os.getpid(), started_at=self.started_at,
                      stopped_at=None)
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            self._file.write(t("jobs.holder", host=holder["host"], pid=holder["pid"],
                               since=self.started_at.astimezone(OFFICE_TZ)
                               .strftime("%Y-%m-%d %H:%M WITA")))
            self._file.flush()
        with self.db.write() as session:
            session.merge(JobDaemon(id=1, **holder))

    def held(self) -> bool:
        """Whether the lock is still ours (the PostgreSQL connection may have died)."""
        if self._conn is None:
            return self._file is not None
        try:
            return bool(self._conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND pid = pg_backend_pid() AND classid = :a AND objid = :b"),
                {"a": LOCK_KEYS[0], "b": LOCK_KEYS[1]}).scalar())
        except Exception:  # noqa: BLE001 - a dead connection holds nothing
            return False

    def release(self) -> None:
        try:
            with self.db.write() as session:
                row = session.get(JobDaemon, 1)
                if row is not None and row.pid == os.getpid():
                    row.stopped_at = utcnow()
        finally:
            if self._conn is not None:
                self._conn.close()  # ends the session: the advisory lock goes with it
                self._conn = None
            if self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
                self._file.close()
                self._file = None
