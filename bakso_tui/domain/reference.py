"""Copy the shipped reference data (villages, catalogue, reason codes) into the database.

The files in ``bakso_tui/data`` are the source an office edits; this module
makes the database agree with them. ``bakso db upgrade`` runs it after the
migrations (and ``bakso demo`` and ``bakso seed`` before they seed); it is
idempotent, so running it again changes nothing. Rows that other rows point to
are never deleted: a service dropped from the file is marked inactive, a
village likewise.

It belongs to the rules, not to ``db/``: what the reference data is comes from
:mod:`~bakso_tui.domain.regions` and :mod:`~bakso_tui.domain.catalog`, and the
database layer below them imports nothing from the rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bakso_tui.db.models import Kecamatan, ReasonCode, Requirement, Service, Village
from bakso_tui.domain import regions
from bakso_tui.domain.catalog import Catalog, load_catalog


@dataclass(frozen=True)
class SyncCounts:
    kecamatan: int
    villages: int
    services: int
    requirements: int
    reasons: int


def sync_reference(session: Session, catalog: Catalog | None = None) -> SyncCounts:
    catalog = catalog or load_catalog()

    kecamatan = {k.code: k for k in session.scalars(select(Kecamatan))}
    for kec in regions.office_kecamatan():
        row = kecamatan.get(kec.code) or session.merge(Kecamatan(code=kec.code, name=kec.name))
        row.name = kec.name
    session.flush()

    villages = {v.code: v for v in session.scalars(select(Village))}
    shipped = regions.office_villages()
    for vil in shipped:
        row = villages.get(vil.code)
        if row is None:
            row = Village(code=vil.code)
            session.add(row)
        row.name, row.kind, row.kecamatan_code, row.active = (
            vil.name, vil.kind, vil.kecamatan_code, True
        )
    for code in villages.keys() - {v.code for v in shipped}:
        villages[code].active = False

    services = {s.id: s for s in session.scalars(select(Service))}
    requirements = {(r.service_id, r.id): r for r in session.scalars(select(Requirement))}
    n_req = 0
    for svc in catalog.services:
        row = services.get(svc.id)
        if row is None:
            row = Service(id=svc.id)
            session.add(row)
        row.name, row.name_en = svc.name, svc.name_en
        row.needs_recording, row.service_days = svc.needs_recording, svc.service_days
        row.outputs, row.active = list(svc.outputs), True
        row.handover, row.short = svc.handover, svc.short
        for position, req in enumerate(svc.requirements):
            rrow = requirements.get((svc.id, req.id))
            if rrow is None:
                rrow = Requirement(service_id=svc.id, id=req.id)
                session.add(rrow)
            rrow.name, rrow.name_en = req.name, req.name_en
            rrow.mandatory, rrow.position = req.mandatory, position
            rrow.one_of = req.one_of
            rrow.mandatory_from_age = req.mandatory_from_age
            rrow.mandatory_under_age = req.mandatory_under_age
            rrow.when, rrow.when_en = req.when, req.when_en
            n_req += 1
    # A requirement dropped from a service stays (attachments point to it) but
    # is no longer needed in any way.
    listed = {(s.id, r.id) for s in catalog.services for r in s.requirements}
    for key in requirements.keys() - listed:
        rrow = requirements[key]
        rrow.mandatory, rrow.one_of = False, None
        rrow.mandatory_from_age = rrow.mandatory_under_age = None
        rrow.when = rrow.when_en = ""
    for sid in services.keys() - {s.id for s in catalog.services}:
        services[sid].active = False

    reasons = {r.id: r for r in session.scalars(select(ReasonCode))}
    for reason in catalog.reasons:
        row = reasons.get(reason.id)
        if row is None:
            row = ReasonCode(id=reason.id)
            session.add(row)
        row.name, row.name_en = reason.name, reason.name_en
        row.applies_to, row.needs_text = list(reason.applies_to), reason.needs_text
    session.flush()
    return SyncCounts(
        kecamatan=len(regions.office_kecamatan()),
        villages=len(shipped),
        services=len(catalog.services),
        requirements=n_req,
        reasons=len(catalog.reasons),
    )
