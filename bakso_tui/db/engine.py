"""Engine and sessions for SQLite and PostgreSQL.

`Database.read()` and `Database.write()` are how the rules open a
transaction; `Database.step()` runs one self-committing statement on
PostgreSQL (a server function that is a transaction by itself), and the
migrations and the planner statistics use the engines directly. On SQLite a
write transaction starts with
``BEGIN IMMEDIATE``: it takes the write lock up front, so two writers queue
behind ``busy_timeout`` instead of failing half-way with "database is locked".
On PostgreSQL both are ordinary READ COMMITTED transactions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.orm import Session, sessionmaker

from bakso_tui.db.errors import DatabaseError, DatabaseUnreachable, transient  # noqa: F401
from bakso_tui.files import private_dir, tighten
from bakso_tui.locale import t


SQLITE_BUSY_MS = 30_000

#: libpq's connection settings for every PostgreSQL connection: a server that
#: does not answer a connect within 5 s is away; a peer that vanished without
#: closing (a cut network, a crashed host) is noticed within ~15 s by TCP
#: keepalives and by a send left unacknowledged, not after the system's two
#: hours, so the header says so and a worker does not hang.
PG_CONNECT_ARGS = {
    "connect_timeout": 5,
    "application_name": "bakso",
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 3,
    "keepalives_count": 3,
    "tcp_user_timeout": 15_000,
}


_PASSWORD = re.compile(r"(?<=://)([^/@:]*):[^/]*@")


def _safe(url: str) -> str:
    """The URL as it may be shown: the password hidden, even in one SQLAlchemy cannot parse."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        return _PASSWORD.sub(r"\1:***@", url)


