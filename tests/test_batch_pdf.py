"""The batch PDF read back with pypdf: its list, its QR digest, tampering; printing through CUPS."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import update

from bakso_tui.config import Settings, settings_from
from bakso_tui.db.models import BatchDocument
from bakso_tui.domain import batches
from bakso_tui.domain.batches.output import print_batch, write_pdfs
from bakso_tui.domain.users import cli_actor
from bakso_tui.printing.pdf import date_in_words, pdf_name, pdf_pages_text, render_batch
from batch_helpers import add_submission, approve_all, ready_office
from tui_helpers import FIXED_NOW

SETTINGS = settings_from({"batches": {"officer_name": "Lalu Ahmad Fauzi, S.STP.",
                                       "officer_id": "198201012005011003"}})
logging.getLogger("pypdf").setLevel(logging.ERROR)  # fontTools hints about standard fonts


def _one_batch(db):
    office = ready_office(db, 13)
    add_submission(db, "52.03.01.2001", "akta_kelahiran", 30)
    approve_all(db, office)
    closed = batches.close_batches(db, cli_actor(), now=FIXED_NOW, village="52.03.01.2001")
    return next(c for c in closed if c.kind == "village")


def _sheet(db, number, settings=SETTINGS):
    with db.read() as session:
        return batches.build_sheet(session, number, settings)


def test_date_in_words_as_records_write_it():
    from datetime import date

    assert date_in_words(date(2026, 11, 23)) == (
        "Senin tanggal dua puluh tiga bulan November tahun dua ribu dua puluh enam")


def test_every_document_is_in_the_pdf_and_its_digest_verifies(db, tmp_path):
    closed = _one_batch(db)
    sheet = _sheet(db, closed.number)
    pages = pdf_pages_text(render_batch(sheet))
    text = "\n".join(pages)
    assert "BERITA ACARA SERAH TERIMA" in pages[0] and closed.number in pages[0]
    assert "Pada hari ini Rabu tanggal sebelas bulan Maret tahun dua ribu dua puluh enam" in \
        re.sub(r"\s+", " ", pages[0])
    for line in sheet.lines:
        assert line.document_number in text and line.submission in text
    assert sheet.digest in text and sheet.audit_hash in text
    assert sum("TANDA TERIMA DOKUMEN" in p for p in pages) >= 1
    assert all(re.search(r"\d{6}\*{6}\d{4}", line.nik) for line in sheet.lines)  # masked
    with db.read() as session:
        assert batches.verify_pages(session, pages, "x.pdf").ok
        assert batches.verify_payload(session, sheet.qr_payload).ok


def test_tampering_with_the_list_fails_verification(db):
    closed = _one_batch(db)
    sheet = _sheet(db, closed.number)
    # A forged record: one document left out, the digest and QR copied from the real one.
    forged = replace(sheet, lines=sheet.lines[1:])
    with db.read() as session:
        verdict = batches.verify_pages(session, pdf_pages_text(render_batch(forged)), "f.pdf")
        assert not verdict.ok and "diubah" in verdict.reason
        with pytest.raises(batches.BatchError):
            batches.verify_payload(session, "BAKSO-BAST|nonsense")
        wrong = batches.qr_payload(sheet.number, "0" * 64)
        assert not batches.verify_payload(session, wrong).ok
    # The database changed behind the paper's back: the list no longer gives the digest.
    with db.write() as session:
        session.execute(update(BatchDocument).where(BatchDocument.batch_id == closed.batch_id,
                                                     BatchDocument.position == 1)
                        .values(position=999))
    with db.read() as session:
        verdict = batches.verify_payload(session, sheet.qr_payload)
        assert not verdict.ok and "basis data" in verdict.reason


def test_resident_text_is_text_not_markup(sqlite_db):
    closed = _one_batch(sqlite_db)
    sheet = _sheet(sqlite_db, closed.number)
    hostile = replace(sheet, lines=tuple(replace(l, resident="<b>Budi & <i>Ani</i>")
                                         for l in sheet.lines),
                      village_name="Desa <font size=40>X</font>")
    text = "\n".join(pdf_pages_text(render_batch(hostile)))
    assert "<b>Budi & <i>Ani</i>" in text
    assert "<font size=40>X</font>" in text


def test_nik_privacy_setting(sqlite_db):
    closed = _one_batch(sqlite_db)
    full = _sheet(sqlite_db, closed.number, Settings(nik_display="full"))
    masked = _sheet(sqlite_db, closed.number, Settings(nik_display="masked"))
    assert all(re.fullmatch(r"\d{16}", l.nik) for l in full.lines)
    assert all(re.fullmatch(r"\d{6}\*{6}\d{4}", l.nik) for l in masked.lines)


def test_pdfs_written_in_parallel_are_the_same_as_one_by_one(sqlite_db, tmp_path):
    ready_office(sqlite_db, 20)
    numbers = [c.number for c in batches.close_batches(sqlite_db, cli_actor(), now=FIXED_NOW)]
    one = write_pdfs(sqlite_db, numbers, tmp_path / "one", SETTINGS, workers=1)
    two = write_pdfs(sqlite_db, numbers, tmp_path / "two", SETTINGS, workers=2)
    assert len(one) == len(numbers) > 1
    for number in numbers:
        assert one[number].name == pdf_name(number)
        assert one[number].read_bytes() == two[number].read_bytes()


def _printed_pages(path: Path) -> list[str]:
    return [re.sub(r"\s+", " ", p).strip() for p in pdf_pages_text(path.read_bytes())]


def test_printing_through_cups_reaches_the_printer_page_for_page(db, cups, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setenv("CUPS_SERVER", str(cups.socket))
    closed = _one_batch(db)
    before = set(cups.printed())
    done = print_batch(db, cli_actor(), closed.number, cups.printer, tmp_path, SETTINGS)
    assert done.first_print
    out = [p for p in cups.printed() if p not in before]
    assert len(out) == 1
    assert _printed_pages(out[0]) == _printed_pages(done.path)
    with db.read() as session:
        batch = batches.get_batch(session, closed.number)
        assert batch.state == "dicetak" and batch.printer.startswith(cups.printer)
        states = {d.state for d in batches.batch_documents(session, batch.id)}
    assert states == {"dicetak"}


def test_print_failures_leave_the_batch_unprinted(db, cups, tmp_path, monkeypatch):
    monkeypatch.setenv("CUPS_SERVER", str(cups.socket))
    closed = _one_batch(db)
    broken = cups.add_failing_queue(f"BROKEN_{os.getpid()}")
    for printer, message in ((broken, "tidak selesai"), ("NO_SUCH_PRINTER", "tidak ada")):
        with pytest.raises(batches.BatchError, match=message):
            print_batch(db, cli_actor(), closed.number, printer, tmp_path, SETTINGS)
    monkeypatch.setenv("CUPS_SERVER", str(tmp_path / "no-cupsd.sock"))
    with pytest.raises(batches.BatchError, match="tidak berjalan"):
        print_batch(db, cli_actor(), closed.number, cups.printer, tmp_path, SETTINGS)
    with db.read() as session:
        batch = batches.get_batch(session, closed.number)
        assert batch.state == "ditutup" and batch.printed_at is None
        assert {d.state for d in batches.batch_documents(session, batch.id)} == {"dalam_batch"}


def test_the_qr_path_is_the_widgets_own_modules():
    from reportlab.graphics.barcode.qr import QrCodeWidget

    from bakso_tui.printing.pdf import _QrWidget

    payload = batches.qr_payload("BAST/52.03.01.2001/20261123/1", "ab" * 32)
    kw = dict(barLevel="M", barWidth=85, barHeight=85, barBorder=2)
    runs = sorted((round(r.x, 3), round(r.y, 3), round(r.width, 3))
                  for r in QrCodeWidget(payload, **kw).draw().contents[1:])
    points = _QrWidget(payload, **kw).draw().contents[0].points
    ours = sorted((round(points[i], 3), round(points[i + 1], 3),
                   round(points[i + 2] - points[i], 3)) for i in range(0, len(points), 8))
    assert runs == ours and len(runs) > 100


def test_the_printed_audit_head_is_an_anchor_the_chain_verifies_against(db, tmp_path):
    from bakso_tui.domain import audit

    closed = _one_batch(db)
    sheet = _sheet(db, closed.number)
    text = re.sub(r"\s+", " ", "\n".join(pdf_pages_text(render_batch(sheet))))
    assert sheet.audit_anchor in text
    anchors = tmp_path / "anchors.txt"
    anchors.write_text(sheet.audit_anchor + "\n")
    with db.read() as session:
        assert audit.verify(session, audit.read_anchors(anchors)).ok
    count = int(sheet.audit_anchor.split()[1])
    anchors.write_text(sheet.audit_anchor.replace(f" {count} ", f" {count - 1} ") + "\n")
    with db.read() as session:
        assert not audit.verify(session, audit.read_anchors(anchors)).ok
