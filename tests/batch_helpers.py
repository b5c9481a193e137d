"""An office whose approved submissions have documents ready for issuance (for the batch tests)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from bakso_tui.db.engine import Database
from bakso_tui.db.models import IssuedDocument, Submission
from bakso_tui.domain.decisions import record_decision
from bakso_tui.domain.submissions import NewSubmission, register
from bakso_tui.domain.workflow import Action, State
from tui_helpers import FIXED_NOW, Office, seed_office

APPROVED_AT = FIXED_NOW - timedelta(hours=1)
# A valid NIK of a village officer (Lombok Timur, born 3 Feb 1985, man).
OFFICER_NIK = "5203010302850004"


def approve_all(db: Database, office: Office, *, at: datetime = APPROVED_AT) -> int:
    """Approve every open submission (as the supervisor); returns how many."""
    with db.write() as session:
        subs = session.scalars(
            select(Submission).where(Submission.state.in_(["diajukan", "diverifikasi"]))
            .order_by(Submission.id)
        ).all()
        for sub in subs:
            sub.state = State.CLAIMED.value
            record_decision(session, office.supervisor.actor(), sub, Action.APPROVE,
                            override_reason="uji", at=at)
    return len(subs)


def add_submission(db: Database, village: str, service: str, n: int, *,
                   received: datetime = FIXED_NOW - timedelta(hours=3)) -> int:
    with db.write() as session:
        sub = register(session, NewSubmission(
            external_id=f"BATCH-{n:04d}", village_code=village, service_id=service,
            submitted_at=received - timedelta(minutes=5), operator_name="Operator Desa",
            applicant_nik=f"{village[:8].replace('.', '')}0101{80 + n % 20:02d}{n % 9000 + 1:04d}",
            applicant_kk=f"{village[:8].replace('.', '')}020315{n % 9000 + 1:04d}",
            applicant_name=f"Warga Uji {n}", applicant_birth_date=date(1980 + n % 20, 1, 1),
            applicant_sex="L", applicant_address=f"Dusun Uji RT {n % 9:03d}",
        ), actor="test", received=received)
        return sub.id


def ready_office(db: Database, count: int = 12) -> Office:
    office = seed_office(db, max(count, 13))  # seed_office claims its 13th
    approve_all(db, office)
    return office


def documents_by_state(db: Database) -> dict[str, int]:
    with db.read() as session:
        rows = session.execute(select(IssuedDocument.state)).scalars().all()
    out: dict[str, int] = {}
    for state in rows:
        out[state] = out.get(state, 0) + 1
    return out
