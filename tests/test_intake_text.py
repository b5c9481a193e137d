"""Hostile text at intake: control and reordering characters refused, never echoed raw.

A name with ``ESC]52;c;…`` writes a verifier's clipboard when printed; a bidi
override reverses what a line appears to say. Intake refuses them in every
text of the manifest and in every file name, with one line naming the field,
and `bakso intake` prints every value from a package escaped.
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime

import packages as pk
import pytest
from click.testing import CliRunner

from bakso_tui.cli import cli
from bakso_tui.domain.intake import Intake
from bakso_tui.locale.plain import first_control, visible

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
CLIPBOARD = "\x1b]52;c;aGFjaw==\x07"
UNSAFE = ["\x00", "\t", "\n", "\x1b", "\x7f", "\x85", "\x9b", "\u200e", "\u200f", "\u061c",
          "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
          "\u2069", "\u200b", "\u200d", "\ufeff", "\u00ad", "\u2028", "\u2029", "\U000e0041"]


@pytest.fixture
def intake(db):
    return Intake(db)


def _refused(intake, tmp_path, manifest, name="p", **kw):
    result = intake.intake(pk.write_zip(tmp_path / f"{name}.zip", manifest, **kw), now=NOW)
    assert result.status == "quarantined"
    return result.messages()


def test_the_reason_names_the_field_and_the_position(intake, tmp_path):
    m = pk.with_applicant(pk.manifest(), name="Siti A\x1b[2Jminah")
    assert _refused(intake, tmp_path, m) == [
        "submission.json: applicant.name: karakter kendali tidak diizinkan (posisi 7)"]


@pytest.mark.parametrize("char", UNSAFE, ids=[f"U+{ord(c):04X}" for c in UNSAFE])
def test_every_kind_of_control_character_is_refused(intake, tmp_path, char):
    m = pk.with_applicant(pk.manifest(), address=f"Dusun{char}Baru")
    assert _refused(intake, tmp_path, m) == [
        "submission.json: applicant.address: karakter kendali tidak diizinkan (posisi 6)"]


@pytest.mark.parametrize(("field", "where"), [
    (("operator", "name"), "operator.name"),
    (("subjects",), "subjects.0.name"),
    (("extra_from_a_newer_app",), "extra_from_a_newer_app.note"),
    (("priority",), "priority.0"),
])
def test_every_text_of_the_manifest_is_checked(intake, tmp_path, field, where):
    m = pk.manifest()
    if field == ("operator", "name"):
        m["operator"]["name"] = "Baiq" + CLIPBOARD
    elif field == ("subjects",):
        m["subjects"] = [{"role": "anak", "name": "\u202eikziR", "birth_date": "2026-11-02"}]
    elif field == ("priority",):
        m["priority"] = ["lansia\u2066"]
    else:
        m["extra_from_a_newer_app"] = {"note": "ok\x9b31m"}
    reasons = _refused(intake, tmp_path, m)
    assert any(r.startswith(f"submission.json: {where}: karakter kendali") for r in reasons), reasons


def test_a_key_with_a_control_character_is_refused_and_shown_escaped(intake, tmp_path):
    m = {**pk.manifest(), "evil\x1b[31m": 1}
    assert _refused(intake, tmp_path, m) == [
        "submission.json: evil\\x1b[31m: nama kunci berisi karakter kendali (posisi 5)"]


def test_file_names_in_the_zip_and_in_the_manifest_are_checked(intake, tmp_path):
    reasons = _refused(intake, tmp_path, pk.manifest(), extra={"kk\x1b]0;owned\x07.pdf": b"x"})
    assert reasons == ["p.zip: nama berkas kk\\x1b]0;owned\\x07.pdf: karakter kendali tidak "
                       "diizinkan (posisi 3)"]
    m = pk.manifest()
    m["attachments"][0]["file"] = "kk\u202efdp.exe"
    reasons = _refused(intake, tmp_path, m, name="q", files=pk.files_for(pk.manifest()))
    assert "submission.json: attachments.0.file: karakter kendali tidak diizinkan (posisi 3)" in reasons


def test_file_names_in_a_folder_are_checked(intake, tmp_path):
    root = pk.write_folder(tmp_path / "f", pk.manifest())
    (root / "scan\u202egpj.pdf").write_bytes(b"%PDF")
    result = intake.intake(root, now=NOW)
    assert result.status == "quarantined"
    assert result.messages() == ["f: nama berkas scan\\u202egpj.pdf: karakter kendali tidak "
                                 "diizinkan (posisi 5)"]


def test_ordinary_indonesian_and_other_scripts_pass(intake, tmp_path):
    m = pk.with_applicant(pk.manifest(), name="Ni Luh Ayu Dewi Śrī", address="Jl. Hasanuddin № 5, RT 001/RW 002 — ᬩᬮᬶ")
    result = intake.intake(pk.write_zip(tmp_path / "ok.zip", m), now=NOW)
    assert result.status == "accepted", result.messages()


def _hostile_package(tmp_path):
    """A package whose folder name and reasons would carry escape sequences."""
    name = "paket" + CLIPBOARD + "\u202e"
    m = pk.with_applicant({**pk.manifest(), "service": "x\x1b[2J"}, name="A" + CLIPBOARD)
    return pk.write_folder(tmp_path / name, m)


def test_cli_output_never_carries_a_control_character(db, tmp_path):
    path = _hostile_package(tmp_path)
    runner = CliRunner()
    out = runner.invoke(cli, ["intake", str(path), "--db", db.url])
    assert out.exit_code == 1
    assert first_control(out.output.replace("\n", "")) is None, repr(out.output)
    assert "\\x1b]52;c;aGFjaw==\\x07\\u202e: dikarantina" in out.output
    assert "submission.json: applicant.name: karakter kendali tidak diizinkan (posisi 2)" in out.output
    assert "submission.json: service: karakter kendali tidak diizinkan (posisi 2)" in out.output
    as_json = runner.invoke(cli, ["intake", str(path), "--json", "--db", db.url])
    assert as_json.output.isascii()
    line = json.loads(as_json.output)
    assert line["package"] == str(path)  # exact for a program reading it
    assert all(first_control(r) is None for r in line["reasons"])


def test_visible_is_idempotent_and_leaves_ordinary_text_alone():
    for text in ["Siti Aminah", "C:\\scan\\kk.pdf", "ᬩᬮᬶ Śrī", CLIPBOARD, "\u202e\ud800"]:
        once = visible(text)
        assert visible(once) == once
        assert first_control(once) is None
    assert visible("Siti Aminah") == "Siti Aminah"
    assert visible(CLIPBOARD) == "\\x1b]52;c;aGFjaw==\\x07"


def test_zip_entry_names_are_decoded_like_zipfile_does(intake, tmp_path):
    # An entry whose name is cp437 (no UTF-8 flag) with a byte that decodes to a C1-free
    # letter, and one that zipfile decodes to a control character.
    path = tmp_path / "cp.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("submission.json", json.dumps(pk.manifest()))
        for name, data in pk.files_for(pk.manifest()).items():
            zf.writestr(name, data)
        zf.writestr(zipfile.ZipInfo("x\x7f.pdf"), b"%PDF")
    result = intake.intake(path, now=NOW)
    assert result.status == "quarantined"
    assert "karakter kendali" in result.messages()[0]
