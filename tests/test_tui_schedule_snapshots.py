"""SVG snapshots of the schedule screen and a day's list (SQLite, fixed clock).

Each is taken once the month (or the list) has been read and drawn: `run_before`
waits for the workers and checks the cells are there, so an empty calendar
cannot pass. Update with ``--snapshot-update`` and look at the SVGs first.
"""

from __future__ import annotations

import pytest

from bakso_tui.widgets.month_calendar import MonthCalendar
from test_tui_schedule import FRI13, app_at, plan_office
from tui_helpers import settle


@pytest.fixture
def planned(sqlite_db):
    return plan_office(sqlite_db)


async def calendar_loaded(pilot) -> None:
    await pilot.press("f4")
    await settle(pilot)
    await pilot.press("right", "right")
    assert pilot.app.screen.query_one(MonthCalendar).cells[FRI13].bottom == "2/2"


async def day_open(pilot) -> None:
    await calendar_loaded(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert pilot.app.screen.table.row_count == 2


def test_schedule_80x24(snap_compare, planned):
    office, _ = planned
    assert snap_compare(app_at(office), terminal_size=(80, 24), run_before=calendar_loaded)


def test_schedule_120x36(snap_compare, planned):
    office, _ = planned
    assert snap_compare(app_at(office), terminal_size=(120, 36), run_before=calendar_loaded)


def test_schedule_day_80x24(snap_compare, planned):
    office, _ = planned
    assert snap_compare(app_at(office), terminal_size=(80, 24), run_before=day_open)


def test_schedule_day_120x36_english(snap_compare, planned):
    office, _ = planned
    assert snap_compare(app_at(office, lang="en"), terminal_size=(120, 36), run_before=day_open)
