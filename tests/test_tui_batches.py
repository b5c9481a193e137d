"""The batches screen (F5): keyset pages, a batch's documents, handover and receipt; snapshots."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from textual.widgets import DataTable

from bakso_tui.db.models import IssuanceBatch
from bakso_tui.demo.bulk import bulk_ready_documents, bulk_seed
from bakso_tui.domain import batches
from bakso_tui.domain.batches import Recipient
from bakso_tui.domain.users import cli_actor
from bakso_tui.screens.batch_detail import BatchDetailScreen, HandoverDialog, ReceivedDialog
from bakso_tui.screens.batches import PAGE, BatchesScreen
from batch_helpers import OFFICER_NIK, ready_office
from tui_helpers import FIXED_NOW, app_for, run_async, settle


def batch_office(db):
    """Batches in several states: closed, printed, handed over."""
    office = ready_office(db, 20)
    closed = [c for c in batches.close_batches(db, cli_actor(), now=FIXED_NOW)
              if c.kind == "village"]
    with db.write() as session:
        for c in closed[:4]:
            batches.mark_printed(session, cli_actor(), c.number, printer="PDF", now=FIXED_NOW)
        batches.handover(session, cli_actor(), closed[0].number,
                         Recipient("Lalu Hamdi", "Sekretaris Desa", OFFICER_NIK), now=FIXED_NOW)
    return office, closed


@pytest.fixture
def office(db):
    return batch_office(db)


def rows(app) -> list:
    return app.screen.rows


@run_async
async def test_f5_lists_the_batches_newest_day_first(office):
    office, closed = office
    app = app_for(office, role="supervisor")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, BatchesScreen)
        assert sorted(r.number for r in rows(app)) == sorted(c.number for c in closed)
        assert app.screen.query_one(DataTable).row_count == len(closed)
        states = {r.number: r.state for r in rows(app)}
        assert states[closed[0].number] == "diserahkan"
        assert states[closed[5].number] == "ditutup"


@run_async
async def test_a_verifier_has_no_batches_screen(office):
    office, _ = office
    app = app_for(office)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert not isinstance(app.screen, BatchesScreen)
        assert not app.may_open("batches")


@run_async
async def test_open_a_batch_and_record_its_handover_and_receipt(office):
    office, closed = office
    number = closed[1].number  # printed, not handed over
    app = app_for(office, role="supervisor")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        table.move_cursor(row=[r.number for r in rows(app)].index(number))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BatchDetailScreen)
        assert app.screen.detail.row.number == number
        docs = app.screen.detail.documents
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HandoverDialog)
        await pilot.press(*"Lalu Hamdi", "enter", *"Sekretaris Desa", "enter")
        await pilot.press(*"123", "ctrl+s")  # a NIK that is not one: the dialog says so
        await pilot.pause()
        assert isinstance(app.screen, HandoverDialog)
        assert "tidak sah" in str(app.screen.query_one("#handover-error").content)
        app.screen.query_one("#nik").value = OFFICER_NIK
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BatchDetailScreen)
        assert app.screen.detail.row.state == "diserahkan"
        assert app.screen.detail.recipient_nik == OFFICER_NIK
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ReceivedDialog)
        await pilot.press(*docs[0].nik, "enter")
        await settle(pilot)
        received = [d for d in app.screen.detail.documents if d.state == "diterima"]
        assert {d.nik for d in received} == {docs[0].nik}
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BatchesScreen)
    with office.db.read() as session:
        assert batches.get_batch(session, number).recipient_name == "Lalu Hamdi"


@run_async
async def test_handover_refused_by_the_rules_is_shown(office):
    office, closed = office
    app = app_for(office, role="supervisor")
    number = closed[5].number  # closed, not printed
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        app.screen.query_one(DataTable).move_cursor(
            row=[r.number for r in rows(app)].index(number))
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("h")
        await pilot.pause()
        for field, value in (("#name", "Lalu Hamdi"), ("#position", "Kaur"),
                             ("#nik", OFFICER_NIK)):
            app.screen.query_one(field).value = value
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BatchDetailScreen)
        assert app.screen.detail.row.state == "ditutup"
        assert any("belum dicetak" in n.message for n in app._notifications)


@run_async
async def test_many_batches_page_by_keyset_and_filter_by_village(sqlite_db):
    bulk_seed(sqlite_db, 700, now=FIXED_NOW)
    bulk_ready_documents(sqlite_db, 900, now=FIXED_NOW.replace(hour=1))
    batches.close_batches(sqlite_db, cli_actor(), now=FIXED_NOW)
    with sqlite_db.read() as session:
        total = len(session.scalars(select(IssuanceBatch.id)).all())
    assert total > 2 * PAGE
    from tui_helpers import seed_office

    office = seed_office(sqlite_db, 13)
    app = app_for(office, role="supervisor")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert len(rows(app)) == PAGE and app.screen.has_more
        await pilot.press("end")
        await settle(pilot)
        assert len(rows(app)) == 2 * PAGE
        await pilot.press("end")
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        assert len(rows(app)) == total and not app.screen.has_more
        assert len({r.id for r in rows(app)}) == total
        village = rows(app)[app.screen.query_one(DataTable).cursor_row].village_code
        await pilot.press("v")
        await settle(pilot)
        assert rows(app) and {r.village_code for r in rows(app)} == {village}
        await pilot.press("escape")
        await settle(pilot)
        assert len(rows(app)) == PAGE


async def batches_loaded(pilot) -> None:
    await pilot.press("f5")
    await settle(pilot)
    assert pilot.app.screen.query_one(DataTable).row_count > 0


@pytest.fixture
def sqlite_batches(sqlite_db):
    return batch_office(sqlite_db)


def test_batches_80x24(snap_compare, sqlite_batches):
    office, _ = sqlite_batches
    assert snap_compare(app_for(office, role="supervisor"), terminal_size=(80, 24),
                        run_before=batches_loaded)


def test_batches_120x36(snap_compare, sqlite_batches):
    office, _ = sqlite_batches
    assert snap_compare(app_for(office, role="supervisor", lang="en"), terminal_size=(120, 36),
                        run_before=batches_loaded)


async def batch_opened(pilot) -> None:
    await batches_loaded(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, BatchDetailScreen) and pilot.app.screen.detail


def test_batch_detail_80x24(snap_compare, sqlite_batches):
    office, _ = sqlite_batches
    assert snap_compare(app_for(office, role="supervisor"), terminal_size=(80, 24),
                        run_before=batch_opened)


async def handover_asked(pilot) -> None:
    await batch_opened(pilot)
    await pilot.press("h")
    await settle(pilot)


def test_handover_dialog_80x24(snap_compare, sqlite_batches):
    office, _ = sqlite_batches
    assert snap_compare(app_for(office, role="supervisor"), terminal_size=(80, 24),
                        run_before=handover_asked)
