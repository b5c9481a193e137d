"""Migration 0008: quarantine reasons from stored text to codes, one open entry per package."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import text

from bakso_tui.db import migrate
from bakso_tui.domain.intake import list_quarantine
from bakso_tui.locale import set_language

OLD = "submission.json: service: layanan 'x' tidak ada di katalog (lihat: bakso catalog services)"


def _insert(conn, sha, reasons, *, resolved=None):
    conn.execute(text(
        "INSERT INTO quarantine (package, sha256, size, village_code, external_id, reasons,"
        " received_at, attempts, resolved_submission_id)"
        " VALUES ('p.zip', :sha, 3, NULL, NULL, :reasons, :at, 1, :resolved)"),
        {"sha": sha, "reasons": json.dumps(reasons), "at": datetime(2026, 11, 1, tzinfo=UTC),
         "resolved": resolved})


def test_stored_texts_become_legacy_codes_and_come_back_on_downgrade(db):
    migrate.downgrade(db, "0007")
    with db.engine.begin() as conn:
        for sha in ("a" * 64, "b" * 64):
            conn.execute(text("INSERT INTO blob (sha256, size, media_type, created_at)"
                              " VALUES (:s, 3, 'application/zip', :at)"),
                         {"s": sha, "at": datetime(2026, 11, 1, tzinfo=UTC)})
        _insert(conn, "a" * 64, [{"message": OLD}])
        _insert(conn, "a" * 64, [{"message": "kk.pdf: berkas rusak"}])  # the same bytes, again
        _insert(conn, None, [{"message": "paket tidak ditemukan: x"}])  # nothing kept
        _insert(conn, "b" * 64, [{"message": "two"}, {"message": "reasons"}])
    migrate.upgrade(db)
    with db.read() as s:
        rows = {r.id: r for r in list_quarantine(s)}
        keys = dict(s.execute(text("SELECT id, package_sha256 FROM quarantine")).all())
    assert [r.code for row in rows.values() for r in row.reasons] == ["intake.legacy_text"] * 5
    assert rows[1].messages() == [OLD]
    set_language("en")
    assert rows[1].messages() == [OLD]  # an old text stays as it was written
    # The newest open row of the same bytes keeps their sha256; nothing is merged.
    assert keys == {1: None, 2: "a" * 64, 3: None, 4: "b" * 64}
    migrate.downgrade(db, "0007")
    with db.read() as s:
        back = [json.loads(r) if isinstance(r, str) else r
                for r in s.scalars(text("SELECT reasons FROM quarantine ORDER BY id"))]
    assert back == [[{"message": OLD}], [{"message": "kk.pdf: berkas rusak"}],
                    [{"message": "paket tidak ditemukan: x"}],
                    [{"message": "two"}, {"message": "reasons"}]]
    migrate.upgrade(db)


def test_downgrade_writes_codes_back_as_indonesian_text(db, tmp_path):
    import packages as pk

    from bakso_tui.domain.intake import Intake

    set_language("en")
    Intake(db).intake(pk.write_zip(tmp_path / "x.zip", {**pk.manifest(), "service": "x"}),
                      now=datetime(2026, 11, 20, tzinfo=UTC))
    migrate.downgrade(db, "0007")
    with db.read() as s:
        stored = s.scalar(text("SELECT reasons FROM quarantine"))
    stored = json.loads(stored) if isinstance(stored, str) else stored
    assert stored == [{"message": "submission.json: service: layanan 'x' tidak ada di katalog "
                                  "(lihat: bakso catalog services)"}]
    migrate.upgrade(db)
