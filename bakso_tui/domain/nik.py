"""NIK and KK numbers: parse, validate, and compare with the stated data.

A NIK is 16 digits: 2 province + 2 regency/city + 2 kecamatan (of first
registration) + DDMMYY of birth (women: day + 40) + a 4-digit serial from 0001.
A KK number has the same region part, then DDMMYY of its issue (no +40), then a
serial. The region must be a code of the Kemendagri list shipped in
``bakso_tui/data``.

Problems are of two kinds: ``invalid`` (the number cannot be right: intake
refuses it) and ``mismatch`` (a valid number that disagrees with the stated
birth date, sex or region: the submission is flagged ``nik_tidak_cocok`` for the
verifier). Every problem is told, not only the first, each in one line that
names the digits concerned.

A change of sex or birth date does not change a NIK (Permendagri 108/2019), so a
mismatch is a question for the verifier, never a refusal.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from bakso_tui.domain import regions
from bakso_tui.locale import t

NIK_FIELD, KK_FIELD = "NIK", "KK"


@dataclass(frozen=True)
class Problem:
    code: str
    kind: Literal["invalid", "mismatch"]
    params: dict[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        return t(f"nik.{self.code}", **self.params)


class NikError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message() for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class NikInfo:
    number: str
    province_code: str
    regency_code: str
    kecamatan_code: str
    birth_date: date
    sex: Literal["L", "P"]
    serial: int


@dataclass(frozen=True)
class KkInfo:
    number: str
    kecamatan_code: str
    issue_date: date
    serial: int


def _year(yy: int, today: date) -> int:
    """The latest year ending in `yy` that is not after `today`'s year."""
    year = 2000 + yy
    return year if year <= today.year else 1900 + yy


def _fmt(d: date) -> str:
    return d.strftime("%d-%m-%Y")


def _structure(value: str, fld: str, today: date, *, women_offset: bool):
    """Problems of the number itself, and what it says when it has none."""
    problems: list[Problem] = []
    if not isinstance(value, str):
        return [Problem("length", "invalid", {"field": fld, "got": 0})], None
    if not value.isdigit() or not value.isascii():
        bad = next((c for c in value if not ("0" <= c <= "9")), "")
        problems.append(Problem("not_digits", "invalid", {"field": fld, "char": bad}))
        if len(value) != 16:
            problems.append(Problem("length", "invalid", {"field": fld, "got": len(value)}))
        return problems, None
    if len(value) != 16:
        return [Problem("length", "invalid", {"field": fld, "got": len(value)})], None

    prov, reg, kec = value[0:2], value[0:2] + "." + value[2:4], regions.dotted(value[0:6])
    if regions.region(prov) is None:
        problems.append(Problem("unknown_province", "invalid", {"field": fld, "code": prov}))
    elif regions.region(reg) is None:
        problems.append(Problem("unknown_regency", "invalid", {"field": fld, "code": reg}))
    elif regions.region(kec) is None:
        # Kecamatan are split and renumbered over time; a NIK issued under an old
        # code may need the office's judgement: say exactly which code is unknown.
        problems.append(Problem("unknown_kecamatan", "invalid", {"field": fld, "code": kec}))

    day, month, yy = int(value[6:8]), int(value[8:10]), int(value[10:12])
    sex = "L"
    if women_offset and day > 40:
        day -= 40
        sex = "P"
    date_ok = True
    if not 1 <= day <= 31:
        problems.append(Problem("bad_day", "invalid", {"field": fld, "day": value[6:8]}))
        date_ok = False
    if not 1 <= month <= 12:
        problems.append(Problem("bad_month", "invalid", {"field": fld, "month": value[8:10]}))
        date_ok = False
    when = None
    if date_ok:
        year = _year(yy, today)
        if day > calendar.monthrange(year, month)[1]:
            problems.append(Problem("bad_date", "invalid", {
                "field": fld, "date": f"{day:02d}-{month:02d}-{year}"}))
        else:
            when = date(year, month, day)
    serial = int(value[12:16])
    if serial == 0:
        problems.append(Problem("serial_zero", "invalid", {"field": fld}))
    if problems:
        return problems, None
    return [], (prov, reg, kec, when, sex, serial)


def parse_nik(value: str, *, today: date | None = None) -> NikInfo:
    problems, parts = _structure(value, NIK_FIELD, today or date.today(), women_offset=True)
    if problems:
        raise NikError(problems)
    prov, reg, kec, when, sex, serial = parts
    return NikInfo(value, prov, reg, kec, when, sex, serial)


def parse_kk(value: str, *, today: date | None = None) -> KkInfo:
    problems, parts = _structure(value, KK_FIELD, today or date.today(), women_offset=False)
    if problems:
        raise NikError(problems)
    _, _, kec, when, _, serial = parts
    return KkInfo(value, kec, when, serial)


def check_nik(
    value: str,
    *,
    birth_date: date | None = None,
    sex: str | None = None,
    regency_code: str | None = None,
    today: date | None = None,
) -> list[Problem]:
    """Every problem of `value` as a NIK, and how it disagrees with the stated data."""
    try:
        info = parse_nik(value, today=today)
    except NikError as exc:
        return exc.problems
    problems = []
    if birth_date is not None and (
        (info.birth_date.day, info.birth_date.month, info.birth_date.year % 100)
        != (birth_date.day, birth_date.month, birth_date.year % 100)
    ):
        problems.append(Problem("birth_mismatch", "mismatch", {
            "nik_date": info.birth_date.strftime("%d-%m-%y"), "stated": _fmt(birth_date)}))
    if sex is not None and sex != info.sex:
        problems.append(Problem(f"sex_mismatch_{info.sex}", "mismatch", {}))
    if regency_code is not None and info.regency_code != regency_code:
        where = regions.region(info.regency_code)
        problems.append(Problem("regency_mismatch", "mismatch", {
            "code": info.regency_code, "name": where.name if where else "?",
            "expected": regency_code}))
    return problems


def check_kk(value: str, *, regency_code: str | None = None,
             today: date | None = None) -> list[Problem]:
    try:
        info = parse_kk(value, today=today)
    except NikError as exc:
        return exc.problems
    if regency_code is not None and info.kecamatan_code[:5] != regency_code:
        return [Problem("kk_regency_mismatch", "mismatch", {
            "code": info.kecamatan_code[:5], "expected": regency_code})]
    return []
