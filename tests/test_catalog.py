"""The service catalogue and the reason codes: shipped content and strict validation."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from bakso_tui.domain.catalog import (
    Catalog,
    CatalogError,
    OutputDef,
    PriorityReasonDef,
    ReasonDef,
    RequirementDef,
    ServiceDef,
    load_catalog,
)
from bakso_tui.locale import set_language

# The requirement vocabulary shared with the demo scans and the village side.
VOCABULARY = {
    "bukti_kelahiran", "bukti_perkawinan", "kk", "ktp_el", "kia", "formulir_f201",
    "formulir_f102", "formulir_f103", "formulir_f105", "formulir_f106", "surat_kematian",
    "akta_kelahiran", "akta_kematian", "akta_perceraian", "putusan_pengadilan",
    "surat_pemuka_agama", "pas_foto_pasangan", "skpwni", "surat_kehilangan", "dokumen_rusak",
    "pas_foto", "bukti_perubahan_data", "surat_tidak_keberatan", "surat_pernyataan_wali",
}
FIXED_SERVICES = [
    "akta_kelahiran", "akta_kematian", "kk_baru", "kk_perubahan", "kk_hilang_rusak",
    "ktp_el_baru", "ktp_el_hilang_rusak", "ktp_el_perubahan", "kia", "pindah_datang",
    "pindah_dalam", "kia_hilang_rusak", "kia_perpanjangan", "kia_pindah_datang",
    "kk_kepala_baru", "akta_perkawinan", "akta_perceraian",
]


def shipped(name: str) -> str:
    return resources.files("bakso_tui.data").joinpath(name).read_text(encoding="utf-8")


def mandatory(service: ServiceDef) -> dict[str, bool]:
    return {r.id: r.mandatory for r in service.requirements}


# ------------------------------------------------------------------ shipped content


def test_the_fixed_services_are_there_and_use_only_the_vocabulary():
    catalog = load_catalog()
    ids = [s.id for s in catalog.services]
    assert set(FIXED_SERVICES) <= set(ids) and len(ids) == len(set(ids))
    for svc in catalog.services:
        assert {r.id for r in svc.requirements} <= VOCABULARY, svc.id
        assert any(r.mandatory for r in svc.requirements), svc.id
        assert svc.short, svc.id
        assert svc.service_days >= 1 and svc.legal_basis and svc.name and svc.name_en
        assert set(svc.outputs) <= {o.id for o in catalog.outputs}


def test_outputs_of_each_service():
    catalog = load_catalog()
    outputs = {s.id: s.outputs for s in catalog.services}
    assert outputs["akta_kelahiran"] == ("akta_kelahiran", "kk", "kia")
    # The surviving spouse's KTP-el (cerai mati) and the family's new KK.
    assert outputs["akta_kematian"] == ("akta_kematian", "kk", "ktp_el")
    assert outputs["pindah_datang"] == ("kk", "ktp_el", "kia")  # KIA for the children
    assert outputs["pindah_dalam"] == ("kk", "ktp_el", "kia")
    assert outputs["pindah_keluar"] == ("skpwni", "kk")  # a new KK for those who stay
    for sid in ("ktp_el_baru", "ktp_el_hilang_rusak", "ktp_el_perubahan"):
        assert outputs[sid] == ("ktp_el",)
    for sid in ("kk_baru", "kk_perubahan", "kk_hilang_rusak", "kk_kepala_baru"):
        assert outputs[sid] == ("kk",)
    for sid in ("kia", "kia_hilang_rusak", "kia_perpanjangan", "kia_pindah_datang"):
        assert outputs[sid] == ("kia",)
    assert outputs["akta_perkawinan"] == ("akta_perkawinan", "kk")
    assert outputs["akta_perceraian"] == ("akta_perceraian", "kk")
    assert {"akta_kelahiran", "akta_kematian", "kk", "ktp_el", "kia"} <= {o.id for o in catalog.outputs}


def test_only_a_first_ktp_el_needs_biometric_recording():
    catalog = load_catalog()
    assert [s.id for s in catalog.services if s.needs_recording] == ["ktp_el_baru"]


def test_requirements_follow_the_regulations():
    catalog = load_catalog()
    assert mandatory(catalog.service("akta_kelahiran")) == {
        "bukti_kelahiran": True, "kk": True, "formulir_f201": True, "bukti_perkawinan": False}
    assert mandatory(catalog.service("akta_kematian")) == {
        "surat_kematian": True, "kk": True, "formulir_f201": True, "ktp_el": False}
    assert mandatory(catalog.service("kia")) == {
        "akta_kelahiran": True, "kk": True, "ktp_el": True, "pas_foto": False}
    # Either a police report or the damaged document: one of them, as a group.
    for sid in ("kk_hilang_rusak", "ktp_el_hilang_rusak", "kia_hilang_rusak"):
        svc = catalog.service(sid)
        assert svc.requirement("surat_kehilangan").one_of == "hilang_rusak"
        assert svc.requirement("dokumen_rusak").one_of == "hilang_rusak"
    assert {r.id for r in catalog.service("kk_baru").requirements if r.one_of} == {
        "bukti_perkawinan", "akta_perceraian", "formulir_f105"}
    assert catalog.service("kia").requirement("pas_foto").mandatory_from_age == 5
    assert catalog.service("pindah_datang").requirement("surat_tidak_keberatan").when
    assert mandatory(catalog.service("pindah_dalam")) == {
        "formulir_f103": True, "kk": True, "ktp_el": False, "surat_tidak_keberatan": False}
    assert mandatory(catalog.service("pindah_datang"))["skpwni"] is True
    assert mandatory(catalog.service("ktp_el_baru"))["kk"] is True


def test_a_requirement_can_be_named_for_its_service():
    catalog = load_catalog()
    kia = catalog.service("kia").requirement("ktp_el")
    assert kia is not None and "kedua orang tua" in kia.name and "both parents" in kia.name_en
    assert catalog.service("kk_pisah").requirement("ktp_el").name == "KTP-el"
    assert catalog.service("kia").requirement("skpwni") is None


def test_reasons_and_what_they_apply_to():
    catalog = load_catalog()
    applies = {r.id: set(r.applies_to) for r in catalog.reasons}
    assert applies == {
        "berkas_kurang": {"return"}, "scan_tidak_terbaca": {"return"},
        "data_tidak_sesuai": {"return"}, "dokumen_salah": {"return"},
        "duplikat": {"reject"}, "tidak_memenuhi_syarat": {"reject"},
        "lainnya": {"return", "reject"},
    }
    assert [r.id for r in catalog.reasons if r.needs_text] == ["lainnya"]
    assert "duplikat" in {r.id for r in catalog.reasons_for("reject")}
    assert "duplikat" not in {r.id for r in catalog.reasons_for("return")}
    assert catalog.reason("lainnya") == ReasonDef(
        "lainnya", "Lainnya (tulis keterangan)", "Other (explain)", ("return", "reject"), True)


def test_priority_reasons():
    catalog = load_catalog()
    assert [p.id for p in catalog.priority_reasons] == [
        "lansia", "disabilitas", "sakit_terbaring", "terpencil", "anak_terlantar", "korban_bencana"]
    assert catalog.priority_reason("lansia") == PriorityReasonDef("lansia", "Lanjut usia", "Elderly")


def test_display_names_in_both_languages():
    catalog = load_catalog()
    svc = catalog.service("akta_kelahiran")
    assert svc.display_name("id") == "Akta kelahiran" and svc.display_name("en") == "Birth certificate"
    assert catalog.output("kk") == OutputDef("kk", "Kartu Keluarga", "Family card")
    assert isinstance(svc.requirements[0], RequirementDef)
    set_language("en")
    assert svc.display_name() == "Birth certificate"
    set_language("id")
    assert svc.display_name() == "Akta kelahiran"


def test_lookups_of_unknown_ids_raise_key_error():
    catalog = load_catalog()
    for lookup in (catalog.service, catalog.output, catalog.reason, catalog.priority_reason):
        with pytest.raises(KeyError):
            lookup("tidak_ada")


def test_the_shipped_catalogue_is_read_once():
    assert load_catalog() is load_catalog()
    assert isinstance(load_catalog(), Catalog)


def test_json_for_the_command_line():
    catalog = load_catalog()
    data = catalog.as_json_services()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert [s["id"] for s in data] == [s.id for s in catalog.services]
    birth = data[0]
    assert birth == {
        "id": "akta_kelahiran",
        "short": "AKTA-LAHIR",
        "name": "Akta kelahiran",
        "requirements": [
            {"id": r.id, "name": r.name, "mandatory": r.mandatory}
            for r in catalog.service("akta_kelahiran").requirements
        ],
        "outputs": ["akta_kelahiran", "kk", "kia"],
        "needs_recording": False,
        "service_days": 1,
        "handover": "village",
    }
    for s in data:
        assert set(s) == {"id", "short", "name", "requirements", "outputs", "needs_recording",
                          "service_days", "handover"}
        assert all({"id", "name", "mandatory"} <= set(r) <= {
            "id", "name", "mandatory", "one_of", "mandatory_from_age", "mandatory_under_age",
            "when"} for r in s["requirements"])
    groups = [r for r in data if r["id"] == "kk_hilang_rusak"][0]["requirements"]
    assert [r.get("one_of") for r in groups] == [None, "hilang_rusak", "hilang_rusak", None]


def test_a_directory_with_the_shipped_files_loads_the_same(tmp_path):
    for name in ("services.toml", "reasons.toml"):
        (tmp_path / name).write_text(shipped(name), encoding="utf-8")
    assert load_catalog(tmp_path) == load_catalog()


# ------------------------------------------------------------------ strict validation

BIRTH = 'id = "akta_kelahiran"'


def _services(mutate) -> str:
    return mutate(shipped("services.toml"))


SERVICE_CASES = [
    # (mutation of services.toml, fragments the one-line message must hold)
    (lambda s: s.replace("service_days = 1", "service_days = 0", 1),
     ["services.toml", "services.akta_kelahiran.service_days", "paling kecil 1"]),
    (lambda s: s.replace("service_days = 1", 'service_days = "1"', 1),
     ["services.akta_kelahiran.service_days", "bilangan bulat"]),
    (lambda s: s.replace(BIRTH, BIRTH + "\ncolour = 3", 1),
     ["services.akta_kelahiran.colour", "kunci tidak dikenal"]),
    (lambda s: s.replace('{ id = "bukti_kelahiran", mandatory = true }',
                         '{ id = "bukti_kelahiran", mandatory = true, wajib = 1 }'),
     ["services.akta_kelahiran.requirements.bukti_kelahiran.wajib"]),
    (lambda s: s.replace('{ id = "bukti_kelahiran", mandatory = true }',
                         '{ id = "bukti_kelahiran", mandatory = true, one_of = "lahir" }'),
     ["akta_kelahiran.bukti_kelahiran", "one_of"]),
    (lambda s: s.replace('{ id = "bukti_kelahiran", mandatory = true }',
                         '{ id = "bukti_kelahiran", one_of = "lahir" }'),
     ["akta_kelahiran.lahir", "hanya punya satu"]),
    (lambda s: s.replace('{ id = "bukti_kelahiran", mandatory = true }',
                         '{ id = "bukti_kelahiran", mandatory_from_age = 9,'
                         ' mandatory_under_age = 5 }'),
     ["akta_kelahiran.bukti_kelahiran", "mandatory_from_age"]),
    (lambda s: s.replace('short = "KTP-BARU"', 'short = "KK-UBAH"'),
     ["ktp_el_baru.short", "dua kali"]),
    (lambda s: s.replace('short = "KTP-BARU"', 'short = "ktp baru"'),
     ["services.ktp_el_baru.short"]),
    (lambda s: s.replace('short = "AKTA-LAHIR"\n', ""),
     ["services.akta_kelahiran.short", "wajib diisi"]),
    (lambda s: s.replace('{ id = "bukti_kelahiran", mandatory = true }',
                         '{ id = "bukti_kelahiran", mandatory = "ya" }'),
     ["bukti_kelahiran.mandatory", "true atau false"]),
    (lambda s: s.replace('{ id = "bukti_kelahiran", mandatory = true }',
                         '{ id = "bukti_lahir", mandatory = true }'),
     ["akta_kelahiran.bukti_lahir", "[requirements]"]),
    (lambda s: s.replace('{ id = "formulir_f201", mandatory = true }',
                         '{ id = "kk", mandatory = false }', 1),
     ["akta_kelahiran.kk", "dua kali"]),
    (lambda s: s.replace('outputs = ["akta_kelahiran", "kk", "kia"]',
                         'outputs = ["akta_kelahiran", "sim"]'),
     ["akta_kelahiran.sim", "[outputs]"]),
    (lambda s: s.replace('outputs = ["akta_kelahiran", "kk", "kia"]', "outputs = []"),
     ["services.akta_kelahiran.outputs", "paling sedikit 1"]),
    (lambda s: s.replace('name = "Akta kelahiran"', 'name = ""'),
     ["services.akta_kelahiran.name", "tidak boleh kosong"]),
    (lambda s: s.replace('name = "Akta kelahiran"\n', ""),
     ["services.akta_kelahiran.name", "wajib diisi"]),
    (lambda s: s.replace(BIRTH, 'id = "Akta Lahir"', 1),
     ["services.Akta Lahir.id", "huruf kecil"]),
    (lambda s: s.replace("[outputs.kia]", "[outputs.KIA]"), ["outputs.KIA"]),
    (lambda s: s + '\n[[services]]\nid = "kia"\nshort = "KIA-X"\nname = "x"\nname_en = "x"\nservice_days = 1\n'
                   'outputs = ["kia"]\nrequirements = [{ id = "kk", mandatory = true }]\n',
     ["services.kia", "dua kali"]),
    (lambda s: s + "\n[nonsense]\n", ["nonsense", "kunci tidak dikenal"]),
    (lambda s: s.replace("[outputs.kia]", "[outputs.kia"), ["services.toml", "TOML"]),
]


@pytest.mark.parametrize("mutate,fragments", SERVICE_CASES)
def test_a_bad_services_file_is_one_line_naming_the_file_and_entry(tmp_path, mutate, fragments):
    (tmp_path / "services.toml").write_text(_services(mutate), encoding="utf-8")
    (tmp_path / "reasons.toml").write_text(shipped("reasons.toml"), encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


REASON_CASES = [
    (lambda s: s.replace('applies_to = ["reject"]', 'applies_to = ["tolak"]', 1),
     ["reasons.duplikat.applies_to[0]", "'return', 'reject'"]),
    (lambda s: s.replace('applies_to = ["reject"]', "applies_to = []", 1),
     ["reasons.duplikat.applies_to"]),
    (lambda s: s.replace('applies_to = ["reject"]', 'applies_to = ["reject", "reject"]', 1),
     ["reasons.duplikat.applies_to", "dua kali"]),
    (lambda s: s.replace("needs_text = true", 'needs_text = "ya"'), ["reasons.lainnya.needs_text"]),
    (lambda s: s.replace('name_en = "Elderly"\n', ""), ["priority.lansia.name_en", "wajib diisi"]),
    (lambda s: s.replace('name_en = "Elderly"', 'name_en = "Elderly"\nurgent = true'),
     ["priority.lansia.urgent"]),
]


@pytest.mark.parametrize("mutate,fragments", REASON_CASES)
def test_a_bad_reasons_file_is_one_line_naming_the_file_and_entry(tmp_path, mutate, fragments):
    (tmp_path / "services.toml").write_text(shipped("services.toml"), encoding="utf-8")
    (tmp_path / "reasons.toml").write_text(mutate(shipped("reasons.toml")), encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    message = str(info.value)
    assert "\n" not in message and "reasons.toml" in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_a_missing_file_is_named(tmp_path):
    (tmp_path / "services.toml").write_text(shipped("services.toml"), encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    assert str(Path(tmp_path / "reasons.toml")) in str(info.value)


def test_errors_in_english_on_request(tmp_path):
    (tmp_path / "services.toml").write_text(
        _services(lambda s: s.replace("service_days = 1", "service_days = 0", 1)), encoding="utf-8")
    (tmp_path / "reasons.toml").write_text(shipped("reasons.toml"), encoding="utf-8")
    set_language("en")
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    assert str(info.value).endswith("services.akta_kelahiran.service_days: must be at least 1")


def test_handover_is_village_unless_the_service_says_in_person():
    catalog = load_catalog()
    assert catalog.service("ktp_el_hilang_rusak").handover == "in_person"
    assert catalog.service("akta_kelahiran").handover == "village"
