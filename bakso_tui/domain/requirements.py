"""Which of a service's requirements a submission still lacks.

A service's requirement is needed in one of four ways (``data/services.toml``):

- ``mandatory``: always;
- ``one_of`` a group: one requirement of the group is enough (a lost KTP-el:
  the police report; a damaged one: the card), and a group with none is unmet;
- ``mandatory_from_age`` / ``mandatory_under_age``: when the subject's age on
  the day the village submitted is in that range (a KIA photo from 5; proof of
  marriage for a KTP-el before 17). The subject is the first person the
  submission is about (the child of a KIA) or else the applicant;
- ``when``: in a circumstance the verifier judges (joining someone's KK); the
  program shows the condition and checks nothing.

:func:`unmet` is a pure function over the requirement rows (the catalogue's
:class:`~bakso_tui.domain.catalog.RequirementDef` or the database's
``Requirement``), so intake, the decision rules and the screens agree.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, Protocol

from bakso_tui.locale import language

UnmetKind = Literal["mandatory", "one_of", "age"]


class RequirementLike(Protocol):
    id: str
    name: str
    name_en: str
    mandatory: bool
    one_of: str | None
    mandatory_from_age: int | None
    mandatory_under_age: int | None
    when: str


@dataclass(frozen=True)
class Unmet:
    """A requirement (or a group of alternatives) with nothing attached."""

    kind: UnmetKind
    ids: tuple[str, ...]
    names: tuple[str, ...]  # in the language asked for
    lang: str = "id"

    def label(self) -> str:
        """The requirement's name; a group's names joined by "atau"/"or"."""
        return (" or " if self.lang == "en" else " atau ").join(self.names)


def age_on(birth: date, day: date) -> int:
    """Whole years from `birth` to `day` (0 for a birth after `day`)."""
    years = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
    return max(years, 0)


def subject_birth_date(subjects: Iterable[Mapping[str, Any]] | None,
                       applicant_birth: date) -> date:
    """The birth date of the person the service is about: the first subject
    with a readable birth date, else the applicant."""
    for subject in subjects or ():
        value = subject.get("birth_date") if isinstance(subject, Mapping) else None
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                continue
    return applicant_birth


def needed_by_age(req: RequirementLike, age: int | None) -> bool:
    """Whether an age-conditional requirement is needed at `age` (unknown: no)."""
    if age is None or (req.mandatory_from_age is None and req.mandatory_under_age is None):
        return False
    if req.mandatory_from_age is not None and age < req.mandatory_from_age:
        return False
    return not (req.mandatory_under_age is not None and age >= req.mandatory_under_age)


def unmet(requirements: Sequence[RequirementLike], attached: Collection[str],
          age: int | None = None, *, lang: str | None = None) -> list[Unmet]:
    """The requirements (and groups) with nothing attached, in catalogue order."""
    lang = lang or language()
    english = lang == "en"

    def name(r: RequirementLike) -> str:
        return r.name_en if english else r.name

    found: list[Unmet] = []
    groups: dict[str, list[RequirementLike]] = {}
    for req in requirements:
        if req.one_of:
            if req.when:  # a group needed in a circumstance: the verifier judges
                continue
            if req.one_of not in groups:
                groups[req.one_of] = []
                found.append(Unmet("one_of", (req.one_of,), ()))  # a place in the order
            groups[req.one_of].append(req)
            continue
        if req.id in attached:
            continue
        if req.mandatory:
            found.append(Unmet("mandatory", (req.id,), (name(req),), lang))
        elif needed_by_age(req, age):
            found.append(Unmet("age", (req.id,), (name(req),), lang))
    result: list[Unmet] = []
    for item in found:
        if item.kind != "one_of":
            result.append(item)
            continue
        members = groups[item.ids[0]]
        if any(m.id in attached for m in members):
            continue
        result.append(Unmet("one_of", tuple(m.id for m in members),
                            tuple(name(m) for m in members), lang))
    return result


__all__ = ["Unmet", "age_on", "needed_by_age", "subject_birth_date", "unmet"]
