"""The queue at 1,000,000 submissions on PostgreSQL.

Measured side by side in one run (issue 4): the time until the queue's first
page is in the table, against a bare Textual app showing a 50-row DataTable;
page-down in the TUI; keyset pages and searches in the rules layer; the TUI's
memory before and after paging far down the queue.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

from bench.common import Timer, pg_database, rss_mb, save

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def domain_timings(db, actor) -> dict:
    from bakso_tui.domain.queue import QueueFilter, queue_page

    firsts, nexts = [], []
    for _ in range(5):
        with db.read() as s, Timer() as t:
            page = queue_page(s, actor, limit=200)
        firsts.append(t.seconds)
    after = page.next_key
    for _ in range(20):
        with db.read() as s, Timer() as t:
            page = queue_page(s, actor, after=after, limit=200)
        nexts.append(t.seconds)
        after = page.next_key
    sample = page.rows[-1]
    searches = {}
    for label, term in [("nik", sample.applicant_nik), ("number", sample.number),
                        ("name_prefix", sample.applicant_name[:8])]:
        runs = []
        for _ in range(5):
            with db.read() as s, Timer() as t:
                found = queue_page(s, actor, limit=200, filters=QueueFilter(search=term))
            runs.append(t.seconds)
        assert found.rows, label
        searches[label] = _median_ms(runs)
    return {"first_page_ms": _median_ms(firsts), "next_page_ms": _median_ms(nexts),
            "search_ms": searches}


async def bare_first_paint() -> float:
    from textual.app import App
    from textual.widgets import DataTable

    class Bare(App):
        def __init__(self):
            super().__init__()
            self.t0 = time.perf_counter()
            self.shown = None

        def compose(self):
            yield DataTable()

        def on_mount(self):
            table = self.query_one(DataTable)
            table.add_columns("a", "b", "c", "d", "e", "f")
            table.add_rows([[str(i)] * 6 for i in range(50)])
            self.call_after_refresh(self._painted)

        def _painted(self):
            self.shown = time.perf_counter() - self.t0

    app = Bare()
    async with app.run_test(size=(100, 30)) as pilot:
        while app.shown is None:
            await pilot.pause(0.01)
    return app.shown


async def bakso_first_rows_and_paging(db, settings, user) -> dict:
    from bakso_tui.app import make_app

    db.check()  # as `bakso` does before it opens the app (cli.open_db)
    app = make_app(settings=settings, db=db, user=user)
    async with app.run_test(size=(100, 30)) as pilot:
        while app.first_rows_seconds is None:
            await pilot.pause(0.01)
        first = app.first_rows_seconds
        rss_before = rss_mb()
        downs = []
        for _ in range(300):
            t0 = time.perf_counter()
            await pilot.press("pagedown")
            await pilot.pause()
            downs.append(time.perf_counter() - t0)
        await app.workers.wait_for_complete()
        rss_after = rss_mb()
        screen = app.screen
        loaded = sum(len(p.rows) for p in getattr(screen, "pages", []))
    return {"first_rows_s": round(first, 3), "page_down_median_ms": _median_ms(downs),
            "page_down_p95_ms": round(sorted(downs)[int(len(downs) * 0.95)] * 1000, 1),
            "rows_in_window_after_300_page_downs": loaded,
            "rss_mb_before_after": [round(rss_before), round(rss_after)]}


def run(n: int = 1_000_000) -> dict:
    from bakso_tui.config import Settings
    from bakso_tui.demo.bulk import bulk_seed
    from bakso_tui.domain import users

    with pg_database() as db:
        with Timer() as seeding:
            bulk_seed(db, n)
        with db.write() as s:
            user = users.add_user(s, users.cli_actor(), login="verif1", name="Baiq Nurul Aini",
                                  role="verifier")
        figures = {"submissions": n, "seed_seconds": round(seeding.seconds, 1)}
        figures["rules_layer"] = domain_timings(db, user.actor())
        bare = [asyncio.run(bare_first_paint()) for _ in range(3)]
        ours = asyncio.run(bakso_first_rows_and_paging(db, Settings(), user))
        figures["bare_textual_50_rows_s"] = round(statistics.median(bare), 3)
        figures["tui"] = ours
        figures["first_page_ratio_vs_bare"] = round(ours["first_rows_s"] / figures["bare_textual_50_rows_s"], 2)
    save("queue", figures)
    return figures


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
