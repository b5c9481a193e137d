"""The attachment viewer: pages drawn in a bounded child, each opening audited, keys for all of it."""

from __future__ import annotations

import hostile
import pytest
from sqlalchemy import select

from bakso_tui.attachments.store import BlobStore
from bakso_tui.db.models import Attachment, AuditEntry, Submission
from bakso_tui.screens.submission import SubmissionScreen
from bakso_tui.screens.viewer import AttachmentViewer
from tui_helpers import app_for, run_async, seed_office, settle

TEXT = "Kutipan Akta Kelahiran Baiq Aini"


@pytest.fixture
def office(db):
    office = seed_office(db)
    with db.write() as s:
        sub = s.scalar(select(Submission).where(Submission.number == office.work_order[0]))
        files = [
            ("kk", "kk.pdf", hostile.text_pdf(TEXT, pages=3), "application/pdf", 3),
            ("kk", "ktp.jpg", hostile.jpeg(800, 1200, color=120), "image/jpeg", 1),
            ("kk", "rusak.pdf", b"%PDF-1.7\n" + b"\x00" * 64, "application/pdf", 1),
        ]
        for requirement, name, data, media_type, pages in files:
            sha = BlobStore().put(s, data, media_type)
            s.add(Attachment(submission_id=sub.id, service_id=sub.service_id,
                             requirement_id=requirement, filename=name, sha256=sha,
                             size=len(data), media_type=media_type, pages=pages))
    return office


def views(db) -> list[str]:
    with db.read() as s:
        return [e.details["file"] for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action == "attachment.view")
            .order_by(AuditEntry.id))]


def viewer(app) -> AttachmentViewer:
    assert isinstance(app.screen, AttachmentViewer), app.screen
    return app.screen


def shown_text(app) -> str:
    return str(app.screen.query_one("#viewer-text-body").render())


def title(app) -> str:
    return str(app.screen.query_one("#viewer-title").render())


async def open_viewer(pilot, key: str = "v") -> AttachmentViewer:
    await settle(pilot)
    await pilot.press("enter")  # claim the first submission
    await settle(pilot)
    assert isinstance(pilot.app.screen, SubmissionScreen)
    await pilot.press(key)
    await settle(pilot)
    return viewer(pilot.app)


@run_async
async def test_pages_text_zoom_rotation_and_files_by_key_each_opening_audited(office):
    app = app_for(office)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_viewer(pilot)
        assert [i.attachment.filename for i in screen.items] == ["kk.pdf", "ktp.jpg", "rusak.pdf"]
        assert screen.current.attachment.filename == "kk.pdf"
        assert views(office.db) == ["kk.pdf"]
        assert "hlm 1/3" in title(app)
        assert TEXT in shown_text(app)
        # Page one came first; the rest were drawn in the background meanwhile.
        assert {n for (_, n) in screen._cache} == {1, 2, 3}
        await pilot.press("pagedown")
        assert screen.number == 2 and "hlm 2/3" in title(app)
        await pilot.press("right")  # at fit, the arrows turn pages too
        assert screen.number == 3
        await pilot.press("pagedown")  # the last page stays
        assert screen.number == 3
        await pilot.press("pageup")
        assert screen.number == 2

        image = screen.query_one("#viewer-image")
        width, height = image.image.size
        assert height > width  # an A4 page, upright
        await pilot.press("r")
        width, height = image.image.size
        assert width > height  # turned a quarter
        assert "90°" in title(app)
        # What is drawn is never larger than the terminal can show (2 pixels a cell here).
        box = screen.query_one("#viewer-page").size
        assert width <= box.width and height <= 2 * box.height
        await pilot.press("plus", "plus")
        assert "200%" in title(app) and screen.view.zoom == 2.0
        await pilot.press("left")  # zoomed: the arrows pan, the page stays
        assert screen.number == 2 and screen.view.cx < 0.5
        await pilot.press("0")
        assert screen.view.fitted and "paskan" in title(app)

        await pilot.press("x")
        assert screen.query_one("#viewer-text").has_class("-hidden")
        await pilot.press("x")
        assert not screen.query_one("#viewer-text").has_class("-hidden")

        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert screen.current.attachment.filename == "ktp.jpg"
        assert "hlm 1/1" in title(app) and "lapisan teks" in shown_text(app)
        assert views(office.db)[-1] == "ktp.jpg"

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SubmissionScreen)  # the claim is still held
        with office.db.read() as s:
            assert s.scalar(select(Submission.state).where(
                Submission.number == office.work_order[0])) == "diverifikasi"


@run_async
async def test_a_file_that_cannot_be_drawn_says_why_in_one_line(office):
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_viewer(pilot, "3")
        assert screen.current.attachment.filename == "rusak.pdf"
        message = str(screen.query_one("#viewer-message").render())
        assert "tidak dapat ditampilkan" in message and "\n" not in message.strip()
        assert not screen.query_one("#viewer-image").display
        assert "rusak.pdf" in views(office.db)


@run_async
async def test_number_keys_open_one_attachment_and_a_missing_one_is_said(office):
    app = app_for(office, lang="en")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_viewer(pilot, "2")
        assert screen.index == 1
        await pilot.press("escape")
        await settle(pilot)
        before = len(views(office.db))
        await pilot.press("9")
        await settle(pilot)
        assert isinstance(app.screen, SubmissionScreen)
        assert any("no attachment 9" in str(n.message) for n in app._notifications)
        assert len(views(office.db)) == before


@run_async
async def test_the_viewer_fits_80_by_24(office):
    app = app_for(office)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_viewer(pilot)
        # Narrow: the text layer starts hidden (x shows it), the page gets the width.
        assert screen.query_one("#viewer-text").has_class("-hidden")
        assert screen.query_one("#viewer-image").display
        region = screen.query_one("#viewer-image").region
        assert region.height > 10 and region.bottom <= 23
