"""The TUI through database outages: it says so, waits, and goes on by itself.

The app talks to PostgreSQL through `faults.FaultProxy`; the test takes the
path down (every connection cut, new ones refused) and brings it back.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from faults import FaultProxy
from sqlalchemy import func, select
from textual.widgets import Static

from bakso_tui.app import make_app
from bakso_tui.config import Settings
from bakso_tui.db.engine import Database
from bakso_tui.db.models import Decision, Submission
from bakso_tui.screens import QueueScreen
from bakso_tui.screens.submission import DecisionDialog, SubmissionScreen
from bakso_tui.widgets import QueueTable
from tui_helpers import FIXED_NOW, app_for, run_async, seed_office, settle


@pytest.fixture
def proxy():
    made = FaultProxy()
    yield made
    made.close()


@pytest.fixture(autouse=True)
def quick_probes(monkeypatch):
    """Probe the database every 0.2-1 s (the program waits 1-30 s)."""
    from bakso_tui import resilience

    monkeypatch.setattr(resilience, "PROBE_BACKOFF", (0.2, 0.5, 1.0))


@pytest.fixture
def office(pg_db, proxy):
    """The office seeded directly; the app reaches it through the proxy."""
    seeded = seed_office(pg_db)
    db = Database(proxy.proxied_url(pg_db.url))
    yield replace(seeded, db=db)
    db.dispose()


def away_line(app) -> str:
    line = app.screen.query_one("#header-db", Static)
    return str(line.render()) if line.display else ""


def said(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def until(pilot, condition, seconds: float = 15.0) -> None:
    for _ in range(int(seconds / 0.1)):
        if condition():
            return
        await pilot.pause(0.1)
    raise AssertionError("waited in vain")


def row(db, number: str):
    with db.read() as s:
        return s.execute(select(Submission.state, Submission.claim_holder_id,
                                Submission.claim_expires_at)
                         .where(Submission.number == number)).one()


def decisions(db, number: str) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Decision).join(Submission)
                        .where(Submission.number == number))


async def open_first(pilot) -> SubmissionScreen:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SubmissionScreen) and screen.detail is not None
    return screen


async def approve(pilot) -> None:
    await pilot.press("a")
    await pilot.pause()
    assert isinstance(pilot.app.screen, DecisionDialog)
    await pilot.press(*"berkas asli dilihat", "enter")


@run_async
async def test_the_header_says_the_database_is_away_and_the_queue_comes_back(pg_db, office, proxy):
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert away_line(app) == ""
        proxy.down()
        await pilot.press("r")
        await settle(pilot)
        assert app.is_running
        assert "Basis data tidak terjangkau" in away_line(app)
        assert any("Memuat antrian gagal" in m and "dicoba lagi sendiri" in m for m in said(app))
        proxy.up()
        await until(pilot, lambda: away_line(app) == "")
        await settle(pilot)
        assert any("tersambung lagi" in m for m in said(app))
        queue = app.screen
        assert isinstance(queue, QueueScreen) and not queue.failed
        assert [r.number for r in queue.query_one(QueueTable).rows_shown] == office.work_order


@run_async
async def test_a_decision_during_a_short_outage_is_stored_once(pg_db, office, proxy):
    first = office.work_order[0]
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first(pilot)
        proxy.down()
        await approve(pilot)
        await pilot.pause(1.0)
        assert "Basis data tidak terjangkau" in away_line(app)  # said while it waits
        proxy.up()
        await settle(pilot)
        assert any(m == f"{first} disetujui" for m in said(app))
    assert row(pg_db, first).state == "disetujui"
    assert decisions(pg_db, first) == 1


@run_async
async def test_a_decision_that_could_not_be_stored_is_said_so_and_can_be_made_again(
        pg_db, office, proxy, monkeypatch):
    monkeypatch.setattr(SubmissionScreen, "DECISION_PATIENCE", 1.0)
    first = office.work_order[0]
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_first(pilot)
        proxy.down()
        await approve(pilot)
        await settle(pilot)
        assert app.screen is screen  # not shown as decided
        # The database could not even be read: it says so, and claims nothing.
        assert any(f"Keputusan untuk {first} belum dapat dipastikan tersimpan" in m
                   for m in said(app))
        assert not any(m == f"{first} disetujui" for m in said(app))
        assert row(pg_db, first).state == "diverifikasi"
        proxy.up()
        await until(pilot, lambda: away_line(app) == "")
        await approve(pilot)
        await settle(pilot)
        assert any(m == f"{first} disetujui" for m in said(app))
    assert decisions(pg_db, first) == 1


async def _renew_while_down(pilot, pg_db, first: int, proxy, now: list):
    """Open the first submission, cut the database, move five minutes on and renew the
    lease (what the interval does every lease/3); the screen, and the lease's end before."""
    screen = await open_first(pilot)
    before = row(pg_db, first).claim_expires_at
    proxy.down()
    now[0] = FIXED_NOW + timedelta(minutes=5)
    screen.renew()
    await settle(pilot)
    return screen, before


@run_async
async def test_lease_renewal_and_release_wait_for_the_database(pg_db, office, proxy):
    first = office.work_order[0]
    now = [FIXED_NOW]
    app = make_app(settings=Settings(), db=office.db, user=office.verifier, clock=lambda: now[0])
    async with app.run_test(size=(100, 30)) as pilot:
        screen, before = await _renew_while_down(pilot, pg_db, first, proxy, now)
        assert app.is_running and "Basis data tidak terjangkau" in away_line(app)
        assert row(pg_db, first).claim_expires_at == before
        await pilot.press("escape")  # leave: the release cannot reach the database yet
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.left_behind and row(pg_db, first).state == "diverifikasi"
        proxy.up()
        await until(pilot, lambda: away_line(app) == "" and not app.left_behind)
        await settle(pilot)
    assert row(pg_db, first).state == "diajukan"


@run_async
async def test_the_lease_is_renewed_when_the_database_is_back(pg_db, office, proxy):
    first = office.work_order[0]
    now = [FIXED_NOW]
    app = make_app(settings=Settings(), db=office.db, user=office.verifier, clock=lambda: now[0])
    async with app.run_test(size=(100, 30)) as pilot:
        screen, before = await _renew_while_down(pilot, pg_db, first, proxy, now)
        proxy.up()
        await until(pilot, lambda: away_line(app) == "")
        await settle(pilot)
        after = row(pg_db, first).claim_expires_at
        assert after - before == timedelta(minutes=5)
        assert app.screen is screen


@run_async
async def test_quitting_releases_the_claim(pg_db, office):
    first = office.work_order[0]
    for how in ("ctrl+q", "palette"):
        app = app_for(office)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_first(pilot)
            assert row(pg_db, first).state == "diverifikasi"
            if how == "ctrl+q":
                await pilot.press("ctrl+q")
            else:
                await pilot.press("ctrl+p")
                await pilot.pause()
                await pilot.press(*"Keluar")
                await pilot.pause(0.3)
                await pilot.press("enter")
            await asyncio.sleep(0.2)
        assert row(pg_db, first).state == "diajukan", how
