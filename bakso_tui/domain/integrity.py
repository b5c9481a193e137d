"""`bakso db check`: is what the database holds whole? (after a restore, or any day)

Two checks, both read-only:

- the audit log's hash chain (`audit.verify`);
- every stored attachment, hashed again: its bytes (in the database, or the
  file in the attachment directory) must have the sha256 they are stored
  under and the size the database records. A missing file, changed bytes or a
  wrong size is named, one line each.

The blobs are walked in pages by their key (never OFFSET) and their bytes are
read a few at a time, so memory stays flat whatever the size of the store.
Nothing is shown or written: the check reads residents' files but displays
none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import func, select

from bakso_tui.attachments.store import BlobStore, sha256_hex
from bakso_tui.db.engine import Database
from bakso_tui.db.models import Blob
from bakso_tui.domain import audit

Problem = Literal["missing", "changed", "size"]

#: Keys read per page, and blobs whose bytes are read at once.
PAGE = 500
BYTES_AT_ONCE = 8


@dataclass(frozen=True)
class Mismatch:
    sha256: str
    problem: Problem
    where: str  # "database" or the file's path


@dataclass
class CheckResult:
    chain: audit.VerifyResult
    blobs: int = 0
    bytes: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.mismatches


def count_blobs(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Blob)) or 0


def _keys(db: Database) -> Iterator[list[tuple[str, int]]]:
    after = ""
    while True:
        with db.read() as session:
            rows = session.execute(
                select(Blob.sha256, Blob.size).where(Blob.sha256 > after)
                .order_by(Blob.sha256).limit(PAGE)).all()
        if not rows:
            return
        yield [(row.sha256, row.size) for row in rows]
        after = rows[-1].sha256


def check_blob(sha: str, size: int, data: bytes | None, store: BlobStore) -> Mismatch | None:
    """The one blob's problem, if it has one."""
    where = "database"
    if data is None:
        if store.directory is None:
            return Mismatch(sha, "missing", where)
        path = store.directory / sha[:2] / sha[2:4] / sha
        where = str(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return Mismatch(sha, "missing", where)
    if sha256_hex(data) != sha:
        return Mismatch(sha, "changed", where)
    if len(data) != size:
        return Mismatch(sha, "size", where)
    return None


def check(db: Database, store: BlobStore,
          progress: Callable[[int], None] | None = None) -> CheckResult:
    """Verify the audit chain, then re-hash every stored attachment."""
    with db.read() as session:
        result = CheckResult(audit.verify(session))
    for page in _keys(db):
        for start in range(0, len(page), BYTES_AT_ONCE):
            chunk = page[start:start + BYTES_AT_ONCE]
            with db.read() as session:
                data = dict(session.execute(
                    select(Blob.sha256, Blob.data)
                    .where(Blob.sha256.in_([sha for sha, _ in chunk]))).all())
            for sha, size in chunk:
                stored = data.get(sha)
                problem = check_blob(sha, size, bytes(stored) if stored is not None else None,
                                     store)
                if problem is not None:
                    result.mismatches.append(problem)
                result.blobs += 1
                result.bytes += size
            if progress is not None:
                progress(len(chunk))
    return result


__all__ = ["CheckResult", "Mismatch", "check", "check_blob", "count_blobs"]
