"""How the demo's older submissions were decided, as an office would have."""

from __future__ import annotations

from datetime import datetime, timedelta

from bakso_tui.db.models import Submission
from bakso_tui.domain import audit
from bakso_tui.domain.decisions import approval_concerns, record_decision, unmet_requirements
from bakso_tui.domain.workflow import Action, State


def decide_as_office(session, sub: Submission, actors, rng, received: datetime, now: datetime) -> None:
    """Decide older submissions the way an office would have: a missing document or
    an unreadable scan goes back to the village, a duplicate is rejected, a NIK
    that disagrees is returned or approved with the reason the verifier wrote."""
    age_hours = (now - received).total_seconds() / 3600
    if age_hours < 6 or rng.random() < 0.55:
        return
    at = received + timedelta(hours=rng.uniform(0.5, min(age_hours - 0.1, 30)))
    actor = rng.choice(actors)
    defective = any(a.info.get("demo_defect") for a in sub.attachments)
    concerns = {c.code for c in approval_concerns(sub)}
    # The verifier claimed it first, as the verification workspace does.
    claimed = at - timedelta(minutes=rng.randint(2, 15))
    audit.append(session, actor=actor.login, action="submission.claim",
                 target_type="submission", target_id=sub.id,
                 from_state=sub.state, to_state=State.CLAIMED.value, at=claimed)
    sub.state = State.CLAIMED.value
    if "requirement" in concerns:
        missing = "; ".join(item.label() for item in unmet_requirements(sub, lang="id"))
        record_decision(session, actor, sub, Action.RETURN, reason_code="berkas_kurang",
                        reason=missing, at=at)
    elif defective:
        record_decision(session, actor, sub, Action.RETURN, reason_code="scan_tidak_terbaca",
                        at=at)
    elif "duplicate" in concerns:
        record_decision(session, actor, sub, Action.REJECT, reason_code="duplikat", at=at)
    elif "nik" in concerns and rng.random() < 0.5:
        record_decision(session, actor, sub, Action.RETURN, reason_code="data_tidak_sesuai",
                        reason="Tanggal lahir/jenis kelamin di formulir tidak sesuai dengan NIK",
                        at=at)
    elif "nik" in concerns:
        record_decision(session, actor, sub, Action.APPROVE, at=at,
                        override_reason="Dicek dengan KK dan akta kelahiran: salah ketik "
                                        "di formulir, data NIK yang benar")
    else:
        record_decision(session, actor, sub, Action.APPROVE, at=at)
