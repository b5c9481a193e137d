"""NIK and KK numbers: precise reasons, and properties that hold for every number."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bakso_tui.domain import nik, regions
from bakso_tui.locale import set_language

TODAY = date(2026, 11, 22)
KECAMATAN = sorted(c.replace(".", "") for c, r in regions.national().items() if r.level == "kecamatan")


def make(kec: str, born: date, sex: str, serial: int) -> str:
    return f"{kec}{born.day + (40 if sex == 'P' else 0):02d}{born:%m%y}{serial:04d}"


def codes(problems) -> list[str]:
    return [p.code for p in problems]


@pytest.mark.parametrize("value,code,fragment", [
    ("520301120390001", "length", "15"),
    ("52030112039000012", "length", "17"),
    ("52030112039A0001", "not_digits", "'A'"),
    ("5203013203900001", "bad_day", "32"),
    ("5203010003900001", "bad_day", "00"),
    ("5203017503900001", "bad_day", "75"),
    ("5203011213900001", "bad_month", "13"),
    ("5203013002900001", "bad_date", "30-02-1990"),
    ("5203017002900001", "bad_date", "30-02-1990"),  # a woman born "30 February"
    ("9903011203900001", "unknown_province", "99"),
    ("5299011203900001", "unknown_regency", "52.99"),
    ("5203991203900001", "unknown_kecamatan", "52.03.99"),
    ("5203011203900000", "serial_zero", "0000"),
])
def test_invalid_numbers_say_what_and_where(value, code, fragment):
    problems = nik.check_nik(value, today=TODAY)
    assert code in codes(problems)
    message = next(p for p in problems if p.code == code).message()
    assert fragment in message and "\n" not in message
    assert all(p.kind == "invalid" for p in problems)


def test_day_and_month_both_wrong_are_both_told():
    assert codes(nik.check_nik("5203013213900001", today=TODAY)) == ["bad_day", "bad_month"]


def test_women_add_forty_to_the_day():
    info = nik.parse_nik("5203015203900001", today=TODAY)
    assert info.sex == "P" and info.birth_date == date(1990, 3, 12)
    assert info.kecamatan_code == "52.03.01" and info.regency_code == "52.03" and info.serial == 1


def test_mismatches_with_the_stated_data():
    problems = nik.check_nik("5203015203900001", birth_date=date(1990, 3, 13), sex="L",
                             regency_code="52.01", today=TODAY)
    assert codes(problems) == ["birth_mismatch", "sex_mismatch_P", "regency_mismatch"]
    assert all(p.kind == "mismatch" for p in problems)
    assert "12-03-90" in problems[0].message() and "13-03-1990" in problems[0].message()
    assert nik.check_nik("5203015203900001", birth_date=date(1990, 3, 12), sex="P",
                         regency_code="52.03", today=TODAY) == []


def test_messages_in_english_on_request():
    set_language("en")
    assert nik.check_nik("520301", today=TODAY)[0].message() == "NIK must be 16 digits, got 6 characters"
    set_language("id")
    assert nik.check_nik("520301", today=TODAY)[0].message() == "NIK harus 16 angka, yang diterima 6 karakter"


def test_kk_has_no_plus_forty_rule():
    assert nik.parse_kk("5203010101150002", today=TODAY).issue_date == date(2015, 1, 1)
    assert "bad_day" in codes(nik.check_kk("5203014101150002", today=TODAY))
    assert nik.check_kk("5203010101150002", regency_code="52.01", today=TODAY)[0].code == "kk_regency_mismatch"


def test_parse_raises_with_all_problems():
    with pytest.raises(nik.NikError) as info:
        nik.parse_nik("9903013213900000", today=TODAY)
    assert codes(info.value.problems) == ["unknown_province", "bad_day", "bad_month", "serial_zero"]


births = st.dates(min_value=date(TODAY.year - 99, 1, 1), max_value=TODAY)


@settings(max_examples=300, deadline=None)
@given(kec=st.sampled_from(KECAMATAN), born=births, sex=st.sampled_from("LP"),
       serial=st.integers(1, 9999))
def test_round_trip_for_every_region_date_sex_and_serial(kec, born, sex, serial):
    value = make(kec, born, sex, serial)
    info = nik.parse_nik(value, today=TODAY)
    assert (info.birth_date, info.sex, info.serial) == (born, sex, serial)
    assert info.kecamatan_code == regions.dotted(kec)
    assert nik.check_nik(value, birth_date=born, sex=sex, today=TODAY) == []


# Provinces newer than python-stdnum's list: Kalimantan Utara (2012) and the
# Papua provinces of the 2022 split, all in the Kemendagri 2025 list we ship.
NEWER_THAN_STDNUM = {"65", "92", "93", "95", "96"}


@settings(max_examples=300, deadline=None)
@given(kec=st.sampled_from([k for k in KECAMATAN if k[:2] not in NEWER_THAN_STDNUM]),
       born=births, sex=st.sampled_from("LP"), serial=st.integers(1, 9999))
def test_agrees_with_python_stdnum(kec, born, sex, serial):
    from stdnum.id import nik as stdnik

    value = make(kec, born, sex, serial)
    assert stdnik.is_valid(value)
    theirs = stdnik.get_birth_date(value)  # stdnum picks 19yy first: compare day, month, yy
    assert (theirs.day, theirs.month, theirs.year % 100) == (born.day, born.month, born.year % 100)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40).filter(lambda s: not (len(s) == 16 and s.isdigit() and s.isascii())))
def test_anything_but_sixteen_digits_is_a_length_or_digit_problem(text):
    problems = nik.check_nik(text, today=TODAY)
    assert problems and set(codes(problems)) <= {"length", "not_digits"}


@settings(max_examples=200, deadline=None)
@given(kec=st.sampled_from(KECAMATAN), born=births, sex=st.sampled_from("LP"),
       day=st.one_of(st.integers(32, 40), st.integers(72, 99), st.just(0)))
def test_impossible_days_are_invalid(kec, born, sex, day):
    value = make(kec, born, sex, 1)
    broken = value[:6] + f"{day:02d}" + value[8:]
    assert "bad_day" in codes(nik.check_nik(broken, today=TODAY))


@settings(max_examples=200, deadline=None)
@given(kec=st.sampled_from(KECAMATAN), born=births, month=st.one_of(st.just(0), st.integers(13, 99)))
def test_impossible_months_are_invalid(kec, born, month):
    value = make(kec, born, "L", 1)
    broken = value[:8] + f"{month:02d}" + value[10:]
    assert "bad_month" in codes(nik.check_nik(broken, today=TODAY))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30), st.dates(), st.sampled_from(["L", "P", "X"]))
def test_check_never_raises(text, born, sex):
    nik.check_nik(text, birth_date=born, sex=sex, regency_code="52.03", today=TODAY)
    nik.check_kk(text, regency_code="52.03", today=TODAY)
