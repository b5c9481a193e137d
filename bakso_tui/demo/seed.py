"""Seed a demo database: villages, accounts, residents, submissions with real scans.

Everything is synthetic and marked so ("CONTOH / SPESIMEN" on every scan). The
same seed gives the same data; seeding twice adds nothing (each submission's
village + external id is looked up first), and a database that holds real
submissions but was not made by ``bakso demo`` is refused.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bakso_tui.attachments.probe import inspect_in_process
from bakso_tui.attachments.store import BlobStore
from bakso_tui.config import Limits
from bakso_tui.db.engine import Database
from bakso_tui.db.models import (
    Attachment,
    BatchDocument,
    IssuanceBatch,
    IssuedDocument,
    Submission,
    User,
    Village,
)
from bakso_tui.demo import documents, links
from bakso_tui.demo.batches import seed_batches
from bakso_tui.demo.decisions import decide_as_office
from bakso_tui.demo.people import (
    APPLICANT_AGES,
    DUPLICATE_SHARE,
    OPERATORS,
    PLACES,
    RESUBMISSION_SHARE,
    SECOND,
    SERVICE_WEIGHTS,
    SUBJECT_DOCUMENTS,
    SUBJECT_ROLES,
    birth_between,
    make_kk,
    make_nik,
    person_name,
    subject_birth,
)
from bakso_tui.domain import demo_mode, regions, users
from bakso_tui.domain.catalog import Catalog, ServiceDef, load_catalog
from bakso_tui.domain.requirements import age_on, needed_by_age
from bakso_tui.domain.reference import sync_reference
from bakso_tui.domain.submissions import NewSubmission, register
from bakso_tui.domain.workflow import DocState
from bakso_tui.locale import t

DEMO_ACCOUNTS = (
    ("verif1", "Baiq Nurul Aini", "verifier"),
    ("verif2", "Lalu Muhammad Zaini", "verifier"),
    ("spv1", "Hj. Siti Rohani, S.Sos.", "supervisor"),
    ("admin1", "Ahmad Fauzi, S.Kom.", "admin"),
)

@dataclass
class DemoReport:
    villages: int = 0
    users: int = 0
    submissions: int = 0
    attachments: int = 0
    documents: int = 0  # every issued document, in whatever state
    added: int = 0
    # The documents by where they are; they add up to `documents`.
    documents_in_batches: int = 0
    documents_ready: int = 0  # ready to print, in no batch yet
    documents_waiting: int = 0  # waiting for the resident's biometric recording
    batches: int = 0

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
        demo_mode.mark_synthetic(session, "demo")
        counts = sync_reference(session)
        _accounts(session)
    catalog = load_catalog()
    store = BlobStore()
    villages = _villages(db)
    # The mobile-service plans come first, as a running office would have had them:
    # approvals below book onto them, and the past weeks' days have lists to mark.
    from bakso_tui.demo.schedule import seed_schedule

    seed_schedule(db, now, recording_villages(catalog, villages, seed, submissions))
    # Seeding again adds nothing: the demo's external ids already there, read once
    # (a linked submission takes its earlier one's village, so the id alone counts).
    with db.read() as session:
        seeded = set(session.scalars(select(Submission.external_id)
                                     .where(Submission.external_id.like(f"DEMO-{seed}-%"))))
    added = 0
    bar = progress(t("demo.progress"), submissions) if progress else nullcontext()
    with bar as advance:
        for start in range(0, submissions, batch):
            with db.write() as session:
                actors = _actors(session)
                for i in range(start, min(start + batch, submissions)):
                    if f"DEMO-{seed}-{i:05d}" not in seeded:
                        added += _one(session, catalog, store, villages, actors, seed, i, now)
            if advance is not None and hasattr(advance, "update"):
                advance.update(min(batch, submissions - start))
    with db.read() as session:
        supervisor = users.get_user(session, "spv1").actor()
    seed_batches(db, supervisor, now=now, seed=seed)
    db.refresh_statistics()
    with db.read() as session:
        report = DemoReport(
            villages=counts.villages,
            users=session.scalar(select(func.count()).select_from(User)),
            submissions=session.scalar(select(func.count()).select_from(Submission)),
            attachments=session.scalar(select(func.count()).select_from(Attachment)),
            documents=session.scalar(select(func.count()).select_from(IssuedDocument)),
            added=added,
            documents_in_batches=session.scalar(
                select(func.count()).select_from(BatchDocument)),
            documents_ready=_documents_in(session, DocState.READY),
            documents_waiting=_documents_in(session, DocState.WAITING_RECORDING),
            batches=session.scalar(select(func.count()).select_from(IssuanceBatch)),
        )
    return report


def _documents_in(session: Session, state: DocState) -> int:
    return session.scalar(select(func.count()).select_from(IssuedDocument)
                          .where(IssuedDocument.state == state.value))


def _accounts(session: Session) -> None:
    actor = users.cli_actor()
    for login, name, role in DEMO_ACCOUNTS:
        if users.get_user(session, login) is None:
            users.add_user(session, actor, login=login, name=name, role=role)
            demo_mode.add_demo_account(session, login)


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
    kec = {k.code: k.name for k in regions.office_kecamatan()}
    return [(r.code, r.name, kec[r.kecamatan_code]) for r in rows]


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
    """Register demo submission number `i` (the caller knows it is not there yet)."""
    rng = random.Random(f"{seed}:{i}")
    (village_code, village_name, kecamatan_name), service = _choose(rng, catalog, villages)
    external_id = f"DEMO-{seed}-{i:05d}"
    today = now.date()
    prefix = f"DEMO-{seed}-"
    # A few point at an earlier one: the same request sent twice (the D flag), or a
    # returned one sent back corrected (a re-submission).
    link = rng.random()
    earlier = None
    if link < DUPLICATE_SHARE:
        earlier = links.open_original(session, prefix, now)
    elif link < DUPLICATE_SHARE + RESUBMISSION_SHARE:
        earlier = links.returned_original(session, prefix, now)
    if earlier is not None:
        return _linked(session, catalog, store, villages, actors, rng, external_id, earlier,
                       resubmission=link >= DUPLICATE_SHARE, now=now)
    kecamatan_code = village_code[:8]

    # The applicant, and the subject where the service is about someone else.
    sex = rng.choice("LP")
    low, high = APPLICANT_AGES.get(service.id, (20, 78))
    birth = birth_between(rng, today, low, high)
    nik = make_nik(kecamatan_code, birth, sex, rng.randint(1, 9999))
    kk = make_kk(kecamatan_code, birth_between(rng, today, 1, 15), rng.randint(1, 9999))
    stated_birth, stated_sex = birth, sex
    if rng.random() < 0.04:  # a typo on the form: the NIK check will flag it
        if rng.random() < 0.5:
            stated_birth = birth + timedelta(days=1)
        else:
            stated_sex = "L" if sex == "P" else "P"
    name = person_name(rng, sex)
    address = f"Dusun {rng.choice(SECOND)} RT {rng.randint(1, 9):03d}/RW {rng.randint(1, 6):03d}"
    applicant = documents.Person(
        name=name, nik=nik, kk_number=kk, birth_date=birth, birth_place=rng.choice(PLACES),
        sex=sex, address=address, village=village_name, kecamatan=kecamatan_name,
        father_name=person_name(rng, "L"), mother_name=person_name(rng, "P"),
    )
    subject = applicant
    subjects: list[dict] = []
    role = SUBJECT_ROLES.get(service.id)
    if role is not None:
        s_sex = rng.choice("LP")
        s_birth = subject_birth(rng, service.id, today, birth)
        child = role == "anak"
        s_name = person_name(rng, s_sex, child=child)
        s_nik = "" if service.id == "akta_kelahiran" else make_nik(
            kecamatan_code, s_birth, s_sex, rng.randint(1, 9999)
        )
        subject = documents.Person(
            name=s_name, nik=s_nik, kk_number=kk, birth_date=s_birth,
            birth_place=rng.choice(PLACES), sex=s_sex, address=address,
            village=village_name, kecamatan=kecamatan_name,
            father_name=name if sex == "L" else person_name(rng, "L"),
            mother_name=name if sex == "P" else person_name(rng, "P"),
        )
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
    decide_as_office(session, sub, actors, rng, received, now)
    return 1


def _choose(rng: random.Random, catalog: Catalog,
            villages: list[tuple[str, str, str]]) -> tuple[tuple[str, str, str], ServiceDef]:
    """Demo submission's village and service: the first draws of its random stream."""
    village = rng.choice(villages)
    service_ids = [s for s in SERVICE_WEIGHTS if _has(catalog, s)]
    service = catalog.service(
        rng.choices(service_ids, weights=[SERVICE_WEIGHTS[s] for s in service_ids])[0]
    )
    return village, service


