"""Synthetic residents: Sasak names of Lombok, and NIK/KK numbers that follow the rules.

Shared by the demo (a few hundred submissions with scans) and the bulk loader
(a million queued rows for the benchmarks).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

MALE = ("Muhammad", "Ahmad", "Zainuddin", "Hasanuddin", "Saparudin", "Sahnan", "Rusdi",
        "Jumadi", "Supardi", "Muhsin", "Hamdi", "Sukri", "Abdul Rahman", "Fathurrahman",
        "Khairul", "Amaq Sahli", "Rizki", "Wahyu", "Hendra", "Irfan")
FEMALE = ("Siti", "Nurul", "Aminah", "Rohani", "Sumiati", "Maesarah", "Hairunnisa",
          "Sri Wahyuni", "Wartini", "Inaq Sinah", "Aisyah", "Fatimah", "Rabiatul", "Husnul",
          "Halimah", "Zahratul", "Nur Aini", "Yuliana", "Rahmawati", "Mariam")
SECOND = ("Hidayat", "Azhari", "Fadli", "Hakim", "Ismail", "Saleh", "Amin", "Yusuf",
          "Hamid", "Hasan", "Habibi", "Jaelani", "Rosidi", "Suhaimi", "Mustafa", "Anwar")
PLACES = ("Selong", "Masbagik", "Aikmel", "Pringgabaya", "Sakra", "Keruak", "Terara",
          "Sikur", "Labuhan Haji", "Mataram", "Praya", "Sembalun")
OPERATORS = ("Lalu Ahmad", "Baiq Sri", "Muhammad Rizal", "Nurhasanah", "Suparman")


def make_nik(kecamatan_code: str, birth: date, sex: str, serial: int) -> str:
    day = birth.day + (40 if sex == "P" else 0)
    return f"{kecamatan_code.replace('.', '')}{day:02d}{birth:%m%y}{serial:04d}"


def make_kk(kecamatan_code: str, issued: date, serial: int) -> str:
    return f"{kecamatan_code.replace('.', '')}{issued:%d%m%y}{serial:04d}"


# Rough share of each service in a district's daily work.
SERVICE_WEIGHTS = {
    "akta_kelahiran": 22, "kk_perubahan": 16, "ktp_el_baru": 10, "kia": 9,
    "akta_kematian": 8, "kk_baru": 8, "ktp_el_hilang_rusak": 7, "kk_hilang_rusak": 6,
    "ktp_el_perubahan": 6, "pindah_datang": 5, "pindah_dalam": 8, "pindah_keluar": 3,
    "kia_perpanjangan": 2, "kia_hilang_rusak": 2, "kk_kepala_baru": 2, "kk_pisah": 2,
}
# Requirements whose document shows the subject (the baby, the deceased), not the applicant.
SUBJECT_DOCUMENTS = frozenset({"bukti_kelahiran", "surat_kematian", "akta_kelahiran", "kia",
                               "pas_foto"})
# Who the service is about, where it is not the applicant.
SUBJECT_ROLES = {"akta_kelahiran": "anak", "kia": "anak", "kia_perpanjangan": "anak",
                 "kia_hilang_rusak": "anak", "akta_kematian": "almarhum"}
# The applicant's age, plausible for the service: a parent registers a newborn, a
# first KTP-el is asked for at 17.
APPLICANT_AGES = {
    "akta_kelahiran": (19, 42), "kia": (24, 52), "kia_hilang_rusak": (24, 52),
    "kia_perpanjangan": (24, 45), "ktp_el_baru": (17, 21), "kk_baru": (19, 40),
    "kk_pisah": (19, 45), "akta_kematian": (25, 75),
}
for _sid in ("kk_perubahan", "kk_hilang_rusak", "kk_kepala_baru", "ktp_el_hilang_rusak",
             "ktp_el_perubahan"):
    APPLICANT_AGES.setdefault(_sid, (17, 78))
# Shares of the submissions that point at an earlier one.
DUPLICATE_SHARE = 0.04
RESUBMISSION_SHARE = 0.05
# Teknonyms (Sasak "father of", "mother of"): an adult's name, never a child's.
TEKNONYMS = ("Amaq ", "Inaq ")


def person_name(rng: random.Random, sex: str, *, child: bool = False) -> str:
    names = MALE if sex == "L" else FEMALE
    if child:
        names = tuple(n for n in names if not n.startswith(TEKNONYMS))
    first = rng.choice(names)
    prefix = ""
    if rng.random() < 0.12:
        prefix = "Lalu " if sex == "L" else "Baiq "
    return f"{prefix}{first} {rng.choice(SECOND)}"


def birth_between(rng: random.Random, today: date, min_age: int, max_age: int) -> date:
    return today - timedelta(days=rng.randint(min_age * 365, max_age * 365 + 364))


def subject_birth(rng: random.Random, service_id: str, today: date, parent: date) -> date:
    """The subject's birth: a newborn, a child younger than its parent by 19 years or
    more, a child turning 5, or the deceased."""
    if service_id == "akta_kelahiran":
        return today - timedelta(days=rng.randint(3, 60))
    if service_id == "kia_perpanjangan":
        return today - timedelta(days=5 * 365 + rng.randint(1, 60))
    if service_id == "akta_kematian":
        return birth_between(rng, today, 60, 95)
    oldest = max(0, min(16, (today - parent).days // 365 - 19))
    return birth_between(rng, today, 0, oldest)
