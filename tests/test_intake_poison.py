"""No package stops intake: poison manifests, impossible dates, our own bugs, a database gone.

Each package ends accepted, duplicate or quarantined (failed only when nothing
could be stored), and the run goes on to the next one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import packages as pk
import pytest
from sqlalchemy import select

from bakso_tui.db.engine import Database
from bakso_tui.db.models import QuarantinedPackage
from bakso_tui.domain.intake import Intake, checks, list_quarantine
from bakso_tui.jobs.inbox import process_inbox
from bakso_tui.locale import set_language

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def intake(db):
    return Intake(db)


def _one(intake, tmp_path, name, manifest, **kw):
    path = pk.write_zip(tmp_path / f"{name}.zip", manifest, **kw)
    return intake.intake(path, now=NOW)


POISON = [
    ("100,000 nested [", "[" * 100_000, "bersarang terlalu dalam"),
    ("40,000 nested {", '{"a":' * 40_000, "bersarang terlalu dalam"),
    ("nested inside a field", None, "bersarang terlalu dalam"),
    ("NaN", '{"schema": NaN}', "bukan JSON"),
    ("Infinity", '{"schema": -Infinity}', "bukan JSON"),
    ("a number of 5,000 digits", '{"schema": ' + "9" * 5000 + "}", "bukan JSON"),
    ("not UTF-8", b"\xff\xfe\x00{", "bukan teks UTF-8"),
    ("too large", '{"x": "' + "a" * 300_000 + '"}', "terlalu besar"),
]


@pytest.mark.parametrize(("label", "text", "fragment"), POISON, ids=[p[0] for p in POISON])
def test_poison_manifest_is_quarantined_and_the_run_goes_on(db, intake, tmp_path, label, text,
                                                           fragment):
    if text is None:
        text = json.dumps({**pk.manifest(), "extra": 0}).replace('"extra": 0', '"extra": ' + "[" * 40 + "]" * 40)
    if isinstance(text, bytes):
        path = tmp_path / "bytes.zip"
        import zipfile

        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("submission.json", text)
    else:
        path = pk.write_zip(tmp_path / "poison.zip", text, files={})
    good = pk.write_zip(tmp_path / "good.zip", pk.manifest(external_id="AFTER"))
    results = list(intake.intake_many([path, good], now=NOW))
    assert [r.status for r in results] == ["quarantined", "accepted"], label
    assert any(fragment in m for m in results[0].messages()), (label, results[0].messages())


@pytest.mark.parametrize(("submitted_at", "status", "fragment"), [
    ("0001-01-01T00:00:00", "quarantined", "di luar rentang"),
    ("1999-12-31T23:59:59+08:00", "quarantined", "di luar rentang"),
    ("9999-12-31T23:59:59-12:00", "quarantined", "di luar rentang"),
    ("2026-11-22T12:00:00+08:00", "quarantined", "masa depan"),  # two days ahead
    ("2026-11-20T23:00:00+08:00", "accepted", None),  # a clock some hours ahead
    ("2000-01-01T00:00:00+08:00", "accepted", None),
])
def test_submission_time_is_range_checked(intake, tmp_path, submitted_at, status, fragment):
    result = _one(intake, tmp_path, "t", pk.manifest(submitted_at=submitted_at))
    assert result.status == status, result.messages()
    if fragment:
        assert any(fragment in m and "submitted_at" in m for m in result.messages())


@pytest.mark.parametrize(("where", "value", "fragment"), [
    ("applicant", "1899-12-31", "terlalu lampau"),
    ("applicant", "0001-01-01", "terlalu lampau"),
    ("applicant", "2026-11-21", "masa depan"),
    ("subject", "2026-12-01", "masa depan"),
    ("subject", "1850-01-01", "terlalu lampau"),
    ("subject", "30-02-2026", "bukan tanggal"),
    ("subject", 20260101, "bukan tanggal"),
])
def test_birth_dates_are_plausible(intake, tmp_path, where, value, fragment):
    m = pk.manifest()
    if where == "applicant":
        m = pk.with_applicant(m, birth_date=value)
    else:
        m["subjects"] = [{"role": "anak", "name": "Rizki", "birth_date": value, "sex": "L"}]
    result = _one(intake, tmp_path, "b", m)
    assert result.status == "quarantined"
    assert any(fragment in r for r in result.messages()), result.messages()


def test_a_bug_of_ours_quarantines_the_package_and_the_run_goes_on(db, intake, tmp_path,
                                                                  monkeypatch):
    def broken(m):
        if m.external_id == "BUG":
            raise ZeroDivisionError("a bug tripped by this package")
        return []

    monkeypatch.setattr(checks, "numbers", broken)
    bug = pk.write_zip(tmp_path / "bug.zip", pk.manifest(external_id="BUG"))
    good = pk.write_zip(tmp_path / "good.zip", pk.manifest(external_id="FINE"))
    results = list(intake.intake_many([bug, good], now=NOW))
    assert [r.status for r in results] == ["quarantined", "accepted"]
    assert "ZeroDivisionError" in results[0].messages()[0]
    with db.read() as s:
        row = list_quarantine(s)[0]
    assert row.reasons[0].code == "intake.unexpected" and row.external_id is None


def test_a_bug_of_ours_prints_no_traceback(db, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from bakso_tui.cli import cli

    def broken(m):
        raise KeyError("Siti Aminah 5203015203900001")  # data a message must not leak

    monkeypatch.setattr(checks, "numbers", broken)
    path = pk.write_zip(tmp_path / "bug.zip", pk.manifest(external_id="BUG"))
    out = CliRunner().invoke(cli, ["intake", str(path), "--db", db.url])
    assert out.exit_code == 1
    assert "Traceback" not in out.output and "5203015203900001" not in out.output, out.output
    assert "bug.zip: dikarantina" in out.output and "(KeyError)" in out.output


def test_a_name_that_grows_in_upper_case_is_refused_not_a_crash(intake, tmp_path):
    result = _one(intake, tmp_path, "ss", pk.with_applicant(pk.manifest(), name="ß" * 150))
    assert result.messages() == ["submission.json: applicant.name: terlalu panjang"]


def test_a_database_that_cannot_be_used_fails_the_package_without_losing_it(tmp_path):
    empty = Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")  # no schema at all
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    pk.write_zip(inbox / "p.zip", pk.manifest())
    run = process_inbox(Intake(empty), inbox)
    assert run.counts["failed"] == 1
    assert "jalankan lagi" in run.results[0].messages()[-1]
    assert (inbox / "p.zip").is_file()  # left for the next run
    empty.dispose()


def test_a_missing_path_fails_without_a_quarantine_entry(db, intake, tmp_path):
    result = intake.intake(tmp_path / "nope.zip", now=NOW)
    assert result.status == "failed" and "tidak ditemukan" in result.messages()[0]
    with db.read() as s:
        assert list_quarantine(s) == []


def test_inbox_moves_a_poison_package_to_quarantine_and_the_next_run_passes_it_by(db, intake,
                                                                                 tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    pk.write_zip(inbox / "deep.zip", "[" * 100_000, files={})
    pk.write_zip(inbox / "old.zip", pk.manifest(submitted_at="0001-01-01T00:00:00"))
    pk.write_zip(inbox / "ok.zip", pk.manifest(external_id="OK"))
    first = process_inbox(intake, inbox)
    assert first.counts == {"accepted": 1, "duplicate": 0, "quarantined": 2, "failed": 0}
    assert sorted(p.name for p in (inbox / "quarantine").iterdir()) == [
        "deep.zip", "deep.zip.reasons.txt", "old.zip", "old.zip.reasons.txt"]
    assert "bersarang" in (inbox / "quarantine" / "deep.zip.reasons.txt").read_text()
    second = process_inbox(intake, inbox)
    assert second.results == []


def test_a_file_that_is_not_a_package_is_one_entry_with_its_attempts(db, intake, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a package at all")
    again = tmp_path / "junk-again.zip"
    again.write_bytes(junk.read_bytes())
    assert [intake.intake(p, now=NOW).status for p in (junk, junk, again)] == ["quarantined"] * 3
    with db.read() as s:
        rows = list_quarantine(s)
        stored = s.scalars(select(QuarantinedPackage)).one()
    assert len(rows) == 1 and rows[0].attempts == 3
    assert stored.size == len(b"not a package at all") and stored.sha256 == stored.package_sha256


def test_reasons_are_stored_as_codes_and_shown_in_the_readers_language(db, intake, tmp_path):
    _one(intake, tmp_path, "lang", {**pk.manifest(), "service": "nope"})
    with db.read() as s:
        stored = s.scalars(select(QuarantinedPackage)).one().reasons
        row = list_quarantine(s)[0]
    assert stored == [{"code": "intake.unknown_service", "where": "submission.json: service",
                       "params": {"value": "nope"}}]
    assert row.messages() == ["submission.json: service: layanan 'nope' tidak ada di katalog "
                              "(lihat: bakso catalog services)"]
    set_language("en")
    assert row.messages() == ["submission.json: service: service 'nope' is not in the catalogue "
                              "(see: bakso catalog services)"]


def test_a_fifo_in_a_folder_is_refused_without_hanging(db, intake, tmp_path):
    import os

    root = pk.write_folder(tmp_path / "fifo", pk.manifest(external_id="FIFO"))
    os.mkfifo(root / "pipe.pdf")
    result = intake.intake(root, now=NOW)
    assert result.status == "quarantined" and "berkas khusus" in result.messages()[0]
    with db.read() as s:
        assert list_quarantine(s)[0].external_id is None  # the manifest was never read
