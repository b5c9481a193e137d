"""Personal data shown only as far as the role needs: NIKs masked for the
administrator (who does not decide), and searches and submission views written
to the audit log without what was searched for."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from bakso_tui.app import make_app
from bakso_tui.config import Settings
from bakso_tui.db.models import AuditEntry, Submission
from bakso_tui.domain import users
from bakso_tui.domain.audit import verify
from bakso_tui.domain.nik import mask_for_list
from bakso_tui.domain.queue import queue_page, search_kind
from bakso_tui.domain.review import submission_detail
from bakso_tui.screens.submission import SubmissionScreen
from tui_helpers import app_for, fixed_clock, run_async, seed_office, settle

MASKED = re.compile(r"^\d{4}•{8}\d{4}$")


def _admin(db) -> users.UserInfo:
    with db.write() as s:
        return users.add_user(s, users.cli_actor(), login="it1", name="Admin TI", role="admin")


def _audit(db, action: str) -> list[AuditEntry]:
    with db.read() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.id)))


def test_the_mask():
    assert mask_for_list("5203014507900001") == "5203••••••••0001"
    assert mask_for_list("12345") == "•••••"


def test_the_administrator_sees_niks_and_kks_masked_deciders_in_full(db):
    office = seed_office(db, count=14)
    admin = _admin(db)
    with db.read() as s:
        for_admin = queue_page(s, admin.actor()).rows
        for_verifier = queue_page(s, office.verifier.actor()).rows
        sub = s.scalar(select(Submission).where(Submission.number == office.work_order[0]))
        detail = submission_detail(s, admin.actor(), sub.id)
        full = submission_detail(s, office.verifier.actor(), sub.id)
    assert for_admin and all(MASKED.match(r.applicant_nik) for r in for_admin)
    assert all(re.fullmatch(r"\d{16}", r.applicant_nik) for r in for_verifier)
    assert {r.id: mask_for_list(r.applicant_nik) for r in for_verifier} == \
        {r.id: r.applicant_nik for r in for_admin}
    assert MASKED.match(detail.applicant_nik) and MASKED.match(detail.applicant_kk)
    assert full.applicant_nik == sub.applicant_nik and full.applicant_kk == sub.applicant_kk


@run_async
async def test_the_administrators_queue_shows_masked_niks_and_a_search_is_audited_without_its_text(db):
    office = seed_office(db, count=14)
    admin = _admin(db)
    with db.read() as s:
        nik = s.scalar(select(Submission.applicant_nik)
                       .where(Submission.number == office.work_order[0]))
    app = make_app(settings=Settings(), db=db, user=admin, clock=fixed_clock, first_screen="queue")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#queue-table")
        assert "nik" in table.column_keys
        shown = table.cells_at(0)[table.column_keys.index("nik")]
        assert MASKED.match(shown) and shown == mask_for_list(nik)
        await pilot.press("slash")
        for key in nik:
            await pilot.press(key)
        await pilot.press("enter")
        await settle(pilot)
        assert table.row_count >= 1  # the search by the full NIK still finds it
    searches = _audit(db, "queue.search")
    assert len(searches) == 1
    entry = searches[0]
    assert entry.actor == "it1" and entry.details == {"kind": "nik_kk"}
    stored = json.dumps([entry.details, entry.reason, entry.target_id, entry.target_type])
    assert nik not in stored and nik[:6] not in stored
    with db.read() as s:
        assert verify(s).ok


def test_search_kinds():
    assert search_kind("5203014507900001") == "nik_kk"
    assert search_kind("520301") == "nik_kk_prefix"
    assert search_kind("BKS-2026-0000001") == "number"
    assert search_kind("Siti") == "name"


@run_async
async def test_opening_a_submission_is_audited_and_kept_out_of_its_history(db):
    office = seed_office(db, count=14)
    app = app_for(office)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SubmissionScreen)
        detail = app.screen.detail
        assert detail is not None
        assert all(row.action != "submission.view" for row in detail.history)
    views = _audit(db, "submission.view")
    assert [(v.actor, v.target_type, v.target_id) for v in views] == [
        ("verif1", "submission", str(detail.id))]
