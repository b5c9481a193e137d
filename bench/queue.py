"""The queue at 1,000,000 submissions on PostgreSQL.

Measured side by side in one run (issue 4): the time until the queue's first
page is in the table, against a bare Textual app showing a 50-row DataTable;
page-down in the TUI (from the key to the last line of the frame it causes,
beside the same for a bare DataTable and Pilot's whole round trip); search in
the TUI from Enter to the rows on screen; keyset pages and searches in the
rules layer; the TUI's memory before and after paging far down the queue.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

from bench.common import FrameClock, Timer, pg_database, rss_mb, save

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def _search_seconds(db, actor, term: str, runs: int) -> tuple[list[float], int]:
    """Each run's time for the first 200 rows of a search, and how many it found."""
    from bakso_tui.domain.queue import QueueFilter, queue_page

    times = []
    for _ in range(runs):
        with db.read() as s, Timer() as t:
            found = queue_page(s, actor, limit=200, filters=QueueFilter(search=term))
        times.append(t.seconds)
    return times, len(found.rows)


def domain_timings(db, actor) -> dict:
    from sqlalchemy import select

    from bakso_tui.db.models import Submission
    from bakso_tui.domain.queue import queue_page

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
    # A verifier types a resident's name; a bare first name (thousands of
    # matches in a large queue) is measured too.
    with db.read() as s:
        kk = s.scalar(select(Submission.applicant_kk).where(Submission.id == sample.id))
    terms = {"nik": sample.applicant_nik, "kk": kk, "number": sample.number,
             "full_name": sample.applicant_name,
             "first_name_only": sample.applicant_name.split()[0]}
    for label, term in terms.items():
        runs, found = _search_seconds(db, actor, term, 5)
        assert found, label
        searches[label] = _median_ms(runs)
    return {"first_page_ms": _median_ms(firsts), "next_page_ms": _median_ms(nexts),
            "search_ms": searches, "many_searches": many_searches(db, actor)}, terms


def many_searches(db, actor, per_kind: int = 60) -> dict:
    """One sample of each kind can be lucky: the planner's estimate decides
    how a search is read, and it differs from term to term. Many terms of each
    kind, each answered once warm; the median and the slowest."""
    import random

    from sqlalchemy import text

    rng = random.Random(4)
    with db.read() as s:
        names = sorted(s.scalars(text("SELECT DISTINCT applicant_name FROM submission")))
        kks = sorted(s.scalars(text("SELECT applicant_kk FROM submission TABLESAMPLE SYSTEM (1)")))
    kinds = {
        "full_name": rng.sample(names, min(per_kind, len(names))),
        "name_and_initial": [f"{n.split()[0]} {n.split()[-1][0]}"
                             for n in rng.sample(names, min(per_kind, len(names)))],
        "kk_prefix_10_to_14": [kk[:rng.choice((10, 12, 14))] for kk in rng.sample(kks, min(per_kind, len(kks)))],
    }
    out = {}
    for kind, terms in kinds.items():
        times = [min(_search_seconds(db, actor, term, 2)[0]) for term in terms]
        out[kind] = {"terms": len(terms), "median_ms": _median_ms(times),
                     "slowest_ms": round(max(times) * 1000, 1)}
    return out


async def page_downs(pilot, table, cursor, presses: int) -> dict:
    clock = FrameClock(table)
    frames, round_trips, stuck = [], [], 0
    for _ in range(presses):
        before = cursor()
        t0 = time.perf_counter()
        await pilot.press("pagedown")
        await pilot.pause()
        round_trips.append(time.perf_counter() - t0)
        if cursor() == before:  # at the end of the window, the next page not in yet
            stuck += 1
            continue
        frames.append(clock.last - t0)
    frames.sort()
    return {"key_to_frame_median_ms": _median_ms(frames),
            "key_to_frame_p95_ms": round(frames[int(len(frames) * 0.95)] * 1000, 1),
            "pilot_round_trip_median_ms": _median_ms(round_trips),
            "presses_that_did_not_move": stuck}


