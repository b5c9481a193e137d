"""Batches and the mobile-service days: the in-person list's day, the handover's day and place."""

from __future__ import annotations

from datetime import date, timedelta

from bakso_tui.config import Settings
from bakso_tui.domain import batches, schedule
from bakso_tui.domain.batches import Place, Recipient
from bakso_tui.domain.users import cli_actor
from bakso_tui.printing.pdf import pdf_pages_text, render_batch
from batch_helpers import OFFICER_NIK, add_submission, approve_all, ready_office
from tui_helpers import FIXED_NOW

VILLAGE = "52.03.01.2001"
DAY = date(2026, 3, 11)  # a Wednesday (FIXED_NOW)
NEXT_FRIDAY = date(2026, 3, 13)


def _plan(db) -> None:
    with db.write() as session:
        schedule.add_team(session, cli_actor(), "T1", "Tim Keliling 1", at=FIXED_NOW)
        schedule.create_plan(session, cli_actor(), village_code=VILLAGE, rule="fri",
                             start=DAY, until=DAY + timedelta(days=40), team_code="T1",
                             today=DAY, at=FIXED_NOW)


def test_in_person_documents_are_listed_for_the_villages_next_service_day(db):
    office = ready_office(db, 13)
    add_submission(db, VILLAGE, "ktp_el_hilang_rusak", 41)
    approve_all(db, office)
    _plan(db)
    closed = {c.kind: c for c in batches.close_batches(db, cli_actor(), now=FIXED_NOW,
                                                        village=VILLAGE)}
    with db.read() as session:
        lgs = batches.get_batch(session, closed["in_person"].number)
        assert lgs.service_day == NEXT_FRIDAY
        sheet = batches.build_sheet(session, lgs.number, Settings())
    text = " ".join(" ".join(pdf_pages_text(render_batch(sheet))).split())
    assert "tanggal 13 Maret 2026" in text
    with db.read() as session:
        village = batches.get_batch(session, closed["village"].number)
        assert village.service_day == NEXT_FRIDAY  # the village batch's record is dated so


def test_the_handover_is_proposed_for_the_service_day_and_placed_there(db):
    ready_office(db, 13)
    _plan(db)
    number = next(c.number for c in batches.close_batches(db, cli_actor(), now=FIXED_NOW,
                                                         village=VILLAGE))
    with db.write() as session:
        batches.mark_printed(session, cli_actor(), number, printer="PDF", now=FIXED_NOW)
        detail = batches.batch_detail(session, batches.get_batch(session, number).id,
                                      now=FIXED_NOW)
        assert detail.proposed_day == NEXT_FRIDAY
        friday = FIXED_NOW + timedelta(days=2)
        done = batches.handover(session, cli_actor(), number,
                                Recipient("Lalu Hamdi", "Sekretaris Desa", OFFICER_NIK),
                                on=NEXT_FRIDAY, now=friday)
        assert done.handover_place == Place.SERVICE_DAY.value
