"""The verification flow in the TUI: claim, look, decide, and the next one opens."""

from __future__ import annotations

from datetime import timedelta

import hostile
import pytest
from sqlalchemy import select

from bakso_tui.attachments.store import BlobStore
from bakso_tui.db.models import Attachment, Decision, Submission
from bakso_tui.domain import claims
from bakso_tui.domain.decisions import unmet_requirements
from bakso_tui.screens import QueueScreen
from bakso_tui.screens.submission import DecisionDialog, SubmissionScreen, render_detail
from tui_helpers import FIXED_NOW, app_for, burst, run_async, seed_office, settle


@pytest.fixture
def office(db):
    return seed_office(db)


def complete(db, number: str) -> None:
    """Attach a PDF for every needed requirement of submission `number` (one of each group)."""
    with db.write() as s:
        sub = s.scalar(select(Submission).where(Submission.number == number))
        for item in unmet_requirements(sub):
            req_id = item.ids[0]
            data = hostile.text_pdf(f"{req_id} {number}", pages=1)
            sha = BlobStore().put(s, data, "application/pdf")
            s.add(Attachment(submission_id=sub.id, service_id=sub.service_id,
                             requirement_id=req_id, filename=f"{req_id}.pdf", sha256=sha,
                             size=len(data), media_type="application/pdf", pages=1))


def number_of(db, external_id: str) -> str:
    with db.read() as s:
        return s.scalar(select(Submission.number).where(Submission.external_id == external_id))


async def open_first(pilot) -> None:
    """From the queue, Enter on the first row: its submission is claimed and shown."""
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def press_on_row(pilot, number: str, key: str) -> None:
    """On the queue, put the cursor on submission `number` and press `key`."""
    await settle(pilot)
    queue = pilot.app.screen
    queue.table.move_cursor(row=[r.number for r in queue.pages[0].rows].index(number))
    await pilot.press(key)
    await settle(pilot)


def state_of(db, number: str) -> str:
    with db.read() as s:
        return s.scalar(select(Submission.state).where(Submission.number == number))


@run_async
async def test_enter_a_enter_approves_and_the_next_opens_by_itself(office):
    first, second = office.work_order[0], office.work_order[1]
    complete(office.db, first)
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first(pilot)
        assert isinstance(app.screen, SubmissionScreen)
        assert app.screen.detail.number == first and app.screen.detail.missing_mandatory == ()
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, DecisionDialog)
        await pilot.press("enter")
        await settle(pilot)
        assert state_of(office.db, first) == "disetujui"
        assert isinstance(app.screen, SubmissionScreen)
        assert app.screen.detail.number == second  # three keys, and the next is open
        assert state_of(office.db, second) == "diverifikasi"


@run_async
async def test_the_three_keys_typed_in_one_go_decide_too(office):
    """Enter, `a`, Enter arriving together (a fast verifier, a slow SSH link): the
    claim's worker opens the submission before `a` is handled, and the dialog
    before Enter (bakso_tui/type_ahead.py). Without that, both went to the queue."""
    first, second = office.work_order[0], office.work_order[1]
    complete(office.db, first)
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await burst(pilot, "enter", "a", "enter")
        assert state_of(office.db, first) == "disetujui"
        assert isinstance(app.screen, SubmissionScreen) and app.screen.detail.number == second


@run_async
async def test_missing_mandatory_asks_for_an_override_reason(office):
    first = office.work_order[0]
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first(pilot)
        assert app.screen.detail.missing_mandatory
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")  # no reason written: refused, the dialog stays
        await pilot.pause()
        assert isinstance(app.screen, DecisionDialog)
        await pilot.press(*"berkas asli dilihat di kantor desa")
        await pilot.press("enter")
        await settle(pilot)
    with office.db.read() as s:
        decision = s.scalar(select(Decision).join(Submission).where(Submission.number == first))
    assert decision.action == "approve" and decision.override_reason == "berkas asli dilihat di kantor desa"


