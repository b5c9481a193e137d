"""The content-addressed attachment store: in the database, or in a directory."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bakso_tui.attachments.store import BlobMissing, BlobStore, sha256_hex
from bakso_tui.config import AttachmentSettings
from bakso_tui.db.models import Blob


def test_database_store_keeps_one_copy(db):
    store = BlobStore()
    with db.write() as s:
        a = store.put(s, b"%PDF-1.7 scan", "application/pdf")
        b = store.put(s, b"%PDF-1.7 scan", "application/pdf")
        many = store.put_many(s, [(b"x", "image/png"), (b"x", "image/png"), (b"y", "image/png")])
    assert a == b == sha256_hex(b"%PDF-1.7 scan") and many[0] == many[1] != many[2]
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Blob)) == 3
        assert store.get(s, a) == b"%PDF-1.7 scan"


def test_directory_store_writes_files_by_hash_and_checks_them(sqlite_db, tmp_path):
    store = BlobStore(AttachmentSettings(store="directory", directory=tmp_path / "blobs"))
    with sqlite_db.write() as s:
        sha = store.put(s, b"\xff\xd8\xff scan", "image/jpeg")
    path = tmp_path / "blobs" / sha[:2] / sha[2:4] / sha
    assert path.read_bytes() == b"\xff\xd8\xff scan"
    with sqlite_db.read() as s:
        assert s.scalar(select(Blob.data).where(Blob.sha256 == sha)) is None
        assert store.get(s, sha) == b"\xff\xd8\xff scan"
    path.write_bytes(b"tampered")
    with pytest.raises(BlobMissing), sqlite_db.read() as s:
        store.get(s, sha)
