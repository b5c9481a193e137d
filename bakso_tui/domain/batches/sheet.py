"""A batch's papers from the database, and checking a printed batch against it.

`build_sheet` gathers what the handover record and the receipts print (as
the printing layer's plain dataclasses); `verify_payload` and `verify_pages`
check a QR code's text or a printed PDF's text against the database: the
list on paper must give the digest printed beside it, that digest must be the
batch's, and the database's own list must still give it.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bakso_tui.config import Settings
from bakso_tui.db.models import AuditEntry, IssuanceBatch, Kecamatan, Submission, Village
from bakso_tui.domain.batches.core import (
    DOCUMENT_RE,
    NUMBER_RE,
    SUBMISSION_RE,
    BatchError,
    Kind,
    digest,
    mask_nik,
    parse_qr,
    qr_payload,
)
from bakso_tui.domain.batches.handover import get_batch
from bakso_tui.domain.batches.listing import batch_documents
from bakso_tui.domain import audit
from bakso_tui.domain.calendar import OFFICE_TZ
from bakso_tui.domain.catalog import load_catalog
from bakso_tui.locale import t
from bakso_tui.printing.sheets import BatchSheet, Party, ReceiptSlip, SheetLine

DIGEST_LABEL = "Sidik daftar (SHA-256)"
AUDIT_LABEL = "Kepala rantai audit saat penutupan"
RECEIPT_TITLE = "TANDA TERIMA DOKUMEN KEPENDUDUKAN"
_PRINTED_DIGEST = re.compile(re.escape(DIGEST_LABEL) + r"\W*([0-9a-f]{64})")


def _kind_name(kind: str) -> str:
    try:
        return load_catalog().output(kind).name
    except KeyError:
        return kind


def _subject(subjects: list) -> str:
    for s in subjects or []:
        if isinstance(s, dict) and s.get("name"):
            return str(s["name"])
    return ""


def build_sheet(session: Session, number: str, settings: Settings) -> BatchSheet:
    batch = get_batch(session, number)
    village = session.get(Village, batch.village_code)
    kecamatan = session.get(Kecamatan, village.kecamatan_code)
    docs = batch_documents(session, batch.id)
    subs = {
        s.number: s for s in session.scalars(
            select(Submission).where(Submission.number.in_({d.submission for d in docs}))
        )
    }
    privacy = settings.nik_display
    lines, totals = [], OrderedDict()
    slips: OrderedDict[str, list] = OrderedDict()
    for i, d in enumerate(docs, 1):
        sub = subs[d.submission]
        name = _kind_name(d.kind)
        lines.append(SheetLine(i, name, d.number, d.resident, mask_nik(d.nik, privacy),
                               d.submission, _subject(sub.subjects)))
        totals[name] = totals.get(name, 0) + 1
        slips.setdefault(d.submission, []).append((name, d.number))
    receipts = tuple(
        ReceiptSlip(subs[s].applicant_name, mask_nik(subs[s].applicant_nik, privacy),
                    subs[s].applicant_address, s, tuple(items))
        for s, items in slips.items()
    )
    b = settings.batches
    village_kind = "Kelurahan" if village.kind == "kelurahan" else "Desa"
    first = Party("PIHAK PERTAMA", b.officer_name, b.officer_position, settings.office_name,
                  "NIP", b.officer_id)
    second = Party("PIHAK KEDUA", batch.recipient_name or "", batch.recipient_position or "",
                   f"Pemerintah {village_kind} {village.name}", "NIK",
                   mask_nik(batch.recipient_nik or "", privacy))
    head = Party("Mengetahui", b.head_name, b.head_position, settings.office_name, "NIP",
                 b.head_id)
    record_day = batch.handed_over_on or batch.service_day or batch.office_day
    return BatchSheet(
        number=batch.number, in_person=batch.kind == Kind.IN_PERSON.value,
        office_name=settings.office_name, office_short=settings.office_short,
        village_name=village.name, village_kind=village_kind, kecamatan_name=kecamatan.name,
        record_day=record_day, place=b.place, closed_at=batch.closed_at.astimezone(OFFICE_TZ),
        service_day=batch.service_day, lines=tuple(lines), totals=tuple(totals.items()),
        first=first, second=second, head=head, digest=batch.digest,
        qr_payload=qr_payload(batch.number, batch.digest), audit_hash=batch.audit_hash,
        audit_anchor=audit.Anchor(batch.closed_at.astimezone(OFFICE_TZ), batch.audit_count,
                                  batch.audit_hash).line(),
        receipts=receipts,
    )


@dataclass(frozen=True)
class Verdict:
    number: str
    ok: bool
    documents: int
    reason: str = ""  # one line when not ok


def _database_digest(session: Session, batch: IssuanceBatch) -> str:
    return digest(batch.number, [(d.number, d.submission) for d in batch_documents(session, batch.id)])


def _check_database(session: Session, batch: IssuanceBatch, claimed: str) -> Verdict:
    if claimed != batch.digest:
        return Verdict(batch.number, False, batch.documents,
                       t("batch.verify_not_this", number=batch.number))
    if _database_digest(session, batch) != batch.digest:
        return Verdict(batch.number, False, batch.documents,
                       t("batch.verify_db_changed", number=batch.number))
    anchored = session.scalar(select(AuditEntry.id).where(AuditEntry.hash == batch.audit_hash))
    if anchored is None:
        return Verdict(batch.number, False, batch.documents,
                       t("batch.verify_no_anchor", number=batch.number))
    return Verdict(batch.number, True, batch.documents)


def verify_payload(session: Session, text: str) -> Verdict:
    """Check a QR code's text (``BAKSO-BAST|<number>|<digest>``) against the database."""
    parsed = parse_qr(text)
    if parsed is None:
        raise BatchError(t("batch.verify_bad_code", code=text.strip()[:80]))
    number, claimed = parsed
    return _check_database(session, get_batch(session, number), claimed)


def verify_pages(session: Session, pages: list[str], source: str) -> Verdict:
    """Check a printed batch's text (one string per page, receipts included)."""
    record = [p for p in pages if RECEIPT_TITLE not in p]
    text = "\n".join(record)
    found = NUMBER_RE.search(text)
    printed = _PRINTED_DIGEST.search(text)
    if found is None or printed is None:
        raise BatchError(t("batch.verify_not_a_batch", file=source))
    number = found.group(0)
    tokens = re.finditer(f"{DOCUMENT_RE.pattern}|{SUBMISSION_RE.pattern}", text)
    pairs: list[tuple[str, str]] = []
    pending: str | None = None
    for token in tokens:
        value = token.group(0)
        if value.startswith("DOK-"):
            pending = value
        elif pending is not None:
            pairs.append((pending, value))
            pending = None
    if digest(number, pairs) != printed.group(1):
        return Verdict(number, False, len(pairs), t("batch.verify_list_changed", file=source))
    return _check_database(session, get_batch(session, number), printed.group(1))
