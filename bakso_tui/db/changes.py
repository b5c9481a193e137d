"""Telling open queues that the queue changed, without every session polling it.

Writers that change what a queue shows (intake, claims, releases,
reassignments, expired leases, decisions) call :func:`queue_changed` inside
their transaction. On PostgreSQL that is ``NOTIFY bakso_queue``, delivered to
the listeners when (and only if) the transaction commits; PostgreSQL keeps
notifications within one database, so the fixed channel name is already one
channel per database. On SQLite it does nothing: every commit, from any
process, changes ``PRAGMA data_version`` as another connection sees it, and
that counter is what the SQLite watcher reads (one cheap pragma a second,
no table and no migration).

:class:`QueueWatch` is the listening side: one per TUI session, waited on in a
thread of the app (`bakso_tui.live`), which tells the queue screen.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from bakso_tui.db.engine import Database

#: The PostgreSQL channel (notifications never cross databases).
CHANNEL = "bakso_queue"
#: Seconds between two reads of SQLite's data_version.
SQLITE_POLL = 0.5


def queue_changed(session: Session | Connection) -> None:
    """Inside a writer's transaction: the open queues should read themselves again."""
    bind = session.get_bind() if isinstance(session, Session) else session
    if bind.dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {CHANNEL}"))


#: For claim-next's raw statement on PostgreSQL (`domain.claims`): called once
#: per row returned, that is only when something was claimed.
PG_NOTIFY_CALL = f"pg_notify('{CHANNEL}', '')"

#: Seconds between two NOTIFYs of claim-next from one process. A transaction
#: that notifies holds a lock for the whole database while it commits, so 32
#: claimers notifying at every claim halved the claims per second (262 → 137
#: on the loaded test box). A person claims every few seconds and every one of
#: theirs notifies; a claim skipped in a burst comes at most this long after
#: one that did, and the listener reads the queue once more `FOLLOW_UP`
#: seconds after each notification, which covers it.
CLAIM_NOTIFY_EVERY = 0.5
FOLLOW_UP = 1.5
_last_claim_notify = float("-inf")


def claim_notify_due() -> bool:
    """Should this claim-next notify (see `CLAIM_NOTIFY_EVERY`)?"""
    return time.monotonic() - _last_claim_notify >= CLAIM_NOTIFY_EVERY


def claim_notified() -> None:
    global _last_claim_notify
    _last_claim_notify = time.monotonic()


class QueueWatch:
    """Waits until a queue may have changed. Not thread-safe: one thread uses it.

    :meth:`wait` blocks at most `timeout` seconds and says whether something
    changed. A connection that breaks raises the driver's error; the next
    :meth:`wait` connects again (and reports a change, since some may have
    been missed meanwhile).
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn = None
        self._version: int | None = None

    # ------------------------------------------------------------------ opening

    def _open(self) -> None:
        if self.db.is_postgresql:
            import psycopg
            from sqlalchemy.engine import make_url

            from bakso_tui.db.engine import PG_CONNECT_ARGS

            url = make_url(self.db.url).set(drivername="postgresql")
            conn = psycopg.connect(url.render_as_string(hide_password=False),
                                   autocommit=True, **PG_CONNECT_ARGS)
            conn.execute(f"LISTEN {CHANNEL}")
            self._conn = conn
        else:
            path = self.db.sqlite_path()
            if path is None:  # in memory: no other connection can change it
                self._conn = False
                return
            import sqlite3  # here: a session on PostgreSQL never loads it

            # Read-only: a listener never creates a database file that is not there.
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                   isolation_level=None, check_same_thread=False, timeout=5)
            self._conn = conn
            self._version = self._data_version()

    @property
    def follows_up(self) -> bool:
        """Read once more `FOLLOW_UP` seconds after a notification (PostgreSQL:
        claim-next does not notify every claim of a burst)."""
        return self.db.is_postgresql

    def _data_version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    # ------------------------------------------------------------------ waiting

    def wait(self, timeout: float) -> bool:
        """Block until a change (True) or `timeout` seconds (False)."""
        if self._conn is None:
            self._open()
            return True  # anything may have happened while nobody listened
        if self._conn is False:
            time.sleep(timeout)
            return False
        try:
            if self.db.is_postgresql:
                return self._wait_pg(timeout)
            return self._wait_sqlite(timeout)
        except Exception:
            self.close()
            raise

    def _wait_pg(self, timeout: float) -> bool:
        changed = False
        for _ in self._conn.notifies(timeout=timeout, stop_after=1):
            changed = True
        if changed:  # take the others of the same burst with it
            for _ in self._conn.notifies(timeout=0.05):
                pass
        return changed

    def _wait_sqlite(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            version = self._data_version()
            if version != self._version:
                self._version = version
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(SQLITE_POLL, left))

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
