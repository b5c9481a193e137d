"""Intake: strict, idempotent, never losing a package; every hostile input refused with a reason."""

from __future__ import annotations

import json
import os
import zipfile
from datetime import UTC, datetime

import hostile
import packages as pk
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bakso_tui.cli import cli
from bakso_tui.db.models import Attachment, QuarantinedPackage, Submission
from bakso_tui.domain.intake import Intake, list_quarantine
from bakso_tui.jobs.inbox import process_inbox

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def intake(db):
    return Intake(db)


def count(db, model) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_valid_folder_is_accepted_with_its_attachments(db, intake, tmp_path):
    m = pk.manifest()
    result = intake.intake(pk.write_folder(tmp_path / "p1", m), now=NOW)
    assert result.status == "accepted", result.messages()
    assert result.submission.startswith("BKS-2026-")
    with db.read() as s:
        sub = s.scalars(select(Submission)).one()
        atts = s.scalars(select(Attachment)).all()
    assert sub.applicant_nik == "5203015203900001" and sub.state == "diajukan"
    assert {a.requirement_id for a in atts} == {a["requirement"] for a in m["attachments"]}
    assert all(a.media_type == "application/pdf" and a.pages == 2 for a in atts)


def test_same_package_twice_is_duplicate_and_changes_nothing(db, intake, tmp_path):
    path = pk.write_zip(tmp_path / "p.zip", pk.manifest())
    first = intake.intake(path, now=NOW)
    before = (count(db, Submission), count(db, Attachment))
    second = intake.intake(path, now=NOW)
    assert first.status == "accepted" and second.status == "duplicate"
    assert second.submission == first.submission
    assert (count(db, Submission), count(db, Attachment)) == before


def _bad_cases(tmp_path):
    """(name, path, fragment expected in a reason) for each hostile input of the issue."""
    good = pk.manifest()
    cases = []

    def folder(name, m, files=None):
        return pk.write_folder(tmp_path / name, m, files)

    cases.append(("invalid json", folder("json", '{"schema": "bakso.submission/1",'), "bukan JSON"))
    cases.append(("unknown service", folder("svc", {**good, "service": "sim_keliling"}), "tidak ada di katalog"))
    cases.append(("unknown village", folder("vil", {**good, "village_code": "52.01.01.2001"}), "tidak dilayani"))
    cases.append(("nik 15 digits", folder("nik15", pk.with_applicant(good, nik="520301520390000")), "16"))
    cases.append(("nik day 32", folder("nik32", pk.with_applicant(good, nik="5203013203900001")), "32"))
    cases.append(("nik month 13", folder("nik13", pk.with_applicant(good, nik="5203015213900001")), "13"))
    cases.append(("30 february", folder("feb30", pk.with_applicant(good, birth_date="1990-02-30")), "bukan tanggal"))
    missing_req = {**good, "attachments": good["attachments"][1:]}
    cases.append(("missing mandatory", folder("mand", missing_req), "wajib"))
    cases.append(("named file absent", folder("absent", good, files={}), "tidak ada di dalam paket"))
    first = good["attachments"][0]["file"]
    rnd = pk.files_for(good) | {first: os.urandom(4096)}
    cases.append(("random bytes .pdf", folder("rnd", good, rnd), "bukan PDF"))
    enc = pk.files_for(good) | {first: hostile.encrypted_pdf()}
    cases.append(("encrypted pdf", folder("enc", good, enc), "terenkripsi"))
    trunc = pk.files_for(good) | {first: hostile.truncated_pdf()}
    cases.append(("truncated pdf", folder("trunc", good, trunc), "rusak"))
    zip_up = pk.write_zip(tmp_path / "zipup.zip", good, extra={"../x": b"evil"})
    cases.append(("zip entry ../x", zip_up, "'..'"))
    etc = {**good, "attachments": [*good["attachments"][1:], {"requirement": good["attachments"][0]["requirement"], "file": "../../etc/passwd"}]}
    cases.append(("manifest ../../etc/passwd", folder("etc", etc), "'..'"))
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(hostile.zip_bomb_bytes())
    cases.append(("zip bomb", bomb, "bom zip"))
    png = pk.files_for(good) | {first: hostile.big_png()}
    cases.append(("100 MP png", folder("png", good, png), "megapiksel"))
    pdfbomb = pk.files_for(good) | {first: hostile.pdf_bomb()}
    cases.append(("pdf flate bomb", folder("pdfbomb", good, pdfbomb), "bom"))
    return cases


