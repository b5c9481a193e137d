"""The demo's synthetic scans: every kind, format and defect; real files, deterministic."""

from __future__ import annotations

import io
import random
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader

from bakso_tui.attachments.inspect import sniff
from bakso_tui.demo import documents as D
from bakso_tui.domain.catalog import load_catalog

PERSON = D.Person("Siti Aminah", "5203015203900001", "5203010101150002", date(1990, 3, 12),
                  "Selong", "P", "Dusun Kampung Baru RT 001/RW 002", "Tanjung Luar", "Keruak",
                  "Muhammad Hasan", "Siti Rohani")


def pages(f: D.GeneratedFile) -> int:
    return len(PdfReader(io.BytesIO(f.data)).pages) if f.media_type == "application/pdf" else 1


def test_every_catalogue_requirement_can_be_rendered():
    used = {r.id for s in load_catalog().services for r in s.requirements}
    assert used <= set(D.REQUIREMENT_KINDS)


@pytest.mark.parametrize("kind", D.REQUIREMENT_KINDS)
def test_every_kind_in_every_format_and_defect(kind):
    rng = random.Random(kind)
    for fmt in ("pdf", "jpeg", "png"):
        for defect in (None, *D.DEFECTS):
            f = D.render_requirement(kind, PERSON, rng=rng, fmt=fmt, defect=defect)
            assert sniff(f.data) == f.media_type, (kind, fmt, defect)
            assert f.defect == defect and len(f.data) < 400_000
            if f.media_type == "application/pdf":
                assert pages(f) >= 1
            else:
                Image.open(io.BytesIO(f.data)).load()


def test_missing_page_has_one_page_fewer():
    for kind in ("kk", "formulir_f201", "bukti_perkawinan"):
        whole = D.render_requirement(kind, PERSON, rng=random.Random(1), fmt="pdf")
        short = D.render_requirement(kind, PERSON, rng=random.Random(1), fmt="pdf", defect="missing_page")
        assert pages(short) == pages(whole) - 1


def test_native_pdfs_carry_the_persons_data_and_the_specimen_mark():
    for seed in range(10):
        f = D.render_requirement("kk", PERSON, rng=random.Random(seed), fmt="pdf")
        text = PdfReader(io.BytesIO(f.data)).pages[0].extract_text()
        if text.strip():  # a native PDF (others are scanned images)
            assert "5203010101150002" in text and "CONTOH / SPESIMEN" in text
            return
    pytest.fail("no native PDF in ten tries")


def test_same_seed_same_bytes():
    a = D.render_requirement("ktp_el", PERSON, rng=random.Random(9), fmt="jpeg", defect="dark")
    b = D.render_requirement("ktp_el", PERSON, rng=random.Random(9), fmt="jpeg", defect="dark")
    assert a.data == b.data


def test_unknown_requirement_refused():
    with pytest.raises(ValueError):
        D.render_requirement("sim_a", PERSON, rng=random.Random(1))


def test_a_marriage_book_is_numbered_in_its_wedding_year_after_the_applicant_turned_19():
    for i in range(40):
        rng = random.Random(i)
        page = D._pages("bukti_perkawinan", PERSON, rng)[0]
        fields = dict(page.fields)
        number_year = int(fields["Nomor"].rsplit("/", 1)[1])
        wed_year = int(fields["Tanggal akad"].rsplit(" ", 1)[1])
        assert number_year == wed_year and PERSON.birth_date.year + 19 <= wed_year <= 2025


def test_a_low_resolution_photo_is_warned_of_by_the_inspection():
    from bakso_tui.attachments.probe import inspect_in_process
    from bakso_tui.config import Limits

    for fmt in ("jpeg", "pdf"):
        f = D.render_requirement("kk", PERSON, rng=random.Random(3), fmt=fmt,
                                 defect="low_resolution")
        codes = [p.code for p in inspect_in_process(f.data, f.filename, Limits()).problems]
        assert "low_resolution" in codes, fmt
