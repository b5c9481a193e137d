"""The service catalogue, reason codes and priority reasons, from editable TOML files.

``data/services.toml`` and ``data/reasons.toml`` are the source an office edits
(``bakso db upgrade`` copies them into the database). They are validated
strictly: an unknown key, a missing or empty name, a wrong type, an output or a
requirement that is not declared, a requirement listed twice in one service or
``service_days`` below 1 raises `CatalogError`, whose message is one line naming
the file and the entry (``services.toml: services.kia.service_days: …``).

``services.toml`` declares each requirement document once under
``[requirements.<id>]`` and each issued document under ``[outputs.<id>]``; a
service lists the requirement ids it needs with ``mandatory`` and may give a
requirement a more precise name for that service (``name``/``name_en``, e.g. the
KTP-el "of both parents" for a KIA). ``reasons.toml`` holds ``[reasons.<id>]``
(with ``applies_to`` "return"/"reject") and ``[priority.<id>]``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from bakso_tui.errors import SetupError
from bakso_tui.locale import language, t

SERVICES_FILE = "services.toml"
REASONS_FILE = "reasons.toml"

Action = Literal["return", "reject"]
#: Who receives a service's documents: the village officer, in the village's
#: issuance batch, or the resident in person on the village's service day.
Handover = Literal["village", "in_person"]
_Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
#: A service's short name (KK-UBAH, KTP-BARU): capitals, digits and hyphens, up to 12.
_Short = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9-]{0,11}$")]


class CatalogError(SetupError):
    """The catalogue files are wrong; the message names the file and the entry, in one line."""


# --------------------------------------------------------------------------- file schema


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Named(_Strict):
    name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)


class _ReqRef(_Strict):
    id: _Id
    mandatory: bool = False
    name: str | None = Field(default=None, min_length=1)  # a more precise name for this service
    name_en: str | None = Field(default=None, min_length=1)
    one_of: _Id | None = None  # a group: one of its requirements is needed
    mandatory_from_age: int | None = Field(default=None, ge=0, le=120)  # the subject's age
    mandatory_under_age: int | None = Field(default=None, ge=1, le=120)
    when: str | None = Field(default=None, min_length=1)  # needed when … (the verifier judges)
    when_en: str | None = Field(default=None, min_length=1)


class _Service(_Named):
    id: _Id
    short: _Short
    service_days: int = Field(ge=1, le=60)
    needs_recording: bool = False
    handover: Handover = "village"
    outputs: list[_Id] = Field(min_length=1)
    legal_basis: str = ""
    requirements: list[_ReqRef] = Field(min_length=1)


class _ServicesFile(_Strict):
    requirements: dict[_Id, _Named]
    outputs: dict[_Id, _Named]
    services: list[_Service]


class _Reason(_Named):
    applies_to: list[Action] = Field(min_length=1)
    needs_text: bool = False


class _ReasonsFile(_Strict):
    reasons: dict[_Id, _Reason]
    priority: dict[_Id, _Named]


# --------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class _Display:
    id: str
    name: str
    name_en: str

    def display_name(self, lang: str | None = None) -> str:
        """The Indonesian name, or the English one for ``lang="en"`` (default: current)."""
        return self.name_en if (lang or language()) == "en" else self.name


@dataclass(frozen=True)
class RequirementDef(_Display):
    """One requirement of a service.

    ``mandatory``: always needed. ``one_of``: the group this requirement belongs
    to; one requirement of each group is needed (a lost card: the police report;
    a damaged one: the card). ``mandatory_from_age``/``mandatory_under_age``:
    needed when the subject's age is in that range (a KIA photo from 5).
    ``when``/``when_en``: needed in a circumstance the verifier judges (not
    checked by the program).
    """

    mandatory: bool
    one_of: str | None = None
    mandatory_from_age: int | None = None
    mandatory_under_age: int | None = None
    when: str = ""
    when_en: str = ""

    def condition(self, lang: str | None = None) -> str:
        return self.when_en if (lang or language()) == "en" else self.when


@dataclass(frozen=True)
class OutputDef(_Display):
    pass


@dataclass(frozen=True)
class PriorityReasonDef(_Display):
    pass


@dataclass(frozen=True)
class ReasonDef(_Display):
    applies_to: tuple[Action, ...]
    needs_text: bool


@dataclass(frozen=True)
class ServiceDef(_Display):
    short: str
    requirements: tuple[RequirementDef, ...]
    outputs: tuple[str, ...]  # OutputDef ids
    needs_recording: bool
    service_days: int
    legal_basis: str
    handover: Handover = "village"

    @property
    def short_name(self) -> str:
        """The short name for narrow columns (KK-UBAH, KTP-BARU)."""
        return self.short

    def requirement(self, requirement_id: str) -> RequirementDef | None:
        return next((r for r in self.requirements if r.id == requirement_id), None)

    @property
    def mandatory_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.requirements if r.mandatory)


@dataclass(frozen=True)
class Catalog:
    services: tuple[ServiceDef, ...]  # in file order
    outputs: tuple[OutputDef, ...]
    reasons: tuple[ReasonDef, ...]
    priority_reasons: tuple[PriorityReasonDef, ...]

    @cached_property
    def _services(self) -> dict[str, ServiceDef]:
        return {s.id: s for s in self.services}

    @cached_property
    def _outputs(self) -> dict[str, OutputDef]:
        return {o.id: o for o in self.outputs}

    @cached_property
    def _reasons(self) -> dict[str, ReasonDef]:
        return {r.id: r for r in self.reasons}

    @cached_property
    def _priority(self) -> dict[str, PriorityReasonDef]:
        return {p.id: p for p in self.priority_reasons}

    def service(self, service_id: str) -> ServiceDef:
        """The service `service_id`; KeyError if the catalogue has none (likewise below)."""
        return self._services[service_id]

    def output(self, output_id: str) -> OutputDef:
        return self._outputs[output_id]

    def reason(self, reason_id: str) -> ReasonDef:
        return self._reasons[reason_id]

    def priority_reason(self, reason_id: str) -> PriorityReasonDef:
        return self._priority[reason_id]

    def reasons_for(self, action: Action) -> tuple[ReasonDef, ...]:
        """The reason codes a verifier may give when returning or rejecting."""
        return tuple(r for r in self.reasons if action in r.applies_to)

    def as_json_services(self) -> list[dict[str, Any]]:
        """The array ``bakso catalog services --json`` prints (Indonesian names, output ids)."""
        return [
            {
                "id": s.id,
                "short": s.short,
                "name": s.name,
                "requirements": [
                    {"id": r.id, "name": r.name, "mandatory": r.mandatory,
                     **({"one_of": r.one_of} if r.one_of else {}),
                     **({"mandatory_from_age": r.mandatory_from_age}
                        if r.mandatory_from_age is not None else {}),
                     **({"mandatory_under_age": r.mandatory_under_age}
                        if r.mandatory_under_age is not None else {}),
                     **({"when": r.when} if r.when else {})}
                    for r in s.requirements
                ],
                "outputs": list(s.outputs),
                "needs_recording": s.needs_recording,
                "service_days": s.service_days,
                "handover": s.handover,
            }
            for s in self.services
        ]


# --------------------------------------------------------------------------- loading


def load_catalog(directory: Path | None = None) -> Catalog:
    """The catalogue from `directory` (its services.toml and reasons.toml), or the shipped one.

    The shipped catalogue is read once and cached; a directory is read on every call.
    """
    if directory is None:
        return _shipped()
    return _load(Path(directory))


@cache
def _shipped() -> Catalog:
    return _load(None)


def _read(directory: Path | None, name: str) -> tuple[str, dict[str, Any]]:
    if directory is None:
        where = f"bakso_tui/data/{name}"
        text = resources.files("bakso_tui.data").joinpath(name).read_text(encoding="utf-8")
    else:
        path = directory / name
        where = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CatalogError(
                t("catalog.unreadable", file=where, detail=exc.strerror or exc)
            ) from None
    try:
        return where, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(t("catalog.bad_toml", file=where, detail=str(exc))) from None


def _entry(loc: tuple[int | str, ...], raw: Any) -> str:
    """A readable path to the entry: list positions become the entry's ``id`` where it has one."""
    parts: list[str] = []
    node = raw
    for step in loc:
        if isinstance(step, int):
            node = node[step] if isinstance(node, list) and step < len(node) else None
            ident = node.get("id") if isinstance(node, dict) else None
            if isinstance(ident, str) and ident:
                parts.append(ident)
            elif parts:
                parts[-1] += f"[{step}]"
            else:
                parts.append(f"[{step}]")
            continue
        if step == "[key]":  # pydantic's marker for a bad dict key: the key is already named
            continue
        parts.append(str(step))
        node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts)


