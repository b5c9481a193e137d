"""The service catalogue, reason codes and priority reasons, from the shipped TOML files.

``data/services.toml`` and ``data/reasons.toml`` are the source an office edits;
they are validated strictly here (an unknown key, a missing name, an output or
requirement that is not declared: one line naming the file and the entry) and
copied into the database by ``bakso db upgrade``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bakso_tui.locale import t


class CatalogError(Exception):
    """The catalogue files are wrong; the message names the file and the entry."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Named(_Strict):
    name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)


class _ReqRef(_Strict):
    id: str
    mandatory: bool


class _Service(_Named):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,47}$")
    service_days: int = Field(ge=1, le=60)
    needs_recording: bool = False
    outputs: list[str] = Field(min_length=1)
    legal_basis: str = ""
    requirements: list[_ReqRef] = Field(min_length=1)


class _ServicesFile(_Strict):
    requirements: dict[str, _Named]
    outputs: dict[str, _Named]
    services: list[_Service]


class _Reason(_Named):
    applies_to: list[Literal["return", "reject"]] = Field(min_length=1)
    needs_text: bool = False


class _ReasonsFile(_Strict):
    reasons: dict[str, _Reason]
    priority: dict[str, _Named]


@dataclass(frozen=True)
class _Display:
    id: str
    name: str
    name_en: str

    def display_name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name


@dataclass(frozen=True)
class RequirementDef(_Display):
    mandatory: bool


@dataclass(frozen=True)
class OutputDef(_Display):
    pass


@dataclass(frozen=True)
class PriorityReasonDef(_Display):
    pass


@dataclass(frozen=True)
class ReasonDef(_Display):
    applies_to: tuple[str, ...]
    needs_text: bool


@dataclass(frozen=True)
class ServiceDef(_Display):
    requirements: tuple[RequirementDef, ...]
    outputs: tuple[str, ...]
    needs_recording: bool
    service_days: int
    legal_basis: str

    def requirement(self, requirement_id: str) -> RequirementDef | None:
        return next((r for r in self.requirements if r.id == requirement_id), None)


@dataclass(frozen=True)
class Catalog:
    services: tuple[ServiceDef, ...]
    outputs: tuple[OutputDef, ...]
    reasons: tuple[ReasonDef, ...]
    priority_reasons: tuple[PriorityReasonDef, ...]

    def service(self, service_id: str) -> ServiceDef:
        for svc in self.services:
            if svc.id == service_id:
                return svc
        raise KeyError(service_id)

    def output(self, output_id: str) -> OutputDef:
        return next(o for o in self.outputs if o.id == output_id)

    def reason(self, reason_id: str) -> ReasonDef:
        return next(r for r in self.reasons if r.id == reason_id)

    def as_json_services(self) -> list[dict]:
        """The array ``bakso catalog services --json`` prints."""
        return [
            {
                "id": s.id,
                "name": s.name,
                "requirements": [
                    {"id": r.id, "name": r.name, "mandatory": r.mandatory} for r in s.requirements
                ],
                "outputs": list(s.outputs),
                "needs_recording": s.needs_recording,
                "service_days": s.service_days,
            }
            for s in self.services
        ]


def _read(directory: Path | None, name: str) -> tuple[str, dict]:
    if directory is not None:
        path = directory / name
        where = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CatalogError(t("catalog.unreadable", file=where, detail=exc.strerror)) from None
    else:
        where = f"bakso_tui/data/{name}"
        text = resources.files("bakso_tui.data").joinpath(name).read_text(encoding="utf-8")
    try:
        return where, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(t("catalog.bad_toml", file=where, detail=str(exc))) from None


def _validate(model: type[BaseModel], where: str, data: dict):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        entry = ".".join(str(p) for p in err["loc"])
        raise CatalogError(t("catalog.invalid", file=where, entry=entry, detail=err["msg"])) from None


def load_catalog(directory: Path | None = None) -> Catalog:
    """The catalogue from `directory` (services.toml, reasons.toml), or the shipped one."""
    if directory is None:
        return _shipped()
    return _load(directory)


@cache
def _shipped() -> Catalog:
    return _load(None)


def _load(directory: Path | None) -> Catalog:
    where, raw = _read(directory, "services.toml")
    services_file: _ServicesFile = _validate(_ServicesFile, where, raw)
    services = []
    seen: set[str] = set()
    for svc in services_file.services:
        if svc.id in seen:
            raise CatalogError(t("catalog.duplicate", file=where, entry=svc.id))
        seen.add(svc.id)
        reqs = []
        req_ids: set[str] = set()
        for ref in svc.requirements:
            named = services_file.requirements.get(ref.id)
            if named is None:
                raise CatalogError(t("catalog.undeclared", file=where, entry=f"{svc.id}.{ref.id}"))
            if ref.id in req_ids:
                raise CatalogError(t("catalog.duplicate", file=where, entry=f"{svc.id}.{ref.id}"))
            req_ids.add(ref.id)
            reqs.append(RequirementDef(ref.id, named.name, named.name_en, ref.mandatory))
        for out in svc.outputs:
            if out not in services_file.outputs:
                raise CatalogError(t("catalog.undeclared", file=where, entry=f"{svc.id}.{out}"))
        services.append(ServiceDef(
            id=svc.id, name=svc.name, name_en=svc.name_en, requirements=tuple(reqs),
            outputs=tuple(svc.outputs), needs_recording=svc.needs_recording,
            service_days=svc.service_days, legal_basis=svc.legal_basis,
        ))
    rwhere, rraw = _read(directory, "reasons.toml")
    reasons_file: _ReasonsFile = _validate(_ReasonsFile, rwhere, rraw)
    return Catalog(
        services=tuple(services),
        outputs=tuple(OutputDef(k, v.name, v.name_en) for k, v in services_file.outputs.items()),
        reasons=tuple(
            ReasonDef(k, v.name, v.name_en, tuple(v.applies_to), v.needs_text)
            for k, v in reasons_file.reasons.items()
        ),
        priority_reasons=tuple(
            PriorityReasonDef(k, v.name, v.name_en) for k, v in reasons_file.priority.items()
        ),
    )
