"""Region codes: the shipped Kemendagri lists and an office's own CSV."""

from __future__ import annotations

import csv
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from bakso_tui.domain import regions
from bakso_tui.domain.regions import Kecamatan, Region, RegionDataError, Village

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def test_lombok_timur_has_21_kecamatan_and_254_villages():
    assert len(regions.office_kecamatan()) == 21
    assert len(regions.office_villages()) == 254


def test_239_desa_and_15_kelurahan_11_in_selong_4_in_labuhan_haji():
    villages = regions.office_villages()
    assert Counter(v.kind for v in villages) == {"desa": 239, "kelurahan": 15}
    names = {k.code: k.name for k in regions.office_kecamatan()}
    kelurahan = Counter(names[v.kecamatan_code] for v in villages if v.kind == "kelurahan")
    assert kelurahan == {"Selong": 11, "Labuhan Haji": 4}


def test_every_village_belongs_to_a_known_kecamatan_of_the_regency():
    kecamatan = {k.code for k in regions.office_kecamatan()}
    regency = regions.office_regency()
    assert all(v.kecamatan_code in kecamatan for v in regions.office_villages())
    assert all(k.startswith(regency.code + ".") for k in kecamatan)
    # The office's kecamatan are the national list's kecamatan of 52.03, same names.
    national = {c: r.name for c, r in regions.national().items()
                if r.level == "kecamatan" and c.startswith("52.03.")}
    assert national == {k.code: k.name for k in regions.office_kecamatan()}


def test_village_kind_comes_from_the_first_digit_of_the_village_part():
    villages = {v.code: v for v in regions.office_villages()}
    assert villages["52.03.01.2001"] == Village("52.03.01.2001", "Tanjung Luar", "desa", "52.03.01")
    assert villages["52.03.07.1002"] == Village("52.03.07.1002", "Selong", "kelurahan", "52.03.07")
    assert all(v.kind == {"1": "kelurahan", "2": "desa"}[v.code[9]] for v in villages.values())


def test_office_regency():
    assert regions.office_regency() == Region("52.03", "Kabupaten Lombok Timur", "kabupaten_kota")


def test_national_lookup():
    assert regions.region("52") == Region("52", "Nusa Tenggara Barat", "provinsi")
    assert regions.region("52.03") == Region("52.03", "Kabupaten Lombok Timur", "kabupaten_kota")
    assert regions.region("52.03.01") == Region("52.03.01", "Keruak", "kecamatan")
    assert regions.region("52.03.01.2001") is None  # villages are not in the national list
    assert regions.region("99") is None and regions.region("") is None


def test_national_list_covers_every_province_and_each_code_has_its_parent():
    table = regions.national()
    levels = Counter(r.level for r in table.values())
    assert levels["provinsi"] == 38 and levels["kabupaten_kota"] > 500 and levels["kecamatan"] > 7000
    for code in table:
        if "." in code:
            assert code.rsplit(".", 1)[0] in table, code


def test_nik_region_code():
    assert regions.nik_region_code("520301") == "52.03.01"
    for bad in ("52030", "5203011", "52O301", "52.03."):
        with pytest.raises(ValueError):
            regions.nik_region_code(bad)


def test_shipped_files_are_the_shared_ones_unchanged():
    if not SHARED.is_dir():
        pytest.skip("no shared data folder next to the repository")
    data = resources.files("bakso_tui.data")
    for name in (regions.OFFICE_FILE, regions.NATIONAL_FILE):
        assert data.joinpath(name).read_bytes() == (SHARED / name).read_bytes(), name


def test_license_of_the_region_data_ships_with_it():
    text = resources.files("bakso_tui.data").joinpath("WILAYAH_LICENSE.md").read_text("utf-8")
    assert "300.2.2-2138" in text and "cahyadsn/wilayah" in text
    assert "MIT License" in text and "Copyright (c) 2017-2025 Cahya DSN" in text


# ------------------------------------------------------------------ an office elsewhere


def _write(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(("code", "name", "level"))
        writer.writerows(rows)
    return path


OTHER = [
    ("52.01", "Kabupaten Lombok Barat", "kabupaten"),
    ("52.01.01", "Gerung", "kecamatan"),
    ("52.01.01.1001", "Gerung Utara", "kelurahan"),
    ("52.01.01.2002", "Kebon Ayu", "desa"),
    ("52.01.01.3003", "Adat", "desa"),
]


def test_an_office_elsewhere_passes_its_own_csv(tmp_path):
    path = _write(tmp_path / "office.csv", OTHER)
    assert regions.office_regency(path) == Region("52.01", "Kabupaten Lombok Barat", "kabupaten_kota")
    assert regions.office_kecamatan(str(path)) == [Kecamatan("52.01.01", "Gerung")]
    assert [v.kind for v in regions.office_villages(path)] == ["kelurahan", "desa", "desa_adat"]
    assert len(regions.office_villages()) == 254  # the default is untouched


@pytest.mark.parametrize("rows,fragment", [
    (OTHER + [("52.01.02.2001", "Yatim", "desa")], "52.01.02"),
    (OTHER + [("52.01.01.4001", "Aneh", "desa")], "52.01.01.4001"),
    (OTHER + [("52.01.1", "Rusak", "kecamatan")], "52.01.1"),
    (OTHER + [("52.01.01.2002", "Lagi", "desa")], "52.01.01.2002"),
    (OTHER + [("52.02", "Kabupaten Sumbawa", "kabupaten")], "2"),
    (OTHER + [("52.02.01", "Lunyuk", "kecamatan")], "52.02.01"),
    (OTHER[1:], "0"),
])
def test_a_bad_office_csv_is_one_line_naming_the_problem(tmp_path, rows, fragment):
    path = _write(tmp_path / "bad.csv", rows)
    with pytest.raises(RegionDataError) as info:
        regions.office_villages(path)
    message = str(info.value)
    assert str(path) in message and fragment in message and "\n" not in message


def test_a_missing_office_csv_is_reported(tmp_path):
    with pytest.raises(RegionDataError) as info:
        regions.office_villages(tmp_path / "nope.csv")
    assert "nope.csv" in str(info.value)


def test_a_csv_without_the_columns_is_reported(tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("kode,nama\n52.01,Lombok Barat\n", encoding="utf-8")
    with pytest.raises(RegionDataError, match="code, name, level"):
        regions.office_regency(path)
