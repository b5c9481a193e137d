"""Mobile-service days on PostgreSQL: booking 10,000 approved submissions, and the calendar.

The bar (issue 14): booking 10,000 approved submissions across 254 villages
over a year of Wed/Fri plans under 5 s on PostgreSQL; the calendar moves month
to month in under 50 ms from the key to the frame.

Set-up (not timed): 254 teams and a Wed/Fri plan for every village from
1 December 2026 to 30 November 2027 (holidays and cuti bersama skipped), and
10,000 KTP-el submissions (`bulk_seed`, then approved: documents waiting for
recording, a tenth of them priority residents). Timed: `book_waiting` over every
village in one transaction, with its audit rows, committed. Then the TUI: the
schedule screen opened for one team and PgDn/PgUp pressed 24 times, from the
key to the calendar's frame (the first one drawn after the key).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, date, datetime

from sqlalchemy import func, select, text

from bench.common import Timer, pg_database, save

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 30)
UNTIL = date(2027, 11, 30)


def _plans(db) -> float:
    from bakso_tui.db.models import Village
    from bakso_tui.domain import schedule, users

    actor = users.cli_actor()
    with Timer() as timer, db.write() as s:
        codes = s.scalars(select(Village.code).order_by(Village.code)).all()
        for i, code in enumerate(codes):
            team = f"T{i:03d}"
            schedule.add_team(s, actor, team, f"Tim {i}", 10, at=NOW)
            schedule.create_plan(s, actor, village_code=code, rule="wed,fri", start=TODAY,
                                 until=UNTIL, team_code=team, today=TODAY, at=NOW)
    return timer.seconds


def _approved(db, n: int) -> None:
    """`n` KTP-el submissions, approved, their documents waiting for recording."""
    from bakso_tui.demo.bulk import bulk_seed

    bulk_seed(db, n, seed=14, now=NOW)
    with db.write() as s:
        s.execute(text(
            "UPDATE submission SET service_id = 'ktp_el_baru', state = 'disetujui',"
            " priority_rank = CASE WHEN id % 10 = 0 THEN 0 ELSE 1 END"))
        s.execute(text(
            "INSERT INTO issued_document (submission_id, village_code, kind, state, created_at,"
            " updated_at) SELECT id, village_code, 'ktp_el', 'menunggu_perekaman', :at, :at"
            " FROM submission"), {"at": NOW})
    db.refresh_statistics()


def _book(db) -> tuple[float, dict]:
    from bakso_tui.db.models import RecordingBooking, ServiceDay
    from bakso_tui.domain import audit, schedule

    with Timer() as timer:
        with db.write() as s:
            result = schedule.book_waiting(s, "bench", today=TODAY, at=NOW)
    with db.read() as s:
        over = s.scalar(select(func.count()).select_from(ServiceDay)
                        .where(ServiceDay.booked > ServiceDay.capacity))
        live = s.scalar(select(func.count()).select_from(RecordingBooking)
                        .where(RecordingBooking.state == "dipesan"))
        days = s.scalar(select(func.count()).select_from(ServiceDay))
        chain = audit.verify(s).ok
    return timer.seconds, {"booked": len(result.booked), "live_bookings": live,
                           "unplaced": len(result.unplaced), "days_over_capacity": over,
                           "service_days": days, "audit_chain_ok": chain}


def _frames(widget) -> list[float]:
    """When each frame of `widget` was drawn (its lines for one compositor pass).

    The key's frame is the first after the key; a worker that freshens the
    month may draw another one later, which is not the key's latency.
    """
    done: list[float] = []
    draw = widget.render_lines

    def timed(crop):
        lines = draw(crop)
        done.append(time.perf_counter())
        return lines

    widget.render_lines = timed
    return done


async def _months(db, presses: int = 24) -> dict:
    from bakso_tui.app import make_app
    from bakso_tui.config import Settings
    from bakso_tui.domain import users
    from bakso_tui.widgets.month_calendar import MonthCalendar

    with db.write() as s:
        user = users.add_user(s, users.cli_actor(), login="spv", name="Supervisor",
                              role="supervisor")
    app = make_app(settings=Settings(), db=db, user=user, clock=lambda: NOW)
    frames, round_trips = [], []
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f4")
        await app.workers.wait_for_complete()
        await pilot.pause()
        drawn = _frames(app.screen.query_one(MonthCalendar))
        for i in range(presses):
            t0 = time.perf_counter()
            await pilot.press("pagedown" if i < presses // 2 else "pageup")
            await pilot.pause()
            round_trips.append(time.perf_counter() - t0)
            frames.append(next(t for t in drawn if t > t0) - t0)
            await app.workers.wait_for_complete()  # the next months read, as a person pauses
            await pilot.pause()
    frames.sort()
    return {"key_to_frame_median_ms": round(statistics.median(frames) * 1000, 1),
            "key_to_frame_p95_ms": round(frames[int(len(frames) * 0.95)] * 1000, 1),
            "key_to_frame_max_ms": round(frames[-1] * 1000, 1),
            "pilot_round_trip_median_ms": round(statistics.median(round_trips) * 1000, 1)}


def run(n: int = 10_000) -> dict:
    with pg_database() as db:
        plans_s = _plans(db)
        _approved(db, n)
        seconds, checks = _book(db)
        months = asyncio.run(_months(db))
    figures = {"submissions": n, "villages": 254, "plans_seconds": round(plans_s, 2),
               "booking_seconds": round(seconds, 2), **checks, "calendar": months}
    save("schedule", figures)
    return figures


if __name__ == "__main__":
    run()
