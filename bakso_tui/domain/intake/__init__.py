"""Intake of village submission packages: strict, idempotent, and never losing one.

A package is a folder or a .zip with ``submission.json`` (schema
``bakso.submission/1``) and the attachment files it names (DESIGN.md §4,
docs/intake.md). Intake reads it without trusting it, checks everything a
village operator could get wrong, inspects every attachment in a bounded child
process, and then either

- registers the submission with its attachments ("accepted"),
- does nothing because (village, external_id) is already known ("duplicate"), or
- keeps the whole package in quarantine with its reasons ("quarantined").

Every reason is one line that says where ("submission.json: applicant.nik: …",
"kk.pdf: …") and what to fix, stored as a code with its parameters. The slow
work (reading, inspecting) happens before the short write transaction.

The parts, in the order a package meets them:

- :mod:`.manifest`: the ``bakso.submission/1`` schema, its bounds and messages;
- :mod:`.checks`: the checks against today, the reference data and the files;
- :mod:`.store`: writing the accepted submission or the quarantined package,
  safe under concurrency, and listing the quarantine;
- :mod:`.run`: :class:`Intake`, one package or many side by side, where no
  package can stop the run;
- :mod:`.reasons`: reasons as codes with parameters.

A corrected re-submission of a returned (dikembalikan) submission comes with a
new ``external_id`` and ``resubmission_of`` naming the returned one (its
external_id in the same village, or its registration number); the new
submission links to it.
"""

from bakso_tui.domain.intake.manifest import SCHEMA, ManifestIn
from bakso_tui.domain.intake.reasons import Reason
from bakso_tui.domain.intake.run import Intake
from bakso_tui.domain.intake.store import IntakeResult, QuarantineRow, Status, list_quarantine

__all__ = [
    "SCHEMA",
    "Intake",
    "IntakeResult",
    "ManifestIn",
    "QuarantineRow",
    "Reason",
    "Status",
    "list_quarantine",
]
