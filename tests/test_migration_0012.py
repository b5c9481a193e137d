"""Migration 0012: requirement groups and conditions, a service's short name."""

from __future__ import annotations

from sqlalchemy import inspect, text

from bakso_tui.db import migrate
from bakso_tui.domain.reference import sync_reference

NEW_REQUIREMENT = {"one_of", "mandatory_from_age", "mandatory_under_age", "needed_when",
                   "needed_when_en"}


def _columns(db, table: str) -> set[str]:
    return {c["name"] for c in inspect(db.engine).get_columns(table)}


def test_columns_added_filled_by_the_sync_and_dropped_again(db):
    with db.write() as s:
        sync_reference(s)
    migrate.downgrade(db, "0011")
    assert not NEW_REQUIREMENT & _columns(db, "requirement")
    assert "short" not in _columns(db, "service")
    migrate.upgrade(db)
    assert NEW_REQUIREMENT <= _columns(db, "requirement") and "short" in _columns(db, "service")
    with db.engine.connect() as conn:  # rows of before the migration: empty, not NULL
        assert conn.scalar(text("SELECT short FROM service WHERE id = 'kia'")) == ""
        assert conn.scalar(text(
            "SELECT needed_when FROM requirement WHERE service_id = 'kia' AND id = 'kk'")) == ""
    with db.write() as s:
        sync_reference(s)
    with db.engine.connect() as conn:
        assert conn.scalar(text("SELECT short FROM service WHERE id = 'kia'")) == "KIA-BARU"
        assert conn.scalar(text("SELECT mandatory_from_age FROM requirement"
                                " WHERE service_id = 'kia' AND id = 'pas_foto'")) == 5
        assert conn.scalar(text("SELECT one_of FROM requirement WHERE service_id ="
                                " 'ktp_el_hilang_rusak' AND id = 'dokumen_rusak'")) == "hilang_rusak"
    migrate.downgrade(db, "0011")
    migrate.upgrade(db)
