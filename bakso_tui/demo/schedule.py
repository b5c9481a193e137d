"""The demo's mobile-service teams and plans, so that bookings exist from the start.

Every village where the demo places a KTP-el (biometric recording) submission
gets a team of its own and a Wednesday/Friday plan (Nagekeo's "jemput bola"
days), made as if two weeks ago and running three months on. The demo's
approvals, which happen over those two weeks, book onto the days after them:
the past days have lists waiting for their outcomes (`bakso schedule done`,
or `d`/`a` on the day's list), the coming ones have residents booked, and an
approval in the TUI books onto them. Villages without such a submission are
left unplanned, for a supervisor to try `bakso schedule plan` on. Seeding
again adds nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bakso_tui.db.engine import Database
from bakso_tui.db.models import ServicePlan, ServiceTeam
from bakso_tui.domain import schedule, users
from bakso_tui.domain.calendar import office_today

CAPACITY = 20
RULE = "wed,fri"
#: How long before `now` the plans were made.
PLANNED_AGO = timedelta(days=14)


def seed_schedule(db: Database, now: datetime, villages: list[str]) -> int:
    """A team and a Wed/Fri plan for each of `villages` not planned yet; returns plans made."""
    planned_at = now - PLANNED_AGO
    today = office_today(planned_at)
    made = 0
    with db.write() as session:
        actor = users.cli_actor()
        planned = set(session.scalars(select(ServicePlan.village_code)))
        for number, village in enumerate(villages, 1):
            if village in planned:
                continue
            code = f"TIM-{number:02d}"
            if session.get(ServiceTeam, code) is None:
                schedule.add_team(session, actor, code, f"Tim Keliling {number}", CAPACITY,
                                  at=planned_at)
            schedule.create_plan(session, actor, village_code=village, rule=RULE,
                                 start=today + timedelta(days=1),
                                 until=office_today(now) + timedelta(days=91), team_code=code,
                                 today=today, at=planned_at)
            made += 1
    return made
