"""What the schedule's functions hand back (plain dataclasses), its error, and its lock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bakso_tui.db.models import ServiceTeam, Village
from bakso_tui.domain import audit
from bakso_tui.errors import Refusal
from bakso_tui.locale import t

#: Day states: takes bookings / the office closed it / a supervisor cancelled it.
DAY_ACTIVE, DAY_CLOSED, DAY_CANCELLED = "terjadwal", "ditutup", "dibatalkan"
#: Booking states.
BOOKED, RECORDED, ABSENT, MOVED, DROPPED = (
    "dipesan", "direkam", "tidak_hadir", "dipindah", "dibatalkan"
)
#: Bookings that hold (or held) a place on their day and count against its capacity.
COUNTED = (BOOKED, RECORDED, ABSENT)
#: Priority reasons (data/reasons.toml) whose residents are recorded at home.
HOME_VISIT_REASONS = frozenset({"sakit_terbaring", "disabilitas"})


class ScheduleError(Refusal):
    """A schedule operation refused, in one line. ``usage``: the input itself
    was malformed (exit 2 on the command line), else it was refused (exit 1)."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


@dataclass(frozen=True)
class TeamInfo:
    code: str
    name: str
    capacity: int
    active: bool


@dataclass(frozen=True)
class ServiceDayInfo:
    """One service day as the screens, the printing and other rules see it."""

    id: int
    day: date
    village_code: str
    village_name: str
    team_code: str
    capacity: int
    booked: int
    state: str
    reason: str = ""
    listed: bool = False

    @property
    def room(self) -> int:
        return max(0, self.capacity - self.booked) if self.state == DAY_ACTIVE else 0

    @property
    def active(self) -> bool:
        return self.state == DAY_ACTIVE


@dataclass(frozen=True)
class Move:
    """A resident placed, moved or left without a day by a change of the schedule."""

    submission_id: int
    number: str
    name: str
    from_day: date | None
    to_day: date | None  # None: no day of the village had room


@dataclass
class Reflow:
    """What one village's bookings went through: new places, moves, and those left waiting."""

    village_code: str
    booked: list[Move] = field(default_factory=list)
    moved: list[Move] = field(default_factory=list)
    unplaced: list[Move] = field(default_factory=list)

    def extend(self, other: Reflow) -> None:
        self.booked += other.booked
        self.moved += other.moved
        self.unplaced += other.unplaced


def village(session: Session, code: str) -> Village:
    found = session.get(Village, (code or "").strip())
    if found is None or not found.active:
        raise ScheduleError(t("schedule.unknown_village", code=code))
    return found


def team(session: Session, code: str) -> ServiceTeam:
    found = session.get(ServiceTeam, (code or "").strip().upper())
    if found is None or not found.active:
        raise ScheduleError(t("schedule.unknown_team", code=code))
    return found


def lock_village(session: Session, code: str) -> None:
    """:func:`lock_villages` for one village."""
    lock_villages(session, [code])


def lock_villages(session: Session, codes: list[str]) -> None:
    """Serialise changes to these villages' days and bookings until the commit.

    The village rows are locked in code order (two lockers never cross) and
    ``FOR NO KEY UPDATE``, which does not block intake (a new submission's
    foreign key only takes KEY SHARE). The audit
    lock is taken first: every schedule transaction audits, and taking both
    in one order means two of them never wait on each other crosswise.
    """
    audit.hold_lock(session)
    if session.get_bind().dialect.name == "postgresql":
        # As the owner (migration 0012): a row lock needs UPDATE rights on the table.
        session.execute(text("SELECT bakso_lock_villages(:codes)"), {"codes": sorted(codes)})
        return
    session.execute(
        select(Village.code).where(Village.code.in_(sorted(codes))).order_by(Village.code)
        .with_for_update(key_share=True)
    ).all()
