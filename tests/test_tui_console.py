"""The supervisor's console screens: claims (F7), audit (F8, and `h` on a
submission), accounts (F3) and the audit chain check from the palette; bad
input refused in one line with nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from textual.widgets import DataTable, Input, Label, OptionList

from bakso_tui.db.models import Submission
from bakso_tui.domain import claims, users
from bakso_tui.domain.workflow import Action
from bakso_tui.screens.account_dialogs import AddAccountDialog
from bakso_tui.screens.audit import AuditFilterDialog, AuditScreen, verify_chain
from bakso_tui.screens.claims import ClaimsScreen
from bakso_tui.screens.reassign import ReassignDialog
from bakso_tui.screens.submission import SubmissionScreen
from bakso_tui.screens.users import UsersScreen
from tui_helpers import FIXED_NOW, app_for, run_async, seed_office, settle


@pytest.fixture
def office(db):
    office = seed_office(db)
    with db.write() as s:
        users.add_user(s, users.cli_actor(), login="verif2", name="Lalu Hamdi", role="verifier")
        users.add_user(s, users.cli_actor(), login="verif9", name="Mantan", role="verifier")
        users.disable_user(s, users.cli_actor(), "verif9")
        held = claims.claim(s, office.verifier.actor(), lease_minutes=15, now=FIXED_NOW)
    office.held = held
    return office


def noted(app) -> list[str]:
    notes: list[str] = []
    real = app.notify

    def keep(message, *args, **kwargs):
        notes.append(str(message))
        return real(message, *args, **kwargs)

    app.notify = keep
    return notes


async def claims_screen(pilot) -> ClaimsScreen:
    await settle(pilot)
    await pilot.press("f7")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ClaimsScreen)
    return pilot.app.screen


async def cursor_on(pilot, screen, submission_id: int) -> None:
    table = screen.query_one(DataTable)
    table.move_cursor(row=table.get_row_index(str(submission_id)))
    await pilot.pause()


@run_async
async def test_claims_show_holders_and_a_stuck_claim_is_released(office):
    app = app_for(office, role="supervisor")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await claims_screen(pilot)
        assert {c.holder_login for c in screen.held} == {"verif1", "spv1"}
        await cursor_on(pilot, screen, office.held.submission_id)
        await pilot.press("l")
        await settle(pilot)
        assert office.held.submission_id not in {c.submission_id for c in screen.held}
    with office.db.read() as s:
        assert s.get(Submission, office.held.submission_id).state == "diajukan"


@run_async
async def test_releasing_a_claim_decided_a_moment_ago_is_refused(office):
    app = app_for(office, role="supervisor")
    async with app.run_test(size=(80, 24)) as pilot:
        notes = noted(app)
        screen = await claims_screen(pilot)
        await cursor_on(pilot, screen, office.held.submission_id)
        with office.db.write() as s:  # the verifier decides behind the list
            claims.decide(s, office.verifier.actor(), office.held.submission_id,
                          office.held.token, Action.REJECT, reason_code="duplikat", now=FIXED_NOW)
        await pilot.press("l")
        await settle(pilot)
        assert any("sudah selesai diputuskan" in n for n in notes)
    with office.db.read() as s:
        assert s.get(Submission, office.held.submission_id).state == "ditolak"


@run_async
async def test_reassign_offers_active_verifiers_only(office):
    app = app_for(office, role="supervisor")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await claims_screen(pilot)
        await cursor_on(pilot, screen, office.held.submission_id)
        await pilot.press("o")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ReassignDialog)
        offered = [o.id for o in dialog.query_one(OptionList)._options]
        assert "verif2" in offered and "verif9" not in offered and "verif1" not in offered
        dialog.query_one(OptionList).highlighted = offered.index("verif2")
        await pilot.press("enter")
        await settle(pilot)
    with office.db.read() as s:
        holder = s.get(Submission, office.held.submission_id).claim_holder_id
        assert holder == users.get_user(s, "verif2").id


@run_async
async def test_audit_filter_backwards_is_refused_in_the_dialog_then_applied(office):
    app = app_for(office, role="supervisor")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen) and screen.rows
        assert [r.id for r in screen.rows] == sorted((r.id for r in screen.rows), reverse=True)
        await pilot.press("f")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, AuditFilterDialog)
        dialog.query_one("#audit-since", Input).value = "12-03-2026"
        dialog.query_one("#audit-until", Input).value = "01-03-2026"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog
        assert "terbalik" in str(dialog.query_one("#audit-refusal", Label).content)
        dialog.query_one("#audit-since", Input).value = ""
        dialog.query_one("#audit-until", Input).value = ""
        dialog.query_one("#audit-user", Input).value = "spv1"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and screen.filters.user == "spv1"
        assert screen.rows and {r.actor for r in screen.rows} == {"spv1"}


@run_async
async def test_h_on_a_submission_shows_its_history(office):
    app = app_for(office)  # a verifier: one submission's history is theirs to read
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        submission = app.screen
        assert isinstance(submission, SubmissionScreen)
        await pilot.press("h")
        await settle(pilot)
        history = app.screen
        assert isinstance(history, AuditScreen)
        assert history.rows and {r.target_id for r in history.rows} == {
            str(submission.claim.submission_id)}
        # As people say it: the submission's number and the action in words, not codes.
        table = history.table
        shown = [[str(table.get_cell_at((row, col))) for col in (2, 3)]
                 for row in range(table.row_count)]
        number = submission.detail.number
        assert shown and all(target == number for _, target in shown), shown
        assert ["diambil untuk diverifikasi", number] in shown
        assert not any("submission." in action for action, _ in shown), shown
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is submission


@run_async
async def test_audit_verify_from_the_palette_says_one_line(office):
    app = app_for(office, role="supervisor")
    async with app.run_test(size=(80, 24)) as pilot:
        notes = noted(app)
        await settle(pilot)
        verify_chain(app)
        await settle(pilot)
        assert any("Rantai audit utuh" in n and "\n" not in n for n in notes)


async def on_users(pilot) -> UsersScreen:
    await settle(pilot)
    await pilot.press("f3")
    await settle(pilot)
    assert isinstance(pilot.app.screen, UsersScreen)
    return pilot.app.screen


@run_async
async def test_a_supervisor_adds_a_verifier_and_cannot_disable_themself(office):
    app = app_for(office, role="supervisor")
    async with app.run_test(size=(80, 24)) as pilot:
        notes = noted(app)
        screen = await on_users(pilot)
        await pilot.press("a")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, AddAccountDialog)
        dialog.query_one("#account-login", Input).value = "verif3"
        dialog.query_one("#account-name", Input).value = "Baiq Sari"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "verif3" in {u.login for u in screen.users}
        table = screen.query_one(DataTable)
        table.move_cursor(row=table.get_row_index("spv1"))
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert any("sendiri" in n for n in notes)
    with office.db.read() as s:
        assert users.get_user(s, "verif3").role == "verifier"
        assert users.get_user(s, "spv1").active


@run_async
async def test_the_last_supervisor_is_not_demoted_from_the_screen(office):
    with office.db.write() as s:
        users.add_user(s, users.cli_actor(), login="admin1", name="Admin", role="admin")
    with office.db.read() as s:
        admin = users.get_user(s, "admin1")
    office.supervisor = admin  # the administrator at the keyboard
    app = app_for(office, role="supervisor")
    async with app.run_test(size=(80, 24)) as pilot:
        notes = noted(app)
        screen = await on_users(pilot)
        table = screen.query_one(DataTable)
        table.move_cursor(row=table.get_row_index("spv1"))
        await pilot.press("u")
        await pilot.pause()
        app.screen.query_one(OptionList).highlighted = 0  # verifier
        await pilot.press("enter")
        await settle(pilot)
        assert any("supervisor aktif terakhir" in n for n in notes)
    with office.db.read() as s:
        assert users.get_user(s, "spv1").role == "supervisor"
        assert s.scalar(select(Submission.id).limit(1))
