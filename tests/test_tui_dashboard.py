"""The dashboard (F6): a supervisor's first screen, its figures, Enter to the
filtered queue, one self-rescheduling read; snapshots at 80x24 and 100x30."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from textual.widgets import DataTable

from bakso_tui.db.models import Submission, Village
from bakso_tui.domain import dashboard
from bakso_tui.domain.workflow import Flag
from bakso_tui.screens import QueueScreen
from bakso_tui.screens import dashboard as dashboard_screen
from bakso_tui.screens.dashboard import SLOW_READ_SECONDS, DashboardScreen
from tui_helpers import FIXED_NOW, app_for, run_async, seed_office, settle


@pytest.fixture
def office(db):
    return seed_office(db)


@pytest.fixture
def sqlite_office(sqlite_db):
    return seed_office(sqlite_db)


def cells(table: DataTable, row_key: str) -> list[str]:
    return [str(c) for c in table.get_row(row_key)]


async def focus_row(pilot, table_id: str, row_key: str) -> None:
    table = pilot.app.screen.query_one(f"#{table_id}", DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(row_key))
    await pilot.pause()


@run_async
async def test_a_supervisor_lands_on_the_dashboard_with_the_rules_figures(office):
    app = app_for(office, role="supervisor", first_screen=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen) and "Dasbor" in screen.title
        with office.db.read() as s:
            board = dashboard.read_dashboard(s, office.supervisor.actor(), FIXED_NOW)
        queued, claimed = board.bands
        bands = screen.query_one("#dash-bands", DataTable)
        assert cells(bands, "past_limit")[1:] == [
            str(queued.past_limit), str(claimed.past_limit),
            str(queued.past_limit + claimed.past_limit)]
        assert cells(bands, "total")[1:] == ["29", "1", "30"]
        kecamatan = screen.query_one("#dash-kecamatan", DataTable)
        assert sum(int(cells(kecamatan, a.code)[1]) for a in board.kecamatan
                   if a.submissions) == 30


@run_async
async def test_a_verifier_lands_on_the_queue_and_has_no_dashboard(office):
    app = app_for(office, first_screen=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen) and not app.may_open("dashboard")


@run_async
async def test_enter_on_past_the_limit_opens_the_queue_of_late_submissions(office):
    app = app_for(office, role="supervisor", first_screen=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await focus_row(pilot, "dash-bands", "past_limit")
        await pilot.press("enter")
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen) and queue.filters.flag == Flag.PAST_SLA.value
        shown = [row.number for page in queue.pages for row in page.rows]
        with office.db.read() as s:
            late = set(s.scalars(select(Submission.number).where(Submission.due_at < FIXED_NOW)))
        assert shown and set(shown) == late
        await pilot.press("f6")  # and back, the figures still there
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen) and app.screen.board is not None


@run_async
async def test_enter_on_a_kecamatan_opens_its_queue(office):
    app = app_for(office, role="supervisor", first_screen=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        with office.db.read() as s:
            code = s.scalar(select(Village.kecamatan_code).join(
                Submission, Submission.village_code == Village.code).limit(1))
        await focus_row(pilot, "dash-kecamatan", code)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.filters.kecamatan_code == code


@run_async
async def test_reads_reschedule_themselves_and_never_overlap(sqlite_office, monkeypatch):
    """Each read arms the next only once drawn: never two reads at once."""
    monkeypatch.setattr(dashboard_screen, "REFRESH_SECONDS", 0.01)
    real = dashboard.read_dashboard
    active, most = [0], [0]
    lock = threading.Lock()

    def counted(*args, **kwargs):
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(dashboard, "read_dashboard", counted)
    app = app_for(sqlite_office, role="supervisor", first_screen=None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        for _ in range(200):
            if screen.reads >= 4:
                break
            await settle(pilot, rounds=0)
        assert screen.reads >= 4 and most[0] == 1
        await pilot.press("f2")  # hidden: no more reads
        await settle(pilot)
        stopped = screen.reads
        for _ in range(5):
            await settle(pilot, rounds=0)
        assert screen.reads == stopped and screen._timer is None


async def dashboard_drawn(pilot) -> None:
    """The figures and the plot on screen (the plot's widget comes a moment later)."""
    screen = pilot.app.screen
    for _ in range(100):
        await settle(pilot, rounds=0)
        if isinstance(screen, DashboardScreen) and screen.plot_drawn_seconds is not None:
            break
    assert isinstance(screen, DashboardScreen) and screen.board
    assert screen.plot_drawn_seconds is not None
    await pilot.pause()


def test_dashboard_80x24(snap_compare, sqlite_office):
    app = app_for(sqlite_office, role="supervisor", first_screen=None)
    assert snap_compare(app, terminal_size=(80, 24), run_before=dashboard_drawn)


def test_dashboard_100x30_english(snap_compare, sqlite_office):
    app = app_for(sqlite_office, role="supervisor", first_screen=None, lang="en")
    assert snap_compare(app, terminal_size=(100, 30), run_before=dashboard_drawn)


@run_async
async def test_enter_on_a_verifier_opens_their_audit(office):
    from bakso_tui.domain import claims
    from bakso_tui.domain.workflow import Action
    from bakso_tui.screens.audit import AuditScreen

    with office.db.write() as s:
        held = claims.claim(s, office.verifier.actor(), lease_minutes=15, now=FIXED_NOW)
        claims.decide(s, office.verifier.actor(), held.submission_id, held.token, Action.RETURN,
                      reason_code="berkas_kurang", now=FIXED_NOW)
    app = app_for(office, role="supervisor", first_screen=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        verifiers = app.screen.query_one("#dash-verifiers", DataTable)
        assert cells(verifiers, "verif1")[1:] == ["1", "1"]
        await focus_row(pilot, "dash-verifiers", "verif1")
        await pilot.press("enter")
        await settle(pilot)
        audit = app.screen
        assert isinstance(audit, AuditScreen) and audit.filters.user == "verif1"
        assert audit.rows and {r.actor for r in audit.rows} == {"verif1"}
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        reasons = app.screen.query_one("#dash-reasons", DataTable)
        assert "Persyaratan belum lengkap" in cells(reasons, "return:berkas_kurang")[2]


@run_async
async def test_a_read_in_flight_never_delays_a_key(sqlite_office, monkeypatch):
    """While the worker waits on the database, keys move the cursor and
    switch screens at once."""
    real = dashboard.read_dashboard
    gate = threading.Event()

    def slow(*args, **kwargs):
        gate.wait(timeout=30)
        return real(*args, **kwargs)

    app = app_for(sqlite_office, role="supervisor", first_screen=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        monkeypatch.setattr(dashboard, "read_dashboard", slow)
        await pilot.press("r")  # a read that hangs on the "database"
        await pilot.pause()
        assert any(w.group == "dashboard" and not w.is_finished for w in app.workers)
        bands = screen.query_one("#dash-bands", DataTable)
        before = bands.cursor_row
        await pilot.press("down")
        assert bands.cursor_row == before + 1
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        gate.set()
        await settle(pilot)


@run_async
async def test_a_read_after_the_server_ended_its_connection_comes_back_at_once(pg_db,
                                                                           monkeypatch):
    """The read runs on a self-committing connection without a ping first
    (Database.one_statement): when the server has ended that connection (a
    restart, an administrator), the read is sent once more on a new one and
    the figures come, without a failure in the status line."""
    from conftest import PG_ADMIN_URL
    from faults import terminate_backends
    from sqlalchemy.engine import make_url

    failures = []
    failed = DashboardScreen.worker_failed
    monkeypatch.setattr(DashboardScreen, "worker_failed",
                        lambda screen, worker: (failures.append(worker), failed(screen, worker)))
    office = seed_office(pg_db)
    app = app_for(office, role="supervisor", first_screen=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        before = screen.reads
        assert terminate_backends(PG_ADMIN_URL, make_url(pg_db.url).database) >= 1
        await pilot.press("r")
        for _ in range(200):
            if screen.reads > before:
                break
            await settle(pilot, rounds=0)
        assert screen.reads == before + 1 and not screen.failed and not failures
        assert cells(screen.query_one("#dash-bands", DataTable), "total")[1:] == ["29", "1", "30"]


@given(st.integers(min_value=1, max_value=10**7))
def test_the_plot_counts_in_round_steps(top):
    from bakso_tui.widgets.flow_plot import _counts

    ticks = _counts(top)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1
    assert ticks[0] == 0 and ticks[-1] <= top < ticks[-1] + step and 2 <= len(ticks) <= 6
    assert all(b - a == step for a, b in zip(ticks, ticks[1:], strict=False))
    assert int(str(step)[0]) in (1, 2, 5) and set(str(step)[1:]) <= {"0"}


@run_async
async def test_the_first_section_title_stays_in_view_at_80x24_on_a_demo(sqlite_office,
                                                                        monkeypatch):
    """On `make demo` at 80x24 (the demo's banner takes a line) the body was scrolled
    by a line in two starts of three, "Antrean menurut umur" above the screen: the
    first table was focused with Textual's scroll into view while the figures and the
    plot were still coming. It is focused without scrolling now. The race itself did
    not show here reliably (1 in 3 with the whole demo seeded); this holds the
    outcome when the figures come after the tables were mounted empty."""
    read = dashboard.read_dashboard

    def slow(*args, **kwargs):
        time.sleep(SLOW_READ_SECONDS + 0.2)
        return read(*args, **kwargs)

    monkeypatch.setattr(dashboard, "read_dashboard", slow)
    app = app_for(sqlite_office, role="supervisor", first_screen=None, demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await dashboard_drawn(pilot)
        body = app.screen.query_one("#dash-body")
        assert app.focused is app.screen.query_one("#dash-bands")
        title = app.screen.query_one("#dash-title-bands")
        assert body.scroll_y == 0 and title.region.y >= body.region.y
