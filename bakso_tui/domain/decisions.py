"""Recording a verifier's decision: approve, return to the village, or reject.

:func:`record_decision` is the single place a decision changes a submission:
the state move, the decision row with its reason code, the issued documents of
an approval, and the audit rows. Claiming and the fencing token (who may
decide, and whether their lease still holds) are checked by the caller in the
verification workspace before it calls this.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bakso_tui.db.models import Decision, IssuedDocument, ReasonCode, Service, Submission
from bakso_tui.db.types import utcnow
from bakso_tui.domain import audit
from bakso_tui.domain.users import Actor, Permission, require
from bakso_tui.domain.workflow import DECISION_STATE, Action, DocState, check_move
from bakso_tui.locale import t


class DecisionError(Exception):
    """A decision the rules refuse, in one line."""


def missing_mandatory(submission: Submission) -> list[str]:
    """Ids of the mandatory requirements with no attachment."""
    attached = {a.requirement_id for a in submission.attachments}
    return [
        r.id for r in submission.service.requirements if r.mandatory and r.id not in attached
    ]


def record_decision(
    session: Session,
    actor: Actor,
    submission: Submission,
    action: Action,
    *,
    reason_code: str | None = None,
    reason: str = "",
    override_reason: str = "",
    at: datetime | None = None,
) -> Decision:
    require(actor, Permission.DECIDE)
    at = at or utcnow()
    target = DECISION_STATE[action]
    check_move(submission.state, target.value)

    if action is Action.APPROVE:
        missing = missing_mandatory(submission)
        if missing and not override_reason.strip():
            raise DecisionError(t("decision.missing_mandatory", ids=", ".join(missing)))
    else:
        code = session.get(ReasonCode, reason_code) if reason_code else None
        if code is None:
            raise DecisionError(t("decision.reason_needed"))
        if action.value not in code.applies_to:
            raise DecisionError(t("decision.reason_not_for", code=code.id))
        if code.needs_text and not reason.strip():
            raise DecisionError(t("decision.reason_text_needed", code=code.id))

    before = submission.state
    decision = Decision(
        submission_id=submission.id,
        actor_id=actor.id,
        action=action.value,
        reason_code=reason_code if action is not Action.APPROVE else None,
        reason=reason.strip(),
        override_reason=override_reason.strip(),
        at=at,
    )
    session.add(decision)
    submission.state = target.value
    submission.decided_at = at
    submission.claim_holder_id = None
    submission.claim_expires_at = None
    session.flush()
    audit.append(
        session,
        actor=actor.login,
        action=f"submission.{action.value}",
        target_type="submission",
        target_id=submission.id,
        from_state=before,
        to_state=target.value,
        reason=reason_code or "",
        details={"text": reason.strip(), "override": override_reason.strip()}
        if reason.strip() or override_reason.strip()
        else {},
        at=at,
    )
    if action is Action.APPROVE:
        issue_documents(session, actor, submission, at=at)
    return decision


def issue_documents(
    session: Session, actor: Actor, submission: Submission, *, at: datetime
) -> list[IssuedDocument]:
    """The service's output documents, waiting for recording where it is needed."""
    service: Service = submission.service
    state = DocState.WAITING_RECORDING if service.needs_recording else DocState.READY
    docs = []
    for kind in service.outputs:
        doc = IssuedDocument(
            submission_id=submission.id,
            village_code=submission.village_code,
            kind=kind,
            state=state.value,
            created_at=at,
            updated_at=at,
        )
        session.add(doc)
        docs.append(doc)
    session.flush()
    for doc in docs:
        audit.append(
            session,
            actor=actor.login,
            action="document.create",
            target_type="document",
            target_id=doc.id,
            to_state=doc.state,
            details={"submission": submission.id, "kind": doc.kind},
            at=at,
        )
    return docs


__all__ = ["DecisionError", "issue_documents", "missing_mandatory", "record_decision"]
