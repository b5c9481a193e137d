"""NIK and KK numbers: parse, validate, and compare with the stated data.

A NIK is 16 digits: 2 province + 2 regency/city + 2 kecamatan (of first
registration) + DDMMYY of birth (women: day + 40) + a 4-digit serial from 0001.
A KK number has the same region part, then DDMMYY of its issue (no +40), then a
serial. The province and regency must be codes of the Kemendagri list shipped
in ``bakso_tui/data``; a kecamatan code no longer in it (codes are retired when
regencies split) is a mismatch, not a refusal, since a NIK never changes.

The number holds only two digits of the year: we read it as the latest date not
after `today` (20yy, or 19yy when 20yy would lie in the future), so a number
always names a date within the last hundred years.

Problems are of two kinds: ``invalid`` (the number cannot be right: intake
refuses it) and ``mismatch`` (a valid number that disagrees with the stated
birth date, sex or region: the submission is flagged ``nik_tidak_cocok`` for the
verifier). Every problem that can be told is told, not only the first, each in
one line that names the digits concerned. A change of sex or birth date does
not change a NIK (Permendagri 108/2019), so a mismatch is a question for the
verifier, never a refusal.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from bakso_tui.domain import regions
from bakso_tui.locale import t

NIK_FIELD, KK_FIELD = "NIK", "KK"
LENGTH = 16
WOMEN_OFFSET = 40

Kind = Literal["invalid", "mismatch"]
Sex = Literal["L", "P"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a number; ``message()`` tells it in the current language."""

    code: str
    kind: Kind
    params: dict[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        params = dict(self.params)
        if isinstance(params.get("month"), int):  # an impossible date: name the month
            params["month_name"] = t(f"nik.month.{params['month']}")
        return t(f"nik.{self.code}", **params)


class NikError(ValueError):
    """An invalid NIK or KK number; ``problems`` holds every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message() for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class NikInfo:
    number: str
    province_code: str  # "52"
    regency_code: str  # "52.03"
    kecamatan_code: str  # "52.03.01", of first registration
    birth_date: date
    sex: Sex
    serial: int


@dataclass(frozen=True)
class KkInfo:
    number: str
    kecamatan_code: str  # "52.03.01"
    issue_date: date
    serial: int

    @property
    def regency_code(self) -> str:
        return self.kecamatan_code[:5]


@dataclass(frozen=True)
class _Parts:
    province: str
    regency: str
    kecamatan: str
    when: date
    sex: Sex
    serial: int


def _year(yy: int, month: int, day: int, today: date) -> int:
    """The full year of a two-digit one: the latest such date not after `today`."""
    year = today.year - (today.year - yy) % 100  # 20yy, or 19yy if 20yy is a later year
    if (year, month, day) > (today.year, today.month, today.day):
        year -= 100
    return year


def _fmt(day: int, month: int, year: int) -> str:
    return f"{day:02d}-{month:02d}-{year}"


def _structure(
    value: object, fld: str, today: date, *, nik: bool
) -> tuple[list[Problem], _Parts | None]:
    """Every problem of the number itself; what it says when it has none."""
    if value is None or value == "":
        return [Problem("missing", "invalid", {"field": fld})], None
    text = value if isinstance(value, str) else str(value)
    bad = [(i, c) for i, c in enumerate(text) if not ("0" <= c <= "9")]
    if bad:
        pos, char = bad[0]
        shown = f"'{char}'" if char.isprintable() else f"U+{ord(char):04X}"  # keep one line
        told = [Problem("not_digits", "invalid", {
            "field": fld, "char": shown, "pos": pos + 1, "count": len(bad)})]
        if len(text) != LENGTH:
            told.append(Problem("length_chars", "invalid", {"field": fld, "got": len(text)}))
        return told, None
    if len(text) != LENGTH:
        return [Problem("length", "invalid", {"field": fld, "got": len(text)})], None

    problems: list[Problem] = []
    retired: Problem | None = None
    province, regency = text[0:2], f"{text[0:2]}.{text[2:4]}"
    kecamatan = regions.nik_region_code(text[0:6])
    if regions.region(province) is None:
        problems.append(Problem("unknown_province", "invalid", {"field": fld, "code": province}))
    elif regions.region(regency) is None:
        problems.append(Problem("unknown_regency", "invalid", {"field": fld, "code": regency}))
    elif regions.region(kecamatan) is None:
        # Kecamatan are split, merged and moved to new regencies over time, and the
        # shipped Kemendagri 2025 list holds only today's codes (the kecamatan that
        # became Lombok Utara, 52.08, in 2008 left gaps in Lombok Barat's 52.01.xx).
        # A NIK never changes, so residents first registered under a retired code
        # still carry it: this is a question for the verifier (a "mismatch" that
        # flags nik_tidak_cocok), never a refusal at intake.
        retired = Problem("unknown_kecamatan", "mismatch", {
            "field": fld, "code": kecamatan, "regency": _region_name(regency)})

    raw_day, month, yy = int(text[6:8]), int(text[8:10]), int(text[10:12])
    sex: Sex = "L"
    day = raw_day
    if nik and raw_day > WOMEN_OFFSET:
        day, sex = raw_day - WOMEN_OFFSET, "P"
    day_ok, month_ok = 1 <= day <= 31, 1 <= month <= 12
    if not day_ok:
        problems.append(Problem("bad_day" if nik else "kk_bad_day", "invalid",
                                {"field": fld, "day": text[6:8]}))
    if not month_ok:
        problems.append(Problem("bad_month", "invalid", {"field": fld, "month": text[8:10]}))
    when: date | None = None
    if day_ok and month_ok:
        year = _year(yy, month, day, today)
        if day > calendar.monthrange(year, month)[1]:
            problems.append(Problem("bad_date", "invalid", {
                "field": fld, "day": day, "month": month, "year": year}))
        else:
            when = date(year, month, day)
    serial = int(text[12:16])
    if serial == 0:
        problems.append(Problem("serial_zero", "invalid", {"field": fld}))
    soft = [retired] if retired else []
    if problems or when is None:
        return problems + soft, None
    return soft, _Parts(province, regency, kecamatan, when, sex, serial)


def parse_nik(value: str, *, today: date | None = None) -> NikInfo:
    """What a NIK says; `NikError` with every problem if it is not a valid NIK."""
    problems, parts = _structure(value, NIK_FIELD, today or date.today(), nik=True)
    if parts is None:
        raise NikError(problems)
    return NikInfo(str(value), parts.province, parts.regency, parts.kecamatan, parts.when,
                   parts.sex, parts.serial)


def parse_kk(value: str, *, today: date | None = None) -> KkInfo:
    """What a KK number says; `NikError` with every problem if it is not a valid one."""
    problems, parts = _structure(value, KK_FIELD, today or date.today(), nik=False)
    if parts is None:
        raise NikError(problems)
    return KkInfo(str(value), parts.kecamatan, parts.when, parts.serial)


def _regency(code: str | None) -> str | None:
    """'52.03' or '5203' -> '52.03'."""
    if code is not None and len(code) == 4 and code.isdigit():
        return f"{code[:2]}.{code[2:]}"
    return code


def _region_name(code: str) -> str:
    found = regions.region(code)
    return found.name if found else code


def check_nik(
    value: str,
    *,
    birth_date: date | None = None,
    sex: str | None = None,
    regency_code: str | None = None,
    today: date | None = None,
) -> list[Problem]:
    """Every problem of `value` as a NIK, and how it disagrees with the stated data.

    Never raises: an empty list means the NIK is valid and agrees with what was
    given. `sex` is compared only when it is "L" or "P".
    """
    try:
        info = parse_nik(value, today=today)
    except NikError as exc:
        return exc.problems
    problems: list[Problem] = _structure(value, NIK_FIELD, today or date.today(), nik=True)[0]
    born = info.birth_date
    if birth_date is not None and (born.day, born.month, born.year % 100) != (
        birth_date.day, birth_date.month, birth_date.year % 100
    ):
        # The NIK holds only yy: show its date in the century of the stated date.
        year = birth_date.year - birth_date.year % 100 + born.year % 100
        if year - birth_date.year > 50:
            year -= 100
        elif birth_date.year - year > 50:
            year += 100
        problems.append(Problem("birth_mismatch", "mismatch", {
            "nik_date": _fmt(born.day, born.month, year),
            "stated": _fmt(birth_date.day, birth_date.month, birth_date.year)}))
    if sex in ("L", "P") and sex != info.sex:
        problems.append(Problem(f"sex_mismatch_{info.sex}", "mismatch", {}))
    expected = _regency(regency_code)
    if expected is not None and info.regency_code != expected:
        problems.append(Problem("regency_mismatch", "mismatch", {
            "code": info.regency_code, "name": _region_name(info.regency_code),
            "expected": expected, "expected_name": _region_name(expected)}))
    return problems


def check_kk(value: str, *, regency_code: str | None = None,
             today: date | None = None) -> list[Problem]:
    """Every problem of `value` as a KK number, and a regency other than `regency_code`."""
    try:
        info = parse_kk(value, today=today)
    except NikError as exc:
        return exc.problems
    problems = _structure(value, KK_FIELD, today or date.today(), nik=False)[0]
    expected = _regency(regency_code)
    if expected is not None and info.regency_code != expected:
        problems.append(Problem("kk_regency_mismatch", "mismatch", {
            "code": info.regency_code, "name": _region_name(info.regency_code),
            "expected": expected, "expected_name": _region_name(expected)}))
    return problems


#: What stands for each hidden digit of a masked NIK or KK.
MASK_CHAR = "•"


def mask_for_list(value: str) -> str:
    """A NIK or KK as a list shows it to a role that does not decide (the
    administrator): the province and regency, and the last four digits;
    ``5203014507900001`` → ``5203••••••••0001``. Other lengths are hidden whole."""
    if len(value) == 16:
        return value[:4] + MASK_CHAR * 8 + value[12:]
    return MASK_CHAR * len(value)