async def bare_table(rows: int = 50) -> tuple[float, dict]:
    """A bare Textual app with a DataTable: time to its first paint, and its page-down."""
    from textual.app import App
    from textual.widgets import DataTable

    class Bare(App):
        def __init__(self):
            super().__init__()
            self.t0 = time.perf_counter()
            self.shown = None

        def compose(self):
            yield DataTable(cursor_type="row")

        def on_mount(self):
            table = self.query_one(DataTable)
            table.add_columns("a", "b", "c", "d", "e", "f")
            table.add_rows([[str(i)] * 6 for i in range(rows)])
            self.call_after_refresh(self._painted)

        def _painted(self):
            self.shown = time.perf_counter() - self.t0

    app = Bare()
    async with app.run_test(size=(100, 30)) as pilot:
        while app.shown is None:
            await pilot.pause(0.01)
        paging = None
        if rows > 50:
            table = app.query_one(DataTable)
            paging = await page_downs(pilot, table, lambda: table.cursor_row, 40)
    return app.shown, paging


async def bakso_first_rows(db, settings, user) -> float:
    from bakso_tui.app import make_app

    db.check()  # as `bakso` does before it opens the app (CliEnv.database in bakso_tui/cli/context.py)
    app = make_app(settings=settings, db=db, user=user)
    async with app.run_test(size=(100, 30)) as pilot:
        while app.first_rows_seconds is None:
            await pilot.pause(0.01)
    return app.first_rows_seconds


def first_paint_side_by_side(db, settings, user, runs: int = 5) -> dict:
    """Both apps once to warm up (the first run in a process pays for imports'
    lazy parts, the first SQL compile, the stylesheet), then alternately."""
    cold_bare = asyncio.run(bare_table())[0]
    cold_ours = asyncio.run(bakso_first_rows(db, settings, user))
    bare, ours = [], []
    for _ in range(runs):
        bare.append(asyncio.run(bare_table())[0])
        ours.append(asyncio.run(bakso_first_rows(db, settings, user)))
    return {"bare_50_row_table_s": round(statistics.median(bare), 3),
            "bakso_first_rows_s": round(statistics.median(ours), 3),
            "ratio": round(statistics.median(ours) / statistics.median(bare), 2),
            "ratio_per_run": [round(o / b, 2) for o, b in zip(ours, bare, strict=True)],
            "first_in_process_bare_s": round(cold_bare, 3),
            "first_in_process_bakso_s": round(cold_ours, 3)}


async def bakso_first_rows_and_paging(db, settings, user, searches: dict) -> dict:
    from bakso_tui.app import make_app

    db.check()  # as `bakso` does before it opens the app (CliEnv.database in bakso_tui/cli/context.py)
    app = make_app(settings=settings, db=db, user=user)
    async with app.run_test(size=(100, 30)) as pilot:
        while app.first_rows_seconds is None:
            await pilot.pause(0.01)
        first = app.first_rows_seconds
        rss_before = rss_mb()
        screen = app.screen
        table = screen.table
        paging = await page_downs(pilot, table, lambda: screen.pages[0].start + table.cursor_row,
                                  300)
        await app.workers.wait_for_complete()
        rss_after = rss_mb()
        loaded = sum(len(p.rows) for p in getattr(screen, "pages", []))
        found = {}
        clock = FrameClock(table)
        for label, term in searches.items():
            runs = []
            for _ in range(3):
                screen.search_input.value = term
                t0 = time.perf_counter()
                await screen.search_input.action_submit()
                while not (table.rows_shown and screen.pending is None
                           and screen.filters.search == term):
                    if time.perf_counter() - t0 > 30:
                        raise TimeoutError(f"search for {term!r} showed nothing")
                    await asyncio.sleep(0.001)
                await pilot.pause()  # the frame with the found rows
                runs.append(clock.last - t0)
                screen.action_clear_search()  # back to the whole queue
                while screen.pending is not None or screen.filters.search:
                    await asyncio.sleep(0.005)
                await pilot.pause()
            found[label] = _median_ms(runs)
    return {"first_rows_s": round(first, 3), "page_down": paging,
            "search_enter_to_frame_ms": found,
            "rows_in_window_after_300_page_downs": loaded,
            "rss_mb_before_after": [round(rss_before), round(rss_after)]}


def run(n: int = 1_000_000, *, with_startup: bool = False) -> dict:
    """`with_startup`: bench/startup.py's measurements on the same database
    (`make bench` seeds a million submissions once for both)."""
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
        figures["rules_layer"], searches = domain_timings(db, user.actor())
        figures["first_paint"] = first_paint_side_by_side(db, Settings(), user)
        figures["bare_textual_2000_row_table_page_down"] = asyncio.run(bare_table(2000))[1]
        figures["tui"] = asyncio.run(bakso_first_rows_and_paging(db, Settings(), user, searches))
        save("queue", figures)
        if with_startup:
            from bench import startup

            startup.measure(db)
    return figures


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
