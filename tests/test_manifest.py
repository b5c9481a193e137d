"""The day's recording list: PDF read back with pypdf, the WhatsApp text, iCalendar."""

from __future__ import annotations

import io
from datetime import date

from icalendar import Calendar
from pypdf import PdfReader
from sqlalchemy import select

from bakso_tui.db.models import ServiceDay
from bakso_tui.domain import schedule
from bakso_tui.locale import set_language
from bakso_tui.printing.manifest import announcement, render_pdf, show_nik
from schedule_helpers import NOW, SYSTEM, approve, new_submission, team_and_plan, villages

WED2 = date(2026, 12, 2)


def _sheet(db, hostile: bool = False):
    with db.write() as s:
        [v] = villages(s, 1)
        team_and_plan(s, v, capacity=40)
        for i in range(30):
            sub = new_submission(s, v, i, minutes_ago=500 - i,
                                 priority=["sakit_terbaring"] if i == 7 else [])
            if hostile and i == 3:
                sub.applicant_name = "<b>Inaq</b> & [bold]Sinah[/bold]"
            approve(s, sub)
        sheets = schedule.manifest_sheets(s, SYSTEM, day=WED2, office_name="Dinas Kependudukan "
                                          "dan Pencatatan Sipil Kabupaten Lombok Timur",
                                          office_short="Dukcapil Lombok Timur", lang="id", at=NOW)
        listed = s.scalar(select(ServiceDay.listed_at).where(ServiceDay.day == WED2))
    assert listed is not None
    return sheets[0]


def test_manifest_pdf_reads_back(sqlite_db, tmp_path):
    sheet = _sheet(sqlite_db, hostile=True)
    data = render_pdf(sheet)
    (tmp_path / "m.pdf").write_bytes(data)
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 2  # 30 residents: the table goes on, its header repeated
    assert text.count("Nama / nomor pengajuan") == len(reader.pages)
    assert "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL KABUPATEN LOMBOK TIMUR" in text
    assert "DAFTAR PEREKAMAN KTP-EL LAYANAN KELILING" in text
    assert "Rabu, 2 Desember 2026" in text
    assert sheet.village_name in text and "Tim T1" in text
    assert "<b>Inaq</b> & [bold]Sinah[/bold]" in text  # shown as written, not as markup
    assert "Kunjungan rumah: Dusun Uji 7 RT 001" in text
    nik = sheet.rows[0].nik
    assert show_nik(nik, "masked") in text and nik not in text
    assert "Operator" in text and "081234567890" in text
    full = PdfReader(io.BytesIO(render_pdf(sheet, nik_display="full")))
    assert nik in "\n".join(p.extract_text() for p in full.pages)


def test_announcement_has_names_but_no_nik_and_no_health(sqlite_db):
    sheet = _sheet(sqlite_db)
    text = announcement(sheet)
    assert text.startswith(f"*Perekaman KTP-el di {sheet.village_name}*")
    assert "Rabu, 2 Desember 2026" in text
    assert "1. Warga 000" in text and "Warga 007" not in text  # the home visit: a count
    assert "mengunjungi 1 warga di rumah" in text
    assert not any(row.nik in text for row in sheet.rows)
    set_language("en")
    assert "Wednesday, 2 December 2026" in announcement(sheet)


def test_ics_has_one_event_per_day_with_village_and_count(sqlite_db):
    with sqlite_db.write() as s:
        [v] = villages(s, 1)
        team_and_plan(s, v, capacity=5, until=date(2026, 12, 31))
        approve(s, new_submission(s, v, 1))
        data = schedule.ics(s, since=date(2026, 12, 1), office_short="Dukcapil", now=NOW)
        days = schedule.list_days(s, since=date(2026, 12, 1))
    events = Calendar.from_ical(data).walk("VEVENT")
    assert len(events) == len(days) == 8  # Wed/Fri in December, less 25 Dec
    first = events[0]
    assert first.decoded("dtstart") == WED2
    assert str(first["summary"]).endswith("(1/5)") and days[0].village_name in first["summary"]
