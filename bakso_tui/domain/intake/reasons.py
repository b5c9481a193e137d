"""Why a package was refused: codes with their parameters, translated when shown.

A reason is stored as ``{"code", "where", "params"}``: ``code`` is a message key
(``intake.field_missing``, ``package.symlink``, ``inspect.encrypted``,
``nik.bad_length`` …), ``where`` names the place (``submission.json:
applicant.nik``, ``kk.pdf``) and ``params`` fill the message. What is stored
does not depend on the language of the command that stored it; :meth:`Reason.message`
gives the one line in the language of whoever reads it. Attachment problems are
stored the same way (``attachment.problems``).

Every text parameter and the place are escaped when the reason is made
(:func:`~bakso_tui.locale.plain.visible`) and cut to a few hundred characters:
they come from the package and may hold anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bakso_tui.domain import nik
from bakso_tui.locale import t
from bakso_tui.locale.plain import visible

PARAM_CHARS = 200

# Rows stored before reasons were codes (migration 0008): the text as it was.
LEGACY = "intake.legacy_text"


def _clean(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**15 else visible(value, PARAM_CHARS)
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    return visible(value, PARAM_CHARS)


@dataclass(frozen=True)
class Reason:
    code: str
    where: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        if self.code.startswith("nik."):  # NIK messages name the month in the reader's language
            text = nik.Problem(self.code[4:], "invalid", self.params).message()
        else:
            text = t(self.code, **self.params)
        return f"{self.where}: {text}" if self.where else text

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "where": self.where, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reason:
        if "code" not in data:  # a reason written before codes, should one remain
            return cls(LEGACY, "", {"text": visible(data.get("message", ""))})
        return cls(str(data["code"]), str(data.get("where", "")), dict(data.get("params") or {}))


def reason(code: str, where: str = "", **params: Any) -> Reason:
    """A reason with its place and parameters made safe to show."""
    return Reason(code, visible(where, PARAM_CHARS), {k: _clean(v) for k, v in params.items()})
