"""Issue 17, as a verifier meets the screens: one message per Enter, the keys a
verifier does not have say so, a submission without files says so, dates in
office time, the language switch re-renders an open submission."""

from __future__ import annotations

import pytest

from bakso_tui.screens import QueueScreen
from bakso_tui.screens.submission import DecisionDialog, SubmissionScreen
from bakso_tui.widgets import KeyBar
from tui_helpers import app_for, run_async, seed_office, settle


@pytest.fixture
def office(sqlite_db):
    return seed_office(sqlite_db)


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


async def open_first(pilot) -> None:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, SubmissionScreen)


@run_async
async def test_other_without_a_note_is_said_once_per_enter(office):
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first(pilot)
        await pilot.press("t")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, DecisionDialog)
        other = [r.id for r in dialog.reasons].index("lainnya")
        await pilot.press(*["down"] * other)
        before = len(messages(app))
        await pilot.press("enter")
        await settle(pilot)
        assert len(messages(app)) == before + 1
        assert isinstance(app.screen, DecisionDialog)
        await pilot.press("enter")  # Enter in the empty note: said once more, not twice
        await settle(pilot)
        assert len(messages(app)) == before + 2


@run_async
async def test_an_override_without_a_reason_is_said_once_per_enter(office):
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first(pilot)
        assert app.screen.detail.missing_mandatory
        await pilot.press("a")
        await pilot.pause()
        before = len(messages(app))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DecisionDialog)
        assert len(messages(app)) == before + 1


@run_async
async def test_a_supervisors_keys_say_whose_they_are(office):
    app = app_for(office)  # a verifier
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        assert "F3" not in {item.display for item in bar.items}
        for key in ("l", "o", "f3", "f5"):
            before = len(messages(app))
            await pilot.press(key)
            await settle(pilot)
            said = messages(app)[before:]
            assert len(said) == 1 and "Supervisor" in said[0], (key, said)
        assert isinstance(app.screen, QueueScreen)  # nothing opened
        assert messages(app)[-1].startswith("F5 (")


@run_async
async def test_v_without_files_says_so_plainly(office):
    app = app_for(office)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_first(pilot)
        await pilot.press("v")
        await pilot.pause()
        assert messages(app)[-1] == "Pengajuan ini tidak punya lampiran."


@run_async
async def test_the_demo_palette_switches_user(office):
    from bakso_tui.commands import BaksoCommands

    app = app_for(office, demo=True)
    app.demo_accounts = ("spv1",)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        names = {name: run for name, _help, run in BaksoCommands(app.screen).commands()}
        assert "Ganti pengguna: spv1 (demo)" in names
        names["Ganti pengguna: spv1 (demo)"]()
        await pilot.pause()
    assert app.switch_login == "spv1"


@run_async
async def test_no_switch_offered_outside_a_demo(office):
    from bakso_tui.commands import BaksoCommands

    app = app_for(office)
    app.demo_accounts = ("spv1",)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not any("spv1" in name for name, *_ in BaksoCommands(app.screen).commands())
        app.switch_user("spv1")
        assert app.switch_login is None


def widget_lines(widget) -> list[str]:
    """What `widget` shows on screen, one string per row."""
    from textual.geometry import Region

    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return ["".join(segment.text for segment in strip).rstrip() for strip in strips]


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
@run_async
async def test_the_reassign_warning_is_whole(office, size):
    from textual.widgets import Label

    app = app_for(office, role="supervisor")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        queue = app.screen
        held = next(i for i, r in enumerate(queue.table.rows_shown) if r.claim_holder)
        queue.table.move_cursor(row=held)
        await pilot.press("o")
        await settle(pilot)
        assert type(app.screen).__name__ == "ReassignDialog"
        for label in app.screen.query(Label):
            # Inside the frame (a label wider than it is cut where the frame ends) …
            assert label.region.right <= label.parent.content_region.right
            # … and wrapped between words.
            shown = " ".join(widget_lines(label)).split()
            assert shown == str(label.render()).split()  # every word, none cut
        warning = " ".join(" ".join(widget_lines(app.screen.query(".hint").first())).split())
        assert warning.endswith("keputusan darinya tidak akan tercatat.")


def test_the_service_limit_is_the_last_working_day_at_closing_time():
    from datetime import UTC, datetime

    from bakso_tui.domain.calendar import due_at, last_service_day
    from bakso_tui.screens.submission import _due

    # Received Wednesday 18-11-2026 19:03 WITA, one service day: due by the end of Thursday.
    due = due_at(datetime(2026, 11, 18, 11, 3, tzinfo=UTC), 1)
    assert str(last_service_day(due)) == "2026-11-19"
    assert _due(due) == "Kamis 19-11-2026 pukul 16:00 WITA"


@run_async
async def test_subjects_birth_dates_read_day_month_year(office):
    from sqlalchemy import update

    from bakso_tui.db.models import Submission

    first = office.work_order[0]
    with office.db.write() as s:
        s.execute(update(Submission).where(Submission.number == first).values(
            subjects=[{"role": "anak", "name": "Bayi Uji", "birth_date": "2026-03-01"}]))
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first(pilot)
        from bakso_tui.screens.submission import render_detail

        text = render_detail(app.screen.detail).plain
        assert "Bayi Uji 01-03-2026" in text and "2026-03-01" not in text
        assert "pukul 16:00 WITA" in text


