"""The attachment store: content-addressed by sha256.

By default the bytes live in the database (table ``blob``), so every terminal
that reaches the database can show an attachment. A large office can keep them
in a directory instead (``[attachments] store = "directory"``): files at
``<directory>/ab/cd/<sha256>``, written atomically, and the ``blob`` row keeps
the size and media type with ``data`` left empty.

The same content stored twice is stored once, also when two transactions
store it at the same moment: rows are inserted with ``ON CONFLICT DO NOTHING``
(both databases), in sha256 order so that two writers sharing several blobs
never wait on each other in a cycle. On PostgreSQL the second writer waits
for the first one's commit and then does nothing; if the first rolls back, the
second inserts.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bakso_tui.config import AttachmentSettings
from bakso_tui.db.models import Blob
from bakso_tui.files import private_dir


class BlobMissing(Exception):
    """The content of an attachment is not where the database says it is."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    def __init__(self, settings: AttachmentSettings | None = None) -> None:
        settings = settings or AttachmentSettings()
        self.directory: Path | None = None
        if settings.store == "directory":
            if settings.directory is None:
                raise ValueError("attachments.directory is required for a directory store")
            self.directory = Path(settings.directory).expanduser()

    def _path(self, sha: str) -> Path:
        assert self.directory is not None
        return self.directory / sha[:2] / sha[2:4] / sha

    def put(self, session: Session, data: bytes, media_type: str) -> str:
        """Store `data` (if new) and return its sha256."""
        return self.put_many(session, [(data, media_type)])[0]

    def put_many(self, session: Session, items: list[tuple[bytes, str]]) -> list[str]:
        """Store several (data, media_type) at once: one look-up, one insert."""
        shas = [sha256_hex(data) for data, _ in items]
        known = set(session.scalars(select(Blob.sha256).where(Blob.sha256.in_(set(shas)))))
        new: dict[str, dict] = {}
        for sha, (data, media_type) in zip(shas, items, strict=True):
            if self.directory is not None:
                self._write_file(sha, data)
            if sha not in known and sha not in new:
                new[sha] = {"sha256": sha, "size": len(data), "media_type": media_type,
                            "data": None if self.directory is not None else data}
        if new:
            dialect = session.get_bind().dialect.name
            insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Blob)
            session.execute(insert.on_conflict_do_nothing(index_elements=[Blob.sha256]),
                            [new[sha] for sha in sorted(new)])
        return shas

    def _write_file(self, sha: str, data: bytes) -> None:
        path = self._path(sha)
        if path.exists() and path.stat().st_size == len(data):
            return
        private_dir(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # 0600
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, session: Session, sha: str) -> bytes:
        data = session.scalar(select(Blob.data).where(Blob.sha256 == sha))
        if data is not None:
            return bytes(data)
        if self.directory is not None:
            path = self._path(sha)
            try:
                content = path.read_bytes()
            except FileNotFoundError:
                raise BlobMissing(sha) from None
            if sha256_hex(content) != sha:
                raise BlobMissing(sha)
            return content
        raise BlobMissing(sha)
