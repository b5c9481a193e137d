"""The supervisor's dashboard at 1,000,000 submissions on PostgreSQL.

Each figure of ``domain/dashboard.read_dashboard`` timed on its own (median
and slowest of several warm reads), first right after the bulk load (planner
statistics only, as `bakso seed` leaves it) and then after VACUUM (as
autovacuum leaves an office's database: index-only scans need the visibility
map); and, side by side in one run as the queue bench does, the time until the
whole dashboard is drawn against a bare Textual app showing a 50-row table.

The load: a million submissions over 30 days (``bulk_seed``), 90,000 of them
decided by 20 verifiers over those days (approve 60 %, return 25 %, reject
15 %, with reason codes), 20,000 issued documents in the waiting states, 200
service days in the next two weeks, a few scheduler runs.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
from datetime import UTC, datetime, timedelta

from bench.common import Timer, pg_database, save
from bench.queue import bare_table

DECIDED = 90_000
VERIFIERS = 20


def seed_history(db, now: datetime) -> None:
    """Decisions, documents in every waiting state, service days and job runs."""
    from sqlalchemy import insert, select, text, update

    from bakso_tui.db.models import (Decision, JobRun, ServiceDay, ServiceTeam, Submission,
                                     Village)
    from bakso_tui.demo.bulk import bulk_ready_documents
    from bakso_tui.domain import users

    rng = random.Random(3)
    with db.write() as s:
        people = [users.add_user(s, users.cli_actor(), login=f"verif{i}", name=f"Verifikator {i}",
                                 role="verifier").id for i in range(1, VERIFIERS + 1)]
        ids = s.scalars(select(Submission.id).order_by(Submission.id).limit(DECIDED)).all()
    for start in range(0, len(ids), 10_000):
        chunk = ids[start:start + 10_000]
        rows, states = [], {"disetujui": [], "dikembalikan": [], "ditolak": []}
        for sid in chunk:
            roll = rng.random()
            action, state, code = (("approve", "disetujui", None) if roll < 0.6 else
                                   ("return", "dikembalikan",
                                    rng.choice(["berkas_kurang", "scan_tidak_terbaca",
                                                "dokumen_salah", "data_tidak_sesuai"]))
                                   if roll < 0.85 else
                                   ("reject", "ditolak",
                                    rng.choice(["duplikat", "tidak_memenuhi_syarat"])))
            at = now - timedelta(minutes=rng.randint(0, 30 * 24 * 60))
            rows.append({"submission_id": sid, "actor_id": rng.choice(people), "action": action,
                         "reason_code": code, "reason": "", "override_reason": "", "at": at})
            states[state].append(sid)
        with db.write() as s:
            s.execute(insert(Decision), rows)
            for state, sids in states.items():
                s.execute(update(Submission).where(Submission.id.in_(sids))
                          .values(state=state, decided_at=now))
    bulk_ready_documents(db, 20_000, now=now)
    with db.write() as s:
        s.execute(text("UPDATE issued_document SET state = 'menunggu_perekaman' WHERE id % 4 = 1"))
        s.execute(text("UPDATE issued_document SET state = 'dicetak' WHERE id % 4 = 2"))
        villages = s.scalars(select(Village.code).order_by(Village.code)).all()
        s.execute(insert(ServiceTeam), [{"code": f"TIM-{i:02d}", "name": f"Tim {i}",
                                         "capacity": 30} for i in range(1, 21)])
        today = now.date()
        s.execute(insert(ServiceDay), [
            {"day": today + timedelta(days=d), "village_code": villages[(d * 20 + i) % 254],
             "team_code": f"TIM-{i:02d}", "capacity": 30, "booked": rng.randint(0, 30),
             "state": "terjadwal"} for d in range(1, 11) for i in range(1, 21)])
        for job in ("batch_close", "sla_flag", "recording_lists", "batch_print"):
            for day in range(30):
                at = now - timedelta(days=day, hours=2)
                s.add(JobRun(job_id=job, started_at=at, finished_at=at + timedelta(seconds=5),
                             outcome="ok"))


def figure_timings(db, actor, now, runs: int = 9) -> dict:
    """Each figure's queries on their own (``each=True``), and the screen's
    read: all of them as one statement on a self-committing connection."""
    from bakso_tui.domain.dashboard import read_dashboard

    with db.read() as s:
        read_dashboard(s, actor, now, each=True)  # warm: plans, caches
    with db.one_statement() as s:
        read_dashboard(s, actor, now)
    samples: dict[str, list[float]] = {}
    totals = []
    for _ in range(runs):
        with db.read() as s:
            board = read_dashboard(s, actor, now, each=True)
        for name, ms in board.timings.items():
            samples.setdefault("each_read" if name == "whole_read" else name, []).append(ms)
        with db.one_statement() as s, Timer() as whole:
            read_dashboard(s, actor, now)
        totals.append(whole.seconds * 1000)
    out = {name: {"median_ms": round(statistics.median(v), 1), "max_ms": round(max(v), 1)}
           for name, v in samples.items()}
    out["one_statement_read"] = {"median_ms": round(statistics.median(totals), 1),
                                 "max_ms": round(max(totals), 1)}
    return out


async def dashboard_drawn(db, settings, user) -> float:
    from bakso_tui.app import make_app

    db.check()
    app = make_app(settings=settings, db=db, user=user)
    async with app.run_test(size=(100, 30)) as pilot:
        while getattr(app.screen, "first_drawn_seconds", None) is None:
            await pilot.pause(0.01)
        return app.screen.first_drawn_seconds


def side_by_side(db, settings, user, runs: int = 9) -> dict:
    asyncio.run(bare_table())
    asyncio.run(dashboard_drawn(db, settings, user))
    bare, ours = [], []
    for _ in range(runs):
        bare.append(asyncio.run(bare_table())[0])
        ours.append(asyncio.run(dashboard_drawn(db, settings, user)))
    import os

    return {"bare_50_row_table_s": round(statistics.median(bare), 3),
            "dashboard_drawn_s": round(statistics.median(ours), 3),
            "ratio": round(statistics.median(ours) / statistics.median(bare), 2),
            "bare_runs_s": [round(x, 3) for x in bare], "dashboard_runs_s": [round(x, 3) for x in ours],
            "load_average": [round(x, 1) for x in os.getloadavg()]}


def reuse(name: str):
    """A database seeded by an earlier run (``BAKSO_BENCH_DASHBOARD_DB``): its
    counters made again by migration 0013 from the rows (a test of the upgrade
    at a million rows), then measured."""
    from contextlib import contextmanager

    from sqlalchemy.engine import make_url

    from bakso_tui.db import migrate
    from bakso_tui.db.engine import Database
    from bench.common import PG_ADMIN_URL

    @contextmanager
    def opened():
        db = Database(make_url(PG_ADMIN_URL).set(database=name)
                      .render_as_string(hide_password=False))
        migrate.downgrade(db, "0011")
        migrate.upgrade(db)
        try:
            yield db
        finally:
            db.dispose()

    return opened()


def run(n: int = 1_000_000) -> dict:
    import os

    from bakso_tui.config import Settings
    from bakso_tui.demo.bulk import bulk_seed
    from bakso_tui.domain import users

    now = datetime.now(UTC)
    kept = os.environ.get("BAKSO_BENCH_DASHBOARD_DB")
    with (reuse(kept) if kept else pg_database()) as db:
        with Timer() as seeding:
            if kept:
                now = datetime.fromisoformat(os.environ["BAKSO_BENCH_DASHBOARD_NOW"])
            else:
                bulk_seed(db, n, now=now)
                seed_history(db, now)
            db.refresh_statistics()
        with db.write() as s:
            spv = users.get_user(s, "spv1") or users.add_user(
                s, users.cli_actor(), login="spv1", name="Kepala Seksi", role="supervisor")
        figures = {"submissions": n, "decisions": DECIDED, "seed_seconds": round(seeding.seconds, 1),
                   "load_average": [round(x, 1) for x in os.getloadavg()]}
        figures["figures_after_load"] = figure_timings(db, spv.actor(), now)
        with db.step() as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        figures["figures_after_vacuum"] = figure_timings(db, spv.actor(), now)
        figures["first_paint"] = side_by_side(db, Settings(), spv)
    save("dashboard", figures)
    return figures


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
