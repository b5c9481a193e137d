"""What every part of the issuance batches shares: states, numbers, the digest, refusals.

A batch's number is ``BAST/<village code>/<yyyymmdd>/<n>`` for the documents
handed to the village officer, ``LGS/<village code>/<yyyymmdd>/<n>`` for those
handed to each resident in person ("langsung") on the village's service day.
The digest covers the number and, in table order, each document's number and
its submission's number: exactly what the printed record shows, so a printed
record can be checked against it without the database, and the database
against the paper.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum

from bakso_tui.domain.calendar import OFFICE_TZ
from bakso_tui.errors import Refusal


class BatchError(Refusal):
    """Something about a batch the rules refuse, in one line (exit 1)."""


class BatchState(StrEnum):
    CLOSED = "ditutup"  # closed, not printed yet: documents may still be added
    PRINTED = "dicetak"
    HANDED_OVER = "diserahkan"  # to the village officer
    DONE = "selesai"  # every document received by its resident


class Kind(StrEnum):
    VILLAGE = "village"
    IN_PERSON = "in_person"


class Place(StrEnum):
    """Where a batch was handed to the village."""

    SERVICE_DAY = "service_day"  # by the team, on the village's mobile-service day
    OFFICE = "office"  # the village officer came to the office


PREFIX = {Kind.VILLAGE: "BAST", Kind.IN_PERSON: "LGS"}
NUMBER_RE = re.compile(r"\b(BAST|LGS)/(\d{2}\.\d{2}\.\d{2}\.\d{4})/(\d{8})/(\d{1,4})\b")
DOCUMENT_RE = re.compile(r"\bDOK-\d{4}-\d{7,}\b")
SUBMISSION_RE = re.compile(r"\bBKS-\d{4}-\d{7,}\b")
DIGEST_RE = re.compile(r"\b[0-9a-f]{64}\b")
QR_PREFIX = "BAKSO-BAST"


def batch_number(kind: str, village_code: str, day: date, seq: int) -> str:
    return f"{PREFIX[Kind(kind)]}/{village_code}/{day:%Y%m%d}/{seq}"


def document_number(document_id: int, created_at: datetime) -> str:
    """The office's number for an issued document, e.g. ``DOK-2026-0000123``."""
    return f"DOK-{created_at.astimezone(OFFICE_TZ).year}-{document_id:07d}"


def digest(number: str, lines: Iterable[tuple[str, str]]) -> str:
    """sha256 of the batch number and its (document number, submission number) list."""
    body = "\n".join([f"{QR_PREFIX}/1", number, *(f"{d} {s}" for d, s in lines)])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def qr_payload(number: str, digest_hex: str) -> str:
    """The QR code's text: what `bakso batch verify` accepts besides the PDF."""
    return f"{QR_PREFIX}|{number}|{digest_hex}"


def parse_qr(text: str) -> tuple[str, str] | None:
    parts = text.strip().split("|")
    if len(parts) != 3 or parts[0] != QR_PREFIX or not NUMBER_RE.fullmatch(parts[1]):
        return None
    if not DIGEST_RE.fullmatch(parts[2]):
        return None
    return parts[1], parts[2]


def mask_nik(nik: str, mode: str) -> str:
    """A NIK as the privacy setting (``nik_display``) shows it on paper: in full, or
    with the birth date hidden (``520301******0123``), as the recording lists do."""
    if mode == "full" or len(nik) != 16:
        return nik
    return f"{nik[:6]}******{nik[12:]}"
