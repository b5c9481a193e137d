"""Issuance batches in the demo database, in every state the screens show.

The demo's approved documents are closed into batches day by day over the
last eight working days (as the daily job would have done), then taken
further along (`GOALS`): printed, handed over to the village and received by
every resident (``selesai``); printed and handed over, some residents
received; printed only; the newest left closed. The oldest day's batches
were printed but never handed over, so they are flagged overdue. Nothing is sent to a printer: the
demo's "printer" is named so. Seeding again closes only what became ready
since and moves a batch only from the state it is in.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from bakso_tui.db.engine import Database
from bakso_tui.db.models import IssuanceBatch
from bakso_tui.demo.people import FEMALE, MALE, SECOND, make_nik
from bakso_tui.domain import batches
from bakso_tui.domain.batches import BatchState, Recipient
from bakso_tui.domain.calendar import OFFICE_TZ, is_working_day, office_today
from bakso_tui.domain.users import Actor

DEMO_PRINTER = "DEMO (tidak dicetak)"
# How far each day's batches have come, oldest day first: the oldest waited
# printed past its working days (flagged), then done, handed over, printed, closed.
GOALS = ("dicetak", "selesai", "selesai", "diserahkan", "diserahkan", "dicetak", "dicetak",
         "ditutup")
POSITIONS = ("Sekretaris Desa", "Kepala Seksi Pelayanan", "Kepala Urusan Umum", "Kepala Dusun")


def _working_days_back(now: datetime, count: int) -> list:
    day, out = office_today(now), []
    while len(out) < count:
        if is_working_day(day):
            out.append(day)
        day -= timedelta(days=1)
    return sorted(out)


def seed_batches(db: Database, actor: Actor, *, now: datetime, seed: int = 2018) -> int:
    """Close and move the demo's batches; returns how many batches there are."""
    days = _working_days_back(now, len(GOALS))
    for day in days:
        end = datetime.combine(day, time(15, 0), tzinfo=OFFICE_TZ).astimezone(UTC)
        batches.close_batches(db, actor, day=day, now=min(end, now))
    with db.read() as session:
        rows = session.execute(
            select(IssuanceBatch.number, IssuanceBatch.office_day, IssuanceBatch.kind,
                   IssuanceBatch.state, IssuanceBatch.village_code)
            .order_by(IssuanceBatch.office_day, IssuanceBatch.id)
        ).all()
    rng = random.Random(f"{seed}:batches")
    for number, day, kind, state, village in rows:
        rank = days.index(day) if day in days else 0
        at = datetime.combine(day, time(16, 0), tzinfo=OFFICE_TZ).astimezone(UTC)
        goal = GOALS[rank]
        if day == office_today(now):
            goal = "ditutup"
        _advance(db, actor, number, kind, village, state, goal, at, rng)
    with db.write() as session:
        batches.flag_overdue(session, now=now)
    return len(rows)


def _advance(db: Database, actor: Actor, number: str, kind: str, village: str, state: str,
             goal: str, at: datetime, rng: random.Random) -> None:
    order = [s.value for s in BatchState]
    if order.index(state) >= order.index(goal):
        return
    with db.write() as session:
        if state == BatchState.CLOSED.value:
            batches.mark_printed(session, actor, number, printer=DEMO_PRINTER, now=at)
        if goal == BatchState.PRINTED.value:
            return
        if kind == batches.Kind.VILLAGE.value:
            sex = rng.choice("LP")
            name = f"{rng.choice(MALE if sex == 'L' else FEMALE)} {rng.choice(SECOND)}"
            born = datetime(1975 + rng.randint(0, 20), rng.randint(1, 12), rng.randint(1, 28))
            nik = make_nik(village[:8], born.date(), sex, rng.randint(1, 9999))
            batches.handover(session, actor, number,
                             Recipient(name, rng.choice(POSITIONS), nik),
                             on=at.astimezone(OFFICE_TZ).date() + timedelta(days=1),
                             now=at + timedelta(days=1))
        later = at + timedelta(days=2)
        if goal == BatchState.DONE.value:
            batches.received(session, actor, number, everything=True, now=later)
        elif goal == BatchState.HANDED_OVER.value:
            docs = batches.batch_documents(session, batches.get_batch(session, number).id)
            niks = sorted({d.nik for d in docs})
            some = niks[: len(niks) // 2]
            if some and not any(d.state == "diterima" for d in docs):
                batches.received(session, actor, number, niks=some, now=later)
