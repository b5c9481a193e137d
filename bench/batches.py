"""Issuance batches on PostgreSQL: the daily close with its PDFs, and the batches screen.

1. 10,000 ready documents across the 254 villages are closed into batches by
   the scheduler's own job (close, then each batch's PDF drawn by worker
   processes). Bar (issue 15): under 30 s on this 2-core machine, and a second
   run makes no batch.
2. 100,000 batches (254 villages, over a year and a half of days): the batches
   screen from F5 to its first rows on screen. Bar: under 0.5 s.
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.common import Timer, pg_database, save


def _cpu() -> float:
    """CPU seconds of this process (the PDF workers are a fork server's, not counted)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def close_day(documents: int = 10_000) -> dict:
    from pypdf import PdfReader
    from sqlalchemy import func, select

    from bakso_tui.config import settings_from
    from bakso_tui.db.models import IssuanceBatch
    from bakso_tui.demo.bulk import bulk_ready_documents, bulk_seed
    from bakso_tui.domain import audit
    from bakso_tui.domain.batches import build_sheet
    from bakso_tui.jobs.tasks import JobContext, close_batches
    from bakso_tui.printing.pdf import render_batch

    now = datetime.now(UTC)
    with pg_database() as db, tempfile.TemporaryDirectory() as out:
        bulk_seed(db, documents, now=now - timedelta(days=2))
        made = bulk_ready_documents(db, documents, now=now - timedelta(hours=2))
        db.refresh_statistics()
        settings = settings_from({"batches": {"directory": str(out)}})
        ctx = JobContext(db, settings, clock=lambda: now)
        cpu0 = _cpu()
        with Timer() as first:
            result = close_batches(ctx)
        cpu = _cpu() - cpu0
        with Timer() as again:
            second = close_batches(ctx)
        pdfs = sorted(Path(out).glob("*.pdf"))
        pages = sum(len(PdfReader(p).pages) for p in pdfs)
        # What drawing costs, apart from the database: every sheet drawn again here.
        with db.read() as s:
            numbers = s.scalars(select(IssuanceBatch.number)).all()
            sheets = [build_sheet(s, n, settings) for n in numbers]
        pdf_cpu = time.process_time()
        for sheet in sheets:
            render_batch(sheet)
        pdf_cpu = time.process_time() - pdf_cpu
        with db.read() as s:
            villages = s.scalar(select(func.count(func.distinct(IssuanceBatch.village_code))))
            chain = audit.verify(s)
    return {
        "documents_ready": made,
        "batches": result.counts["batches"],
        "villages": villages,
        "documents_closed": result.counts["documents"],
        "pdfs": len(pdfs),
        "pdf_pages": pages,
        "close_and_pdfs_s": round(first.seconds, 2),
        "cpu_s_this_process": round(cpu, 2),
        "cpu_s_drawing_all_pdfs_on_one_core": round(pdf_cpu, 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "second_run_s": round(again.seconds, 2),
        "second_run_batches": second.counts["batches"],
        "audit_chain_ok": chain.ok,
    }


def _fill_batches(db, count: int) -> None:
    from sqlalchemy import insert, select

    from bakso_tui.db.models import IssuanceBatch, Village

    with db.read() as s:
        villages = s.scalars(select(Village.code).order_by(Village.code)).all()
    rng = random.Random(15)
    states = ("selesai", "selesai", "selesai", "diserahkan", "dicetak", "ditutup")
    day, rows = date(2026, 11, 27), []
    made = 0
    while made < count:
        for code in rng.sample(villages, min(len(villages), count - made)):
            state = states[min(len(states) - 1, max(0, (date(2026, 11, 27) - day).days // -30
                                                   + rng.randint(0, 5)))]
            rows.append({
                "number": f"BAST/{code}/{day:%Y%m%d}/1", "kind": "village", "village_code": code,
                "office_day": day, "seq": 1, "state": state, "documents": rng.randint(1, 80),
                "digest": "0" * 64, "audit_hash": "0" * 64,
                "closed_at": datetime(day.year, day.month, day.day, 7, tzinfo=UTC),
                "closed_by": "bench", "handover_due": day + timedelta(days=7),
                "recipient_name": "Sekretaris Desa" if state in ("diserahkan", "selesai") else None,
            })
            made += 1
        day -= timedelta(days=1)
        if len(rows) >= 10_000:
            with db.write() as s:
                s.execute(insert(IssuanceBatch), rows)
            rows = []
    if rows:
        with db.write() as s:
            s.execute(insert(IssuanceBatch), rows)
    db.refresh_statistics()


async def _screen(db, runs: int = 5) -> dict:
    from bakso_tui.app import make_app
    from bakso_tui.config import Settings
    from bakso_tui.domain import users
    from bakso_tui.screens.batches import BatchesScreen

    with db.write() as s:
        user = users.get_user(s, "spv_bench") or users.add_user(
            s, users.cli_actor(), login="spv_bench", name="Bench", role="supervisor")
    times = []
    for _ in range(runs):
        app = make_app(settings=Settings(), db=db, user=user)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            t0 = time.perf_counter()
            await pilot.press("f5")
            while not (isinstance(app.screen, BatchesScreen) and app.screen.rows):
                await asyncio.sleep(0.002)
            await pilot.pause()  # the rows drawn
            times.append(time.perf_counter() - t0)
    times.sort()
    return {"f5_to_rows_s_median": round(times[len(times) // 2], 3),
            "f5_to_rows_s_max": round(times[-1], 3), "runs": runs}


def screen(count: int = 100_000) -> dict:
    from sqlalchemy import func, select

    from bakso_tui.db.models import IssuanceBatch
    from bakso_tui.domain.batches import BatchFilter, batch_page

    with pg_database() as db:
        with Timer() as fill:
            _fill_batches(db, count)
        with db.read() as s:
            total = s.scalar(select(func.count()).select_from(IssuanceBatch))
            with Timer() as first:
                page = batch_page(s, BatchFilter(), limit=100)
            with Timer() as deep:
                after = page.next_key
                for _ in range(50):
                    page = batch_page(s, BatchFilter(), after=after, limit=100)
                    after = page.next_key
            village = page.rows[0].village_code
            with Timer() as one_village:
                batch_page(s, BatchFilter(village_code=village), limit=100)
        figures = asyncio.run(_screen(db))
    return {"batches": total, "fill_s": round(fill.seconds, 1),
            "first_page_ms": round(first.seconds * 1000, 1),
            "page_ms_over_50_pages": round(deep.seconds * 1000 / 50, 1),
            "one_village_ms": round(one_village.seconds * 1000, 1), **figures}


def run() -> dict:
    figures = {"close": close_day(), "screen": screen()}
    save("batches", figures)
    return figures


if __name__ == "__main__":
    if sys.argv[1:] == ["close"]:
        save("batches_close", close_day())
    elif sys.argv[1:] == ["screen"]:
        save("batches_screen", screen())
    else:
        run()
