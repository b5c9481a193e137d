"""The mobile-service days' tables: teams, plans, days, closed days, recording bookings.

Part of the one schema: ``bakso_tui.db.models`` imports them, so its metadata
names every table; migration 0010 creates them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bakso_tui.db.base import Base, BigId
from bakso_tui.db.types import utcnow



#: A service day that takes bookings (the others are closed or cancelled).
ACTIVE_DAY_SQL = "state = 'terjadwal'"
#: A booking that still holds its place on a day (not yet recorded, absent or moved).
BOOKED_SQL = "state = 'dipesan'"


class ServiceTeam(Base):
    """A Dukcapil mobile-service team (tim layanan keliling) and its usual daily capacity."""

    __tablename__ = "service_team"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ServicePlan(Base):
    """A recurrence (``wed,fri``, ``1tue,3tue``) over a range, for one village and team."""

    __tablename__ = "service_plan"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_code: Mapped[str] = mapped_column(ForeignKey("village.code"), index=True)
    team_code: Mapped[str] = mapped_column(ForeignKey("service_team.code"))
    rule: Mapped[str] = mapped_column(String(100))  # normalised, e.g. "wed,fri"
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    capacity: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ServiceDay(Base):
    """One day a team works in a village (hari layanan keliling).

    ``booked`` counts the bookings that hold or held a place on the day
    (booked, recorded, absent); the CHECK keeps it within ``capacity`` on both
    databases, whatever a writer does. A team is in one village a day, and a
    village has one team a day: unique over the active days.
    """

    __tablename__ = "service_day"
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
        Index("uq_service_day_team_day", "team_code", "day", unique=True,
              postgresql_where=text(ACTIVE_DAY_SQL), sqlite_where=text(ACTIVE_DAY_SQL)),
        Index("uq_service_day_village_day", "village_code", "day", unique=True,
              postgresql_where=text(ACTIVE_DAY_SQL), sqlite_where=text(ACTIVE_DAY_SQL)),
        Index("ix_service_day_day", "day", "village_code"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("service_plan.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    village_code: Mapped[str] = mapped_column(ForeignKey("village.code"))
    team_code: Mapped[str] = mapped_column(ForeignKey("service_team.code"))
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default="terjadwal")
    reason: Mapped[str] = mapped_column(Text, default="")  # why it was closed or cancelled
    # When the day's list was first printed or announced: from then on nobody
    # on it is moved to make room for somebody else.
    listed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OfficeClosedDay(Base):
    """A day the office does no mobile service, beyond the national holidays."""

    __tablename__ = "office_closed_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordingBooking(Base):
    """A resident's place on a service day for biometric recording.

    One row per placement: a booking that moves ends as ``dipindah`` and a new
    row holds the new day; an absent resident's row ends as ``tidak_hadir``
    and the next day gets a new row. At most one row per submission is
    ``dipesan`` (a partial unique index).
    """

    __tablename__ = "recording_booking"
    __table_args__ = (
        Index("uq_recording_booking_active", "submission_id", unique=True,
              postgresql_where=text(BOOKED_SQL), sqlite_where=text(BOOKED_SQL)),
        Index("ix_recording_booking_day", "service_day_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    service_day_id: Mapped[int] = mapped_column(ForeignKey("service_day.id"))
    home_visit: Mapped[bool] = mapped_column(Boolean, default=False)
    # dipesan (booked) | direkam (recorded) | tidak_hadir (absent)
    # | dipindah (moved to another day) | dibatalkan (its day went, no day had room)
    state: Mapped[str] = mapped_column(String(16), default="dipesan")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
