"""Kemendagri region codes: the office's villages, and every kecamatan of Indonesia.

Both tables ship in ``bakso_tui/data`` (Kepmendagri No 300.2.2-2138 Tahun 2025,
see ``WILAYAH_LICENSE.md``), as CSV with the columns ``code,name,level``.

* The national list (provinsi ``52``, kabupaten_kota ``52.03``, kecamatan
  ``52.03.01``) serves the region part of NIK and KK numbers: their first six
  digits are the kecamatan of first registration.
* The office list is the regency this office serves, its kecamatan and its
  villages (``52.03.01.2001``). In a village code the 4-digit part starts with 1
  for a kelurahan, 2 for a desa, 3 for a desa adat; that digit, not the
  ``level`` column, decides a village's kind.

The office functions take the path of another office's CSV (same columns);
the program itself always reads the shipped Lombok Timur list. A malformed
file raises `RegionDataError` naming the file, the line and the code.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from bakso_tui.locale import t

NATIONAL_FILE = "wilayah_indonesia_to_kecamatan.csv"
OFFICE_FILE = "wilayah_5203_lombok_timur.csv"

Level = Literal["provinsi", "kabupaten_kota", "kecamatan"]
VillageKind = Literal["kelurahan", "desa", "desa_adat"]

VILLAGE_KINDS: dict[str, VillageKind] = {"1": "kelurahan", "2": "desa", "3": "desa_adat"}

_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
_LEVELS: dict[int, Level] = {0: "provinsi", 1: "kabupaten_kota", 2: "kecamatan"}


class RegionDataError(ValueError):
    """A region CSV is malformed; the message names the file, the line and the code."""


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: Level


@dataclass(frozen=True)
class Kecamatan:
    code: str
    name: str


@dataclass(frozen=True)
class Village:
    code: str
    name: str
    kind: VillageKind
    kecamatan_code: str


@dataclass(frozen=True)
class _Row:
    line: int
    code: str
    name: str


def _rows(text: str, where: str) -> list[_Row]:
    """The rows of a ``code,name,level`` CSV, checked for shape and duplicates."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not {"code", "name", "level"} <= set(reader.fieldnames):
        raise RegionDataError(t("catalog.region_columns", file=where))
    rows: list[_Row] = []
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        code, name = (row.get("code") or "").strip(), (row.get("name") or "").strip()
        if not _CODE.match(code):
            raise RegionDataError(t("catalog.region_bad_code", file=where, line=line, code=code))
        if not name:
            raise RegionDataError(t("catalog.region_no_name", file=where, line=line, code=code))
        if code in seen:
            raise RegionDataError(t("catalog.region_duplicate", file=where, line=line, code=code))
        seen.add(code)
        rows.append(_Row(line, code, name))
    return rows


def _depth(code: str) -> int:
    return code.count(".")


def _shipped(name: str) -> str:
    return resources.files("bakso_tui.data").joinpath(name).read_text(encoding="utf-8")


@cache
def national() -> dict[str, Region]:
    """Every province, regency/city and kecamatan of Indonesia, by dotted code."""
    where = f"bakso_tui/data/{NATIONAL_FILE}"
    regions: dict[str, Region] = {}
    for row in _rows(_shipped(NATIONAL_FILE), where):
        level = _LEVELS.get(_depth(row.code))
        if level is None:
            raise RegionDataError(t("catalog.region_bad_code", file=where, line=row.line,
                                    code=row.code))
        regions[row.code] = Region(row.code, row.name, level)
    return regions


def region(code: str) -> Region | None:
    """A province ("52"), regency/city ("52.03") or kecamatan ("52.03.01") of Indonesia."""
    return national().get(code)


def nik_region_code(six_digits: str) -> str:
    """The dotted kecamatan code of a NIK's or KK's first six digits: '520301' -> '52.03.01'."""
    if len(six_digits) != 6 or not (six_digits.isascii() and six_digits.isdigit()):
        raise ValueError(f"six digits expected, got {six_digits!r}")
    return f"{six_digits[0:2]}.{six_digits[2:4]}.{six_digits[4:6]}"


@dataclass(frozen=True)
class _Office:
    regency: Region
    kecamatan: tuple[Kecamatan, ...]
    villages: tuple[Village, ...]


@cache
def _office(path: str | None) -> _Office:
    if path is None:
        where, text = f"bakso_tui/data/{OFFICE_FILE}", _shipped(OFFICE_FILE)
    else:
        where = path
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise RegionDataError(
                t("catalog.unreadable", file=where, detail=exc.strerror or exc)
            ) from None
    rows = _rows(text, where)
    regencies = [r for r in rows if _depth(r.code) == 1]
    if len(regencies) != 1:
        raise RegionDataError(t("catalog.region_one_regency", file=where, count=len(regencies)))
    regency = regencies[0]
    kecamatan: list[Kecamatan] = []
    villages: list[tuple[Village, int]] = []
    for row in rows:
        depth = _depth(row.code)
        parent = row.code.rsplit(".", 1)[0]
        if depth == 0 or (depth == 2 and parent != regency.code):
            raise RegionDataError(t("catalog.region_outside", file=where, line=row.line,
                                    code=row.code, regency=regency.code))
        if depth == 2:
            kecamatan.append(Kecamatan(row.code, row.name))
        elif depth == 3:
            kind = VILLAGE_KINDS.get(row.code[-4])
            if kind is None:
                raise RegionDataError(t("catalog.region_village_kind", file=where,
                                        line=row.line, code=row.code))
            villages.append((Village(row.code, row.name, kind, parent), row.line))
    known = {k.code for k in kecamatan}
    for village, line in villages:
        if village.kecamatan_code not in known:
            raise RegionDataError(t("catalog.region_no_kecamatan", file=where, line=line,
                                    code=village.code, kecamatan=village.kecamatan_code))
    return _Office(
        regency=Region(regency.code, regency.name, "kabupaten_kota"),
        kecamatan=tuple(kecamatan),
        villages=tuple(v for v, _ in villages),
    )


def _key(path: str | Path | None) -> str | None:
    return None if path is None else str(Path(path).resolve())


def office_regency(path: str | Path | None = None) -> Region:
    """The regency (or city) the office serves: 52.03 Kabupaten Lombok Timur by default."""
    return _office(_key(path)).regency


def office_kecamatan(path: str | Path | None = None) -> list[Kecamatan]:
    """The kecamatan of the office's regency, in file order."""
    return list(_office(_key(path)).kecamatan)


def office_villages(path: str | Path | None = None) -> list[Village]:
    """The desa and kelurahan the office serves, in file order."""
    return list(_office(_key(path)).villages)
