"""A small office for the schedule tests: a team, villages, approved KTP-el submissions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bakso_tui.db.models import ServiceTeam, Submission, Village
from bakso_tui.domain import schedule, users
from bakso_tui.domain.decisions import record_decision
from bakso_tui.domain.submissions import NewSubmission, register
from bakso_tui.domain.workflow import Action, State

# Tuesday 1 December 2026, 10:00 WITA.
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)
SYSTEM = users.cli_actor()


def villages(session, n: int = 3) -> list[str]:
    return list(session.scalars(
        select(Village.code).where(Village.code.like("52.03.%")).order_by(Village.code).limit(n)
    ))


def nik_for(village: str, i: int) -> str:
    return f"{village[:8].replace('.', '')}{(i % 28) + 1:02d}0190{1000 + i:04d}"


def new_submission(session, village: str, i: int, *, minutes_ago: int = 0,
                   priority: list[str] | None = None, service: str = "ktp_el_baru",
                   now: datetime = NOW) -> Submission:
    submitted = now - timedelta(minutes=minutes_ago)
    return register(
        session,
        NewSubmission(
            external_id=f"SCH-{village}-{i:05d}", village_code=village, service_id=service,
            submitted_at=submitted, operator_name=f"Operator {village[-4:]}",
            operator_phone="081234567890", applicant_nik=nik_for(village, i),
            applicant_kk=nik_for(village, i + 5000), applicant_name=f"Warga {i:03d}",
            applicant_birth_date=date(1990, 1, (i % 28) + 1), applicant_sex="L",
            applicant_address=f"Dusun Uji {i} RT 001", priority_reasons=priority or [],
        ),
        actor="test", received=submitted,
    )


def verifier(session) -> users.Actor:
    found = users.get_user(session, "verif1")
    if found is None:
        found = users.add_user(session, SYSTEM, login="verif1", name="Baiq Nurul Aini",
                               role="verifier")
    return found.actor()


def approve(session, submission: Submission, *, at: datetime = NOW, actor=None):
    submission.state = State.CLAIMED.value
    return record_decision(session, actor or verifier(session), submission, Action.APPROVE,
                           override_reason="uji", at=at)


def team_and_plan(session, village: str, *, team: str = "T1", capacity: int = 2,
                  rule: str = "wed,fri", start: date = TODAY, until: date = date(2027, 3, 31)):
    if session.get(ServiceTeam, team) is None:
        schedule.add_team(session, SYSTEM, team, f"Tim {team}", capacity, at=NOW)
    return schedule.create_plan(session, SYSTEM, village_code=village, rule=rule, start=start,
                                until=until, team_code=team, capacity=capacity, today=TODAY,
                                at=NOW)
