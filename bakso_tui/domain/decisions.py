"""Recording a verifier's decision: approve, return to the village, or reject.

The rules of a decision are :func:`weigh`'s: whether it may be made (the
reason code and its text, the override of what an approval passes over) and
what it writes (an :class:`Outcome`: the decision, the state, the documents
an approval issues). Two writers take an outcome: :func:`record_decision`
writes it here (the state move, the decision row, the issued documents, the
recording booking and the audit rows), on SQLite and on a PostgreSQL without
per-person roles; on one with them the server's ``bakso_decide`` writes it
(``domain/verifier_pg.py``, migration 0015). Whether the decider still holds
the claim (the lease and its fencing token) is checked by the caller,
:func:`bakso_tui.domain.claims.decide`; the demo seeds its decided
submissions through :func:`record_decision` directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, object_session

from bakso_tui.db.changes import queue_changed
from bakso_tui.db.models import Decision, IssuedDocument, ReasonCode, Service, Submission
from bakso_tui.db.types import utcnow
from bakso_tui.domain import audit
from bakso_tui.domain.requirements import Unmet, age_on, subject_birth_date, unmet
from bakso_tui.domain.submissions import applicant_checks
from bakso_tui.domain.users import Actor, Permission, require_in
from bakso_tui.domain.workflow import DECISION_STATE, Action, DocState, check_move
from bakso_tui.errors import Refusal
from bakso_tui.locale import t


class DecisionError(Refusal):
    """A decision the rules refuse, in one line."""


def unmet_requirements(submission: Submission, *, lang: str | None = None) -> list[Unmet]:
    """The requirements (mandatory, groups of alternatives, by the subject's age)
    with nothing attached; see :mod:`bakso_tui.domain.requirements`."""
    attached = {a.requirement_id for a in submission.attachments}
    birth = subject_birth_date(submission.subjects, submission.applicant_birth_date)
    age = age_on(birth, submission.submitted_at.date())
    return unmet(submission.service.requirements, attached, age, lang=lang)


def missing_mandatory(submission: Submission) -> list[str]:
    """Ids of the needed requirements with no attachment (a group: all its ids)."""
    return [rid for item in unmet_requirements(submission) for rid in item.ids]


@dataclass(frozen=True)
class Concern:
    """Something a verifier must weigh before approving, and say why when approving past it.

    ``code``: ``requirement`` (a needed document is missing), ``nik`` (the NIK or
    KK does not agree with the applicant's data) or ``duplicate`` (an open
    submission of the same resident and service). ``text``: one line in the
    user's language.
    """

    code: str
    text: str


def approval_concerns(submission: Submission, *, lang: str | None = None) -> list[Concern]:
    """What an approval of `submission` passes over; each needs an override reason."""
    missing = unmet_requirements(submission, lang=lang)
    found = [Concern("requirement", t("decision.concern_requirement",
                                      names="; ".join(item.label() for item in missing)))
             ] if missing else []
    if submission.nik_mismatch:
        problems = applicant_checks(
            nik_value=submission.applicant_nik, kk_value=submission.applicant_kk,
            birth_date=submission.applicant_birth_date, sex=submission.applicant_sex,
            service_id=submission.service_id, regency_code=submission.village_code[:5])
        detail = "; ".join(p.message() for p in problems) or t("decision.concern_nik_stored")
        found.append(Concern("nik", t("decision.concern_nik", detail=detail)))
    if submission.possible_duplicate:
        session = object_session(submission)
        other = (session.get(Submission, submission.duplicate_of_id)
                 if session is not None and submission.duplicate_of_id is not None else None)
        number = other.number if other is not None else None
        found.append(Concern("duplicate", t("decision.concern_duplicate",
                                            number=number or "?")))
    return found


@dataclass(frozen=True)
class Outcome:
    """What a decision writes, as the rules worked it out (:func:`weigh`): the
    same for the Python writes (:func:`record_decision`) and for the server's
    ``bakso_decide`` (``domain/verifier_pg.py``)."""

    action: Action
    reason_code: str | None
    reason: str
    override_reason: str
    overridden: tuple[str, ...]
    documents: tuple[str, ...]  # the kinds an approval issues
    document_state: str | None

    @property
    def state(self) -> str:
        return DECISION_STATE[self.action].value

    def details(self) -> dict:
        return _details(self.reason, self.override_reason, list(self.overridden))


def weigh(
    session: Session,
    submission: Submission,
    action: Action,
    *,
    reason_code: str | None = None,
    reason: str = "",
    override_reason: str = "",
) -> Outcome:
    """The rules of a decision: refused (DecisionError) or what it writes."""
    check_move(submission.state, DECISION_STATE[action].value)
    overridden: list[str] = []
    if action is Action.APPROVE:
        concerns = approval_concerns(submission)
        if concerns and not override_reason.strip():
            raise DecisionError(t("decision.override_needed",
                                  concerns="; ".join(c.text for c in concerns)))
        overridden = list(dict.fromkeys(c.code for c in concerns))
        service: Service = submission.service
        state = DocState.WAITING_RECORDING if service.needs_recording else DocState.READY
        return Outcome(action, None, reason.strip(), override_reason.strip(), tuple(overridden),
                       tuple(service.outputs), state.value)
    code = session.get(ReasonCode, reason_code) if reason_code else None
    if code is None:
        raise DecisionError(t("decision.reason_needed"))
    if action.value not in code.applies_to:
        raise DecisionError(t("decision.reason_not_for", code=code.id))
    if code.needs_text and not reason.strip():
        raise DecisionError(t("decision.reason_text_needed", code=code.id))
    return Outcome(action, reason_code, reason.strip(), "", (), (), None)


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
    """Decide `submission` with the Python writes (SQLite, a PostgreSQL without
    per-person roles, the demo's seeding)."""
    actor = require_in(session, actor, Permission.DECIDE)
    at = at or utcnow()
    outcome = weigh(session, submission, action, reason_code=reason_code, reason=reason,
                    override_reason=override_reason)
    before = submission.state
    decision = Decision(
        submission_id=submission.id,
        actor_id=actor.id,
        action=action.value,
        reason_code=outcome.reason_code,
        reason=outcome.reason,
        override_reason=outcome.override_reason,
        at=at,
    )
    session.add(decision)
    submission.state = outcome.state
    submission.decided_at = at
    submission.claim_holder_id = None
    submission.claim_expires_at = None
    session.flush()
    queue_changed(session)
    audit.append(
        session,
        actor=actor.login,
        action=f"submission.{action.value}",
        target_type="submission",
        target_id=submission.id,
        from_state=before,
        to_state=outcome.state,
        reason=outcome.reason_code or "",
        details=outcome.details(),
        at=at,
    )
    if action is Action.APPROVE:
        issue_documents(session, actor, submission, outcome, at=at)
        # Documents that wait for biometric recording: a place on a service day.
        # The schedule's rules (and dateutil's recurrences) load with the first
        # approval, not with every session that can claim (issue 16).
        from bakso_tui.domain.schedule.booking import book_after_approval

        book_after_approval(session, actor, submission, at=at)
    return decision


def _details(text: str, override: str, overridden: list[str]) -> dict:
    """The audit row's details: the text, and the override with what it passed over."""
    details: dict = {}
    if text:
        details["text"] = text
    if override:
        details["override"] = override
        details["overridden"] = overridden
    return details


def issue_documents(
    session: Session, actor: Actor, submission: Submission, outcome: Outcome, *, at: datetime
) -> list[IssuedDocument]:
    """The documents an approval issues (the service's outputs, waiting for
    recording where it is needed: :func:`weigh`)."""
    docs = []
    for kind in outcome.documents:
        doc = IssuedDocument(
            submission_id=submission.id,
            village_code=submission.village_code,
            kind=kind,
            state=outcome.document_state,
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


__all__ = ["Concern", "DecisionError", "Outcome", "approval_concerns", "issue_documents",
           "missing_mandatory", "record_decision", "unmet_requirements", "weigh"]
