"""Issuance batches: closing (idempotent per village and day), handover, receipt, overdue."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from bakso_tui.db.models import AuditEntry, BatchDocument, IssuanceBatch, IssuedDocument
from bakso_tui.domain import audit, batches
from bakso_tui.domain.batches import BatchError, BatchState, Place, Recipient
from bakso_tui.domain.users import cli_actor
from batch_helpers import OFFICER_NIK, add_submission, approve_all, documents_by_state, ready_office
from tui_helpers import FIXED_NOW

ACTOR = cli_actor()
DAY = date(2026, 3, 11)


def close(db, **kw):
    return batches.close_batches(db, ACTOR, now=kw.pop("now", FIXED_NOW), **kw)


def test_close_makes_one_batch_per_village_and_moves_every_ready_document(db):
    office = ready_office(db, 12)
    states = documents_by_state(db)
    ready = states["siap_cetak"]
    villages = _villages(db, "siap_cetak")
    closed = close(db)
    assert {c.village_code for c in closed} == villages
    assert sum(c.documents for c in closed) == ready
    assert all(c.new and c.number.startswith("BAST/") and c.number.endswith("/20260311/1")
               for c in closed)
    # Documents still waiting for biometric recording stay where they are.
    assert documents_by_state(db) == {"dalam_batch": ready, **{
        k: v for k, v in states.items() if k != "siap_cetak"}}
    with db.read() as session:
        links = session.scalar(select(func.count()).select_from(BatchDocument))
        moves = session.scalar(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.action == "document.batch"))
        head = session.scalars(select(IssuanceBatch.audit_hash)).all()
        assert audit.verify(session).ok
    assert links == moves == ready
    assert all(len(h) == 64 for h in head)
    assert office.work_order  # the office is what the helpers made


def _villages(db, state):
    with db.read() as session:
        return set(session.scalars(select(IssuedDocument.village_code)
                                   .where(IssuedDocument.state == state)))


def test_close_again_adds_only_new_documents_and_only_to_an_unprinted_batch(db):
    office = ready_office(db, 6)
    first = close(db)
    assert close(db) == []  # nothing new: nothing happens
    village = first[0].village_code
    add_submission(db, village, "kk_perubahan", 1)
    approve_all(db, office)
    again = close(db)
    assert [(c.number, c.added, c.new) for c in again] == [(first[0].number, 1, False)]
    assert again[0].documents == first[0].documents + 1
    with db.write() as session:
        assert batches.mark_printed(session, ACTOR, first[0].number, printer="test")
    add_submission(db, village, "kk_perubahan", 2)
    approve_all(db, office)
    third = close(db)
    assert [(c.number, c.added, c.new) for c in third] == [
        (first[0].number.replace("/1", "/2"), 1, True)]


def test_digest_changes_when_a_document_is_added(db):
    office = ready_office(db, 3)
    first = close(db)[0]
    with db.read() as session:
        before = batches.get_batch(session, first.number).digest
    add_submission(db, first.village_code, "kk_perubahan", 3)
    approve_all(db, office)
    close(db)
    with db.read() as session:
        after = batches.get_batch(session, first.number)
        assert after.digest != before
        assert batches.verify_payload(session, batches.qr_payload(after.number, after.digest)).ok


def test_a_document_cannot_be_linked_to_two_batches(db):
    ready_office(db, 4)
    closed = close(db)
    with db.read() as session:
        doc = session.scalars(select(BatchDocument.document_id)).first()
    with pytest.raises(IntegrityError), db.write() as session:
        session.execute(insert(BatchDocument).values(document_id=doc, batch_id=closed[-1].batch_id,
                                                     position=99))


def test_in_person_documents_leave_the_village_batch(db):
    office = ready_office(db, 2)
    village = "52.03.01.2001"
    add_submission(db, village, "ktp_el_hilang_rusak", 7)
    add_submission(db, village, "kk_perubahan", 8)
    approve_all(db, office)
    closed = {c.kind: c for c in close(db, village=village)}
    assert closed["in_person"].number == f"LGS/{village}/20260311/1"
    assert closed["in_person"].documents == 1
    with db.read() as session:
        docs = batches.batch_documents(session, closed["village"].batch_id)
    assert all(d.service_id != "ktp_el_hilang_rusak" for d in docs)


def test_nothing_ready_is_an_empty_close_and_bad_input_is_refused(db):
    assert close(db) == []
    with pytest.raises(BatchError, match="tidak dikenal"):
        close(db, village="52.99.99.9999")
    with pytest.raises(BatchError, match="belum tiba"):
        close(db, day=DAY + timedelta(days=1))


def test_a_past_day_takes_only_what_was_ready_by_its_end(db):
    office = ready_office(db, 4)
    assert close(db, day=DAY - timedelta(days=1)) == []  # approved today, not yesterday
    assert close(db, day=DAY)
    assert office


def _printed(db, count=4):
    ready_office(db, count)
    closed = [c for c in close(db) if c.kind == "village"]
    with db.write() as session:
        for c in closed:
            batches.mark_printed(session, ACTOR, c.number, printer="test")
    return closed


def test_handover_records_the_recipient_and_moves_the_documents(db):
    first = _printed(db)[0]
    with db.write() as session:
        batch = batches.handover(session, ACTOR, first.number,
                                 Recipient("Lalu Hamdi", "Sekretaris Desa", OFFICER_NIK),
                                 now=FIXED_NOW)
        assert (batch.state, batch.handover_place, batch.recipient_nik) == (
            "diserahkan", "office", OFFICER_NIK)
        states = set(session.scalars(
            select(IssuedDocument.state).join(BatchDocument,
                                              BatchDocument.document_id == IssuedDocument.id)
            .where(BatchDocument.batch_id == first.batch_id)))
        assert states == {"diserahkan"}
    with pytest.raises(BatchError, match="sudah diserahkan kepada Lalu Hamdi"), \
            db.write() as session:
        batches.handover(session, ACTOR, first.number,
                         Recipient("X", "Kepala Dusun", OFFICER_NIK), now=FIXED_NOW)


@pytest.mark.parametrize("recipient,message", [
    (Recipient("", "Sekretaris Desa", OFFICER_NIK), "nama penerima"),
    (Recipient("Lalu Hamdi", " ", OFFICER_NIK), "jabatan"),
    (Recipient("Lalu Hamdi", "Sekretaris Desa", "123"), "NIK penerima 123 tidak sah"),
    (Recipient("Lalu Hamdi", "Sekretaris Desa", "5203019902850004"), "tidak sah"),
])
def test_handover_asks_for_a_real_identity(sqlite_db, recipient, message):
    first = _printed(sqlite_db)[0]
    with pytest.raises(BatchError, match=message), sqlite_db.write() as session:
        batches.handover(session, ACTOR, first.number, recipient, now=FIXED_NOW)


def test_handover_of_an_unprinted_batch_or_a_bad_day_is_refused(db):
    ready_office(db, 3)
    number = close(db)[0].number
    who = Recipient("Lalu Hamdi", "Sekretaris Desa", OFFICER_NIK)
    with pytest.raises(BatchError, match="belum dicetak"), db.write() as session:
        batches.handover(session, ACTOR, number, who, now=FIXED_NOW)
    with db.write() as session:
        batches.mark_printed(session, ACTOR, number, printer="test")
    with pytest.raises(BatchError, match="tidak mungkin"), db.write() as session:
        batches.handover(session, ACTOR, number, who, on=DAY + timedelta(days=1), now=FIXED_NOW)
    with db.write() as session:
        done = batches.handover(session, ACTOR, number, who, on=DAY,
                                place=Place.SERVICE_DAY, now=FIXED_NOW)
        assert done.handover_place == "service_day"


def test_received_by_nik_then_all(db):
    first = _printed(db, 12)[0]
    with db.write() as session:
        batches.handover(session, ACTOR, first.number,
                         Recipient("Lalu Hamdi", "Sekretaris Desa", OFFICER_NIK), now=FIXED_NOW)
        docs = batches.batch_documents(session, first.batch_id)
    some = docs[0].nik
    with pytest.raises(BatchError, match="bukan pemohon"), db.write() as session:
        batches.received(session, ACTOR, first.number, niks=[some, "5203010101800999"])
    with db.write() as session:
        part = batches.received(session, ACTOR, first.number, niks=[some])
    mine = sum(d.nik == some for d in docs)
    assert (part.received, part.remaining, part.done) == (mine, len(docs) - mine,
                                                          len(docs) == mine)
    if not part.done:
        with db.write() as session:
            rest = batches.received(session, ACTOR, first.number, everything=True)
        assert rest.done and rest.received == len(docs) - mine
    with db.read() as session:
        assert batches.get_batch(session, first.number).state == BatchState.DONE.value
        assert audit.verify(session).ok


def test_in_person_documents_go_straight_to_the_resident(db):
    office = ready_office(db, 1)
    add_submission(db, "52.03.01.2001", "ktp_el_hilang_rusak", 9)
    approve_all(db, office)
    lgs = next(c for c in close(db) if c.kind == "in_person")
    with db.write() as session:
        batches.mark_printed(session, ACTOR, lgs.number, printer="test")
    with pytest.raises(BatchError, match="langsung"), db.write() as session:
        batches.handover(session, ACTOR, lgs.number,
                         Recipient("Lalu Hamdi", "Sekretaris Desa", OFFICER_NIK), now=FIXED_NOW)
    with db.write() as session:
        assert batches.received(session, ACTOR, lgs.number, everything=True).done


def test_overdue_batches_are_flagged_once(db):
    closed = _printed(db, 3)
    later = FIXED_NOW + timedelta(days=30)  # five working days, past Nyepi and Lebaran
    with db.write() as session:
        flagged = batches.flag_overdue(session, now=later)
    assert sorted(flagged) == sorted(c.number for c in closed)
    with db.write() as session:
        assert batches.flag_overdue(session, now=later) == []
    with db.read() as session:
        rows = batches.batch_page(session, now=later).rows
    assert all(r.overdue for r in rows if r.kind == "village")


def test_list_pages_by_keyset_newest_day_first(db):
    ready_office(db, 12)
    close(db)
    with db.read() as session:
        everything = batches.batch_page(session, limit=1000).rows
        paged, after = [], None
        while True:
            page = batches.batch_page(session, after=after, limit=3)
            paged += page.rows
            if not page.has_more:
                break
            after = page.next_key
    assert [r.number for r in paged] == [r.number for r in everything]
    assert [r.key for r in everything] == sorted(
        (r.key for r in everything), key=lambda k: (-k[0].toordinal(), k[1], k[2]))
