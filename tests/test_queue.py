"""The queue in the rules layer: keyset pages and every filter and search,
checked against a plain Python reading of the same rows, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update

from bakso_tui.db.models import Submission, Village
from bakso_tui.demo.bulk import bulk_seed
from bakso_tui.domain import queue, users
from bakso_tui.domain.queue import QueueFilter, name_key, queue_page
from bakso_tui.domain.workflow import Flag

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def queue_db(db):
    """240 open submissions, some closed, some flagged, some sharing a timestamp."""
    bulk_seed(db, 260, now=NOW - timedelta(hours=1))
    with db.write() as s:
        ids = s.scalars(select(Submission.id).order_by(Submission.id)).all()
        s.execute(update(Submission).where(Submission.id.in_(ids[:20])).values(state="disetujui"))
        s.execute(update(Submission).where(Submission.id.in_(ids[20:60:7])).values(possible_duplicate=True))
        s.execute(update(Submission).where(Submission.id.in_(ids[25:90:11])).values(nik_mismatch=True))
        same = s.scalar(select(Submission.submitted_at).where(Submission.id == ids[100]))
        s.execute(update(Submission).where(Submission.id.in_(ids[100:112])).values(submitted_at=same))
    return db


def _all_open(db) -> list[dict]:
    with db.read() as s:
        rows = s.execute(
            select(Submission, Village.kecamatan_code)
            .join(Village, Village.code == Submission.village_code)
            .where(Submission.state.in_(["diajukan", "diverifikasi"]))
        ).all()
    out = [
        {"id": sub.id, "number": sub.number, "nik": sub.applicant_nik, "kk": sub.applicant_kk,
         "name": sub.name_key, "village": sub.village_code, "kecamatan": kec,
         "service": sub.service_id, "rank": sub.priority_rank,
         "at": sub.submitted_at.replace(tzinfo=UTC) if sub.submitted_at.tzinfo is None else sub.submitted_at,
         "due": sub.due_at.replace(tzinfo=UTC) if sub.due_at.tzinfo is None else sub.due_at,
         "dup": sub.possible_duplicate, "nik_bad": sub.nik_mismatch}
        for sub, kec in rows
    ]
    return sorted(out, key=lambda r: (r["rank"], r["at"], r["id"]))


def _matches(row: dict, f: QueueFilter) -> bool:
    """What each filter means, said plainly."""
    if f.service_id and row["service"] != f.service_id:
        return False
    if f.village_code and row["village"] != f.village_code:
        return False
    if f.kecamatan_code and not f.village_code and row["kecamatan"] != f.kecamatan_code:
        return False
    if f.min_age_days and row["at"] > NOW - timedelta(days=f.min_age_days):
        return False
    flag_holds = {Flag.PRIORITY: row["rank"] == 0, Flag.PAST_SLA: row["due"] < NOW,
                  Flag.POSSIBLE_DUPLICATE: row["dup"], Flag.NIK_MISMATCH: row["nik_bad"], None: True}
    if not flag_holds[f.flag]:
        return False
    term = (f.search or "").strip()
    if not term:
        return True
    if term.isdigit():
        if len(term) == 16:
            return term in (row["nik"], row["kk"])
        return row["nik"].startswith(term) or row["kk"].startswith(term)
    if term.upper().startswith("BKS"):
        return row["number"].startswith(term.upper())
    return row["name"].startswith(name_key(term))


def _read_all(db, actor, f: QueueFilter, page: int) -> list[int]:
    seen, after = [], None
    while True:
        with db.read() as s:
            got = queue_page(s, actor, after=after, limit=page, filters=f, now=NOW)
        assert len(got.rows) <= page
        ids = [r.id for r in got.rows]
        assert not set(ids) & set(seen), "a row came back on a later page"
        seen += ids
        if not got.has_more:
            return seen
        assert len(got.rows) == page
        after = got.next_key


def test_keyset_pages_give_every_open_submission_once_in_work_order(queue_db):
    actor = users.cli_actor()
    expected = [r["id"] for r in _all_open(queue_db)]
    assert len(expected) == 240
    for page in (1, 7, 100, 500):
        assert _read_all(queue_db, actor, QueueFilter(), page) == expected


def _ending_in_nine(rows: list[dict]) -> list[str]:
    """NIK and KK prefixes whose last digit is 9, searched as ranges up to the
    next prefix ("52039" up to "5204"): the carry must neither lose nor add rows."""
    found = sorted({value[:i + 1] for r in rows for value in (r["nik"], r["kk"])
                    for i, digit in enumerate(value[:15]) if digit == "9" and i >= 3})
    return found[:: max(1, len(found) // 6)] + ["9", "99999"]


def _searches(rows: list[dict]):
    sample = rows[len(rows) // 3]
    return st.sampled_from([
        *_ending_in_nine(rows),
        sample["nik"], sample["kk"], sample["nik"][:6], sample["nik"][:12], sample["kk"][:10],
        sample["number"], sample["number"].lower(), sample["number"][:-2],
        sample["name"], sample["name"].lower(), "  " + sample["name"].split()[0].title() + " ",
        sample["name"][:3], "9999999999999999", "BKS-1999", "Zzyzx", "",
    ])


@pytest.mark.parametrize("narrow", [queue.NARROW_SEARCH, 0], ids=["sorted", "walked"])
def test_every_filter_and_search_matches_a_plain_reading(queue_db, narrow, monkeypatch):
    # On PostgreSQL a search estimated to match few rows sorts its matches;
    # with the limit at 0 every search walks the work order instead. Both must
    # read the same rows in the same order.
    monkeypatch.setattr(queue, "NARROW_SEARCH", narrow)
    rows = _all_open(queue_db)
    actor = users.cli_actor()
    villages = sorted({r["village"] for r in rows})
    kecamatan = sorted({r["kecamatan"] for r in rows})
    services = sorted({r["service"] for r in rows})

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        search=_searches(rows),
        service=st.none() | st.sampled_from(services),
        village=st.none() | st.sampled_from(villages[:3]),
        kec=st.none() | st.sampled_from(kecamatan[:3]),
        flag=st.none() | st.sampled_from(list(Flag)),
        age=st.sampled_from([None, 0, 3, 20, 40]),
        page=st.sampled_from([3, 50]),
    )
    def check(search, service, village, kec, flag, age, page):
        f = QueueFilter(service_id=service, village_code=village, kecamatan_code=kec,
                        flag=flag, min_age_days=age, search=search)
        expected = [r["id"] for r in rows if _matches(r, f)]
        assert _read_all(queue_db, actor, f, page) == expected

    check()


def test_each_kind_of_search_finds_its_submission(queue_db):
    rows = _all_open(queue_db)
    actor = users.cli_actor()
    target = rows[57]
    for term in (target["nik"], target["kk"], target["number"], target["number"].lower(),
                 target["number"][:-1], target["nik"][:14], target["name"].lower()):
        found = _read_all(queue_db, actor, QueueFilter(search=term), 50)
        assert target["id"] in found, term
    # A LIKE wildcard typed by the verifier is a character, not a pattern.
    assert _read_all(queue_db, actor, QueueFilter(search="%"), 50) == []
    assert _read_all(queue_db, actor, QueueFilter(search="_"), 50) == []


def _plan(db, f: QueueFilter, after=None) -> str:
    """SQLite's plan for the statement queue_page really sends."""
    from sqlalchemy import event

    sent = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.read() as s:
            queue_page(s, users.cli_actor(), after=after, limit=50, filters=f, now=NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, parameters = sent[-1]
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return "\n".join(r[-1] for r in rows)


def test_sqlite_reads_the_queue_in_index_order_once_it_has_statistics(sqlite_db):
    bulk_seed(sqlite_db, 400, now=NOW - timedelta(hours=1))
    with sqlite_db.write() as s:  # as a file that never had ANALYZE
        s.execute(text("DELETE FROM sqlite_stat1"))
    sqlite_db.ensure_statistics()
    with sqlite_db.read() as s:
        assert s.execute(text("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'submission'")).first()
        sample = s.execute(select(Submission.applicant_nik, Submission.village_code,
                                  Submission.name_key)).first()
    plain = _plan(sqlite_db, QueueFilter())
    # The partial work-order index, read in order: no sort of the whole queue.
    assert "ix_submission_queue" in plain and "TEMP B-TREE" not in plain, plain
    assert "ix_submission_queue_village" in _plan(sqlite_db, QueueFilter(village_code=sample[1]))
    assert "ix_submission_applicant_nik" in _plan(sqlite_db, QueueFilter(search=sample[0][:10]))
    assert "ix_submission_name_key" in _plan(sqlite_db, QueueFilter(search=sample[2]))
