"""Submissions past their service-time limit: found by the scheduler, flagged once, audited.

The queue shows ``lewat_sla`` from ``due_at`` at any moment; this records *when*
each submission was first found past its limit (``submission_sla_flag``) and
writes it to the audit log, so a supervisor can count them by day.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from bakso_tui.db.models import SlaFlag, Submission, state_in
from bakso_tui.db.types import utcnow
from bakso_tui.domain import audit
from bakso_tui.domain.workflow import OPEN_STATES, Flag


def flag_past_sla(session: Session, *, now: datetime | None = None, limit: int = 5000) -> int:
    """Flag open submissions past their limit that were not flagged yet; returns how many."""
    now = now or utcnow()
    late = session.execute(
        select(Submission.id, Submission.due_at)
        .where(state_in(*OPEN_STATES), Submission.due_at < now,
               ~exists().where(SlaFlag.submission_id == Submission.id))
        .order_by(Submission.due_at).limit(limit)
    ).all()
    if not late:
        return 0
    session.execute(insert(SlaFlag), [{"submission_id": sid, "flagged_at": now} for sid, _ in late])
    for sid, due in late:
        audit.append(session, actor="system", action="submission.flag", target_type="submission",
                     target_id=sid, reason=Flag.PAST_SLA.value,
                     details={"due_at": due.isoformat()}, at=now)
    return len(late)
