"""The open queue stays current by itself: a claim, a release or a new submission
in another session shows within seconds, without `r` and without a timer
re-reading pages (PostgreSQL LISTEN/NOTIFY, SQLite data_version)."""

from __future__ import annotations

import time

from bakso_tui.db.changes import QueueWatch, queue_changed
from bakso_tui.domain import claims
from bakso_tui.screens import QueueScreen
from bakso_tui.screens.submission import SubmissionScreen
from bakso_tui.widgets import QueueTable
from tui_helpers import FIXED_NOW, app_for, run_async, seed_office, settle

#: How long a change may take to show (the listener waits 0.5 s at a time).
PATIENCE = 10.0


async def wait_until(pilot, condition) -> bool:
    """Let the app run until `condition()` holds, or PATIENCE seconds pass."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if condition():
            return True
        await pilot.pause(0.05)
    return condition()


def shown(app, number: str):
    table = app.screen.query_one(QueueTable)
    return next(row for row in table.rows_shown if row.number == number)


@run_async
async def test_a_claim_in_another_session_shows_without_r(db):
    office = seed_office(db)
    app = app_for(office, live_queue=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        number = office.work_order[0]
        row = shown(app, number)
        assert row.claim_holder is None
        reads = []
        original = app.screen._fetch
        app.screen._fetch = lambda request: (reads.append(request.direction), original(request))

        # Another verifier's session claims it (its own connection and transaction).
        with db.write() as session:
            claims.claim(session, office.supervisor.actor(), submission_id=row.id,
                         now=FIXED_NOW)

        assert await wait_until(pilot, lambda: shown(app, number).claim_holder == "spv1")
        cells = app.screen.query_one(QueueTable).cells_at(0)
        assert "K" in cells[-1]
        assert set(reads) == {"reread"}  # the page under the cursor, not the whole queue
        assert app.queue_version >= 1

        # And the release comes back the same way.
        with db.write() as session:
            claims.release(session, office.supervisor.actor(), row.id, None, now=FIXED_NOW)
        assert await wait_until(pilot, lambda: shown(app, number).claim_holder is None)


@run_async
async def test_a_queue_under_another_screen_reads_itself_when_it_comes_back(db):
    office = seed_office(db)
    app = app_for(office, role="supervisor", live_queue=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        queue = app.screen
        number = office.work_order[1]
        await pilot.press("f3")  # the users screen: the queue is not shown
        await settle(pilot)
        assert app.screen is not queue
        seen = app.queue_version
        with db.write() as session:
            claims.claim(session, office.verifier.actor(),
                         submission_id=shown_id(queue, number), now=FIXED_NOW)
        assert await wait_until(pilot, lambda: app.queue_version > seen)
        await pilot.press("f2")
        assert await wait_until(
            pilot, lambda: app.screen is queue and shown(app, number).claim_holder == "verif1")


@run_async
async def test_a_verifier_hears_at_once_that_a_supervisor_released_the_claim(db):
    office = seed_office(db)
    app = app_for(office, live_queue=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # claims the first row and opens it
        assert await wait_until(pilot, lambda: isinstance(app.screen, SubmissionScreen))
        held = app.screen.claim.submission_id
        with db.write() as session:
            claims.release(session, office.supervisor.actor(), held, None, now=FIXED_NOW)
        # No key pressed, no renewal due (every 5 minutes): the queue's change is enough.
        # (A notification is a message to the app: it may land a moment after the
        # screen changed, so both are waited for.)
        def told() -> bool:
            return any("tidak berlaku lagi" in n.message and "supervisor" in n.message
                       for n in app._notifications)

        assert await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen) and told()), [
            n.message for n in app._notifications]


def shown_id(queue: QueueScreen, number: str) -> int:
    return next(r.id for r in queue.query_one(QueueTable).rows_shown if r.number == number)


def test_the_watch_wakes_on_a_commit_and_not_on_a_rollback(db):
    office = seed_office(db)
    watch = QueueWatch(db)
    try:
        assert watch.wait(0.1) is True  # connecting: anything may have changed before
        assert watch.wait(0.2) is False  # nothing happened
        with db.write() as session:
            claims.claim(session, office.verifier.actor(), now=FIXED_NOW)
        assert watch.wait(PATIENCE) is True
        assert watch.wait(0.2) is False  # one commit, one wake-up
        try:
            with db.write() as session:
                queue_changed(session)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        assert watch.wait(0.6) is False
    finally:
        watch.close()


@run_async
async def test_a_burst_of_claims_all_show(db):
    """Claim-next does not notify every claim of a burst (the commit lock of
    NOTIFY); the listener's follow-up read shows the ones that did not."""
    office = seed_office(db)
    app = app_for(office, role="supervisor", live_queue=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        taken = [claims.claim_next(db, office.verifier.actor(), now=FIXED_NOW).submission_id
                 for _ in range(4)]
        table = app.screen.query_one(QueueTable)

        def all_shown() -> bool:
            holders = {row.id: row.claim_holder for row in table.rows_shown}
            return all(holders.get(sid) == "verif1" for sid in taken)

        assert await wait_until(pilot, all_shown)
