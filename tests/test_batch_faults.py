"""Closing under pressure: concurrent closers on PostgreSQL, and a connection lost mid-close."""

from __future__ import annotations

import multiprocessing as mp
from collections import Counter

import closers
import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError

from bakso_tui.db.models import BatchDocument, IssuanceBatch, IssuedDocument
from bakso_tui.demo.bulk import bulk_ready_documents, bulk_seed
from bakso_tui.domain import audit
from bakso_tui.domain.batches import close_batches
from bakso_tui.domain.users import cli_actor
from tui_helpers import FIXED_NOW


def _ready(db, submissions=400, documents=600):
    bulk_seed(db, submissions, now=FIXED_NOW)
    return bulk_ready_documents(db, documents, now=FIXED_NOW.replace(hour=1))


def test_concurrent_closers_never_put_a_document_in_two_batches(pg_db):
    made = _ready(pg_db)
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=closers.run_closer,
                         args=(pg_db.url, FIXED_NOW.isoformat(), start, out)) for _ in range(4)]
    for p in procs:
        p.start()
    start.set()
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    added = sum(n for got in results for _, n in got)
    assert added == made  # every document taken once, by one closer or another
    with pg_db.read() as s:
        links = Counter(s.scalars(select(BatchDocument.document_id)))
        assert len(links) == made and max(links.values()) == 1
        per_batch = dict(s.execute(select(IssuanceBatch.id, IssuanceBatch.documents)).all())
        counted = Counter(s.scalars(select(BatchDocument.batch_id)))
        assert per_batch == dict(counted)
        # One batch per village and day: the closers took turns per village.
        villages = s.execute(select(IssuanceBatch.village_code, func.count())
                             .group_by(IssuanceBatch.village_code)).all()
        assert all(n == 1 for _, n in villages)
        assert s.scalar(select(func.count()).select_from(IssuedDocument)
                        .where(IssuedDocument.state == "siap_cetak")) == 0
        assert audit.verify(s).ok


def test_a_connection_lost_mid_close_leaves_whole_batches_and_the_next_run_completes(pg_db):
    made = _ready(pg_db, 200, 300)
    seen = {"links": 0}

    def drop_on_second_batch(conn, cursor, statement, params, context, executemany):
        if statement.startswith("INSERT INTO issuance_batch_document"):
            seen["links"] += 1
            if seen["links"] == 2:  # the second batch, half made: the server goes away
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    event.listen(pg_db.engine, "before_cursor_execute", drop_on_second_batch)
    try:
        with pytest.raises(DBAPIError):
            close_batches(pg_db, cli_actor(), now=FIXED_NOW)
    finally:
        event.remove(pg_db.engine, "before_cursor_execute", drop_on_second_batch)
    with pg_db.read() as s:
        batches_made = s.execute(select(IssuanceBatch.id, IssuanceBatch.documents)).all()
        linked = s.scalar(select(func.count()).select_from(BatchDocument))
    assert len(batches_made) == 1 and linked == batches_made[0][1]  # one whole batch, no half
    rest = close_batches(pg_db, cli_actor(), now=FIXED_NOW)
    assert sum(c.added for c in rest) == made - linked
    with pg_db.read() as s:
        assert s.scalar(select(func.count()).select_from(BatchDocument)) == made
        assert s.execute(text("SELECT count(*) FROM issued_document WHERE state = 'siap_cetak'")
                         ).scalar() == 0
        assert audit.verify(s).ok
