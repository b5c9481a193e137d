"""The program's own refusals: a verifier reaches no supervisor action through the
keys, the command palette or the command line; a disabled account starts nothing."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bakso_tui.cli import cli
from bakso_tui.commands import BaksoCommands
from bakso_tui.db.models import Submission, User
from bakso_tui.domain import users
from bakso_tui.screens import QueueScreen, UsersScreen
from bakso_tui.screens.reassign import ReassignDialog
from tui_helpers import app_for, run_async, seed_office, settle


@pytest.fixture
def office(db):
    return seed_office(db)


def held_row(office) -> tuple[int, str]:
    """The submission spv1 holds (seed_office claims number 13 for spv1)."""
    with office.db.read() as s:
        row = s.execute(select(Submission.id, Submission.number)
                        .where(Submission.state == "diverifikasi")).one()
    return row.id, row.number


def holder_of(office, submission_id: int) -> int | None:
    with office.db.read() as s:
        return s.get(Submission, submission_id).claim_holder_id


async def on_row(pilot, number: str) -> None:
    await settle(pilot)
    queue = pilot.app.screen
    queue.table.move_cursor(row=[r.number for r in queue.table.rows_shown].index(number))
    await pilot.pause()


# ------------------------------------------------------------------ keys


@run_async
async def test_a_verifiers_keys_reach_no_supervisor_action(office):
    sid, number = held_row(office)
    holder = holder_of(office, sid)
    app = app_for(office, role="verifier")
    async with app.run_test(size=(100, 30)) as pilot:
        await on_row(pilot, number)
        for key in ("l", "o", "f3"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, QueueScreen), key
            assert not isinstance(app.screen, (ReassignDialog, UsersScreen)), key
        # The keys say whose they are (issue 17) and are not in the verifier's key bar.
        said = [n.message for n in app._notifications]
        assert sum("supervisor" in m.lower() for m in said) >= 3, said
        # Run by name anyway (a remapped key, a stale binding): the rules refuse.
        await app.run_action("screen.release")
        await settle(pilot)
    assert holder_of(office, sid) == holder


@run_async
async def test_the_same_keys_work_for_a_supervisor(office):
    sid, number = held_row(office)
    app = app_for(office, role="supervisor")
    async with app.run_test(size=(100, 30)) as pilot:
        await on_row(pilot, number)
        await pilot.press("l")
        await settle(pilot)
    assert holder_of(office, sid) is None


# ------------------------------------------------------------------ palette


@run_async
async def test_a_verifiers_palette_has_no_supervisor_command(office):
    for role, supervisor in (("verifier", False), ("supervisor", True)):
        app = app_for(office, role=role)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            names = {name for name, _, _ in BaksoCommands(app.screen).commands()}
            wanted = {"Lepas klaim baris ini", "Alihkan baris ini ke verifikator lain",
                      "Daftar pengguna"}
            assert (wanted <= names) is supervisor, role
            assert not (wanted & names) or supervisor, role
            # And through the palette itself, as a person types it.
            sid, number = held_row(office)
            await on_row(pilot, number)
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"Lepas klaim")
            await pilot.pause(0.5)
            await pilot.press("enter")
            await settle(pilot)
            if not isinstance(app.screen, QueueScreen):
                await pilot.press("escape")
                await settle(pilot)
        assert (holder_of(office, sid) is None) is supervisor, role


# ------------------------------------------------------------------ command line


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def add_os_account(db, role: str, *, active: bool = True) -> None:
    with db.write() as s:
        users.add_user(s, users.cli_actor(), login=users.os_login(), name="Petugas Server",
                       role=role)
        if not active:
            users.disable_user(s, users.cli_actor(), users.os_login())


def logins(db) -> set[str]:
    with db.read() as s:
        return set(s.scalars(select(User.login)))


def test_a_verifier_on_the_command_line_cannot_manage_accounts(office):
    add_os_account(office.db, "verifier")
    url = office.db.url
    for args in (["users", "add", "baru", "--name", "Baru", "--role", "supervisor"],
                 ["users", "disable", "spv1"]):
        result = run("--db", url, *args)
        assert result.exit_code == 1, result.output
        line = result.output.strip()
        assert "\n" not in line and "users.manage" in line and users.os_login() in line
    assert "baru" not in logins(office.db)
    with office.db.read() as s:
        assert users.get_user(s, "spv1").active


def test_a_supervisor_on_the_command_line_may(office):
    add_os_account(office.db, "supervisor")
    result = run("--db", office.db.url, "users", "add", "baru", "--name", "Baru",
                 "--role", "verifier")
    assert result.exit_code == 0, result.output
    assert "baru" in logins(office.db)


def test_a_disabled_account_cannot_start_the_tui_nor_run_a_command(office):
    add_os_account(office.db, "supervisor", active=False)
    result = run("--db", office.db.url)
    assert result.exit_code == 2
    assert result.output.strip() == f"bakso: Akun '{users.os_login()}' sudah dinonaktifkan"
    result = run("--db", office.db.url, "users", "add", "baru", "--name", "B", "--role", "verifier")
    assert result.exit_code == 1 and "dinonaktifkan" in result.output
    assert "baru" not in logins(office.db)


# ------------------------------------------------------------------ disabled while open


@run_async
async def test_an_open_tui_of_a_disabled_account_decides_nothing(office):
    from bakso_tui.db.models import Decision
    from bakso_tui.screens.submission import SubmissionScreen
    from test_tui_submission import complete
    from tui_helpers import FIXED_NOW

    complete(office.db, office.work_order[0])
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SubmissionScreen)
        sid = app.screen.claim.submission_id
        with office.db.write() as s:  # the supervisor disables verif1 meanwhile
            users.disable_user(s, office.supervisor.actor(), "verif1", now=FIXED_NOW)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        messages = [str(n.message) for n in app._notifications]
        assert any("dinonaktifkan" in m for m in messages), messages
        assert not isinstance(app.screen, SubmissionScreen)
    with office.db.read() as s:
        row = s.get(Submission, sid)
        assert (row.state, row.claim_holder_id) == ("diajukan", None)
        assert s.scalar(select(Decision.id)) is None
