"""The inbox job: take every package dropped into a watched folder.

Villages (or the gateway that receives their uploads) drop packages, folders or
.zip files, into ``<inbox>/``. Each run takes every entry except hidden ones (a
name starting with a dot) and uploads in progress (``.part``, ``.tmp``), oldest
first, runs intake on it, and moves it to ``<inbox>/accepted/`` or
``<inbox>/quarantine/``. A quarantined package gets a ``<name>.reasons.txt``
beside it, one reason a line (escaped: a reason never carries a control
character). A duplicate goes to ``accepted/`` too (it already was). Nothing is
deleted: a name already taken in the target folder gets a numeric suffix.

No package stops a run: a package intake cannot read at all is quarantined
(and moved) like any refused one, so the next run does not meet it again. Only
a package whose result is ``failed`` (nothing could be stored: the database
was unreachable) stays in the inbox for the next run.

One run at a time per inbox: a run holds an exclusive lock on
``<inbox>/.lock`` (released by the system if the process dies); a second run
meanwhile takes nothing and says so (``InboxRun.busy``).

Nothing calls :func:`process_inbox` on a timer yet: there is no scheduler.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bakso_tui.domain.intake import Intake, IntakeResult
from bakso_tui.files import private_dir, tighten

ACCEPTED = "accepted"
QUARANTINE = "quarantine"
LOCK = ".lock"

log = logging.getLogger(__name__)


@dataclass
class InboxRun:
    results: list[IntakeResult] = field(default_factory=list)
    not_moved: list[str] = field(default_factory=list)  # packages whose move failed
    busy: bool = False  # another run held the inbox; nothing was taken

    @property
    def counts(self) -> dict[str, int]:
        out = {"accepted": 0, "duplicate": 0, "quarantined": 0, "failed": 0}
        for r in self.results:
            out[r.status] += 1
        return out


def pending(inbox: Path) -> list[Path]:
    """The packages waiting in `inbox`, oldest first."""
    entries = [
        p for p in inbox.iterdir()
        if not p.name.startswith(".") and p.name not in (ACCEPTED, QUARANTINE)
        and not p.name.endswith((".part", ".tmp", ".reasons.txt"))
    ]
    return sorted(entries, key=lambda p: (p.lstat().st_mtime, p.name))


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    n = 1
    while target.exists() or target.is_symlink():
        target = folder / f"{name}.{n}"
        n += 1
    return target


@contextmanager
def _locked(inbox: Path) -> Iterator[bool]:
    fd = os.open(inbox / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock


def process_inbox(intake: Intake, inbox: Path, *, workers: int = 4) -> InboxRun:
    inbox.mkdir(parents=True, exist_ok=True)
    accepted, quarantine = inbox / ACCEPTED, inbox / QUARANTINE
    private_dir(accepted)
    private_dir(quarantine)
    run = InboxRun()
    with _locked(inbox) as mine:
        if not mine:
            run.busy = True
            return run
        entries = pending(inbox)
        for entry, result in zip(entries, intake.intake_many(entries, workers=workers),
                                 strict=True):
            run.results.append(result)
            if result.status == "failed":
                continue
            try:
                _move(entry, result, quarantine if result.status == "quarantined" else accepted)
            except OSError as exc:
                log.error("inbox: could not move %r: %s", str(entry), exc)
                run.not_moved.append(str(entry))
    return run


def _move(entry: Path, result: IntakeResult, folder: Path) -> None:
    target = _free_name(folder, entry.name)
    shutil.move(str(entry), str(target))
    tighten(target)  # uploaded under the upload account's umask; a package holds NIKs
    if result.status == "quarantined":
        reasons = target.with_name(target.name + ".reasons.txt")
        fd = os.open(reasons, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(result.messages()) + "\n")