def test_the_export_is_in_office_time_with_its_offset(sqlite_db):
    from datetime import datetime

    from bakso_tui.domain import claims
    from bakso_tui.domain.exports import decisions
    from bakso_tui.domain.workflow import Action
    from tui_helpers import FIXED_NOW

    office = seed_office(sqlite_db)
    actor = office.verifier.actor()
    with sqlite_db.write() as s:
        c = claims.claim(s, actor, now=FIXED_NOW)
        claims.decide(s, actor, c.submission_id, c.token, Action.REJECT,
                      reason_code="lainnya", reason="uji", now=FIXED_NOW)
    with sqlite_db.read() as s:
        rows = list(decisions(s))
    assert rows[0]["at"] == "2026-03-11T11:00:00+08:00"  # 03:00 UTC is 11:00 WITA
    assert datetime.fromisoformat(rows[0]["at"]) == FIXED_NOW


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
@run_async
async def test_the_queue_shows_short_service_names(office, size):
    from bakso_tui.domain.catalog import load_catalog
    from bakso_tui.widgets import QueueTable

    shorts = {s.id: s.short for s in load_catalog().services}
    assert shorts["kk_perubahan"] == "KK-UBAH" and all(shorts.values())
    app = app_for(office)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        column = [k for k, _ in table._layout].index("service")
        for i, row in enumerate(table.rows_shown[:10]):
            assert table.cells_at(i)[column] == shorts[row.service_id]  # whole, no "…"


def test_a_service_without_a_short_name_shows_its_name(sqlite_db):
    """Rows made before migration 0012 have no short name: the queue shows the name."""
    from sqlalchemy import update

    from bakso_tui.db.models import Service
    from bakso_tui.demo.bulk import bulk_seed
    from bakso_tui.domain import users
    from bakso_tui.domain.queue import queue_page

    bulk_seed(sqlite_db, 20)
    with sqlite_db.write() as s:
        s.execute(update(Service).values(short=""))
    with sqlite_db.read() as s:
        rows = queue_page(s, users.cli_actor(), limit=20).rows
    assert rows and all(r.service_short == r.service_name for r in rows)


@run_async
async def test_switching_language_re_renders_an_open_submission(office):
    from textual.widgets import Static

    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first(pilot)
        body = app.screen.query_one("#submission-text", Static)
        before = str(body.content)
        assert "Pemohon" in before and "lansia" in before and "diajukan → diverifikasi" in before
        app.switch_language("en")
        await settle(pilot)
        after = str(body.content)
        assert "Applicant" in after and "Pemohon" not in after
        assert "submitted → being verified" in after and "diajukan" not in after
        assert "lansia" not in after and "Elderly" in after


@run_async
async def test_a_zoomed_scan_fills_the_room_and_pans_at_100x30(office):
    """Without terminal graphics (half-cell blocks, as in tmux or over SSH)."""
    import hostile
    from sqlalchemy import select

    from bakso_tui.attachments.store import BlobStore
    from bakso_tui.db.models import Attachment, Submission
    from bakso_tui.screens.viewer import AttachmentViewer

    with office.db.write() as s:
        sub = s.scalar(select(Submission).where(Submission.number == office.work_order[0]))
        data = hostile.jpeg(800, 1200, color=120)  # a scanned KK, upright
        sha = BlobStore().put(s, data, "image/jpeg")
        s.add(Attachment(submission_id=sub.id, service_id=sub.service_id, requirement_id="kk",
                         filename="kk.jpg", sha256=sha, size=len(data), media_type="image/jpeg",
                         pages=1))
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first(pilot)
        await pilot.press("v")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AttachmentViewer)
        room = screen.query_one("#viewer-page").size
        # A scan has no text layer: no empty panel beside it, the page has the width.
        assert not screen.query_one("#viewer-text").display
        assert room.width == 100
        image = screen.query_one("#viewer-image")
        assert image.image.size[1] <= 2 * room.height  # upright, fitted to the height
        await pilot.press("plus", "plus", "plus")  # 300%
        await pilot.pause()
        width, height = image.image.size
        assert screen.view.zoom == 3.0
        assert width >= room.width - 1 and height >= 2 * room.height - 2  # the whole room
        before = screen.view
        await pilot.press("down")
        assert screen.view.cy > before.cy and screen.view.cx == before.cx
        await pilot.press("right")
        assert screen.view.cx > before.cx
        await pilot.press("up", "up", "up", "up")
        assert screen.view.cy == screen.view.fh / 2  # stops at the top edge


def key_bar_whole(app) -> list[str]:
    """The key bar's keys as shown; each must be whole and inside the screen."""
    bar = app.screen.query_one(KeyBar)
    text = bar.render().plain
    shown = []
    for start, end, item in bar._spans:
        assert end <= bar.size.width, item
        chunk = text[start:end].strip().lstrip("▏").strip()
        assert chunk == f"{item.display} {item.description}".strip(), chunk
        shown.append(chunk)
    assert text.rstrip() == text[:bar._spans[-1][1]].rstrip()  # nothing after the last key
    return shown


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
@run_async
async def test_key_bars_show_whole_keys_only(office, size):
    app = app_for(office, role="supervisor")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert "F1 Bantuan" in key_bar_whole(app)
        await pilot.press("f4")  # the schedule: "F5 B" was cut at 100 columns
        await settle(pilot)
        assert all(key != "F5 B" for key in key_bar_whole(app))
        await pilot.press("f2", "enter")
        await settle(pilot)
        assert isinstance(app.screen, SubmissionScreen)
        assert "Esc Kembali" in key_bar_whole(app)
