"""Test set-up: a throwaway database per test, on SQLite and on PostgreSQL.

Each test run migrates one template database per backend (and per xdist
worker) and seeds the reference data into it; each test then gets its own copy
(a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL), so tests
never see each other's rows and no database outlives the run.

PostgreSQL is found at ``BAKSO_TEST_PG_URL`` (default: the server on
127.0.0.1:5432). With ``CI=true`` a missing server fails the run; elsewhere the
PostgreSQL half of the suite is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bakso_tui.db import migrate
from bakso_tui.db.engine import Database
from bakso_tui.domain.reference import sync_reference
from bakso_tui.locale import set_language

PG_ADMIN_URL = os.environ.get(
    "BAKSO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
RUN_ID = uuid.uuid4().hex[:8]
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory, monkeypatch):
    """Hide the developer's own config, database URL and language."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("BAKSO_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.delenv("BAKSO_DATABASE_URL", raising=False)
    monkeypatch.delenv("BAKSO_LANG", raising=False)
    # No warm parent (bakso_tui/warm) outlives a test: tests/test_warm.py turns it on.
    monkeypatch.setenv("BAKSO_WARM", "0")
    set_language("id")
    yield
    set_language("id")


def _admin_engine():
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


def _pg_url(name: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


class _Templates:
    """One migrated, reference-seeded template per backend, made on first use."""

    def __init__(self, root: Path, worker: str) -> None:
        self.root = root
        self.worker = worker
        self.sqlite_path: Path | None = None
        self.pg_name: str | None = None
        self.pg_error: str | None = None
        self.made_pg: list[str] = []

    def sqlite(self) -> Path:
        if self.sqlite_path is None:
            path = self.root / "template.sqlite3"
            db = Database(f"sqlite:///{path}")
            migrate.upgrade(db)
            with db.write() as session:
                sync_reference(session)
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            db.dispose()
            self.sqlite_path = path
        return self.sqlite_path

    def postgresql(self) -> str:
        if self.pg_error:
            raise RuntimeError(self.pg_error)
        if self.pg_name is None:
            name = f"bakso_tpl_{RUN_ID}_{self.worker}"
            try:
                admin = _admin_engine()
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                admin.dispose()
            except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL"
                self.pg_error = f"PostgreSQL not available at {PG_ADMIN_URL}: {str(exc).splitlines()[0]}"
                raise RuntimeError(self.pg_error) from None
            self.made_pg.append(name)
            db = Database(_pg_url(name))
            migrate.upgrade(db)
            with db.write() as session:
                sync_reference(session)
            db.dispose()
            self.pg_name = name
        return self.pg_name

    def clone_pg(self) -> str:
        template = self.postgresql()
        name = f"bakso_t_{RUN_ID}_{self.worker}_{uuid.uuid4().hex[:8]}"
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        admin.dispose()
        return name

    def drop_all(self) -> None:
        if not self.made_pg:
            return
        admin = _admin_engine()
        with admin.connect() as conn:
            for name in self.made_pg:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _templates(tmp_path_factory, worker_id) -> Iterator[_Templates]:
    templates = _Templates(tmp_path_factory.mktemp("templates"), worker_id)
    yield templates
    templates.drop_all()


def _make_db(backend: str, templates: _Templates, tmp_path: Path) -> Iterator[Database]:
    if backend == "sqlite":
        path = tmp_path / "bakso.sqlite3"
        shutil.copyfile(templates.sqlite(), path)
        db = Database(f"sqlite:///{path}")
        yield db
        db.dispose()
        return
    try:
        name = templates.clone_pg()
    except RuntimeError as exc:
        if IN_CI:
            pytest.fail(f"CI=true and {exc}", pytrace=False)
        pytest.skip(str(exc))
    templates.made_pg.append(name)
    db = Database(_pg_url(name))
    yield db
    db.dispose()
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    templates.made_pg.remove(name)


@pytest.fixture(params=BACKENDS)
def db(request, _templates, tmp_path) -> Iterator[Database]:
    """A fresh, migrated database with reference data: once on each backend."""
    yield from _make_db(request.param, _templates, tmp_path)


@pytest.fixture
def sqlite_db(_templates, tmp_path) -> Iterator[Database]:
    yield from _make_db("sqlite", _templates, tmp_path)


@pytest.fixture
def pg_db(_templates, tmp_path) -> Iterator[Database]:
    yield from _make_db("postgresql", _templates, tmp_path)


@pytest.fixture(scope="session")
def cups(tmp_path_factory):
    """A private cupsd with a cups-pdf queue (see tests/cups_rig.py).

    Missing CUPS (not root, not installed) skips the printing tests, or fails
    them with CI=true, as a missing PostgreSQL does.
    """
    from cups_rig import CupsUnavailable, PrivateCups

    # A short path: a Unix socket's path must stay under 108 bytes.
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="bakso-cups-"))
    rig = PrivateCups(root)
    try:
        rig.start()
    except CupsUnavailable as exc:
        shutil.rmtree(root, ignore_errors=True)
        if IN_CI:
            pytest.fail(f"CI=true and no CUPS for the printing tests: {exc}", pytrace=False)
        pytest.skip(str(exc))
    yield rig
    rig.stop()
    shutil.rmtree(root, ignore_errors=True)
