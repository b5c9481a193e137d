"""Files are private: what bakso writes is 0600, the folders it makes 0700.

Every test runs under a permissive umask (022, as many systems have), so a mode
seen here is the program's doing, not the test runner's.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import packages as pk
import pytest
from sqlalchemy import text

from bakso_tui.attachments.store import BlobStore
from bakso_tui.config import AttachmentSettings, settings_from
from bakso_tui.db.engine import Database
from bakso_tui.domain.intake import Intake
from bakso_tui.files import private_dir, tighten_stream, write_private
from bakso_tui.jobs.inbox import process_inbox

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _bakso(*args: str, cwd: Path, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    env = {**os.environ, "BAKSO_LANG": "en"}
    return subprocess.run([sys.executable, "-m", "bakso_tui", *args], cwd=cwd, env=env,
                          stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120,
                          preexec_fn=lambda: os.umask(0o022))


def test_the_command_line_sets_umask_077_and_the_database_is_0600(tmp_path):
    folder = tmp_path / "new" / "data"
    url = f"sqlite:///{folder / 'office.sqlite3'}"
    done = _bakso("--db", url, "db", "upgrade", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert mode(folder) == 0o700 and mode(folder.parent) == 0o700
    assert mode(folder / "office.sqlite3") == 0o600
    for extra in folder.iterdir():  # -wal, -shm: whatever SQLite left beside it
        assert mode(extra) & 0o077 == 0, extra
    probe = _bakso("--db", url, "export", "decisions", cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr


def test_an_export_redirected_by_the_shell_is_made_private(tmp_path):
    url = f"sqlite:///{tmp_path / 'office.sqlite3'}"
    assert _bakso("--db", url, "db", "upgrade", cwd=tmp_path).returncode == 0
    out = tmp_path / "decisions.csv"
    with out.open("w") as fh:  # created here under umask 022, as a shell's `>` would
        assert mode(out) == 0o644
        done = _bakso("--db", url, "export", "decisions", "--format", "csv", cwd=tmp_path,
                      stdout=fh)
    assert done.returncode == 0, done.stderr
    assert mode(out) == 0o600
    assert out.read_text().startswith("submission")


def test_an_old_world_readable_sqlite_file_is_tightened(tmp_path):
    path = tmp_path / "old.sqlite3"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    db = Database(f"sqlite:///{path}")
    try:
        with db.read() as session:  # the first connection tightens it
            session.execute(text("select 1"))
        assert mode(path) == 0o600
    finally:
        db.dispose()


def test_blob_folders_and_files(tmp_path, db):
    store = BlobStore(AttachmentSettings(store="directory", directory=tmp_path / "blobs"))
    with db.write() as session:
        sha = store.put(session, b"%PDF-1.7 scan", "application/pdf")
    path = store._path(sha)
    assert mode(path) == 0o600
    for folder in (path.parent, path.parent.parent, tmp_path / "blobs"):
        assert mode(folder) == 0o700, folder


def test_inbox_outputs_are_private_the_inbox_itself_is_left(db, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir(mode=0o775)  # shared with the upload account: not ours to change
    os.chmod(inbox, 0o775)
    pk.write_zip(inbox / "bad.zip", pk.manifest(submitted_at="0001-01-01T00:00:00"))
    pk.write_zip(inbox / "ok.zip", pk.manifest(external_id="OK"))
    for package in inbox.iterdir():
        os.chmod(package, 0o644)
    settings = settings_from({"attachments": {"store": "directory", "directory": str(tmp_path / "b")}})
    run = process_inbox(Intake(db, settings), inbox)
    assert run.counts["accepted"] == 1 and run.counts["quarantined"] == 1
    assert mode(inbox) == 0o775
    assert mode(inbox / "accepted") == 0o700 and mode(inbox / "quarantine") == 0o700
    assert mode(inbox / "accepted" / "ok.zip") == 0o600
    assert mode(inbox / "quarantine" / "bad.zip") == 0o600
    assert mode(inbox / "quarantine" / "bad.zip.reasons.txt") == 0o600
    blobs = [p for p in (tmp_path / "b").rglob("*")]
    assert blobs and all(mode(p) == (0o700 if p.is_dir() else 0o600) for p in blobs)


def test_written_files_and_made_folders(tmp_path):
    write_private(tmp_path / "a" / "b" / "batch.pdf", b"%PDF")
    assert mode(tmp_path / "a") == 0o700 and mode(tmp_path / "a" / "b") == 0o700
    assert mode(tmp_path / "a" / "b" / "batch.pdf") == 0o600
    existing = tmp_path / "shared"
    existing.mkdir(mode=0o755)
    private_dir(existing / "x")
    assert mode(existing) == 0o755 and mode(existing / "x") == 0o700


def test_a_stream_without_a_file_is_left_alone(tmp_path):
    import io

    tighten_stream(io.StringIO())  # nothing to change, nothing raised
    with (tmp_path / "f").open("w") as fh:
        tighten_stream(fh)
    assert mode(tmp_path / "f") == 0o600
