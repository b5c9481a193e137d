"""The dashboard's shapes (a board of figures) and the office days they count by.

No database here: the dashboard screen imports these as the program starts;
the queries that fill them (``domain/dashboard.py``, with SQLAlchemy) are
imported by the screen's worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from bakso_tui.domain.calendar import OFFICE_TZ, is_working_day

if TYPE_CHECKING:  # the schedule's package brings dateutil: not at start-up (issue 16)
    from bakso_tui.domain.schedule.model import ServiceDayInfo


@dataclass(frozen=True)
class Band:
    """One state's open submissions by age, and how many are past their limit."""

    state: str
    total: int
    today: int
    recent: int  # received in the three working days before today
    past_limit: int

    @property
    def older(self) -> int:
        return max(self.total - self.today - self.recent, 0)


@dataclass(frozen=True)
class VerifierCount:
    login: str
    name: str
    today: int
    week: int


@dataclass(frozen=True)
class ReasonCount:
    action: str  # return | reject
    code: str
    name: str
    count: int


@dataclass
class Area:
    """A kecamatan (``kecamatan_code`` None) or a village, with its figures."""

    code: str
    name: str
    kecamatan_code: str | None = None
    submissions: int = 0
    approved: int = 0
    decided: int = 0
    returns: int = 0
    waiting_recording: int = 0
    waiting_printing: int = 0
    waiting_handover: int = 0

    @property
    def approval_rate(self) -> float | None:
        return self.approved / self.decided if self.decided else None

    def add(self, other: Area) -> None:
        for name in ("submissions", "approved", "decided", "returns", "waiting_recording",
                     "waiting_printing", "waiting_handover"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class JobLast:
    job_id: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    error: str


@dataclass(frozen=True)
class DayFlow:
    day: date
    received: int
    decided: int


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    bands: list[Band]
    verifiers: list[VerifierCount]
    reasons: list[ReasonCount]
    kecamatan: list[Area]
    villages: list[Area]
    service_days: list[ServiceDayInfo]
    jobs: list[JobLast]
    flow: list[DayFlow]
    #: How long each figure took to read, in milliseconds (for the benchmark).
    timings: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------------- times

def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=OFFICE_TZ).astimezone(UTC)


def working_days_before(day: date, n: int) -> date:
    """The n-th working day before `day` (n >= 1)."""
    for _ in range(n):
        day -= timedelta(days=1)
        while not is_working_day(day):
            day -= timedelta(days=1)
    return day
