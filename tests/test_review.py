"""The submission as a verifier sees it: checklist, NIK checks, links, history, audited views."""

from __future__ import annotations

from datetime import UTC, datetime

import packages as pk
import pytest

from bakso_tui.domain import users
from bakso_tui.domain.intake import Intake
from bakso_tui.domain.review import open_attachment, submission_detail
from bakso_tui.domain.users import Actor, PermissionDenied
from bakso_tui.locale import set_language

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def _submit(db, tmp_path, name, m):
    result = Intake(db).intake(pk.write_folder(tmp_path / name, m), now=NOW)
    assert result.status == "accepted", result.messages()
    from sqlalchemy import select

    from bakso_tui.db.models import Submission

    with db.read() as s:
        return s.scalar(select(Submission.id).where(Submission.number == result.submission))


def test_checklist_marks_missing_optional_and_matches_files(db, tmp_path):
    sid = _submit(db, tmp_path, "a", pk.manifest(service="akta_kelahiran", external_id="A1"))
    with db.write() as s:
        verifier = users.add_user(s, users.cli_actor(), login="verif1", name="V", role="verifier").actor()
    with db.read() as s:
        d = submission_detail(s, verifier, sid)
    items = {c.requirement_id: c for c in d.checklist}
    assert items["bukti_kelahiran"].mandatory and not items["bukti_kelahiran"].missing
    assert items["bukti_kelahiran"].attachments[0].pages == 2
    assert not items["bukti_perkawinan"].mandatory and items["bukti_perkawinan"].missing
    assert d.missing_mandatory == ()
    assert d.nik_checks == () and d.village_name == "Tanjung Luar"
    assert [h.action for h in d.history] == ["submission.receive"]


def test_nik_checks_shown_in_the_users_language_and_duplicate_link(db, tmp_path):
    first = _submit(db, tmp_path, "a", pk.manifest(external_id="B1"))
    m = pk.with_applicant(pk.manifest(external_id="B2"), sex="L")
    second = _submit(db, tmp_path, "b", m)
    actor = Actor(login="spv1", role="supervisor", id=None)
    set_language("en")
    with db.read() as s:
        d = submission_detail(s, actor, second, lang="en")
        one = submission_detail(s, actor, first)
    assert d.nik_checks == ("The NIK says female (day +40), the applicant's data says male",)
    assert d.duplicate_of == one.number
    assert d.service_name.startswith("Family card")


def test_every_attachment_view_is_audited_and_admins_cannot_open_files(db, tmp_path):
    sid = _submit(db, tmp_path, "a", pk.manifest(external_id="C1"))
    verifier = Actor(login="verif1", role="verifier", id=None)
    with db.read() as s:
        att_id = submission_detail(s, verifier, sid).checklist[0].attachments[0].id
    with db.write() as s:
        att, data = open_attachment(s, verifier, att_id)
    assert data.startswith(b"%PDF")
    with pytest.raises(PermissionDenied), db.write() as s:
        open_attachment(s, Actor(login="admin1", role="admin"), att_id)
    with db.read() as s:
        history = submission_detail(s, verifier, sid).history
    assert history[-1].action == "attachment.view" and history[-1].actor == "verif1"
    assert history[-1].details["file"] == att.filename