def test_every_hostile_package_is_quarantined_with_its_reason_and_the_run_goes_on(db, intake, tmp_path):
    cases = _bad_cases(tmp_path)
    good = pk.write_folder(tmp_path / "good-at-the-end", pk.manifest(external_id="TL-OK"))
    results = [intake.intake(path, now=NOW) for _, path, _ in cases] + [intake.intake(good, now=NOW)]
    for (label, _, fragment), result in zip(cases, results, strict=False):
        assert result.status == "quarantined", label
        assert result.reasons, label
        assert all("\n" not in r for r in result.messages()), label
        assert any(fragment in r for r in result.messages()), (label, result.messages())
    assert results[-1].status == "accepted"
    with db.read() as s:
        quarantined = s.scalar(select(func.count()).select_from(QuarantinedPackage))
    assert quarantined == len(cases)
    assert not os.path.exists(tmp_path / "x")  # nothing written outside a package


def test_quarantined_package_is_kept_whole_and_accepted_when_resent_fixed(db, intake, tmp_path):
    from bakso_tui.attachments.store import BlobStore

    bad = pk.manifest(external_id="TL-FIX")
    bad = pk.with_applicant(bad, nik="520301520390001")  # 15 digits
    path = pk.write_zip(tmp_path / "fix.zip", bad)
    original = path.read_bytes()
    assert intake.intake(path, now=NOW).status == "quarantined"
    with db.read() as s:
        row = list_quarantine(s)[0]
        stored = BlobStore().get(s, s.get(QuarantinedPackage, row.id).sha256)
    assert stored == original and row.external_id == "TL-FIX"
    fixed = pk.write_zip(tmp_path / "fix2.zip", pk.manifest(external_id="TL-FIX"))
    result = intake.intake(fixed, now=NOW)
    assert result.status == "accepted"
    with db.read() as s:
        assert list_quarantine(s) == []
        assert list_quarantine(s, open_only=False)[0].resolved_submission_id is not None


def test_same_bad_package_twice_is_one_quarantine_row(db, intake, tmp_path):
    path = pk.write_zip(tmp_path / "b.zip", {**pk.manifest(), "service": "nope"})
    intake.intake(path, now=NOW)
    intake.intake(path, now=NOW)
    with db.read() as s:
        rows = list_quarantine(s)
    assert len(rows) == 1 and rows[0].attempts == 2


def test_symlink_in_folder_is_refused_without_reading_it(intake, tmp_path):
    root = pk.write_folder(tmp_path / "ln", pk.manifest())
    (root / "link.pdf").symlink_to("/etc/passwd")
    result = intake.intake(root, now=NOW)
    assert result.status == "quarantined" and "tautan" in result.messages()[0]


def test_absolute_zip_entry_is_refused(intake, tmp_path):
    path = pk.write_zip(tmp_path / "abs.zip", pk.manifest(), extra={"/etc/cron.d/x": b"x"})
    result = intake.intake(path, now=NOW)
    assert result.status == "quarantined" and "absolut" in result.messages()[0]


def test_possible_duplicate_flag_links_the_open_one(db, intake, tmp_path):
    a = intake.intake(pk.write_folder(tmp_path / "a", pk.manifest(external_id="A1")), now=NOW)
    b = intake.intake(pk.write_folder(tmp_path / "b", pk.manifest(external_id="A2")), now=NOW)
    assert "kemungkinan_duplikat" in b.flags
    with db.read() as s:
        first = s.scalar(select(Submission).where(Submission.number == a.submission))
        second = s.scalar(select(Submission).where(Submission.number == b.submission))
    assert second.possible_duplicate and second.duplicate_of_id == first.id
    assert not first.possible_duplicate


def test_nik_mismatch_is_a_flag_not_a_refusal(db, intake, tmp_path):
    m = pk.with_applicant(pk.manifest(), birth_date="1990-03-13")
    result = intake.intake(pk.write_folder(tmp_path / "mm", m), now=NOW)
    assert result.status == "accepted" and "nik_tidak_cocok" in result.flags


