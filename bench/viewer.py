"""The attachment viewer on a large file: page one at once, the rest in the background.

A 50-page scanned PDF (A4 at 150 dpi, one JPEG per page, ~the largest file
intake accepts) is opened in the TUI: the time from the key to page one on
screen, and until the background worker has drawn the pages ahead. Also the
bounded child's time per page, cold (a new child) and warm.
"""

from __future__ import annotations

import asyncio
import io
import statistics
import sys
import time
from pathlib import Path

from bench.common import FrameClock, save

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

PAGES = 50


def scanned_pdf(pages: int = PAGES) -> bytes:
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for n in range(1, pages + 1):
        img = Image.new("L", (1240, 1754), 235)
        draw = ImageDraw.Draw(img)
        for line in range(40):
            draw.text((120, 120 + line * 38), f"Halaman {n} baris {line} " + "data " * 12, fill=30)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=60)
        pdf.drawImage(ImageReader(io.BytesIO(buf.getvalue())), 0, 0, *A4)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def pool_timings(data: bytes) -> dict:
    from bakso_tui.attachments.inspect import InspectorPool, Limits
    from bakso_tui.attachments.render import DEFAULT_MAX_SIDE

    pool = InspectorPool(Limits(), size=1)
    try:
        t0 = time.perf_counter()
        first = pool.render(data, 1, DEFAULT_MAX_SIDE)
        cold = time.perf_counter() - t0
        assert first.pages == PAGES, first
        per_page = []
        for n in range(2, 12):
            t0 = time.perf_counter()
            pool.render(data, n, DEFAULT_MAX_SIDE)
            per_page.append(time.perf_counter() - t0)
    finally:
        pool.close()
    return {"cold_child_page_one_ms": round(cold * 1000),
            "warm_page_median_ms": round(statistics.median(per_page) * 1000)}


async def tui_timings(data: bytes) -> dict:
    from sqlalchemy import select

    from bakso_tui.attachments.store import BlobStore
    from bakso_tui.db.models import Attachment, Submission
    from bakso_tui.screens.viewer import PREFETCH_AHEAD, AttachmentViewer
    from tui_helpers import app_for, seed_office, settle

    from bench.common import pg_database

    with pg_database() as db:
        office = seed_office(db)
        with db.write() as s:
            sub = s.scalar(select(Submission).where(Submission.number == office.work_order[0]))
            sha = BlobStore().put(s, data, "application/pdf")
            s.add(Attachment(submission_id=sub.id, service_id=sub.service_id,
                             requirement_id="kk", filename="scan_50_halaman.pdf", sha256=sha,
                             size=len(data), media_type="application/pdf", pages=PAGES))
        app = app_for(office)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            t0 = time.perf_counter()
            await pilot.press("v")
            screen = app.screen
            assert isinstance(screen, AttachmentViewer)
            while screen._page() is None:
                await pilot.pause(0.005)
            first = time.perf_counter() - t0
            while len(screen._cache) < 1 + PREFETCH_AHEAD:
                await pilot.pause(0.01)
            ahead = time.perf_counter() - t0
            clock = FrameClock(screen.query_one("#viewer-image"))
            t1 = time.perf_counter()
            await pilot.press("pagedown")
            await pilot.pause()
            turned = clock.last - t1
            assert screen.number == 2
            await app.workers.wait_for_complete()
    return {"page_one_on_screen_s": round(first, 3),
            f"pages_1_to_{1 + PREFETCH_AHEAD}_drawn_s": round(ahead, 2),
            "page_down_key_to_frame_ms": round(turned * 1000, 1)}


def run() -> dict:
    data = scanned_pdf()
    figures = {"pages": PAGES, "file_mb": round(len(data) / 2**20, 1)}
    figures["child"] = pool_timings(data)
    figures["tui"] = asyncio.run(tui_timings(data))
    save("viewer", figures)
    return figures


if __name__ == "__main__":
    run()
