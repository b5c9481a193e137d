"""NIK and KK numbers: precise reasons, and properties that hold for every number."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bakso_tui.domain import nik, regions
from bakso_tui.locale import set_language

TODAY = date(2026, 11, 22)
KECAMATAN = sorted(c.replace(".", "") for c, r in regions.national().items() if r.level == "kecamatan")
PROPERTY = settings(max_examples=200, deadline=None)


def make(kec: str, born: date, sex: str, serial: int) -> str:
    return f"{kec}{born.day + (40 if sex == 'P' else 0):02d}{born:%m%y}{serial:04d}"


def codes(problems: list[nik.Problem]) -> list[str]:
    return [p.code for p in problems]


def messages(value: str, **kwargs) -> list[str]:
    return [p.message() for p in nik.check_nik(value, today=TODAY, **kwargs)]


# ------------------------------------------------------------------ invalid numbers


@pytest.mark.parametrize("value,expected", [
    ("520301120390001", "NIK harus 16 angka, yang diterima 15 angka"),
    ("52030112039000012", "NIK harus 16 angka, yang diterima 17 angka"),
    ("", "NIK kosong: isikan 16 angka"),
    ("5203013203900001", "NIK: tanggal lahir 32 tidak ada (digit 7–8: 01–31, perempuan 41–71)"),
    ("5203010003900001", "NIK: tanggal lahir 00 tidak ada (digit 7–8: 01–31, perempuan 41–71)"),
    ("5203017503900001", "NIK: tanggal lahir 75 tidak ada (digit 7–8: 01–31, perempuan 41–71)"),
    ("5203011213900001", "NIK: bulan 13 tidak ada (digit 9–10: 01–12)"),
    ("5203011200900001", "NIK: bulan 00 tidak ada (digit 9–10: 01–12)"),
    ("5203013002900001", "NIK: 30 Februari 1990 bukan tanggal yang ada (digit 7–12)"),
    ("5203017002900001", "NIK: 30 Februari 1990 bukan tanggal yang ada (digit 7–12)"),  # a woman
    ("5203012902900001", "NIK: 29 Februari 1990 bukan tanggal yang ada (digit 7–12)"),
    ("9903011203900001", "NIK: kode provinsi 99 tidak dikenal (digit 1–2)"),
    ("5299011203900001", "NIK: kode kabupaten/kota 52.99 tidak dikenal (digit 3–4)"),
    ("5203011203900000", "NIK: nomor urut 0000 tidak sah (digit 13–16 mulai dari 0001)"),
])
def test_invalid_numbers_say_what_and_where(value, expected):
    problems = nik.check_nik(value, today=TODAY)
    assert [p.message() for p in problems] == [expected]
    assert all(p.kind == "invalid" for p in problems)


def test_letters_are_named_with_their_position():
    problems = nik.check_nik("52030112039A0001", today=TODAY)
    assert codes(problems) == ["not_digits"]
    assert problems[0].message() == (
        "NIK hanya boleh berisi angka: 'A' pada karakter ke-12 (1 karakter bukan angka)")


def test_letters_and_wrong_length_are_both_told():
    assert codes(nik.check_nik("52O301", today=TODAY)) == ["not_digits", "length_chars"]
    assert messages("52O301")[1] == "NIK harus 16 angka, yang diterima 6 karakter"


def test_non_ascii_digits_are_not_digits():
    assert codes(nik.check_nik("520301120390000١", today=TODAY)) == ["not_digits"]


def test_unknown_kecamatan_is_a_question_for_the_verifier_not_a_refusal():
    problems = nik.check_nik("5203991203900001", today=TODAY)
    assert codes(problems) == ["unknown_kecamatan"] and problems[0].kind == "mismatch"
    assert "52.03.99" in problems[0].message() and "Lombok Timur" in problems[0].message()
    # A code retired when Lombok Utara (52.08) was split from Lombok Barat (52.01):
    # residents registered before 2008 still carry it, and their NIK still parses.
    assert codes(nik.check_nik("5201041203900001", today=TODAY)) == ["unknown_kecamatan"]
    assert nik.parse_nik("5201041203900001", today=TODAY).kecamatan_code == "52.01.04"


def test_every_problem_is_told_not_only_the_first():
    assert codes(nik.check_nik("5203013213900001", today=TODAY)) == ["bad_day", "bad_month"]
    with pytest.raises(nik.NikError) as info:
        nik.parse_nik("9903013213900000", today=TODAY)
    assert codes(info.value.problems) == ["unknown_province", "bad_day", "bad_month", "serial_zero"]
    assert isinstance(info.value, ValueError) and "99" in str(info.value)


def test_messages_in_english_on_request():
    set_language("en")
    assert messages("520301120390001") == ["NIK must be 16 digits, got 15 digits"]
    assert messages("5203013002900001") == ["NIK: 30 February 1990 is not a real date (digits 7–12)"]
    assert messages("5203015203900001", sex="L") == [
        "The NIK says female (day +40), the applicant's data says male"]
    set_language("id")
    assert messages("520301120390001") == ["NIK harus 16 angka, yang diterima 15 angka"]


# ------------------------------------------------------------------ what a valid NIK says


def test_women_add_forty_to_the_day():
    info = nik.parse_nik("5203015203900001", today=TODAY)
    assert info == nik.NikInfo("5203015203900001", "52", "52.03", "52.03.01",
                               date(1990, 3, 12), "P", 1)
    assert nik.parse_nik("5203011203900001", today=TODAY).sex == "L"


def test_two_digit_year_is_the_latest_date_not_after_today():
    assert nik.parse_nik("5203011203260001", today=TODAY).birth_date == date(2026, 3, 12)
    assert nik.parse_nik("5203010112260001", today=TODAY).birth_date == date(1926, 12, 1)
    assert nik.parse_nik("5203011203270001", today=TODAY).birth_date == date(1927, 3, 12)
    assert nik.parse_nik("5203012902000001", today=TODAY).birth_date == date(2000, 2, 29)


# ------------------------------------------------------------------ mismatches


def test_mismatches_with_the_stated_data():
    problems = nik.check_nik("5203015205900001", birth_date=date(1990, 5, 13), sex="L",
                             regency_code="52.01", today=TODAY)
    assert codes(problems) == ["birth_mismatch", "sex_mismatch_P", "regency_mismatch"]
    assert all(p.kind == "mismatch" for p in problems)
    assert [p.message() for p in problems] == [
        "NIK menyatakan lahir 12-05-1990, data pemohon 13-05-1990",
        "NIK menunjukkan perempuan (tanggal +40), data pemohon laki-laki",
        "NIK terdaftar pertama di 52.03 Kabupaten Lombok Timur, bukan di 52.01 Kabupaten Lombok Barat",
    ]
    assert nik.check_nik("5203015205900001", birth_date=date(1990, 5, 12), sex="P",
                         regency_code="52.03", today=TODAY) == []


def test_a_man_stated_as_a_woman():
    assert messages("5203011205900001", sex="P") == [
        "NIK menunjukkan laki-laki (tanggal tanpa +40), data pemohon perempuan"]


def test_the_nik_date_is_shown_in_the_century_of_the_stated_date():
    # NIK yy=25 reads as 2025, but a resident stated born 1925 only differs by the day.
    problems = nik.check_nik("5203011203250001", birth_date=date(1925, 3, 13), today=TODAY)
    assert [p.message() for p in problems] == [
        "NIK menyatakan lahir 12-03-1925, data pemohon 13-03-1925"]
    assert nik.check_nik("5203011203250001", birth_date=date(1925, 3, 12), today=TODAY) == []


def test_regency_accepts_both_spellings_and_unknown_sex_is_not_compared():
    assert nik.check_nik("5203011203900001", regency_code="5203", sex="X", today=TODAY) == []


def test_mismatches_are_not_reported_for_an_invalid_number():
    problems = nik.check_nik("5203011213900001", birth_date=date(1990, 1, 1), sex="P", today=TODAY)
    assert codes(problems) == ["bad_month"]


# ------------------------------------------------------------------ KK numbers


def test_kk_has_no_plus_forty_rule():
    info = nik.parse_kk("5203010101150002", today=TODAY)
    assert info == nik.KkInfo("5203010101150002", "52.03.01", date(2015, 1, 1), 2)
    assert info.regency_code == "52.03"
    problems = nik.check_kk("5203014101150002", today=TODAY)
    assert [p.message() for p in problems] == ["KK: tanggal 41 tidak ada (digit 7–8: 01–31)"]


def test_kk_problems_name_the_kk():
    assert [p.message() for p in nik.check_kk("520301010115000", today=TODAY)] == [
        "KK harus 16 angka, yang diterima 15 angka"]
    assert codes(nik.check_kk("5203010101150000", today=TODAY)) == ["serial_zero"]
    with pytest.raises(nik.NikError):
        nik.parse_kk("9903010101150001", today=TODAY)


def test_kk_regency_mismatch():
    problems = nik.check_kk("5203010101150002", regency_code="52.01", today=TODAY)
    assert codes(problems) == ["kk_regency_mismatch"] and problems[0].kind == "mismatch"
    assert problems[0].message() == (
        "Nomor KK diterbitkan di 52.03 Kabupaten Lombok Timur, bukan di 52.01 Kabupaten Lombok Barat")
    assert nik.check_kk("5203010101150002", regency_code="52.03", today=TODAY) == []


# ------------------------------------------------------------------ properties

# Any birth date in the hundred years up to TODAY is representable.
births = st.dates(min_value=TODAY.replace(year=TODAY.year - 100) + timedelta(days=1), max_value=TODAY)


@PROPERTY
@given(kec=st.sampled_from(KECAMATAN), born=births, sex=st.sampled_from("LP"),
       serial=st.integers(1, 9999))
def test_round_trip_for_every_region_date_sex_and_serial(kec, born, sex, serial):
    value = make(kec, born, sex, serial)
    info = nik.parse_nik(value, today=TODAY)
    assert (info.birth_date, info.sex, info.serial) == (born, sex, serial)
    assert info.kecamatan_code == regions.nik_region_code(kec)
    assert info.regency_code == info.kecamatan_code[:5] and info.province_code == kec[:2]
    assert nik.check_nik(value, birth_date=born, sex=sex, regency_code=info.regency_code,
                         today=TODAY) == []


@PROPERTY
@given(kec=st.sampled_from(KECAMATAN), issued=births, serial=st.integers(1, 9999))
def test_kk_round_trip(kec, issued, serial):
    info = nik.parse_kk(make(kec, issued, "L", serial), today=TODAY)
    assert (info.issue_date, info.serial, info.kecamatan_code) == (
        issued, serial, regions.nik_region_code(kec))


# Provinces newer than python-stdnum's list: Kalimantan Utara (2012) and the
# Papua provinces of the 2022 split, all in the Kemendagri 2025 list we ship.
NEWER_THAN_STDNUM = {"65", "92", "93", "95", "96"}


@PROPERTY
@given(kec=st.sampled_from([k for k in KECAMATAN if k[:2] not in NEWER_THAN_STDNUM]),
       born=births, sex=st.sampled_from("LP"), serial=st.integers(1, 9999))
def test_agrees_with_python_stdnum(kec, born, sex, serial):
    from stdnum.id import nik as stdnik

    value = make(kec, born, sex, serial)
    assert stdnik.is_valid(value)
    theirs = stdnik.get_birth_date(value)  # stdnum picks 19yy first: compare day, month, yy
    assert (theirs.day, theirs.month, theirs.year % 100) == (born.day, born.month, born.year % 100)


def _not_sixteen_digits(s: str) -> bool:
    return not (len(s) == 16 and s.isascii() and s.isdigit())


@PROPERTY
@given(st.one_of(st.text(max_size=40), st.text("0123456789", max_size=30))
       .filter(_not_sixteen_digits))
def test_anything_but_sixteen_digits_is_a_length_or_digit_problem(text):
    problems = nik.check_nik(text, today=TODAY)
    assert problems and set(codes(problems)) <= {"missing", "length", "length_chars", "not_digits"}
    assert all(p.kind == "invalid" and "\n" not in p.message() for p in problems)
    with pytest.raises(nik.NikError):
        nik.parse_nik(text, today=TODAY)


@PROPERTY
@given(kec=st.sampled_from(KECAMATAN), born=births, sex=st.sampled_from("LP"),
       day=st.one_of(st.integers(32, 39), st.integers(72, 99), st.just(0), st.just(40)))
def test_impossible_days_are_invalid(kec, born, sex, day):
    value = make(kec, born, sex, 1)
    broken = value[:6] + f"{day:02d}" + value[8:]
    assert codes(nik.check_nik(broken, today=TODAY)) == ["bad_day"]


@PROPERTY
@given(kec=st.sampled_from(KECAMATAN), born=births, sex=st.sampled_from("LP"),
       month=st.one_of(st.just(0), st.integers(13, 99)))
def test_impossible_months_are_invalid(kec, born, sex, month):
    value = make(kec, born, sex, 1)
    broken = value[:8] + f"{month:02d}" + value[10:]
    assert codes(nik.check_nik(broken, today=TODAY)) == ["bad_month"]


@PROPERTY
@given(st.text(max_size=30), st.dates(), st.sampled_from(["L", "P", "X", ""]),
       st.sampled_from([None, "52.03", "5203", "", "xx"]))
def test_check_never_raises(text, born, sex, regency):
    for problem in nik.check_nik(text, birth_date=born, sex=sex, regency_code=regency, today=TODAY):
        assert problem.message()
    for problem in nik.check_kk(text, regency_code=regency, today=TODAY):
        assert problem.message()


@PROPERTY
@given(st.text("0123456789", min_size=16, max_size=16), st.dates(min_value=date(1950, 1, 1)))
def test_sixteen_digits_either_parse_or_say_why(text, today):
    problems = nik.check_nik(text, today=today)
    try:
        info = nik.parse_nik(text, today=today)
    except nik.NikError as exc:
        assert exc.problems == problems and problems
    else:
        # A valid number may still carry a retired kecamatan code: a flag, not a refusal.
        assert all(p.kind == "mismatch" and p.code == "unknown_kecamatan" for p in problems)
        assert info.birth_date <= today
        assert today.year - info.birth_date.year <= 100


def test_an_invisible_character_is_shown_by_its_code():
    assert messages("520301120390000\n") == [
        "NIK hanya boleh berisi angka: U+000A pada karakter ke-16 (1 karakter bukan angka)"]
