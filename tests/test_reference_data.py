"""The shipped reference data: regions of Lombok Timur, the catalogue, reason codes."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from bakso_tui.db.models import Kecamatan, Requirement, Service, Village
from bakso_tui.domain.reference import sync_reference
from bakso_tui.domain import regions
from bakso_tui.domain.catalog import CatalogError, load_catalog


def test_lombok_timur_has_21_kecamatan_and_254_villages():
    villages = regions.office_villages()
    kecamatan = {k.code: k.name for k in regions.office_kecamatan()}
    assert len(kecamatan) == 21 and len(villages) == 254
    kinds = Counter(v.kind for v in villages)
    assert kinds == {"desa": 239, "kelurahan": 15}
    kel = Counter(kecamatan[v.kecamatan_code] for v in villages if v.kind == "kelurahan")
    assert kel == {"Selong": 11, "Labuhan Haji": 4}
    assert all(v.kecamatan_code in kecamatan for v in villages)
    assert regions.office_regency().name == "Kabupaten Lombok Timur"


def test_national_list_covers_every_province():
    levels = Counter(r.level for r in regions.national().values())
    assert levels["provinsi"] == 38 and levels["kecamatan"] > 7000


def test_catalogue_has_the_required_services_and_outputs():
    catalog = load_catalog()
    ids = {s.id for s in catalog.services}
    assert {"akta_kelahiran", "akta_kematian", "kk_baru", "kk_perubahan", "kk_hilang_rusak",
            "ktp_el_baru", "ktp_el_hilang_rusak", "ktp_el_perubahan", "kia", "pindah_datang"} <= ids
    assert catalog.service("akta_kelahiran").outputs == ("akta_kelahiran", "kk", "kia")
    assert catalog.service("ktp_el_baru").needs_recording
    assert not catalog.service("ktp_el_hilang_rusak").needs_recording
    for svc in catalog.services:
        assert any(r.mandatory for r in svc.requirements), svc.id
    lainnya = catalog.reason("lainnya")
    assert lainnya.needs_text and set(lainnya.applies_to) == {"return", "reject"}


@pytest.mark.parametrize("mutate,fragment", [
    (lambda s: s.replace('name_en = "Birth certificate"\nservice_days = 1', 'name_en = "Birth certificate"\nservice_days = 0'), "service_days"),
    (lambda s: s.replace('{ id = "bukti_kelahiran", mandatory = true }', '{ id = "bukti_lahir", mandatory = true }'), "akta_kelahiran.bukti_lahir"),
    (lambda s: s + '\n[[services]]\nid = "xx"\nshort = "XX"\nname = "x"\nname_en = "x"\nservice_days = 1\noutputs = ["sim"]\nrequirements = [{ id = "kk", mandatory = true }]\n', "xx.sim"),
    (lambda s: s.replace("needs_recording = true", "needs_recording = true\ncolour = 3"), "colour"),
])
def test_a_bad_catalogue_file_is_one_line_naming_the_entry(tmp_path, mutate, fragment):
    from importlib import resources

    data = resources.files("bakso_tui.data")
    (tmp_path / "services.toml").write_text(mutate(data.joinpath("services.toml").read_text()))
    (tmp_path / "reasons.toml").write_text(data.joinpath("reasons.toml").read_text())
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_sync_is_idempotent_and_complete(db):
    with db.write() as s:
        sync_reference(s)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Village)) == 254
        assert s.scalar(select(func.count()).select_from(Kecamatan)) == 21
        assert s.scalar(select(func.count()).select_from(Service)) == len(load_catalog().services)
        birth = s.scalars(select(Requirement).where(Requirement.service_id == "akta_kelahiran")
                          .order_by(Requirement.position)).all()
        assert [r.id for r in birth][:3] == ["bukti_kelahiran", "kk", "formulir_f201"]