@pytest.mark.parametrize("external_id,said", [
    ("TUI-009", "NIK/KK tidak cocok"),  # the stated sex disagrees with the NIK
    ("TUI-008", "kemungkinan duplikat"),  # the same resident and service as TUI-002
])
@run_async
async def test_a_nik_mismatch_or_a_duplicate_asks_for_an_override_reason(office, external_id, said):
    """A complete file with a flag a verifier must weigh: `a`, Enter is refused
    until a reason is written, and the reason is stored with what it passed over."""
    number = number_of(office.db, external_id)
    complete(office.db, number)
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await press_on_row(pilot, number, "enter")
        assert isinstance(app.screen, SubmissionScreen) and app.screen.detail.number == number
        assert app.screen.detail.missing_mandatory == ()
        await pilot.press("a")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, DecisionDialog)
        shown = " ".join(str(label.render()) for label in dialog.query(".concern"))
        assert said in shown
        await pilot.press("enter")  # no reason written: refused, the dialog stays
        await pilot.pause()
        assert app.screen is dialog and state_of(office.db, number) == "diverifikasi"
        await pilot.press(*"dicek dengan KK asli")
        await pilot.press("enter")
        await settle(pilot)
    assert state_of(office.db, number) == "disetujui"
    with office.db.read() as s:
        decision = s.scalar(select(Decision).join(Submission).where(Submission.number == number))
    assert decision.override_reason == "dicek dengan KK asli"


@run_async
async def test_history_and_the_approval_dialog_speak_words_not_codes(office):
    """The history says what happened ("diambil untuk diverifikasi"), not
    ``submission.claim``; the approval dialog names missing requirements."""
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first(pilot)
        detail = app.screen.detail
        text = render_detail(detail).plain
        await pilot.press("a")
        await pilot.pause()
        shown = " ".join(str(label.render()) for label in app.screen.query(".concern"))
    assert "diterima dari desa" in text and "diambil untuk diverifikasi" in text
    assert "submission." not in text and "→ diverifikasi" in text
    assert detail.unmet_ids and detail.missing_labels
    assert all(label in shown for label in detail.missing_labels)
    assert not [rid for rid in detail.unmet_ids if rid in shown.split()]


@run_async
async def test_return_needs_a_reason_code_from_the_catalogue(office):
    first = office.work_order[0]
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first(pilot)
        await pilot.press("k")
        await pilot.pause()
        await pilot.press("down", "enter")  # the second reason: scan_tidak_terbaca
        await settle(pilot)
    with office.db.read() as s:
        decision = s.scalar(select(Decision).join(Submission).where(Submission.number == first))
    assert decision.action == "return" and decision.reason_code == "scan_tidak_terbaca"
    assert state_of(office.db, first) == "dikembalikan"


@run_async
async def test_escape_releases_the_claim(office):
    first = office.work_order[0]
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first(pilot)
        assert state_of(office.db, first) == "diverifikasi"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
    assert state_of(office.db, first) == "diajukan"


@run_async
async def test_a_lost_lease_changes_nothing_and_the_verifier_is_told(office):
    first = office.work_order[0]
    complete(office.db, first)
    app = app_for(office, lease_minutes=15)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first(pilot)
        sub_id = app.screen.claim.submission_id
        # The lease runs out and the supervisor gives the submission to someone else.
        with office.db.write() as s:
            claims.reassign(s, office.supervisor.actor(), sub_id, "spv1",
                            now=FIXED_NOW + timedelta(minutes=1))
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("tidak ada yang diubah" in m for m in messages)
    assert state_of(office.db, first) == "diverifikasi"
    with office.db.read() as s:
        assert s.scalar(select(Decision.id)) is None


@run_async
async def test_n_claims_the_next_free_submission(office):
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, SubmissionScreen)
        assert app.screen.detail.number == office.work_order[0]


@run_async
async def test_filters_narrow_the_queue_and_delete_clears_them(office):
    from textual.widgets import Select

    from bakso_tui.screens.filters import FilterDialog

    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        queue = app.screen
        everything = queue.table.row_count
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, FilterDialog)
        app.screen.query_one("#service", Select).value = "akta_kelahiran"
        app.screen.query_one("#flag", Select).value = "prioritas"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert queue.filters.service_id == "akta_kelahiran" and queue.filters.flag == "prioritas"
        assert 0 < queue.table.row_count < everything
        with office.db.read() as s:
            from bakso_tui.domain.queue import queue_page

            page = queue_page(s, office.verifier.actor(), filters=queue.filters, now=FIXED_NOW)
        assert all(r.service_id == "akta_kelahiran" and "prioritas" in r.flags for r in page.rows)
        assert queue.table.row_count == len(page.rows)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("delete")
        await settle(pilot)
        assert queue.filters.service_id is None and queue.table.row_count == everything


