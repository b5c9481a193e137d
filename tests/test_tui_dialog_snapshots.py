"""Every dialog at 80×24 (issue 17): an SVG snapshot of each, and a check that no
label runs past its frame (a label wider than the dialog is cut mid-word there).

Update with ``pytest tests/test_tui_dialog_snapshots.py --snapshot-update`` and
look at the SVGs in ``__snapshots__`` before committing them.
"""

from __future__ import annotations

import pytest
from textual.widgets import Label

from bakso_tui.screens.base import Dialog
from test_tui_schedule import app_at, plan_office
from tui_helpers import app_for, seed_office, settle

SIZE = (80, 24)


@pytest.fixture
def office(sqlite_db):
    return seed_office(sqlite_db)


def inside_its_frame(app) -> None:
    dialog = app.screen
    assert isinstance(dialog, Dialog), dialog
    for label in dialog.query(Label):
        assert label.region.right <= label.parent.content_region.right, label


def opened(*keys: str, row: str | None = None):
    """A `run_before` that presses `keys` (after putting the queue's cursor on a
    claimed row when `row` is "claimed") and checks the dialog it opens."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        if row == "claimed":
            queue = pilot.app.screen
            queue.table.move_cursor(
                row=next(i for i, r in enumerate(queue.table.rows_shown) if r.claim_holder))
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        inside_its_frame(pilot.app)

    return run_before


def test_approve_with_a_missing_requirement_80x24(snap_compare, office):
    assert snap_compare(app_for(office), terminal_size=SIZE, run_before=opened("enter", "a"))


def test_reject_80x24(snap_compare, office):
    assert snap_compare(app_for(office), terminal_size=SIZE, run_before=opened("enter", "t"))


def test_return_80x24(snap_compare, office):
    assert snap_compare(app_for(office), terminal_size=SIZE, run_before=opened("enter", "k"))


def test_reassign_a_claimed_submission_80x24(snap_compare, office):
    app = app_for(office, role="supervisor")
    assert snap_compare(app, terminal_size=SIZE, run_before=opened("o", row="claimed"))


def test_filter_80x24(snap_compare, office):
    assert snap_compare(app_for(office), terminal_size=SIZE, run_before=opened("f"))


@pytest.fixture
def planned(sqlite_db):
    office, _ = plan_office(sqlite_db)
    return office


@pytest.mark.parametrize("key", ["p", "c", "t", "v", "slash"])
def test_schedule_dialog_80x24(snap_compare, planned, key):
    assert snap_compare(app_at(planned), terminal_size=SIZE, run_before=opened("f4", key))
