"""Enter never acts on a row the verifier cannot see.

After a search, a filter, a reload or a reassignment the queue's cursor is on a
row that is on screen and drawn highlighted, the status line counts that row,
and Enter opens that very submission. (Before: after `/`, a number, Enter,
Esc the status said "Baris 104 dari 120" while rows 1-26 were shown, none
highlighted, and Enter opened a submission off screen.)
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from textual.widgets import Select

from bakso_tui.db.models import Submission
from bakso_tui.domain import claims
from bakso_tui.domain.workflow import Action
from bakso_tui.screens import QueueScreen
from bakso_tui.screens.filters import FilterDialog
from bakso_tui.screens.submission import SubmissionScreen
from bakso_tui.widgets import QueueTable, StatusBar, format_count
from tui_helpers import FIXED_NOW, app_for, run_async, seed_office, settle

ROWS = 120  # more than a 30-line terminal shows


@pytest.fixture
def office(db):
    return seed_office(db, count=ROWS)


def assert_cursor_seen(app) -> str:
    """The cursor is on screen, drawn in the cursor style, and counted by the
    status line; returns the number of the submission under it."""
    queue = app.screen
    assert isinstance(queue, QueueScreen)
    table = queue.query_one(QueueTable)
    assert table.row_count, "no rows"
    top = round(table.scroll_y)
    assert top <= table.cursor_row < top + table.visible_rows, (
        f"cursor on row {table.cursor_row}, screen shows {top}..{top + table.visible_rows - 1}")
    line = table.render_line(table.cursor_row - top + 1)  # line 0 is the header
    cursor = table.get_component_rich_style("queue-table--cursor")
    assert cursor.bgcolor is not None
    assert any(seg.style is not None and seg.style.bgcolor == cursor.bgcolor
               for seg in line if seg.text.strip()), "the cursor row is not highlighted"
    row = table.current
    position = queue.pages[0].start + table.cursor_row + 1
    assert queue.query_one(StatusBar).left_text.startswith(f"Baris {format_count(position)} ")
    assert row.number in "".join(seg.text for seg in line)
    return row.number


async def enter_opens(pilot, number: str) -> None:
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SubmissionScreen)
    assert screen.detail is not None and screen.detail.number == number
    await pilot.press("escape")
    await settle(pilot)


@run_async
async def test_after_a_search_by_number_is_cleared(office):
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        target = office.work_order[103]
        await pilot.press("slash", *target, "enter")
        await settle(pilot)
        assert assert_cursor_seen(app) == target
        await pilot.press("escape")
        await settle(pilot)
        # The cursor stays on the submission that was found, and it is shown.
        assert assert_cursor_seen(app) == target
        await enter_opens(pilot, target)
        assert assert_cursor_seen(app)


@run_async
async def test_after_a_filter_is_cleared(office):
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        queue = app.screen
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, FilterDialog)
        app.screen.query_one("#service", Select).value = "akta_kematian"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert queue.filters.service_id == "akta_kematian"
        await pilot.press("end")  # the last of the filtered rows: deep in the whole queue
        await settle(pilot)
        chosen = assert_cursor_seen(app)
        assert office.work_order.index(chosen) > 60
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("delete")
        await settle(pilot)
        assert queue.filters.service_id is None and queue.table.row_count == ROWS
        assert assert_cursor_seen(app) == chosen
        await enter_opens(pilot, chosen)


@run_async
async def test_after_a_reload_that_lost_the_row(office):
    """The row under the cursor was decided elsewhere: the cursor stays near, in view."""
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        gone = assert_cursor_seen(app)
        with office.db.write() as s:
            sub_id = s.scalar(select(Submission.id).where(Submission.number == gone))
            claim = claims.claim(s, office.supervisor.actor(), submission_id=sub_id, now=FIXED_NOW)
            claims.decide(s, office.supervisor.actor(), sub_id, claim.token, Action.REJECT,
                          reason_code="duplikat", now=FIXED_NOW)
        # A search that narrows to one row, then Esc, then r: three reloads in a row.
        await pilot.press("slash", *office.work_order[2], "enter")
        await settle(pilot)
        await pilot.press("escape", "r")
        await settle(pilot)
        shown = assert_cursor_seen(app)
        assert shown != gone
        await enter_opens(pilot, shown)


@run_async
async def test_after_a_reassignment(office):
    from bakso_tui.screens.reassign import ReassignDialog

    app = app_for(office, role="supervisor")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        queue = app.screen
        queue.table.move_cursor(row=90)
        await pilot.pause()
        number = assert_cursor_seen(app)
        await pilot.press("o")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ReassignDialog)
        dialog.query_one("#people").highlighted = [p.login for p in dialog.people].index("verif1")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is queue
        assert assert_cursor_seen(app) == number
        assert queue.table.current.claim_holder == "verif1"