class Database:
    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 5) -> None:
        self.url = url
        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError):  # ValueError: a port that is not a number
            raise DatabaseError(t("db.bad_url", url=_safe(url))) from None
        if parsed.get_backend_name() not in ("sqlite", "postgresql"):
            raise DatabaseError(t("db.unsupported", url=_safe(url)))
        if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
            raise DatabaseError(t("db.driver", url=_safe(url)))
        self.dialect = parsed.get_backend_name()
        self._parsed, self._echo, self._pool_size = parsed, echo, pool_size
        try:
            if self.dialect == "sqlite":
                self.engine = self._sqlite_engine(parsed, echo)
            else:
                self.engine = create_engine(
                    parsed,
                    echo=echo,
                    pool_size=pool_size,
                    max_overflow=pool_size,
                    pool_pre_ping=True,
                    connect_args=dict(PG_CONNECT_ARGS),
                )
        except (ArgumentError, NoSuchModuleError) as exc:
            raise DatabaseError(t("db.bad_url", url=_safe(url)) + f" ({exc})") from None
        if self.dialect == "sqlite":
            self.write_engine = self.engine.execution_options(sqlite_begin="BEGIN IMMEDIATE")
        else:
            self.write_engine = self.engine
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)

    @staticmethod
    def _sqlite_engine(parsed, echo: bool) -> Engine:
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            # Every NIK and scan is in this file: 0600 in a 0700 folder, and SQLite
            # gives its -wal and -shm files the database file's mode.
            private_dir(Path(database).expanduser().parent)
        engine = create_engine(
            parsed, echo=echo, connect_args={"timeout": SQLITE_BUSY_MS / 1000}
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            # We issue BEGIN ourselves (below): the driver must not.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            if database and database != ":memory:":
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
            if database and database != ":memory:" and not database.startswith("file:"):
                _make_private(Path(database).expanduser())

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))

        return engine

    def sqlite_path(self) -> Path | None:
        """The file of an SQLite database (None for PostgreSQL or in-memory)."""
        if self.dialect != "sqlite":
            return None
        database = make_url(self.url).database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return Path(database).expanduser()

    @property
    def is_postgresql(self) -> bool:
        return self.dialect == "postgresql"

    def check(self) -> None:
        """Connect once; raise `DatabaseError` with one clear line if we cannot
        (`DatabaseUnreachable` when the server does not answer)."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except (OperationalError, InterfaceError, ProgrammingError) as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            message = t("db.unreachable", url=_safe(self.url), reason=reason)
            if transient(exc):
                raise DatabaseUnreachable(message, reason) from None
            raise DatabaseError(message) from None

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    @contextmanager
    def one_statement(self) -> Iterator[Session]:
        """A session for a read that is one statement (the dashboard's): on
        PostgreSQL on a self-committing connection of the `step` pool, without
        the ping, BEGIN and ROLLBACK a `read` sends (a round trip each); one
        statement sees one snapshot by itself. A connection the server ended
        fails once (``connection_invalidated``) and is replaced on the next
        use. On SQLite, `read`."""
        if not self.is_postgresql:
            with self.read() as session:
                yield session
            return
        with self._step_engine.connect() as conn, Session(conn) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._write() as session, session.begin():
            yield session

    @cached_property
    def _step_engine(self) -> Engine:
        # Its own small pool: no pre-ping and no reset on return, both of which
        # cost a round trip on every checkout. A connection that died is
        # invalidated on its first error and `step` says so to the caller.
        return create_engine(
            self._parsed,
            echo=self._echo,
            isolation_level="AUTOCOMMIT",
            pool_size=1,
            max_overflow=self._pool_size,
            pool_pre_ping=False,
            pool_reset_on_return=None,
            connect_args=dict(PG_CONNECT_ARGS),
        )

    @contextmanager
    def step(self) -> Iterator[Connection]:
        """One self-committing statement on PostgreSQL (a server-side function
        that is a whole transaction by itself, such as ``bakso_claim_next``).

        Statements sent straight to the driver's connection (as claim-next
        does, for speed) raise the driver's own errors, past SQLAlchemy: they
        are raised here as SQLAlchemy's, and a connection the server ended is
        thrown away instead of going back to the pool.
        """
        if not self.is_postgresql:
            raise RuntimeError("Database.step is for PostgreSQL server functions")
        import psycopg

        with self._step_engine.connect() as conn:
            try:
                yield conn
            except psycopg.Error as exc:
                raw = conn.connection.dbapi_connection
                broken = raw is None or raw.closed or raw.broken
                if broken:
                    conn.invalidate(exc)
                raise DBAPIError.instance(None, None, exc, psycopg.Error,
                                          connection_invalidated=broken) from exc

    def refresh_statistics(self) -> None:
        """Planner statistics for every table, after a bulk load or a schema
        change. On PostgreSQL outside any transaction (an ANALYZE that is rolled
        back leaves none). On SQLite a whole pass: 0.14 s at 100,000
        submissions (a capped sample, ``analysis_limit``, misjudged the state
        column and kept the slow plan)."""
        if self.is_postgresql:
            with self.step() as conn:
                conn.exec_driver_sql("ANALYZE")
            return
        with self.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()

    def ensure_statistics(self) -> None:
        """SQLite keeps no statistics until ANALYZE runs, and without them it
        reads "state IN (...)" as narrow and sorts the whole open queue for
        every page (200 ms at 100,000 submissions instead of 3). Gather them
        once when a file with submissions has none; later growth keeps the
        proportions the planner needs. PostgreSQL's autovacuum does this."""
        if self.is_postgresql:
            return
        with self.engine.connect() as conn:
            known = conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"
            ).first() and conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_stat1 WHERE tbl = 'submission'"
            ).first()
            has_rows = conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE name = 'submission'"
            ).first() and conn.exec_driver_sql("SELECT 1 FROM submission LIMIT 1").first()
        if has_rows and not known:
            self.refresh_statistics()

    def dispose(self) -> None:
        self.engine.dispose()
        if "_step_engine" in self.__dict__:
            self._step_engine.dispose()

    @property
    def safe_url(self) -> str:
        return _safe(self.url)


def _make_private(path: Path) -> None:
    """Every NIK and scan is in the SQLite file: 0600, whoever created it and under
    whatever umask (an old file too). SQLite gives its -wal and -shm files the
    database file's mode; they are tightened as well."""
    for name in (path.name, path.name + "-wal", path.name + "-shm", path.name + "-journal"):
        tighten(path.with_name(name))
