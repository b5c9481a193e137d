"""Issuance batches: closing the day's ready documents per village, the handover
record and receipts, printing, handover to the village and receipt by residents.

- `core`: states, numbers, the digest and the QR payload;
- `close`: the daily close (idempotent on village and day);
- `handover`: printed, handed over, received, overdue;
- `listing`: keyset pages for the screen and the command line;
- `sheet`: what the papers print, and verifying a printed batch.
"""

from bakso_tui.domain.batches.close import Closed, close_batches, close_one
from bakso_tui.domain.batches.core import (
    BatchError,
    BatchState,
    Kind,
    Place,
    batch_number,
    digest,
    document_number,
    mask_nik,
    qr_payload,
)
from bakso_tui.domain.batches.handover import (
    Receipt,
    Recipient,
    check_recipient,
    flag_overdue,
    get_batch,
    handover,
    mark_printed,
    received,
)
from bakso_tui.domain.batches.listing import (
    BatchDetail,
    BatchFilter,
    BatchPage,
    BatchRow,
    DocumentRow,
    batch_detail,
    batch_documents,
    batch_page,
    iter_batches,
)
from bakso_tui.domain.batches.sheet import Verdict, build_sheet, verify_pages, verify_payload

__all__ = [
    "BatchDetail", "BatchError", "BatchFilter", "BatchPage", "BatchRow", "BatchState", "Closed", "DocumentRow",
    "Kind", "Place", "Receipt", "Recipient", "Verdict", "batch_detail", "batch_documents", "batch_number",
    "batch_page", "build_sheet", "check_recipient", "close_batches", "close_one", "digest", "document_number",
    "flag_overdue", "get_batch", "handover", "iter_batches", "mark_printed", "mask_nik",
    "qr_payload", "received", "verify_pages", "verify_payload",
]