def test_resubmission_of_a_returned_submission_links_to_it(db, intake, tmp_path):
    from bakso_tui.domain import users
    from bakso_tui.domain.decisions import record_decision
    from bakso_tui.domain.workflow import Action

    first = intake.intake(pk.write_folder(tmp_path / "r1", pk.manifest(external_id="R1")), now=NOW)
    with db.write() as s:
        users.add_user(s, users.cli_actor(), login="verif1", name="V", role="verifier")
        actor = users.get_user(s, "verif1").actor()
        sub = s.scalar(select(Submission).where(Submission.number == first.submission))
        sub.state = "diverifikasi"
        record_decision(s, actor, sub, Action.RETURN, reason_code="scan_tidak_terbaca")
    again = pk.manifest(external_id="R2", resubmission_of="R1")
    result = intake.intake(pk.write_folder(tmp_path / "r2", again), now=NOW)
    assert result.status == "accepted", result.messages()
    with db.read() as s:
        new = s.scalar(select(Submission).where(Submission.number == result.submission))
        assert new.resubmission_of_id == sub.id
    not_returned = pk.manifest(external_id="R3", resubmission_of=result.submission)
    refused = intake.intake(pk.write_folder(tmp_path / "r3", not_returned), now=NOW)
    assert refused.status == "quarantined" and "bukan dikembalikan" in refused.messages()[0]


def test_cli_json_lines_and_exit_codes(db, tmp_path):
    good = pk.write_zip(tmp_path / "g.zip", pk.manifest(external_id="C1"))
    bad = pk.write_folder(tmp_path / "bad", {**pk.manifest(external_id="C2"), "service": "x"})
    runner = CliRunner()
    ok = runner.invoke(cli, ["intake", str(good), "--json", "--db", db.url])
    assert ok.exit_code == 0
    line = json.loads(ok.output)
    assert line["status"] == "accepted" and line["reasons"] == [] and line["submission"]
    mixed = runner.invoke(cli, ["intake", str(good), str(bad), "--json", "--db", db.url])
    assert mixed.exit_code == 1
    lines = [json.loads(x) for x in mixed.output.splitlines()]
    assert [x["status"] for x in lines] == ["duplicate", "quarantined"]
    assert set(lines[1]) == {"package", "status", "submission", "reasons"}
    usage = runner.invoke(cli, ["intake", "--db", db.url])
    assert usage.exit_code == 2


def test_cli_inspect_json(tmp_path):
    f = tmp_path / "scan.pdf"
    f.write_bytes(hostile.text_pdf(pages=3))
    out = CliRunner().invoke(cli, ["inspect", str(f), "--json"])
    data = json.loads(out.output)
    assert out.exit_code == 0
    assert data["media_type"] == "application/pdf" and data["pages"] == 3 and data["encrypted"] is False
    assert data["problems"] == [] and len(data["text"]) == 3
    enc = tmp_path / "enc.pdf"
    enc.write_bytes(hostile.encrypted_pdf())
    out = CliRunner().invoke(cli, ["inspect", str(enc), "--json"])
    assert out.exit_code == 1 and json.loads(out.output)["encrypted"] is True


def test_inbox_moves_each_package_with_reasons_beside_the_refused(db, intake, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    pk.write_zip(inbox / "ok.zip", pk.manifest(external_id="I1"))
    pk.write_folder(inbox / "bad", {**pk.manifest(external_id="I2"), "village_code": "11.01.01.2001"})
    (inbox / "upload.zip.part").write_bytes(b"in progress")
    run = process_inbox(intake, inbox)
    assert run.counts == {"accepted": 1, "duplicate": 0, "quarantined": 1, "failed": 0}
    assert (inbox / "accepted" / "ok.zip").is_file()
    assert (inbox / "quarantine" / "bad" / "submission.json").is_file()
    reasons = (inbox / "quarantine" / "bad.reasons.txt").read_text()
    assert "11.01.01.2001" in reasons
    assert (inbox / "upload.zip.part").exists()


def test_zip_with_encrypted_entry_refused(intake, tmp_path):
    path = tmp_path / "e.zip"
    pk.write_zip(path, pk.manifest())
    raw = bytearray(path.read_bytes())
    # Set the "encrypted" general-purpose flag on every local and central header.
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = raw.find(sig)
        while i >= 0:
            raw[i + off] |= 0x1
            i = raw.find(sig, i + 4)
    path.write_bytes(bytes(raw))
    result = intake.intake(path, now=NOW)
    assert result.status == "quarantined" and "kata sandi" in result.messages()[0]


def test_not_a_zip_file(intake, tmp_path):
    path = tmp_path / "x.zip"
    path.write_bytes(b"this is not a zip")
    result = intake.intake(path, now=NOW)
    assert result.status == "quarantined" and "bukan folder" in result.messages()[0]
    assert zipfile.is_zipfile(path) is False