# Pydantic error types with a message of our own (both languages); others keep pydantic's text.
_ERRORS = {
    "extra_forbidden": "err_unknown_key",
    "missing": "err_missing",
    "greater_than_equal": "err_min",
    "less_than_equal": "err_max",
    "string_too_short": "err_empty",
    "too_short": "err_too_few",
    "string_pattern_mismatch": "err_id",
    "bool_type": "err_bool",
    "int_type": "err_int",
    "string_type": "err_text",
    "list_type": "err_list",
    "dict_type": "err_table",
    "model_type": "err_table",
    "literal_error": "err_choice",
}


def _validate(model: type[BaseModel], where: str, data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = _ERRORS.get(err["type"])
        ctx = dict(err.get("ctx") or {})
        if "expected" in ctx:  # pydantic joins the choices with an English "or"
            ctx["expected"] = str(ctx["expected"]).replace(" or ", ", ")
        detail = t(f"catalog.{key}", **ctx) if key else err["msg"]
        entry = _entry(tuple(err["loc"]), data)
        raise CatalogError(t("catalog.invalid", file=where, entry=entry, detail=detail)) from None


def _check_conditions(where: str, service_id: str, reqs: list[RequirementDef]) -> None:
    """A requirement is mandatory, or in a group, or conditional: never two of these;
    a group has two members or more, and its members share their circumstance."""
    groups: dict[str, list[RequirementDef]] = {}
    for r in reqs:
        entry = f"{service_id}.{r.id}"
        aged = r.mandatory_from_age is not None or r.mandatory_under_age is not None
        kinds = [r.mandatory, r.one_of is not None, aged, bool(r.when)]
        if r.one_of is not None and r.when:  # a conditional group: allowed
            kinds[3] = False
        if sum(kinds) > 1:
            raise CatalogError(t("catalog.conflicting_conditions", file=where, entry=entry))
        if (r.mandatory_from_age is not None and r.mandatory_under_age is not None
                and r.mandatory_from_age >= r.mandatory_under_age):
            raise CatalogError(t("catalog.conflicting_conditions", file=where, entry=entry))
        if r.one_of is not None:
            groups.setdefault(r.one_of, []).append(r)
    for group, members in groups.items():
        entry = f"{service_id}.{group}"
        if len(members) < 2:
            raise CatalogError(t("catalog.lonely_group", file=where, entry=entry))
        if len({m.when for m in members}) > 1:
            raise CatalogError(t("catalog.conflicting_conditions", file=where, entry=entry))


def _load(directory: Path | None) -> Catalog:
    where, raw = _read(directory, SERVICES_FILE)
    sfile: _ServicesFile = _validate(_ServicesFile, where, raw)
    services: list[ServiceDef] = []
    seen: set[str] = set()
    shorts: set[str] = set()
    for svc in sfile.services:
        if svc.id in seen:
            raise CatalogError(t("catalog.duplicate", file=where, entry=f"services.{svc.id}"))
        seen.add(svc.id)
        reqs: list[RequirementDef] = []
        for ref in svc.requirements:
            declared = sfile.requirements.get(ref.id)
            if declared is None:
                raise CatalogError(t("catalog.undeclared_requirement", file=where,
                                     entry=f"{svc.id}.{ref.id}"))
            if any(r.id == ref.id for r in reqs):
                raise CatalogError(t("catalog.duplicate", file=where, entry=f"{svc.id}.{ref.id}"))
            reqs.append(RequirementDef(
                ref.id, ref.name or declared.name, ref.name_en or declared.name_en,
                ref.mandatory, ref.one_of, ref.mandatory_from_age, ref.mandatory_under_age,
                ref.when or "", ref.when_en or ref.when or ""))
        _check_conditions(where, svc.id, reqs)
        for out in svc.outputs:
            if out not in sfile.outputs:
                raise CatalogError(t("catalog.undeclared_output", file=where,
                                     entry=f"{svc.id}.{out}"))
        if len(set(svc.outputs)) != len(svc.outputs):
            raise CatalogError(t("catalog.duplicate", file=where, entry=f"{svc.id}.outputs"))
        if svc.short in shorts:
            raise CatalogError(t("catalog.duplicate", file=where, entry=f"{svc.id}.short"))
        shorts.add(svc.short)
        services.append(ServiceDef(
            id=svc.id, short=svc.short, name=svc.name, name_en=svc.name_en, requirements=tuple(reqs),
            outputs=tuple(svc.outputs), needs_recording=svc.needs_recording,
            service_days=svc.service_days, legal_basis=svc.legal_basis,
            handover=svc.handover,
        ))

    rwhere, rraw = _read(directory, REASONS_FILE)
    rfile: _ReasonsFile = _validate(_ReasonsFile, rwhere, rraw)
    for rid, reason in rfile.reasons.items():
        if len(set(reason.applies_to)) != len(reason.applies_to):
            raise CatalogError(t("catalog.duplicate", file=rwhere,
                                 entry=f"reasons.{rid}.applies_to"))
    return Catalog(
        services=tuple(services),
        outputs=tuple(OutputDef(k, v.name, v.name_en) for k, v in sfile.outputs.items()),
        reasons=tuple(
            ReasonDef(k, v.name, v.name_en, tuple(v.applies_to), v.needs_text)
            for k, v in rfile.reasons.items()
        ),
        priority_reasons=tuple(
            PriorityReasonDef(k, v.name, v.name_en) for k, v in rfile.priority.items()
        ),
    )
