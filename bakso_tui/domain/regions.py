"""Kemendagri region codes: the office's villages, and every kecamatan of Indonesia.

Both tables ship in ``bakso_tui/data`` (see ``WILAYAH_LICENSE.md``). The national
list serves the region part of NIK and KK numbers (a NIK's first six digits are
the kecamatan of first registration); the office list is the villages this
office serves. In a village code the 4-digit part starts with 1 for a
kelurahan, 2 for a desa, 3 for a desa adat.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

NATIONAL_FILE = "wilayah_indonesia_to_kecamatan.csv"
OFFICE_FILE = "wilayah_5203_lombok_timur.csv"

VILLAGE_KINDS = {"1": "kelurahan", "2": "desa", "3": "desa_adat"}


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str  # provinsi | kabupaten_kota | kabupaten | kecamatan | desa | kelurahan


@dataclass(frozen=True)
class Kecamatan:
    code: str
    name: str


@dataclass(frozen=True)
class Village:
    code: str
    name: str
    kind: str  # desa | kelurahan | desa_adat
    kecamatan_code: str


def _rows(text: str) -> list[Region]:
    return [
        Region(code=row["code"].strip(), name=row["name"].strip(), level=row["level"].strip())
        for row in csv.DictReader(io.StringIO(text))
    ]


def _shipped(name: str) -> str:
    return resources.files("bakso_tui.data").joinpath(name).read_text(encoding="utf-8")


@cache
def national() -> dict[str, Region]:
    return {r.code: r for r in _rows(_shipped(NATIONAL_FILE))}


def region(code: str) -> Region | None:
    """A province ("52"), regency ("52.03") or kecamatan ("52.03.01") of Indonesia."""
    return national().get(code)


@cache
def _office(path: str | None) -> tuple[Region, ...]:
    text = Path(path).read_text(encoding="utf-8") if path else _shipped(OFFICE_FILE)
    return tuple(_rows(text))


def office_regency(path: str | None = None) -> Region:
    return next(r for r in _office(path) if r.code.count(".") == 1)


def office_kecamatan(path: str | None = None) -> list[Kecamatan]:
    return [Kecamatan(r.code, r.name) for r in _office(path) if r.level == "kecamatan"]


def office_villages(path: str | None = None) -> list[Village]:
    return [
        Village(r.code, r.name, VILLAGE_KINDS.get(r.code[-4], "desa"), r.code[:8])
        for r in _office(path)
        if r.code.count(".") == 3
    ]


def dotted(six_digits: str) -> str:
    """'520301' -> '52.03.01' (the region part of a NIK or KK number)."""
    return f"{six_digits[0:2]}.{six_digits[2:4]}.{six_digits[4:6]}"
