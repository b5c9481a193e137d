"""The audit log: hash chain, append-only on both databases, serialised writers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from bakso_tui.cli import cli
from bakso_tui.db.models import AuditEntry
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



def _rewrite_chain(db, *, position: int, new_actor: str) -> None:
    """What an owner of the tables can do: change the `position`-th row, recompute every
    hash from there on and set the head, so that the chain alone verifies again."""
    with db.read() as s:
        rows = [(r.id, r) for r in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    with db.engine.begin() as conn:
        if db.is_postgresql:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
        prev = audit.GENESIS
        for number, (row_id, r) in enumerate(rows, start=1):
            actor = new_actor if number == position else r.actor
            digest = audit.entry_hash(prev, at=r.at, actor=actor, action=r.action,
                                      target_type=r.target_type, target_id=r.target_id,
                                      from_state=r.from_state, to_state=r.to_state,
                                      reason=r.reason, details=r.details)
            conn.execute(text("UPDATE audit_log SET actor = :a, prev_hash = :p, hash = :h"
                              " WHERE id = :id"), {"a": actor, "p": prev, "h": digest, "id": row_id})
            prev = digest
        conn.execute(text("UPDATE audit_head SET hash = :h, count = :c"),
                     {"h": prev, "c": len(rows)})


def _anchor_now(db) -> audit.Anchor:
    with db.read() as s:
        return audit.current_anchor(s, datetime.now(UTC))


def test_a_recomputed_chain_is_caught_by_its_anchor(db):
    _append(db, 3)
    anchor = _anchor_now(db)
    _append(db, 3)
    _rewrite_chain(db, position=2, new_actor="mallory")
    with db.read() as s:
        assert audit.verify(s).ok  # the chain alone cannot tell
        result = audit.verify(s, [anchor])
    assert not result.ok and result.problem == "anchor" and result.anchor == anchor
    assert result.count == 3


def test_rows_cut_below_an_anchor_are_caught(db):
    _append(db, 5)
    anchor = _anchor_now(db)
    with db.read() as s:
        last_two = [r.id for r in s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(2))]
    with db.engine.begin() as conn:
        if db.is_postgresql:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        conn.execute(text("DELETE FROM audit_log WHERE id IN (:a, :b)"),
                     {"a": last_two[0], "b": last_two[1]})
        third = conn.execute(text("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")).scalar()
        conn.execute(text("UPDATE audit_head SET hash = :h, count = 3"), {"h": third})
    with db.read() as s:
        assert audit.verify(s).ok
        result = audit.verify(s, [anchor])
    assert not result.ok and result.problem == "anchor_beyond" and result.count == 3


def test_a_missing_head_is_a_failure(db):
    _append(db, 2)
    with db.write() as s:
        s.execute(text("DELETE FROM audit_head"))
    with db.read() as s:
        result = audit.verify(s)
    assert not result.ok and result.problem == "head_missing"


def test_anchor_file_round_trip_through_the_command_line(db, tmp_path):
    _append(db, 4)
    anchors = tmp_path / "anchors.txt"
    runner = CliRunner()
    for _ in range(2):
        out = runner.invoke(cli, ["audit", "anchor", "--out", str(anchors), "--db", db.url])
        assert out.exit_code == 0, out.output
    assert oct(anchors.stat().st_mode & 0o777) == "0o600"
    lines = anchors.read_text().splitlines()
    assert len(lines) == 2 and lines[0].split()[1] == "4"
    ok = runner.invoke(cli, ["audit", "verify", "--anchor", str(anchors), "--db", db.url])
    assert ok.exit_code == 0 and "2 jangkar" in ok.stdout
    _rewrite_chain(db, position=1, new_actor="mallory")
    bad = runner.invoke(cli, ["audit", "verify", "--anchor", str(anchors), "--db", db.url])
    assert bad.exit_code == 1 and "ditulis ulang" in bad.stderr
    anchors.write_text(lines[0] + "\nnot an anchor\n")
    broken = runner.invoke(cli, ["audit", "verify", "--anchor", str(anchors), "--db", db.url])
    assert broken.exit_code == 2 and "baris 2" in broken.stderr

def test_append_many_chains_like_single_appends(db):
    from datetime import UTC, datetime

    from bakso_tui.domain import audit as chain

    at = datetime(2026, 12, 1, 2, 0, 0, 123456, tzinfo=UTC)
    with db.write() as s:
        chain.append(s, actor="a", action="one", target_type="t", target_id=1, at=at)
        chain.append_many(s, [
            {"actor": "b", "action": f"many.{i}", "target_type": "t", "target_id": i,
             "from_state": None if i % 2 else "x", "to_state": "y", "reason": "r",
             "details": {"i": i, "name": "Inaq «Sinah»"}, "at": at}
            for i in range(5)
        ])
        chain.append_many(s, [])
        chain.append(s, actor="c", action="last", target_type="t", target_id=9, at=at)
    with db.read() as s:
        result = chain.verify(s)
        actions = [r.action for r in chain.history(s, "t", "3")]
    assert result.ok and result.count == 7
    assert actions == ["many.3"]
