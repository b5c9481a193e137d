"""Synthetic residents: Sasak names of Lombok, and NIK/KK numbers that follow the rules.

Shared by the demo (a few hundred submissions with scans) and the bulk loader
(a million queued rows for the benchmarks).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bakso_tui.db.models import Meta, Submission
from bakso_tui.locale import t


class DemoRefused(Exception):
    pass


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


def refuse_real_database(session: Session) -> None:
    demo = session.get(Meta, "demo")
    has_data = session.scalar(select(Submission.id).limit(1)) is not None
    if has_data and not (demo and demo.value == "true"):
        raise DemoRefused(t("demo.refused"))


def make_nik(kecamatan_code: str, birth: date, sex: str, serial: int) -> str:
    day = birth.day + (40 if sex == "P" else 0)
    return f"{kecamatan_code.replace('.', '')}{day:02d}{birth:%m%y}{serial:04d}"


def make_kk(kecamatan_code: str, issued: date, serial: int) -> str:
    return f"{kecamatan_code.replace('.', '')}{issued:%d%m%y}{serial:04d}"
