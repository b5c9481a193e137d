"""Reading an intake package (a folder or a .zip) without trusting it.

Nothing outside the package is ever read: zip entries and folder entries with
absolute paths, ``..`` components or symbolic links refuse the package, and so
does an encrypted zip entry. Sizes are bounded while reading, not by what the
archive declares: a zip bomb stops at the package limit.

The package's own bytes are kept (the zip as it came, or a zip made of the
folder's files) so that a refused package can be quarantined whole.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from bakso_tui.locale import t

MANIFEST = "submission.json"


@dataclass(frozen=True)
class PackageLimits:
    max_package_bytes: int = 100 * 1024 * 1024  # all files, decompressed
    max_file_bytes: int = 20 * 1024 * 1024
    max_entries: int = 200


class PackageError(Exception):
    """The package cannot be read; `code` and `params` say why in one line."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self) -> str:
        return t(f"package.{self.code}", **self.params)


@dataclass
class Package:
    name: str
    files: dict[str, bytes] = field(default_factory=dict)  # posix path inside -> bytes
    raw: bytes | None = None  # the package itself, for quarantine

    def get(self, path: str) -> bytes | None:
        return self.files.get(normalise(path))


def normalise(path: str) -> str:
    """A package-relative posix path, or raise PackageError for anything unsafe."""
    if "\x00" in path:
        raise PackageError("unsafe_path", path=path.replace("\x00", "\\0"))
    cleaned = path.replace("\\", "/")
    if cleaned.startswith("/") or (len(cleaned) > 1 and cleaned[1] == ":"):
        raise PackageError("absolute_path", path=path)
    parts = [p for p in PurePosixPath(cleaned).parts if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise PackageError("parent_path", path=path)
    if not parts:
        raise PackageError("unsafe_path", path=path)
    return "/".join(parts)


def read_package(path: Path, limits: PackageLimits | None = None) -> Package:
    limits = limits or PackageLimits()
    if path.is_symlink():
        raise PackageError("symlink", path=str(path))
    if path.is_dir():
        return _read_folder(path, limits)
    if path.is_file():
        return _read_zip(path, limits)
    raise PackageError("not_found", path=str(path))


def _read_folder(root: Path, limits: PackageLimits) -> Package:
    package = Package(name=str(root))
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            st = full.lstat()
            if stat.S_ISLNK(st.st_mode):
                raise PackageError("symlink", path=rel)
            if stat.S_ISDIR(st.st_mode):
                continue
            if not stat.S_ISREG(st.st_mode):
                raise PackageError("special_file", path=rel)
            if len(package.files) >= limits.max_entries:
                raise PackageError("too_many_files", limit=limits.max_entries)
            if st.st_size > limits.max_file_bytes:
                raise PackageError("file_too_large", path=rel, mb=_mb(st.st_size),
                                   limit=_mb(limits.max_file_bytes))
            total += st.st_size
            if total > limits.max_package_bytes:
                raise PackageError("package_too_large", limit=_mb(limits.max_package_bytes))
            # O_NOFOLLOW: a file swapped for a link after the check is not followed.
            fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as fh:
                data = fh.read(limits.max_file_bytes + 1)
            if len(data) > limits.max_file_bytes:
                raise PackageError("file_too_large", path=rel, mb=_mb(len(data)),
                                   limit=_mb(limits.max_file_bytes))
            package.files[normalise(rel)] = data
    package.raw = _zip_of(package.files)
    return package


def _zip_of(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            zf.writestr(info, files[name])
    return buf.getvalue()


def _read_zip(path: Path, limits: PackageLimits) -> Package:
    size = path.stat().st_size
    if size > limits.max_package_bytes:
        raise PackageError("package_too_large", limit=_mb(limits.max_package_bytes))
    raw = path.read_bytes()
    package = Package(name=str(path), raw=raw)
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise PackageError("not_a_package", path=path.name) from None
    total = 0
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_entries:
            raise PackageError("too_many_files", limit=limits.max_entries)
        for info in infos:
            name = normalise(info.filename)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise PackageError("symlink", path=info.filename)
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise PackageError("encrypted_entry", path=info.filename)
            if name in package.files:
                raise PackageError("duplicate_entry", path=info.filename)
            data = _read_entry(zf, info, limits, total)
            total += len(data)
            package.files[name] = data
    return package


def _read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: PackageLimits,
                total: int) -> bytes:
    """Read one entry, stopping as soon as a bound is passed (declared sizes lie)."""
    chunks, got = [], 0
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(1024 * 1024)
                if not chunk:
                    break
                got += len(chunk)
                if got > limits.max_file_bytes:
                    raise PackageError("bomb_entry", path=info.filename,
                                       limit=_mb(limits.max_file_bytes))
                if total + got > limits.max_package_bytes:
                    raise PackageError("package_too_large", limit=_mb(limits.max_package_bytes))
                chunks.append(chunk)
    except PackageError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise PackageError("bad_entry", path=info.filename, detail=str(exc)[:120]) from None
    return b"".join(chunks)


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}"
