"""The inbox job: take every package dropped into a watched folder.

Villages (or the gateway that receives their uploads) drop packages, folders or
.zip files, into ``<inbox>/``. Each run takes every entry whose name does not
start with a dot (a ``.part`` upload in progress is left alone), runs intake on
it, and moves it to ``<inbox>/accepted/`` or ``<inbox>/quarantine/``. A
quarantined package gets a ``<name>.reasons.txt`` beside it, one reason a line.
A duplicate goes to ``accepted/`` too (it already was). Nothing is deleted: a
name already taken in the target folder gets a numeric suffix.

The scheduler (``bakso jobs run``) calls :func:`process_inbox` on a timer.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from bakso_tui.domain.intake import Intake, IntakeResult

ACCEPTED = "accepted"
QUARANTINE = "quarantine"


@dataclass
class InboxRun:
    results: list[IntakeResult] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = {"accepted": 0, "duplicate": 0, "quarantined": 0}
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


def process_inbox(intake: Intake, inbox: Path) -> InboxRun:
    inbox.mkdir(parents=True, exist_ok=True)
    accepted, quarantine = inbox / ACCEPTED, inbox / QUARANTINE
    accepted.mkdir(exist_ok=True)
    quarantine.mkdir(exist_ok=True)
    run = InboxRun()
    for entry in pending(inbox):
        result = intake.intake(entry)
        run.results.append(result)
        folder = quarantine if result.status == "quarantined" else accepted
        target = _free_name(folder, entry.name)
        shutil.move(str(entry), str(target))
        if result.status == "quarantined":
            reasons = target.with_name(target.name + ".reasons.txt")
            reasons.write_text("\n".join(result.reasons) + "\n", encoding="utf-8")
    return run