def recording_villages(catalog: Catalog, villages: list[tuple[str, str, str]], seed: int,
                       submissions: int) -> list[str]:
    """The villages where the demo will place a service that needs biometric recording."""
    found = set()
    for i in range(submissions):
        (code, _, _), service = _choose(random.Random(f"{seed}:{i}"), catalog, villages)
        if service.needs_recording:
            found.add(code)
    return sorted(found)


def _has(catalog: Catalog, service_id: str) -> bool:
    try:
        catalog.service(service_id)
    except KeyError:
        return False
    return True


def _has_priority(catalog: Catalog, reason: str) -> bool:
    return any(p.id == reason for p in catalog.priority_reasons)


def _attach(session, store, sub, service: ServiceDef, applicant, subject, rng, *,
            complete: bool = False) -> None:
    """The scans a village would send: what is needed (one of each group of
    alternatives), some optional ones; now and then one needed document forgotten
    and some defective scans, unless `complete` (a corrected re-submission)."""
    skip_one = not complete and rng.random() < 0.06  # the village forgot a needed document
    skipped = False
    age = age_on(subject.birth_date, sub.submitted_at.date())
    chosen = {}  # group -> the member the village has
    for req in service.requirements:
        if req.one_of and req.one_of not in chosen:
            chosen[req.one_of] = rng.choice(
                [r.id for r in service.requirements if r.one_of == req.one_of])
    for req in service.requirements:
        if req.one_of:
            needed = chosen[req.one_of] == req.id and (not req.when or rng.random() < 0.4)
        else:
            needed = req.mandatory or needed_by_age(req, age)
        if not needed and rng.random() < 0.6:
            continue
        if needed and skip_one and not skipped:
            skipped = True
            continue
        if req.id not in documents.REQUIREMENT_KINDS:
            continue
        defect = rng.choice(documents.DEFECTS) if not complete and rng.random() < 0.1 else None
        person = subject if req.id in SUBJECT_DOCUMENTS else applicant
        generated = documents.render_requirement(req.id, person, rng=rng, defect=defect)
        sha = store.put(session, generated.data, generated.media_type)
        # Our own files, inspected as intake inspects a village's: the warnings
        # (a low resolution, an empty page) show on the checklist.
        inspection = inspect_in_process(generated.data, generated.filename, Limits())
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
                problems=[{"code": p.code, "params": p.params} for p in inspection.problems],
            )
        )
    session.flush()
    session.refresh(sub, ["attachments"])


