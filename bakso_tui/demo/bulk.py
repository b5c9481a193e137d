"""Bulk synthetic load for benchmarks (``bakso seed --submissions N``).

Inserts N queued submissions in large batches, without attachments, straight
into the table: the point is a queue of realistic shape (villages, services,
priority residents, ages, valid NIKs) at the size of a busy province, not a
per-row history. The database is marked synthetic (``bulk``: its accounts
never switch without a password, see ``domain/demo_mode.py``), and one audit
row records the load. Never run this against an office's database: it
refuses one that holds or ever held real submissions, as the demo does.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, insert, select, update

from bakso_tui.db.engine import Database
from bakso_tui.db.models import IssuedDocument, Service, Submission, Village
from bakso_tui.demo.people import FEMALE, MALE, SECOND, make_kk, make_nik
from bakso_tui.domain import audit, demo_mode
from bakso_tui.domain.calendar import due_at
from bakso_tui.domain.queue import name_key
from bakso_tui.domain.reference import sync_reference
from bakso_tui.domain.submissions import registration_number


def bulk_seed(
    db: Database,
    n: int,
    *,
    seed: int = 1,
    batch: int = 10_000,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    now = now or datetime.now(UTC)
    with db.write() as session:
        demo_mode.mark_synthetic(session, "bulk")
        sync_reference(session)
        villages = session.scalars(select(Village.code)).all()
        services = {s.id: s.service_days for s in session.scalars(select(Service))}
        start = (session.scalar(select(func.max(Submission.id))) or 0) + 1
    rng = random.Random(seed)
    service_ids = sorted(services)
    due_cache: dict[tuple[date, int], datetime] = {}
    made = 0
    while made < n:
        rows = []
        for k in range(min(batch, n - made)):
            i = start + made + k
            village = rng.choice(villages)
            service = rng.choice(service_ids)
            sex = rng.choice("LP")
            birth = date(1940, 1, 1) + timedelta(days=rng.randint(0, 365 * 66))
            first = rng.choice(MALE if sex == "L" else FEMALE)
            name = f"{first} {rng.choice(SECOND)}"
            submitted = now - timedelta(minutes=rng.randint(0, 60 * 24 * 30))
            key = (submitted.date(), services[service])
            if key not in due_cache:
                due_cache[key] = due_at(submitted, services[service])
            rows.append({
                "id": i,
                "number": registration_number(i, submitted),
                "external_id": f"BULK-{seed}-{i}",
                "village_code": village,
                "service_id": service,
                "state": "diajukan",
                "priority_rank": 0 if rng.random() < 0.08 else 1,
                "priority_reasons": ["lansia"] if birth.year < 1966 else [],
                "possible_duplicate": False,
                "nik_mismatch": False,
                "nik_problems": [],
                "applicant_nik": make_nik(village[:8], birth, sex, rng.randint(1, 9999)),
                "applicant_kk": make_kk(village[:8], date(2015, 1, 1), rng.randint(1, 9999)),
                "applicant_name": name,
                "name_key": name_key(name),
                "applicant_birth_date": birth,
                "applicant_sex": sex,
                "applicant_address": "",
                "subjects": [],
                "operator_name": "bulk",
                "operator_phone": "",
                "manifest": {},
                "submitted_at": submitted,
                "received_at": submitted,
                "due_at": due_cache[key],
                "updated_at": submitted,
                "claim_token": 0,
            })
        with db.write() as session:
            session.execute(insert(Submission), rows)
        made += len(rows)
        if progress:
            progress(len(rows))
    with db.write() as session:
        if db.is_postgresql:
            session.execute(
                select(func.setval("submission_id_seq", select(func.max(Submission.id)).scalar_subquery()))
            )
        audit.append(session, actor="cli:seed", action="seed.bulk", target_type="database",
                     target_id="submission", details={"count": n, "seed": seed})
    db.refresh_statistics()  # for the new rows; autovacuum would take its time
    return made


def bulk_ready_documents(db: Database, documents: int, *, now: datetime | None = None,
                         batch: int = 5_000) -> int:
    """Approve bulk-seeded submissions (oldest first) until `documents` issued documents
    are ready for issuance (``siap_cetak``): the load the daily batch close meets.

    Like `bulk_seed`, straight into the tables, for benchmarks and tests; one
    audit row records it. Returns the number of documents made.
    """
    now = now or datetime.now(UTC)
    with db.read() as session:
        demo_mode.refuse_real(session)
        outputs = {s.id: list(s.outputs) for s in session.scalars(select(Service))}
        handed = {s.id: s.handover for s in session.scalars(select(Service))}
    made, after = 0, 0
    while made < documents:
        with db.write() as session:
            subs = session.execute(
                select(Submission.id, Submission.village_code, Submission.service_id)
                .where(Submission.state == "diajukan", Submission.id > after)
                .order_by(Submission.id).limit(batch)
            ).all()
            if not subs:
                break
            rows, taken = [], []
            for sid, village, service in subs:
                if made + len(rows) >= documents:
                    break
                if handed[service] != "village":
                    continue
                taken.append(sid)
                for kind in outputs[service][: documents - made - len(rows)]:
                    rows.append({"submission_id": sid, "village_code": village, "kind": kind,
                                 "state": "siap_cetak", "created_at": now, "updated_at": now})
            after = subs[-1].id
            if taken:
                session.execute(update(Submission).where(Submission.id.in_(taken))
                                .values(state="disetujui", decided_at=now, updated_at=now))
                session.execute(insert(IssuedDocument), rows)
            made += len(rows)
    with db.write() as session:
        audit.append(session, actor="cli:seed", action="seed.ready_documents",
                     target_type="database", target_id="issued_document",
                     details={"count": made})
    return made
