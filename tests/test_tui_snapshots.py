"""SVG snapshots of the queue and the help (SQLite, fixed clock: the ages never move).

Each snapshot is taken after the queue's worker has finished and its rows are
in the table (`run_before` waits and checks), so an empty table cannot pass.
Update with ``pytest tests/test_tui_snapshots.py --snapshot-update`` and look
at the SVGs in ``__snapshots__`` before committing them.
"""

from __future__ import annotations

import pytest

from bakso_tui.widgets import QueueTable
from tui_helpers import app_for, seed_office, settle


@pytest.fixture
def office(sqlite_db):
    return seed_office(sqlite_db)


async def queue_loaded(pilot) -> None:
    await settle(pilot)
    assert pilot.app.screen.query_one(QueueTable).row_count == 30


def test_queue_80x24(snap_compare, office):
    assert snap_compare(app_for(office), terminal_size=(80, 24), run_before=queue_loaded)


def test_queue_120x36_supervisor_demo(snap_compare, office):
    app = app_for(office, role="supervisor", demo=True)
    assert snap_compare(app, terminal_size=(120, 36), run_before=queue_loaded)


def test_help_80x24(snap_compare, office):
    assert snap_compare(
        app_for(office), terminal_size=(80, 24), run_before=queue_loaded, press=["f1"]
    )


def test_queue_80x24_english(snap_compare, office):
    assert snap_compare(
        app_for(office, lang="en"), terminal_size=(80, 24), run_before=queue_loaded
    )


async def submission_open(pilot) -> None:
    from bakso_tui.screens.submission import SubmissionScreen

    await queue_loaded(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, SubmissionScreen) and pilot.app.screen.detail is not None


def test_submission_80x24(snap_compare, office):
    assert snap_compare(app_for(office), terminal_size=(80, 24), run_before=submission_open)


def test_submission_120x36(snap_compare, office):
    assert snap_compare(app_for(office), terminal_size=(120, 36), run_before=submission_open)
