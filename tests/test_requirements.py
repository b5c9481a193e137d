"""Which requirements a submission still lacks: mandatory, one of a group, by age.

The rule (`domain/requirements.unmet`) is checked with hypothesis over every
service of the shipped catalogue, and with tables for the cases the regulations
name; the decision rules refuse an approval past a missing requirement, a NIK
mismatch or a possible duplicate without an override reason, and keep it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bakso_tui.db.models import AuditEntry, Decision, Submission
from bakso_tui.domain import users
from bakso_tui.domain.catalog import load_catalog
from bakso_tui.domain.claims import claim
from bakso_tui.domain.decisions import DecisionError, approval_concerns, record_decision
from bakso_tui.domain.exports import decisions as export_rows
from bakso_tui.domain.requirements import age_on, needed_by_age, subject_birth_date, unmet
from bakso_tui.domain.submissions import NewSubmission, register
from bakso_tui.domain.workflow import Action

CATALOG = load_catalog()
SERVICES = CATALOG.services
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def needed_sets(service, age):
    """What the catalogue says is needed, written out plainly: single ids and groups."""
    singles = {r.id for r in service.requirements
               if r.mandatory or (not r.one_of and needed_by_age(r, age))}
    groups: dict[str, set[str]] = {}
    for r in service.requirements:
        if r.one_of and not r.when:
            groups.setdefault(r.one_of, set()).add(r.id)
    return singles, list(groups.values())


# ------------------------------------------------------------------ the rule itself


@settings(max_examples=300, deadline=None)
@given(service=st.sampled_from(SERVICES), data=st.data(),
       age=st.one_of(st.none(), st.integers(min_value=0, max_value=100)))
def test_unmet_is_exactly_what_is_needed_and_not_attached(service, data, age):
    ids = [r.id for r in service.requirements]
    attached = data.draw(st.sets(st.sampled_from(ids)), label="attached")
    found = unmet(service.requirements, attached, age, lang="id")
    singles, groups = needed_sets(service, age)
    reported = {i for item in found for i in item.ids}
    # Nothing attached is reported alone; a group is reported only with none of it attached.
    for item in found:
        if item.kind == "one_of":
            assert not set(item.ids) & attached and len(item.ids) >= 2
        else:
            assert item.ids[0] not in attached and len(item.ids) == 1
    assert {i for i in singles if i not in attached} <= reported
    for group in groups:
        assert (group <= reported) == (not group & attached)
    # Attaching all that was reported (one of each group) leaves nothing unmet.
    completed = attached | {item.ids[0] for item in found}
    assert unmet(service.requirements, completed, age, lang="id") == []


@settings(max_examples=100, deadline=None)
@given(service=st.sampled_from(SERVICES), age=st.integers(min_value=0, max_value=100))
def test_every_service_can_be_completed_and_optional_ones_never_block(service, age):
    singles, groups = needed_sets(service, age)
    minimal = singles | {sorted(g)[0] for g in groups}
    assert unmet(service.requirements, minimal, age) == []
    for rid in singles:  # dropping any needed one is reported, by name
        item = unmet(service.requirements, minimal - {rid}, age)
        assert [i.ids for i in item] == [(rid,)]
        assert item[0].label() == service.requirement(rid).name


@given(birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 12, 31)),
       day=st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)))
def test_age_is_whole_years(birth, day):
    years = age_on(birth, day)
    assert years >= 0
    if day >= birth:
        try:
            anniversary = birth.replace(year=birth.year + years)
        except ValueError:  # 29 February
            anniversary = date(birth.year + years, 3, 1)
        assert anniversary <= day


# ------------------------------------------------------------------ the regulations, as tables


@pytest.mark.parametrize("service,attached,age,expected", [
    # KTP-el lost or damaged: the police report OR the damaged card (and F-1.02, the KK).
    ("ktp_el_hilang_rusak", {"kk", "formulir_f102"}, 30, [("surat_kehilangan", "dokumen_rusak")]),
    ("ktp_el_hilang_rusak", {"kk", "formulir_f102", "surat_kehilangan"}, 30, []),
    ("ktp_el_hilang_rusak", {"kk", "formulir_f102", "dokumen_rusak"}, 30, []),
    ("kk_hilang_rusak", {"ktp_el", "formulir_f102"}, 40, [("surat_kehilangan", "dokumen_rusak")]),
    # A new family: marriage book, divorce certificate, or the SPTJM F-1.05.
    ("kk_baru", {"formulir_f102"}, 25,
     [("bukti_perkawinan", "akta_perceraian", "formulir_f105")]),
    ("kk_baru", {"formulir_f102", "formulir_f105"}, 25, []),
    # KTP-el change: the old card, or a police report when it was lost.
    ("ktp_el_perubahan", {"kk", "bukti_perubahan_data", "formulir_f102", "surat_kehilangan"},
     30, []),
    # KIA: a photo from age 5, not before.
    ("kia", {"akta_kelahiran", "kk", "ktp_el"}, 4, []),
    ("kia", {"akta_kelahiran", "kk", "ktp_el"}, 5, [("pas_foto",)]),
    # KTP-el at 16: proof of marriage; at 17 not.
    ("ktp_el_baru", {"kk"}, 16, [("bukti_perkawinan",)]),
    ("ktp_el_baru", {"kk"}, 17, []),
    # A circumstance the verifier judges is never reported by the program.
    ("kk_pisah", {"kk", "ktp_el", "formulir_f102"}, 30, []),
    ("pindah_datang", {"skpwni"}, 30, []),
    # Moving within the regency: F-1.03 and KK, no SKPWNI.
    ("pindah_dalam", {"formulir_f103"}, 30, [("kk",)]),
    ("pindah_dalam", {"formulir_f103", "kk"}, 30, []),
])
def test_the_catalogue_as_the_regulations_say(service, attached, age, expected):
    found = unmet(CATALOG.service(service).requirements, attached, age)
    assert [item.ids for item in found] == expected


def test_a_group_is_named_by_its_members_in_the_users_language():
    svc = CATALOG.service("ktp_el_hilang_rusak")
    (item,) = unmet(svc.requirements, {"kk", "formulir_f102"}, 30, lang="id")
    assert item.label() == (f"{svc.requirement('surat_kehilangan').name} atau "
                            f"{svc.requirement('dokumen_rusak').name}")
    (item,) = unmet(svc.requirements, {"kk", "formulir_f102"}, 30, lang="en")
    assert " or " in item.label() and "Police report" in item.label()


def test_the_subject_is_the_first_person_with_a_birth_date():
    applicant = date(1990, 1, 1)
    assert subject_birth_date([], applicant) == applicant
    assert subject_birth_date([{"role": "anak", "birth_date": "2022-05-01"}], applicant) == (
        date(2022, 5, 1))
    assert subject_birth_date([{"birth_date": "bukan tanggal"}], applicant) == applicant


def test_every_service_has_a_unique_short_name():
    shorts = [s.short for s in SERVICES]
    assert len(shorts) == len(set(shorts)) and all(0 < len(x) <= 12 for x in shorts)
    assert CATALOG.service("kk_perubahan").short == "KK-UBAH"
    assert CATALOG.service("ktp_el_baru").short == "KTP-BARU"


# ------------------------------------------------------------------ the decision rules


def _register(session, external_id, *, nik="5203015203900001", sex="P", service="kk_perubahan"):
    return register(session, NewSubmission(
        external_id=external_id, village_code="52.03.01.2001", service_id=service,
        submitted_at=NOW - timedelta(hours=2), operator_name="Baiq Sri",
        applicant_nik=nik, applicant_kk="5203010101150002", applicant_name="Siti Aminah",
        applicant_birth_date=date(1990, 3, 12), applicant_sex=sex,
    ), actor="test", received=NOW - timedelta(hours=1))


def _attach_all(session, sub):
    from bakso_tui.attachments.store import BlobStore
    from bakso_tui.db.models import Attachment

    for item in unmet(sub.service.requirements, set(), 36):
        sha = BlobStore().put(session, b"%PDF-1.4 uji", "application/pdf")
        session.add(Attachment(submission_id=sub.id, service_id=sub.service_id,
                               requirement_id=item.ids[0], filename="x.pdf", sha256=sha,
                               size=12, media_type="application/pdf", pages=1))
    session.flush()
    session.refresh(sub, ["attachments"])


@pytest.fixture
def verifier(db):
    with db.write() as s:
        return users.add_user(s, users.cli_actor(), login="verif1", name="V",
                              role="verifier").actor()


@pytest.mark.parametrize("case", ["nik", "duplicate", "requirement"])
def test_approval_past_a_concern_needs_a_reason_kept_in_decision_audit_and_export(
        db, verifier, case):
    with db.write() as s:
        first = _register(s, "R-1")
        _attach_all(s, first)
        if case == "nik":  # the NIK says a woman, the form a man
            sub = _register(s, "R-2", nik="5203015203900002", sex="L")
        elif case == "duplicate":  # the same resident and service, still open
            sub = _register(s, "R-2")
        else:
            sub = _register(s, "R-2", nik="5203015203900003")
        if case != "requirement":
            _attach_all(s, sub)
        sub_id = sub.id
    with db.write() as s:
        while (c := claim(s, verifier, now=NOW)) and c.submission_id != sub_id:
            pass
        sub = s.get(Submission, sub_id)
        concerns = approval_concerns(sub)
        assert [c.code for c in concerns] == [case]
        with pytest.raises(DecisionError, match="alasan"):
            record_decision(s, verifier, sub, Action.APPROVE, at=NOW)
        with pytest.raises(DecisionError):
            record_decision(s, verifier, sub, Action.APPROVE, override_reason="   ", at=NOW)
    with db.write() as s:
        sub = s.get(Submission, sub_id)
        record_decision(s, verifier, sub, Action.APPROVE, override_reason="dicek di kantor",
                        at=NOW)
    with db.read() as s:
        decision = s.scalar(select(Decision).where(Decision.submission_id == sub_id))
        row = s.scalar(select(AuditEntry).where(AuditEntry.action == "submission.approve"))
        exported = [r for r in export_rows(s) if r["action"] == "approve"]
    assert decision.override_reason == "dicek di kantor"
    assert row.details["override"] == "dicek di kantor" and row.details["overridden"] == [case]
    assert exported[0]["override_reason"] == "dicek di kantor"


def test_a_clean_approval_needs_no_reason(db, verifier):
    with db.write() as s:
        sub = _register(s, "R-1")
        _attach_all(s, sub)
    with db.write() as s:
        c = claim(s, verifier, now=NOW)
        sub = s.get(Submission, c.submission_id)
        assert approval_concerns(sub) == []
        record_decision(s, verifier, sub, Action.APPROVE, at=NOW)
        assert sub.state == "disetujui"


def test_intake_refuses_a_package_with_none_of_a_group_and_names_both(db, tmp_path):
    import packages as pk

    from bakso_tui.domain.intake import Intake

    m = pk.manifest(service="ktp_el_hilang_rusak", external_id="G-1")
    m["attachments"] = [a for a in m["attachments"] if a["requirement"] != "surat_kehilangan"]
    refused = Intake(db).intake(pk.write_folder(tmp_path / "g1", m), now=NOW)
    assert refused.status == "quarantined"
    text = " ".join(refused.messages())
    assert "salah satu" in text and "surat_kehilangan, dokumen_rusak" in text
    m["attachments"].append({"requirement": "dokumen_rusak", "file": "dokumen_rusak.pdf"})
    m["external_id"] = "G-2"
    assert Intake(db).intake(pk.write_folder(tmp_path / "g2", m), now=NOW).status == "accepted"


def test_a_requirement_dropped_from_the_file_is_no_longer_needed(db):
    from dataclasses import replace

    from bakso_tui.db.models import Requirement
    from bakso_tui.domain.reference import sync_reference

    services = tuple(
        replace(s, requirements=tuple(r for r in s.requirements if r.id != "formulir_f102"))
        if s.id == "kk_perubahan" else s
        for s in CATALOG.services)
    with db.write() as s:
        sync_reference(s, replace(CATALOG, services=services))
    with db.read() as s:
        row = s.get(Requirement, ("kk_perubahan", "formulir_f102"))
        kept = s.get(Requirement, ("kk_perubahan", "kk"))
    assert row is not None and not row.mandatory and row.one_of is None  # kept, not needed
    assert kept.mandatory


def test_the_checklist_says_how_each_requirement_is_needed(db, tmp_path, verifier):
    import packages as pk

    from bakso_tui.domain.intake import Intake
    from bakso_tui.domain.review import submission_detail
    from bakso_tui.screens.submission import render_detail

    m = pk.manifest(service="ktp_el_hilang_rusak", external_id="C-1")  # the police report
    result = Intake(db).intake(pk.write_folder(tmp_path / "c1", m), now=NOW)
    assert result.status == "accepted", result.messages()
    with db.read() as s:
        sid = s.scalar(select(Submission.id).where(Submission.number == result.submission))
        detail = submission_detail(s, verifier, sid)
    items = {c.requirement_id: c for c in detail.checklist}
    assert items["dokumen_rusak"].need == "one_of" and items["dokumen_rusak"].covered
    assert detail.unmet_ids == () and detail.concerns == ()
    text = render_detail(detail).plain
    assert "KTP-el yang rusak (KTP-el rusak) (salah satu wajib): diganti dokumen lain" in text
