"""The audit log: hash chain, append-only on both databases, serialised writers."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bakso_tui.domain import audit


def _append(db, n: int, actor: str = "verif1") -> None:
    for i in range(n):
        with db.write() as s:
            audit.append(s, actor=actor, action="test.event", target_type="submission",
                         target_id=i, from_state="diajukan", to_state="diverifikasi",
                         reason="r", details={"n": i, "teks": "Désa"})


def test_chain_verifies_and_links(db):
    _append(db, 5)
    with db.read() as s:
        result = audit.verify(s)
        rows = audit.history(s, "submission", 3)
    assert result.ok and result.count == 5
    assert rows[0].details == {"n": 3, "teks": "Désa"}


@pytest.mark.parametrize("sql", [
    "UPDATE audit_log SET actor = 'mallory'",
    "DELETE FROM audit_log",
])
def test_update_and_delete_are_refused(db, sql):
    _append(db, 2)
    with pytest.raises(DBAPIError, match="append-only"):
        with db.write() as s:
            s.execute(text(sql))
    with db.read() as s:
        assert audit.verify(s).count == 2


def test_truncate_refused_on_postgresql(pg_db):
    _append(pg_db, 1)
    with pytest.raises(DBAPIError, match="append-only"):
        with pg_db.write() as s:
            s.execute(text("TRUNCATE audit_log"))


def _tamper(db, row_id: int, column: str, value: str) -> None:
    """Change a row behind the application's back (as an attacker with DBA rights)."""
    with db.engine.begin() as conn:
        if db.is_postgresql:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
            conn.execute(text(f"UPDATE audit_log SET {column} = :v WHERE id = :id"), {"v": value, "id": row_id})
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text(f"UPDATE audit_log SET {column} = :v WHERE id = :id"), {"v": value, "id": row_id})


def test_verify_names_the_first_changed_row(db):
    _append(db, 6)
    with db.read() as s:
        ids = [r.id for r in audit.history(s, "submission", 2)] + [r.id for r in audit.history(s, "submission", 4)]
    _tamper(db, ids[0], "actor", "mallory")
    with db.read() as s:
        result = audit.verify(s)
    assert not result.ok
    assert result.first_bad_id == ids[0]
    assert result.problem == "hash"
    assert result.count == 2


def test_verify_names_a_removed_row(db):
    _append(db, 4)
    with db.read() as s:
        victim = audit.history(s, "submission", 1)[0].id
    with db.engine.begin() as conn:
        if db.is_postgresql:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": victim})
    with db.read() as s:
        result = audit.verify(s)
    assert not result.ok and result.problem == "prev_hash"
    assert result.first_bad_id > victim


def test_concurrent_writers_never_fork_the_chain(db):
    """Eight threads appending at once: one unbroken chain of all their rows."""
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            _append(db, 15, actor=f"w{k}")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    with db.read() as s:
        result = audit.verify(s)
    assert result.ok and result.count == 8 * 15