@run_async
async def test_a_supervisor_releases_a_claim_and_a_verifier_cannot(office):
    held = next(n for n in office.work_order if state_of(office.db, n) == "diverifikasi")
    for role, expected in (("verifier", "diverifikasi"), ("supervisor", "diajukan")):
        app = app_for(office, role=role)
        async with app.run_test(size=(100, 30)) as pilot:
            await press_on_row(pilot, held, "l")
        assert state_of(office.db, held) == expected, role


@run_async
async def test_a_supervisor_reassigns_a_claim_and_the_old_lease_decides_nothing(office):
    from bakso_tui.domain import users
    from bakso_tui.domain.workflow import Action
    from bakso_tui.screens.reassign import ReassignDialog

    with office.db.write() as s:
        users.add_user(s, users.cli_actor(), login="verif2", name="Lalu Wira", role="verifier")
        users.add_user(s, users.cli_actor(), login="adm1", name="Admin TI", role="admin")
    held = next(n for n in office.work_order if state_of(office.db, n) == "diverifikasi")
    with office.db.read() as s:
        held_id = s.scalar(select(Submission.id).where(Submission.number == held))
        old_token = s.scalar(select(Submission.claim_token).where(Submission.id == held_id))

    # A verifier's `o` does nothing: the rules layer would refuse it anyway.
    app = app_for(office, role="verifier")
    async with app.run_test(size=(100, 30)) as pilot:
        await press_on_row(pilot, held, "o")
        assert not isinstance(app.screen, ReassignDialog)

    app = app_for(office, role="supervisor")
    async with app.run_test(size=(100, 30)) as pilot:
        await press_on_row(pilot, held, "o")
        dialog = app.screen
        assert isinstance(dialog, ReassignDialog)
        logins = [p.login for p in dialog.people]
        assert "spv1" not in logins  # the holder is not offered
        assert "adm1" not in logins  # nor anyone who may not verify
        assert "verif2" in logins and "verif1" in logins
        dialog.query_one("#people").highlighted = logins.index("verif2")
        await pilot.press("enter")
        await settle(pilot)
        assert any("verif2" in str(n.message) for n in app._notifications)
    with office.db.read() as s:
        holder = s.scalar(select(Submission.claim_holder_id).where(Submission.id == held_id))
        assert holder == users.get_user(s, "verif2").id
    # The supervisor's old lease (the fencing token before) decides nothing.
    with pytest.raises(claims.LeaseLost), office.db.write() as s:
        claims.decide(s, office.supervisor.actor(), held_id, old_token, Action.REJECT,
                      reason_code="lainnya", reason="x", now=FIXED_NOW)
    assert state_of(office.db, held) == "diverifikasi"


@run_async
async def test_a_renewal_while_deciding_never_closes_the_screen_twice(office, monkeypatch):
    """Seen under load: the database came back, the screen renewed its lease while
    the decision committed, read the claim as lost and closed itself; the decision
    then closed the queue too (ScreenStackError). A decision under way owns the claim."""
    import threading

    first = office.work_order[0]
    complete(office.db, first)
    committed = threading.Event()
    real_decide_once = claims.decide_once

    def slow_decide_once(*args, **kwargs):
        stored = real_decide_once(*args, **kwargs)
        committed.set()
        return stored

    monkeypatch.setattr(claims, "decide_once", slow_decide_once)
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first(pilot)
        screen = app.screen
        assert isinstance(screen, SubmissionScreen)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")
        for _ in range(100):
            if committed.is_set():
                break
            await pilot.pause(0.05)
        screen.database_back()  # the app redoes the screen's work when the database returns
        await settle(pilot)
        assert app.is_running
        assert any(str(n.message) == f"{first} disetujui" for n in app._notifications)
        assert not any(s is screen for s in app.screen_stack)
    assert state_of(office.db, first) == "disetujui"
