"""Concurrent approvals on PostgreSQL: no day beyond its capacity, and the order is fair.

Each thread approves one submission in its own transaction and connection, all
released at once by a barrier, while another closes a day. Afterwards every
day's counter equals its bookings and stays within capacity, each submission
holds exactly one place, and the places are the work order's (priority first,
then the oldest) laid over the days: the same result as approving them one
by one, whatever order the commits came in.
"""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import func, select

from bakso_tui.db.models import RecordingBooking, ServiceDay, Submission
from bakso_tui.domain import audit, schedule
from schedule_helpers import NOW, SYSTEM, TODAY, approve, new_submission, team_and_plan, verifier
from schedule_helpers import villages as pick_villages

THREADS = 24


def test_concurrent_approvals_respect_capacity_and_work_order(pg_db):
    db = pg_db
    with db.write() as s:
        village_codes = pick_villages(s, 2)
        for k, v in enumerate(village_codes):
            team_and_plan(s, v, team=f"T{k}", capacity=3, until=date(2027, 1, 31))
        verifier(s)
        ids = []
        for i in range(THREADS):
            v = village_codes[i % 2]
            priority = ["lansia"] if i % 5 == 4 else []
            ids.append(new_submission(s, v, i, minutes_ago=1000 - i * 7, priority=priority).id)
    barrier = threading.Barrier(THREADS + 1)
    errors: list[BaseException] = []

    def approve_one(sid: int) -> None:
        try:
            barrier.wait()
            with db.write() as s:
                approve(s, s.get(Submission, sid))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def close_one() -> None:
        try:
            barrier.wait()
            with db.write() as s:
                schedule.close_office_day(s, SYSTEM, date(2026, 12, 9), "rapat", today=TODAY,
                                          at=NOW)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=approve_one, args=(sid,)) for sid in ids]
    threads.append(threading.Thread(target=close_one))
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not errors, errors

    with db.read() as s:
        for day in s.scalars(select(ServiceDay)):
            counted = s.scalar(select(func.count()).select_from(RecordingBooking).where(
                RecordingBooking.service_day_id == day.id, RecordingBooking.state == "dipesan"))
            assert day.booked == counted <= day.capacity
            if day.day == date(2026, 12, 9):
                assert day.state == "ditutup" and counted == 0
        live = dict(s.execute(
            select(RecordingBooking.submission_id, ServiceDay.day)
            .join(ServiceDay, ServiceDay.id == RecordingBooking.service_day_id)
            .where(RecordingBooking.state == "dipesan")).all())
        assert sorted(live) == sorted(ids)
        for v in village_codes:
            subs = s.execute(
                select(Submission.id).where(Submission.village_code == v)
                .order_by(Submission.priority_rank, Submission.submitted_at, Submission.id)
            ).scalars().all()
            days = [d.day for d in schedule.list_days(s, village=v, since=TODAY, limit=100)]
            expected = {sid: days[i // 3] for i, sid in enumerate(subs)}
            assert {sid: live[sid] for sid in subs} == expected
        assert audit.verify(s).ok
