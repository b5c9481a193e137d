"""SVG snapshot of the approval dialog past concerns, at 80×24 (SQLite, fixed clock).

Submission TUI-009 (a KIA) has its needed requirements missing and a NIK that
says a woman for a man: both concerns are listed, wrapped at word boundaries,
above the override reason's input. Update with ``--snapshot-update`` and look
at the SVG before committing it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bakso_tui.db.models import Submission
from bakso_tui.screens.submission import DecisionDialog
from tui_helpers import app_for, seed_office, settle


@pytest.fixture
def office(sqlite_db):
    return seed_office(sqlite_db)


def test_approval_with_concerns_80x24(snap_compare, office):
    with office.db.read() as s:
        number = s.scalar(select(Submission.number).where(Submission.external_id == "TUI-009"))

    async def dialog_open(pilot) -> None:
        await settle(pilot)
        queue = pilot.app.screen
        queue.table.move_cursor(row=[r.number for r in queue.pages[0].rows].index(number))
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, DecisionDialog) and len(dialog.query(".concern")) == 2

    assert snap_compare(app_for(office), terminal_size=(80, 24), run_before=dialog_open)
