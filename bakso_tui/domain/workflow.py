"""Submission and document states, and the moves between them (DESIGN.md §3).

The set is kept small; everything else is a flag beside the state.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """Where a submission (pengajuan) is."""

    QUEUED = "diajukan"
    CLAIMED = "diverifikasi"
    APPROVED = "disetujui"
    REJECTED = "ditolak"
    RETURNED = "dikembalikan"


class DocState(StrEnum):
    """Where an issued document (dokumen terbit) is."""

    WAITING_RECORDING = "menunggu_perekaman"
    READY = "siap_cetak"
    IN_BATCH = "dalam_batch"
    PRINTED = "dicetak"
    HANDED_OVER = "diserahkan"
    RECEIVED = "diterima"


class Flag(StrEnum):
    PRIORITY = "prioritas"
    POSSIBLE_DUPLICATE = "kemungkinan_duplikat"
    PAST_SLA = "lewat_sla"
    NIK_MISMATCH = "nik_tidak_cocok"


class Action(StrEnum):
    """A verifier's decision."""

    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"


# States in which a submission still waits for a verifier.
OPEN_STATES = (State.QUEUED, State.CLAIMED)

SUBMISSION_MOVES: dict[State, frozenset[State]] = {
    State.QUEUED: frozenset({State.CLAIMED}),
    State.CLAIMED: frozenset({State.QUEUED, State.APPROVED, State.REJECTED, State.RETURNED}),
    State.APPROVED: frozenset(),
    State.REJECTED: frozenset(),
    State.RETURNED: frozenset(),
}

DECISION_STATE = {
    Action.APPROVE: State.APPROVED,
    Action.RETURN: State.RETURNED,
    Action.REJECT: State.REJECTED,
}

DOCUMENT_MOVES: dict[DocState, frozenset[DocState]] = {
    DocState.WAITING_RECORDING: frozenset({DocState.READY}),
    DocState.READY: frozenset({DocState.IN_BATCH}),
    DocState.IN_BATCH: frozenset({DocState.PRINTED, DocState.READY}),
    # Straight to the resident when the service is handed over in person.
    DocState.PRINTED: frozenset({DocState.HANDED_OVER, DocState.RECEIVED}),
    DocState.HANDED_OVER: frozenset({DocState.RECEIVED}),
    DocState.RECEIVED: frozenset(),
}


class TransitionError(Exception):
    """A move the workflow does not allow."""

    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"{current} -> {wanted}")
        self.current = current
        self.wanted = wanted


def check_move(current: str, wanted: str) -> None:
    if State(wanted) not in SUBMISSION_MOVES[State(current)]:
        raise TransitionError(current, wanted)


def check_document_move(current: str, wanted: str) -> None:
    if DocState(wanted) not in DOCUMENT_MOVES[DocState(current)]:
        raise TransitionError(current, wanted)
