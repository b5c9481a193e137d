"""What a batch's papers say, as plain data: the rules fill these in, `pdf.py` draws them.

The printing layer never reads the rules (``domain``): it is handed these
dataclasses, with every text already chosen (names, masked NIKs, totals).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Party:
    """One side of the handover: who hands over, who receives, who countersigns.

    Empty fields are printed as dotted lines, to be written in by hand.
    """

    role: str  # "PIHAK PERTAMA", "PIHAK KEDUA", "Mengetahui"
    name: str = ""
    position: str = ""
    office: str = ""
    id_label: str = ""  # "NIP" or "NIK"
    id_value: str = ""


@dataclass(frozen=True)
class SheetLine:
    """One row of the record's table: one document."""

    no: int
    kind: str  # the document type, as the catalogue names it
    document_number: str
    resident: str
    nik: str  # as the privacy setting shows it
    submission: str  # the submission's number (BKS-…)
    subject: str = ""  # the person the document is about, when not the applicant


@dataclass(frozen=True)
class ReceiptSlip:
    """A tanda terima: one resident's documents, signed when they receive them."""

    resident: str
    nik: str
    address: str
    submission: str
    documents: tuple[tuple[str, str], ...]  # (kind, document number)


@dataclass(frozen=True)
class BatchSheet:
    """Everything printed for one batch: the handover record, then the receipts."""

    number: str
    in_person: bool  # handed to each resident on the service day, not to the village
    office_name: str
    office_short: str
    village_name: str
    village_kind: str  # "Desa" or "Kelurahan"
    kecamatan_name: str
    record_day: date  # the day written out in words
    place: str  # where the record is signed (the office's town)
    closed_at: datetime  # office time (WITA)
    service_day: date | None
    lines: tuple[SheetLine, ...]
    totals: tuple[tuple[str, int], ...]  # (document type, count), in table order
    first: Party
    second: Party
    head: Party
    digest: str
    qr_payload: str
    audit_hash: str
    audit_anchor: str  # "<time> <count> <hash>": a line `bakso audit verify --anchor` reads
    receipts: tuple[ReceiptSlip, ...] = field(default_factory=tuple)
