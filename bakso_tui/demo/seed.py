"""Seed a demo database: villages, accounts, residents, submissions with real scans.

Everything is synthetic and marked so ("CONTOH / SPESIMEN" on every scan). The
same seed gives the same data; seeding twice adds nothing (each submission's
village + external id is looked up first), and a database that holds real
submissions but was not made by ``bakso demo`` is refused.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bakso_tui.attachments.store import BlobStore
from bakso_tui.db.engine import Database
from bakso_tui.db.models import Attachment, IssuedDocument, Meta, Submission, User, Village
from bakso_tui.db.reference import sync_reference
from bakso_tui.demo import documents
from bakso_tui.demo.people import (
    FEMALE,
    MALE,
    OPERATORS,
    PLACES,
    SECOND,
    make_kk,
    make_nik,
    refuse_real_database,
)
from bakso_tui.domain import audit, users
from bakso_tui.domain.catalog import Catalog, ServiceDef, load_catalog
from bakso_tui.domain.decisions import record_decision
from bakso_tui.domain.submissions import NewSubmission, register
from bakso_tui.domain.workflow import Action, State
from bakso_tui.locale import t

DEMO_ACCOUNTS = (
    ("verif1", "Baiq Nurul Aini", "verifier"),
    ("verif2", "Lalu Muhammad Zaini", "verifier"),
    ("spv1", "Hj. Siti Rohani, S.Sos.", "supervisor"),
    ("admin1", "Ahmad Fauzi, S.Kom.", "admin"),
)

# Rough share of each service in a district's daily work.
SERVICE_WEIGHTS = {
    "akta_kelahiran": 22, "kk_perubahan": 16, "ktp_el_baru": 10, "kia": 10,
    "akta_kematian": 8, "kk_baru": 8, "ktp_el_hilang_rusak": 7, "kk_hilang_rusak": 6,
    "ktp_el_perubahan": 6, "pindah_datang": 7,
}
# Requirements whose document shows the subject (the baby, the deceased), not the applicant.
SUBJECT_DOCUMENTS = frozenset({"bukti_kelahiran", "surat_kematian", "akta_kelahiran"})


@dataclass
class DemoReport:
    villages: int = 0
    users: int = 0
    submissions: int = 0
    attachments: int = 0
    documents: int = 0
    added: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


ProgressFactory = Callable[[str, int], object]


def seed_demo(
    db: Database,
    *,
    submissions: int = 300,
    seed: int = 2018,
    now: datetime | None = None,
    progress: ProgressFactory | None = None,
    batch: int = 25,
) -> DemoReport:
    now = now or datetime.now(UTC)
    with db.write() as session:
        refuse_real_database(session)
        session.merge(Meta(key="demo", value="true"))
        counts = sync_reference(session)
        _accounts(session)
    catalog = load_catalog()
    store = BlobStore()
    villages = _villages(db)
    added = 0
    bar = progress(t("demo.progress"), submissions) if progress else nullcontext()
    with bar as advance:
        for start in range(0, submissions, batch):
            with db.write() as session:
                actors = _actors(session)
                for i in range(start, min(start + batch, submissions)):
                    added += _one(session, catalog, store, villages, actors, seed, i, now)
            if advance is not None and hasattr(advance, "update"):
                advance.update(min(batch, submissions - start))
    db.refresh_statistics()
    with db.read() as session:
        report = DemoReport(
            villages=counts.villages,
            users=session.scalar(select(func.count()).select_from(User)),
            submissions=session.scalar(select(func.count()).select_from(Submission)),
            attachments=session.scalar(select(func.count()).select_from(Attachment)),
            documents=session.scalar(select(func.count()).select_from(IssuedDocument)),
            added=added,
        )
    return report


def _accounts(session: Session) -> None:
    actor = users.cli_actor()
    for login, name, role in DEMO_ACCOUNTS:
        if users.get_user(session, login) is None:
            users.add_user(session, actor, login=login, name=name, role=role)


def _actors(session: Session) -> list[users.Actor]:
    return [
        users.get_user(session, login).actor()
        for login in ("verif1", "verif2", "spv1")
    ]


def _villages(db: Database) -> list[tuple[str, str, str]]:
    with db.read() as session:
        rows = session.execute(
            select(Village.code, Village.name, Village.kecamatan_code).order_by(Village.code)
        ).all()
    from bakso_tui.domain import regions

    kec = {k.code: k.name for k in regions.office_kecamatan()}
    return [(code, name, kec[kcode]) for code, name, kcode in rows]


def _name(rng: random.Random, sex: str) -> str:
    first = rng.choice(MALE if sex == "L" else FEMALE)
    prefix = ""
    if rng.random() < 0.12:
        prefix = "Lalu " if sex == "L" else "Baiq "
    return f"{prefix}{first} {rng.choice(SECOND)}"


def _birth(rng: random.Random, today: date, min_age: int, max_age: int) -> date:
    return today - timedelta(days=rng.randint(min_age * 365, max_age * 365 + 364))


def _one(
    session: Session,
    catalog: Catalog,
    store: BlobStore,
    villages: list[tuple[str, str, str]],
    actors: list[users.Actor],
    seed: int,
    i: int,
    now: datetime,
) -> int:
    """Register demo submission number `i` unless it is already there."""
    rng = random.Random(f"{seed}:{i}")
    village_code, village_name, kecamatan_name = rng.choice(villages)
    external_id = f"DEMO-{seed}-{i:05d}"
    exists = session.scalar(
        select(Submission.id).where(
            Submission.village_code == village_code, Submission.external_id == external_id
        )
    )
    if exists is not None:
        return 0
    service_ids = [s for s in SERVICE_WEIGHTS if _has(catalog, s)]
    service = catalog.service(
        rng.choices(service_ids, weights=[SERVICE_WEIGHTS[s] for s in service_ids])[0]
    )
    today = now.date()
    kecamatan_code = village_code[:8]

    # The applicant, and the subject where the service is about someone else.
    sex = rng.choice("LP")
    min_age = 17 if service.id.startswith(("ktp_el", "kk")) else 20
    birth = _birth(rng, today, min_age, 78)
    nik = make_nik(kecamatan_code, birth, sex, rng.randint(1, 9999))
    kk = make_kk(kecamatan_code, _birth(rng, today, 1, 15), rng.randint(1, 9999))
    stated_birth, stated_sex = birth, sex
    if rng.random() < 0.04:  # a typo on the form: the NIK check will flag it
        if rng.random() < 0.5:
            stated_birth = birth + timedelta(days=1)
        else:
            stated_sex = "L" if sex == "P" else "P"
    name = _name(rng, sex)
    address = f"Dusun {rng.choice(SECOND)} RT {rng.randint(1, 9):03d}/RW {rng.randint(1, 6):03d}"
    applicant = documents.Person(
        name=name, nik=nik, kk_number=kk, birth_date=birth, birth_place=rng.choice(PLACES),
        sex=sex, address=address, village=village_name, kecamatan=kecamatan_name,
        father_name=_name(rng, "L"), mother_name=_name(rng, "P"),
    )
    subject = applicant
    subjects: list[dict] = []
    if service.id in ("akta_kelahiran", "kia", "akta_kematian"):
        s_sex = rng.choice("LP")
        if service.id == "akta_kelahiran":
            s_birth = today - timedelta(days=rng.randint(3, 60))
        elif service.id == "kia":
            s_birth = _birth(rng, today, 0, 16)
        else:
            s_birth = _birth(rng, today, 60, 95)
        s_name = _name(rng, s_sex)
        s_nik = "" if service.id == "akta_kelahiran" else make_nik(
            kecamatan_code, s_birth, s_sex, rng.randint(1, 9999)
        )
        subject = documents.Person(
            name=s_name, nik=s_nik, kk_number=kk, birth_date=s_birth,
            birth_place=rng.choice(PLACES), sex=s_sex, address=address,
            village=village_name, kecamatan=kecamatan_name,
            father_name=name if sex == "L" else _name(rng, "L"),
            mother_name=name if sex == "P" else _name(rng, "P"),
        )
        role = {"akta_kelahiran": "anak", "kia": "anak", "akta_kematian": "almarhum"}[service.id]
        subjects.append({
            "role": role, "name": s_name, "nik": s_nik, "birth_date": s_birth.isoformat(),
            "sex": s_sex, "birth_place": subject.birth_place,
        })
        if service.id == "akta_kematian":
            subjects[0]["death_date"] = (today - timedelta(days=rng.randint(1, 25))).isoformat()

    priority: list[str] = []
    age = (today - birth).days // 365
    if age >= 60 and rng.random() < 0.6:
        priority.append("lansia")
    if rng.random() < 0.05:
        priority.append(rng.choice(["disabilitas", "sakit_terbaring", "terpencil"]))
    priority = [p for p in priority if _has_priority(catalog, p)]

    # Age of the submission: most within the last three days, a tail of older ones.
    hours = rng.expovariate(1 / 30) if rng.random() < 0.85 else rng.uniform(72, 24 * 14)
    submitted = now - timedelta(hours=hours, minutes=rng.randint(0, 59))
    received = submitted + timedelta(minutes=rng.randint(1, 20))

    sub = register(
        session,
        NewSubmission(
            external_id=external_id,
            village_code=village_code,
            service_id=service.id,
            submitted_at=submitted,
            operator_name=f"{rng.choice(OPERATORS)} (operator {village_name})",
            operator_phone=f"08{rng.randint(10, 99)}{rng.randint(1000_0000, 9999_9999)}",
            applicant_nik=nik,
            applicant_kk=kk,
            applicant_name=name,
            applicant_birth_date=stated_birth,
            applicant_sex=stated_sex,
            applicant_address=address,
            subjects=subjects,
            priority_reasons=priority,
            manifest={"schema": "bakso.submission/1", "demo": True},
        ),
        actor="demo",
        received=received,
    )
    _attach(session, store, sub, service, applicant, subject, rng)
    _decide(session, sub, actors, rng, received, now)
    return 1


def _has(catalog: Catalog, service_id: str) -> bool:
    try:
        catalog.service(service_id)
    except KeyError:
        return False
    return True


def _has_priority(catalog: Catalog, reason: str) -> bool:
    return any(p.id == reason for p in catalog.priority_reasons)


def _attach(session, store, sub, service: ServiceDef, applicant, subject, rng) -> None:
    skip_one = rng.random() < 0.06  # the village forgot a mandatory document
    skipped = False
    for req in service.requirements:
        if not req.mandatory and rng.random() < 0.6:
            continue
        if req.mandatory and skip_one and not skipped:
            skipped = True
            continue
        if req.id not in documents.REQUIREMENT_KINDS:
            continue
        defect = rng.choice(documents.DEFECTS) if rng.random() < 0.1 else None
        person = subject if req.id in SUBJECT_DOCUMENTS else applicant
        generated = documents.render_requirement(req.id, person, rng=rng, defect=defect)
        sha = store.put(session, generated.data, generated.media_type)
        session.add(
            Attachment(
                submission_id=sub.id,
                service_id=service.id,
                requirement_id=req.id,
                filename=generated.filename,
                sha256=sha,
                size=len(generated.data),
                media_type=generated.media_type,
                pages=_pages(generated),
                info={"demo_defect": generated.defect} if generated.defect else {},
            )
        )
    session.flush()
    session.refresh(sub, ["attachments"])


def _pages(generated: documents.GeneratedFile) -> int:
    if generated.media_type != "application/pdf":
        return 1
    import io

    from pypdf import PdfReader

    # Our own generated file, not village input: intake inspects untrusted files.
    return len(PdfReader(io.BytesIO(generated.data)).pages)


def _decide(session, sub: Submission, actors, rng, received: datetime, now: datetime) -> None:
    """Decide older submissions the way an office would have."""
    age_hours = (now - received).total_seconds() / 3600
    if age_hours < 6 or rng.random() < 0.55:
        return
    at = received + timedelta(hours=rng.uniform(0.5, min(age_hours - 0.1, 30)))
    actor = rng.choice(actors)
    defective = any(a.info.get("demo_defect") for a in sub.attachments)
    from bakso_tui.domain.decisions import missing_mandatory

    missing = missing_mandatory(sub)
    # The verifier claimed it first, as the verification workspace does.
    claimed = at - timedelta(minutes=rng.randint(2, 15))
    audit.append(session, actor=actor.login, action="submission.claim",
                 target_type="submission", target_id=sub.id,
                 from_state=sub.state, to_state=State.CLAIMED.value, at=claimed)
    sub.state = State.CLAIMED.value
    if missing:
        record_decision(session, actor, sub, Action.RETURN, reason_code="berkas_kurang",
                        reason=", ".join(missing), at=at)
    elif defective:
        record_decision(session, actor, sub, Action.RETURN, reason_code="scan_tidak_terbaca",
                        at=at)
    elif sub.possible_duplicate:
        record_decision(session, actor, sub, Action.REJECT, reason_code="duplikat", at=at)
    else:
        record_decision(session, actor, sub, Action.APPROVE, at=at)
