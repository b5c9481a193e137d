"""The queue's shapes: a filter, a row, a page and the key that orders them.

No database here: the screens and widgets that show the queue import these as
the program starts, before the rules that read it (``domain/queue.py``, with
SQLAlchemy) are needed, which the first page's worker imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

QueueKey = tuple[int, datetime, int]  # (priority_rank, submitted_at, id)


@dataclass(frozen=True)
class QueueFilter:
    service_id: str | None = None
    kecamatan_code: str | None = None
    village_code: str | None = None
    flag: str | None = None  # a Flag value
    min_age_days: int | None = None
    search: str | None = None  # NIK, KK number, name prefix or submission number


@dataclass(frozen=True, slots=True)  # slots: a tenth quicker to make, and smaller
class QueueRow:
    id: int
    number: str
    state: str
    submitted_at: datetime
    due_at: datetime
    village_code: str
    village_name: str
    kecamatan_name: str
    service_id: str
    service_name: str
    applicant_name: str
    applicant_nik: str
    priority_reasons: tuple[str, ...]
    flags: tuple[str, ...]
    claim_holder: str | None
    key: QueueKey
    #: The catalogue's short name (KK-UBAH, the service table's `short`), else the name.
    service_short: str = ""

    def age(self, now: datetime) -> timedelta:
        return now - self.submitted_at


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow] = field(default_factory=list)
    has_more: bool = False

    @property
    def next_key(self) -> QueueKey | None:
        return self.rows[-1].key if self.rows else None