def _linked(session, catalog: Catalog, store, villages, actors, rng, external_id: str,
            earlier: links.Earlier, *, resubmission: bool, now: datetime) -> int:
    """A submission that repeats `earlier` (a possible duplicate) or corrects it
    (a re-submission of a returned one)."""
    service = catalog.service(earlier.service_id)
    village_name, kecamatan_name = next((n, k) for c, n, k in villages
                                        if c == earlier.village_code)
    start = earlier.decided_at if resubmission and earlier.decided_at else earlier.submitted_at
    latest = now - timedelta(minutes=10)
    submitted = min(start + timedelta(hours=rng.uniform(0.5, 30)), latest)
    received = min(submitted + timedelta(minutes=rng.randint(1, 20)), latest)
    applicant = documents.Person(
        name=earlier.name, nik=earlier.nik, kk_number=earlier.kk,
        birth_date=earlier.birth_date, birth_place=rng.choice(PLACES), sex=earlier.sex,
        address=earlier.address, village=village_name, kecamatan=kecamatan_name,
        father_name=person_name(rng, "L"), mother_name=person_name(rng, "P"),
    )
    subject = applicant
    if earlier.subjects and earlier.subjects[0].get("birth_date"):
        first = earlier.subjects[0]
        subject = documents.Person(
            name=first.get("name", ""), nik=first.get("nik", ""), kk_number=earlier.kk,
            birth_date=date.fromisoformat(first["birth_date"]),
            birth_place=first.get("birth_place", rng.choice(PLACES)),
            sex=first.get("sex", "L"), address=earlier.address, village=village_name,
            kecamatan=kecamatan_name,
            father_name=earlier.name if earlier.sex == "L" else person_name(rng, "L"),
            mother_name=earlier.name if earlier.sex == "P" else person_name(rng, "P"),
        )
    sub = register(
        session,
        NewSubmission(
            external_id=external_id, village_code=earlier.village_code,
            service_id=earlier.service_id, submitted_at=submitted,
            operator_name=f"{rng.choice(OPERATORS)} (operator {village_name})",
            operator_phone=f"08{rng.randint(10, 99)}{rng.randint(1000_0000, 9999_9999)}",
            applicant_nik=earlier.nik, applicant_kk=earlier.kk, applicant_name=earlier.name,
            applicant_birth_date=earlier.birth_date, applicant_sex=earlier.sex,
            applicant_address=earlier.address, subjects=earlier.subjects,
            manifest={"schema": "bakso.submission/1", "demo": True},
            resubmission_of_id=earlier.id if resubmission else None,
        ),
        actor="demo",
        received=received,
    )
    _attach(session, store, sub, service, applicant, subject, rng, complete=resubmission)
    if resubmission or rng.random() < 0.3:  # most duplicates wait for a verifier to see the D
        decide_as_office(session, sub, actors, rng, received, now)
    return 1


def _pages(generated: documents.GeneratedFile) -> int:
    if generated.media_type != "application/pdf":
        return 1
    # Our own generated file, not village input: intake inspects untrusted files.
    return len(PdfReader(io.BytesIO(generated.data)).pages)
