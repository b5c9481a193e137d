"""Plans, clashes, booking in the work order, closed and changed days, outcomes (both databases)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bakso_tui.db.models import (
    AuditEntry,
    IssuedDocument,
    RecordingBooking,
    ServiceDay,
    ServicePlan,
)
from bakso_tui.domain import audit, schedule
from bakso_tui.domain.schedule import ScheduleError
from schedule_helpers import NOW, SYSTEM, TODAY, approve, new_submission, team_and_plan, villages

# The first Wed/Fri service days after Tuesday 1 December 2026.
WED2, FRI4, WED9, FRI11 = date(2026, 12, 2), date(2026, 12, 4), date(2026, 12, 9), date(2026, 12, 11)


def bookings(session, village: str) -> dict[str, date]:
    """Applicant name → booked day, for the live bookings of a village."""
    rows = session.execute(
        select(RecordingBooking.submission_id, ServiceDay.day)
        .join(ServiceDay, ServiceDay.id == RecordingBooking.service_day_id)
        .where(ServiceDay.village_code == village, RecordingBooking.state == "dipesan")
    ).all()
    from bakso_tui.db.models import Submission

    return {session.get(Submission, sid).applicant_name: day for sid, day in rows}


def counters_agree(session) -> None:
    for day in session.scalars(select(ServiceDay)):
        counted = session.scalar(
            select(func.count()).select_from(RecordingBooking)
            .where(RecordingBooking.service_day_id == day.id,
                   RecordingBooking.state.in_(("dipesan", "direkam", "tidak_hadir"))))
        assert day.booked == counted <= day.capacity, day.day


def test_plan_skips_holidays_and_books_in_work_order(db):
    with db.write() as s:
        [v] = villages(s, 1)
        plan = team_and_plan(s, v)
        assert date(2026, 12, 25) in {k.day for k in plan.skipped}
        assert date(2027, 3, 10) in {k.day for k in plan.skipped}
        assert plan.days[0] == WED2 and date(2026, 12, 25) not in plan.days
        # Three residents, oldest first; capacity 2 a day.
        subs = [new_submission(s, v, i, minutes_ago=300 - i) for i in range(3)]
        for sub in subs:
            approve(s, sub)
        assert bookings(s, v) == {"Warga 000": WED2, "Warga 001": WED2, "Warga 002": FRI4}
        # A priority resident approved later goes before them on a day not listed yet.
        late = new_submission(s, v, 3, minutes_ago=1, priority=["lansia"])
        approve(s, late)
        assert bookings(s, v) == {"Warga 003": WED2, "Warga 000": WED2,
                                  "Warga 001": FRI4, "Warga 002": FRI4}
        counters_agree(s)
        moved = s.scalars(select(AuditEntry.action).where(AuditEntry.action == "booking.move"))
        assert list(moved) == ["booking.move"]
        assert audit.verify(s).ok


def test_a_listed_day_keeps_its_residents(db):
    with db.write() as s:
        [v] = villages(s, 1)
        team_and_plan(s, v)
        for i in range(2):
            approve(s, new_submission(s, v, i, minutes_ago=100 - i))
        sheets = schedule.manifest_sheets(s, SYSTEM, day=WED2, village=v, office_name="Dinas",
                                          office_short="Dukcapil", lang="id", at=NOW)
        assert [r.name for r in sheets[0].rows] == ["Warga 000", "Warga 001"]
        approve(s, new_submission(s, v, 9, minutes_ago=1, priority=["sakit_terbaring"]))
        assert bookings(s, v)["Warga 009"] == FRI4
        assert bookings(s, v)["Warga 000"] == WED2
        home = s.scalar(select(RecordingBooking.home_visit)
                        .where(RecordingBooking.state == "dipesan")
                        .order_by(RecordingBooking.id.desc()).limit(1))
        assert home is True


def test_clash_is_refused_naming_village_and_date_and_nothing_is_written(db):
    with db.write() as s:
        a, b = villages(s, 2)
        team_and_plan(s, a, rule="wed")
    with pytest.raises(ScheduleError) as caught, db.write() as s:
        schedule.create_plan(s, SYSTEM, village_code=b, rule="mon,wed", start=TODAY,
                             until=date(2027, 1, 31), team_code="T1", capacity=5, today=TODAY,
                             at=NOW)
    message = str(caught.value)
    assert message.startswith("bentrok: tim T1 sudah bertugas di") and a in message
    assert "2026-12-02" in message
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(ServicePlan)) == 1
        assert s.scalar(select(func.count()).select_from(ServiceDay)
                        .where(ServiceDay.village_code == b)) == 0


def test_database_refuses_a_team_in_two_villages_on_one_day(db):
    from sqlalchemy.exc import IntegrityError

    with db.write() as s:
        a, b = villages(s, 2)
        team_and_plan(s, a, rule="wed")
    with pytest.raises(IntegrityError), db.write() as s:
        s.add(ServiceDay(day=WED2, village_code=b, team_code="T1", capacity=3, booked=0,
                         state="terjadwal", reason=""))
        s.flush()
    with pytest.raises(IntegrityError), db.write() as s:
        day = s.scalar(select(ServiceDay).limit(1))
        day.booked = day.capacity + 1
        s.flush()


@pytest.mark.parametrize(("kwargs", "usage", "start"), [
    (dict(rule="wed,frii"), True, "hari tidak dikenal: frii"),
    (dict(until=date(2026, 11, 1)), True, "--until 2026-11-01 sebelum --from"),
    (dict(until=date(2029, 1, 1)), True, "rentang 2026-12-01 s.d. 2029-01-01 lebih dari"),
    (dict(capacity=0), True, "kapasitas harus 1"),
    (dict(village_code="52.03.99.9999"), False, "desa tidak dikenal: 52.03.99.9999"),
    (dict(team_code="NOPE"), False, "tim tidak dikenal: NOPE"),
])
def test_bad_plans_are_refused_in_one_line(db, kwargs, usage, start):
    with db.write() as s:
        [v] = villages(s, 1)
        schedule.add_team(s, SYSTEM, "T1", "Tim Satu", 5, at=NOW)
    args = dict(village_code=v, rule="wed", start=TODAY, until=date(2027, 1, 31),
                team_code="T1", capacity=3) | kwargs
    with pytest.raises(ScheduleError) as caught, db.write() as s:
        schedule.create_plan(s, SYSTEM, today=TODAY, at=NOW, **args)
    assert str(caught.value).startswith(start) and caught.value.usage is usage


def test_closing_a_day_moves_all_its_bookings(db):
    with db.write() as s:
        [v] = villages(s, 1)
        team_and_plan(s, v, capacity=3)
        for i in range(5):
            approve(s, new_submission(s, v, i, minutes_ago=100 - i))
        assert sorted(bookings(s, v).values()) == [WED2] * 3 + [FRI4] * 2
        change = schedule.close_office_day(s, SYSTEM, WED2, "banjir", today=TODAY, at=NOW)
        assert change.villages == [v]
        assert {m.to_day for m in change.reflow.moved} == {FRI4, WED9}
        assert len(change.reflow.moved) == 5  # the three of WED2 and the two behind them
        placed = bookings(s, v)
        assert WED2 not in placed.values()
        assert sorted(placed.values()) == [FRI4] * 3 + [WED9] * 2
        assert placed["Warga 000"] == FRI4  # the oldest keeps the earliest place
        counters_agree(s)
        # Plans made later skip the closed day too.
        with pytest.raises(ScheduleError, match="sudah ditutup"):
            schedule.close_office_day(s, SYSTEM, WED2, "lagi", today=TODAY, at=NOW)
        with pytest.raises(ScheduleError, match="sudah lewat"):
            schedule.close_office_day(s, SYSTEM, TODAY - timedelta(days=1), "x", today=TODAY,
                                      at=NOW)


def test_lower_capacity_and_cancel_move_bookings(db):
    with db.write() as s:
        [v] = villages(s, 1)
        team_and_plan(s, v, capacity=3)
        for i in range(3):
            approve(s, new_submission(s, v, i, minutes_ago=100 - i))
        change = schedule.change_day(s, SYSTEM, v, WED2, capacity=1, today=TODAY, at=NOW)
        assert [m.name for m in change.reflow.moved] == ["Warga 001", "Warga 002"]
        assert bookings(s, v) == {"Warga 000": WED2, "Warga 001": FRI4, "Warga 002": FRI4}
        counters_agree(s)
        change = schedule.cancel_day(s, SYSTEM, v, FRI4, "tim sakit", today=TODAY, at=NOW)
        assert bookings(s, v) == {"Warga 000": WED2, "Warga 001": WED9, "Warga 002": WED9}
        counters_agree(s)


def test_no_day_with_room_leaves_residents_waiting_and_a_new_plan_books_them(db):
    with db.write() as s:
        [v] = villages(s, 1)
        team_and_plan(s, v, capacity=1, rule="wed", until=date(2026, 12, 10))  # WED2, WED9
        for i in range(3):
            approve(s, new_submission(s, v, i, minutes_ago=100 - i))
        assert bookings(s, v) == {"Warga 000": WED2, "Warga 001": WED9}
        assert schedule.waiting_count(s, v) == 1
        schedule.create_plan(s, SYSTEM, village_code=v, rule="fri", start=TODAY,
                             until=date(2026, 12, 31), team_code="T1", capacity=1,
                             today=TODAY, at=NOW)
        # The new Friday comes before the second Wednesday: in the work order the
        # older resident takes it, and the one who waited takes the Wednesday.
        assert bookings(s, v) == {"Warga 000": WED2, "Warga 001": FRI4, "Warga 002": WED9}
        counters_agree(s)


def test_recorded_documents_become_ready_and_absent_residents_are_booked_again(db):
    with db.write() as s:
        [v] = villages(s, 1)
        team_and_plan(s, v, capacity=2)
        subs = [new_submission(s, v, i, minutes_ago=100 - i) for i in range(2)]
        for sub in subs:
            approve(s, sub)
        day = schedule.find_day(s, v, WED2)
        with pytest.raises(ScheduleError, match="belum tiba"):
            schedule.record_outcomes(s, SYSTEM, day.id, recorded=[subs[0].applicant_nik],
                                     today=TODAY, at=NOW)
        with pytest.raises(ScheduleError, match="tidak ada dalam daftar"):
            schedule.record_outcomes(s, SYSTEM, day.id, recorded=["5203010101900000"],
                                     today=WED2, at=NOW + timedelta(days=1))
        outcome = schedule.record_outcomes(
            s, SYSTEM, day.id, recorded=[subs[0].applicant_nik], absent=[subs[1].applicant_nik],
            today=WED2, at=NOW + timedelta(days=1))
        assert outcome.recorded == ["Warga 000"]
        assert outcome.absent == [("Warga 001", FRI4)]
        states = dict(s.execute(select(IssuedDocument.submission_id, IssuedDocument.state)).all())
        assert states == {subs[0].id: "siap_cetak", subs[1].id: "menunggu_perekaman"}
        assert bookings(s, v) == {"Warga 001": FRI4}
        counters_agree(s)  # the absent resident's place on WED2 still counts
        with pytest.raises(ScheduleError, match="sudah ditandai"):
            schedule.record_outcomes(s, SYSTEM, day.id, recorded=[subs[0].applicant_nik],
                                     today=WED2, at=NOW + timedelta(days=1))
        actions = set(s.scalars(select(AuditEntry.action)))
        assert {"booking.direkam", "booking.tidak_hadir", "document.recorded"} <= actions
        assert audit.verify(s).ok


def test_services_without_recording_are_never_booked(db):
    with db.write() as s:
        [v] = villages(s, 1)
        team_and_plan(s, v)
        approve(s, new_submission(s, v, 1, service="akta_kelahiran"))
        assert bookings(s, v) == {}


def test_next_service_day_and_lists(db):
    with db.write() as s:
        a, b = villages(s, 2)
        team_and_plan(s, a, capacity=1)
        team_and_plan(s, b, team="T2", rule="1tue", capacity=4)
        approve(s, new_submission(s, a, 1))
    with db.read() as s:
        assert schedule.next_service_day(s, a, TODAY).day == WED2
        assert schedule.next_service_day(s, a, TODAY, with_room=True).day == FRI4
        assert schedule.next_service_day(s, b, TODAY).day == date(2027, 2, 2)  # 5 Jan: Isra Mikraj
        page = schedule.list_days(s, since=WED2, until=date(2027, 1, 31), limit=3)
        assert [d.day for d in page] == [WED2, FRI4, WED9]
        rest = schedule.list_days(s, since=WED2, until=date(2027, 1, 31), limit=100,
                                  after=(page[-1].day, page[-1].village_code))
        assert rest[0].day == FRI11
        assert len(list(schedule.iter_days(s, page=2, since=WED2))) == \
            len(schedule.list_days(s, since=WED2, limit=1000))
        booked = s.scalar(select(RecordingBooking.submission_id))
        day, home = schedule.booking_of(s, booked)
        assert day.day == WED2 and day.village_code == a and home is False
