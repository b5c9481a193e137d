"""Backups: `bakso db check` (the audit chain and every attachment hashed again),
and a pg_dump restored into a fresh database that checks whole (docs/backup.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import packages
import pytest
from click.testing import CliRunner
from conftest import PG_ADMIN_URL
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import make_url

from bakso_tui.cli import cli
from bakso_tui.db.models import AuditHead, Blob, Decision
from bakso_tui.domain import claims, users
from bakso_tui.domain.intake import Intake
from bakso_tui.domain.workflow import Action

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def fill(db, tmp_path, count: int = 3) -> None:
    """Packages taken in (their PDFs stored), one decided, as an office's day."""
    intake = Intake(db)
    for i in range(count):
        m = packages.manifest(external_id=f"BAK-{i:03d}")
        m["applicant"] = {**m["applicant"], "name": f"Pemohon {i}"}
        files = {a["file"]: packages.hostile.text_pdf(f"{a['requirement']} {i}", pages=2)
                 for a in m["attachments"]}
        result = intake.intake(packages.write_folder(tmp_path / f"in{i}", m, files), now=NOW)
        assert result.status == "accepted", result
    with db.write() as s:
        verifier = users.add_user(s, users.cli_actor(), login="verif1", name="V",
                                  role="verifier").actor()
    claim = claims.claim_next(db, verifier, now=NOW)
    claims.decide_once(db, verifier, claim.submission_id, claim.token, Action.RETURN,
                       reason_code="scan_tidak_terbaca", now=NOW + timedelta(minutes=3))


def shas(db) -> list[str]:
    with db.read() as s:
        return list(s.scalars(select(Blob.sha256).order_by(Blob.sha256)))


def test_db_check_passes_and_names_each_damaged_attachment(db, tmp_path):
    fill(db, tmp_path)
    result = run("--db", db.url, "db", "check")
    assert result.exit_code == 0, result.output
    stored = shas(db)
    assert f"{len(stored)} berkas" in result.output and "semua cocok" in result.output
    assert "Rantai audit utuh" in result.output
    changed, gone = stored[0], stored[1]
    with db.write() as s:  # damage behind the program's back (the blob table has no trigger)
        s.execute(update(Blob).where(Blob.sha256 == changed).values(data=b"%PDF-1.4 tampered"))
        s.execute(update(Blob).where(Blob.sha256 == gone).values(data=None))
    result = run("--db", db.url, "db", "check")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert f"Lampiran {changed}: isinya berubah, hash tidak cocok (database)" in lines
    assert f"Lampiran {gone}: berkasnya tidak ada (database)" in lines
    assert lines[-1] == ("bakso: Pemeriksaan menemukan 2 masalah (lihat baris di atas); "
                         "pulihkan dari cadangan yang utuh")


def test_db_check_reads_a_directory_store(sqlite_db, tmp_path, monkeypatch):
    store = tmp_path / "lampiran"
    config = tmp_path / "bakso.toml"
    config.write_text(f'[attachments]\nstore = "directory"\ndirectory = "{store}"\n')
    monkeypatch.setenv("BAKSO_CONFIG", str(config))
    folders = []
    for i in range(2):
        m = packages.manifest(external_id=f"DIR-{i}")
        folders.append(str(packages.write_folder(tmp_path / f"p{i}", m, {
            a["file"]: packages.hostile.text_pdf(f"{a['file']} {i}") for a in m["attachments"]})))
    assert run("--db", sqlite_db.url, "intake", *folders).exit_code == 0
    result = run("--db", sqlite_db.url, "db", "check")
    assert result.exit_code == 0, result.output
    files = sorted(p for p in store.rglob("*") if p.is_file())
    assert len(files) == len(shas(sqlite_db)) >= 2
    files[0].write_bytes(files[0].read_bytes() + b"\n")
    files[1].unlink()
    result = run("--db", sqlite_db.url, "db", "check")
    assert result.exit_code == 1
    assert f"Lampiran {files[0].name}: isinya berubah, hash tidak cocok ({files[0]})" in result.output
    assert f"Lampiran {files[1].name}: berkasnya tidak ada ({files[1]})" in result.output


def test_a_verifier_may_not_run_the_check(sqlite_db):
    with sqlite_db.write() as s:
        users.add_user(s, users.cli_actor(), login=users.os_login(), name="V", role="verifier")
    result = run("--db", sqlite_db.url, "db", "check")
    assert result.exit_code == 1 and "audit.view" in result.output


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_a_pg_dump_restored_into_a_fresh_database_checks_whole(pg_db, tmp_path):
    fill(pg_db, tmp_path, count=4)
    source = make_url(pg_db.url)
    dump = tmp_path / "bakso.dump"
    libpq = f"postgresql://{source.username}@{source.host}:{source.port}"
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    subprocess.run(["pg_dump", "--format=custom", "--file", str(dump),
                    f"{libpq}/{source.database}"], check=True, env=env, timeout=120)
    fresh = f"bakso_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{fresh}"'))
    try:
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname",
                        f"{libpq}/{fresh}", str(dump)], check=True, env=env, timeout=120)
        url = source.set(database=fresh).render_as_string(hide_password=False)
        result = run("--db", url, "db", "check")
        assert result.exit_code == 0, result.output
        with pg_db.read() as s:
            blobs = s.scalar(select(func.count()).select_from(Blob))
            audit_rows = s.scalar(select(AuditHead.count))
            decisions = s.scalar(select(func.count()).select_from(Decision))
        assert f"Rantai audit utuh: {audit_rows} baris" in result.output
        assert f"{blobs} berkas" in result.output and "semua cocok" in result.output
        restored = create_engine(url)
        with restored.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM decision")).scalar() == decisions == 1
            # The audit triggers came back with the schema: the past stays as it was.
            with pytest.raises(Exception, match="append-only|audit"):
                conn.execute(text("DELETE FROM audit_log"))
        restored.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)'))
        admin.dispose()
