"""Counters the database keeps for the supervisor's dashboard (migration 0014).

At a million submissions a ``GROUP BY village`` over the submission table
takes seconds; these tables hold the same figures and are kept by triggers in
the writer's own transaction (``db/migrations/versions/0014_dashboard_tally.py``),
so no writer in Python has to remember them and a reader sums a few hundred rows.

- ``village_tally``: per village, how many submissions are in each bucket
  (``open`` for ``diajukan`` and ``diverifikasi`` together, so that a claim
  changes nothing here; else the state) and how many issued documents are in
  each document state.
- ``daily_tally``: per office day (WITA), how many submissions were received.
- ``decision_tally``: per office day, verifier, action and reason code
  (``''`` for an approval), how many decisions were made.
- ``open_tally``: open submissions (queued or claimed) by the office day they
  were received (``received``) and the office day their service time ends
  (``due``): the age bands and "past the limit" without counting rows.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from bakso_tui.db.base import Base

#: The subjects of ``village_tally``.
SUBMISSION = "submission"
DOCUMENT = "document"
#: The bucket that holds both open states (queued and claimed).
OPEN_BUCKET = "open"


class VillageTally(Base):
    __tablename__ = "village_tally"

    village_code: Mapped[str] = mapped_column(String(13), primary_key=True)
    subject: Mapped[str] = mapped_column(String(16), primary_key=True)
    state: Mapped[str] = mapped_column(String(24), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class DailyTally(Base):
    __tablename__ = "daily_tally"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class DecisionTally(Base):
    __tablename__ = "decision_tally"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    actor_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    action: Mapped[str] = mapped_column(String(16), primary_key=True)
    reason_code: Mapped[str] = mapped_column(String(48), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class OpenTally(Base):
    __tablename__ = "open_tally"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # received | due
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)
