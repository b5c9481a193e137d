"""Files only their owner reads: the umask, private folders, private files.

The database (every NIK), the scanned documents, exports, batch PDFs and the
inbox's outputs hold personal data (UU 27/2022). The command line and the TUI
set the umask to 077 when they start (:func:`private_umask`), so that anything
created later is 0600 (files) or 0700 (folders); the places that write such
files also ask for those modes themselves, so a caller that did not start
through ``bakso`` (a test, a library user) gets them too.

A folder the office named (an inbox shared with an upload account, an output
folder on a share) is created private when it does not exist, but never
changed when it does: only what this program creates inside it is private.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

PRIVATE_UMASK = 0o077
FILE_MODE = 0o600
DIR_MODE = 0o700


def private_umask() -> int:
    """Set the process umask to 077; returns the one before."""
    return os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """Make `path` and any missing parents as 0700 folders (existing ones are left)."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(folder, DIR_MODE)  # mkdir's mode passes through the umask; be sure
    return path


def tighten(path: Path) -> None:
    """Take group and other access away from a file this user owns (an old file,
    written before the umask was set). Files of other owners are left alone."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, stat.S_IMODE(info.st_mode) & ~0o077)


def tighten_stream(stream) -> None:
    """The same for an open file: standard output redirected to a file
    (``bakso export … > file``) is created by the shell, under its own umask.
    A stream without a file descriptor (a pipe in a test) is left alone."""
    try:
        fd = stream.fileno()
        info = os.fstat(fd)
    except (AttributeError, OSError, ValueError):
        return
    if (stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid()
            and stat.S_IMODE(info.st_mode) & 0o077):
        os.fchmod(fd, stat.S_IMODE(info.st_mode) & ~0o077)


def create_private(path: Path) -> None:
    """Create an empty 0600 file at `path` unless it exists (then tighten it)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        tighten(path)
        return
    os.close(fd)


def write_private(path: Path, data: bytes) -> None:
    """Write `path` whole (beside, then renamed into place) as a 0600 file."""
    path = Path(path)
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:  # mkstemp makes it 0600
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
