"""Reading an intake package (a folder or a .zip) without trusting it.

Nothing outside the package is ever read: zip entries and folder entries with
absolute paths, ``..`` components or symbolic links refuse the package, and so
does an encrypted zip entry or a file name with a control character (an
escape sequence or a bidi override would reach a verifier's terminal). Sizes
are bounded while reading, not by what the archive declares: a zip bomb stops
at the package limit. A zip's entry count and the size of its central
directory are read from its end record before :mod:`zipfile` parses the
directory, so a zip declaring millions of entries costs a few hundred bytes of
reading, not a gigabyte of ``ZipInfo`` objects.

The package's own bytes are kept (the zip as it came, or a zip made of the
folder's files) so that a refused package can be quarantined whole; a package
that cannot be read at all is still identified by :func:`package_digest`.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from bakso_tui.locale import t
from bakso_tui.locale.plain import first_control, visible

MANIFEST = "submission.json"

# What one central-directory entry may take, name and extra fields included
# (46 bytes of header, a name of up to 255 characters in UTF-8, a few extra
# fields): a directory larger than this per allowed entry is refused unread.
CENTRAL_ENTRY_BYTES = 4096
# A folder's walk stops after this many times the entry limit (folders included).
WALK_ENTRIES = 10


@dataclass(frozen=True)
class PackageLimits:
    max_package_bytes: int = 100 * 1024 * 1024  # all files, decompressed
    max_file_bytes: int = 20 * 1024 * 1024
    max_entries: int = 200


class PackageError(Exception):
    """The package cannot be read; `code` and `params` say why in one line.

    Every parameter is shown escaped (:func:`visible`): a path from a package
    may hold anything.
    """

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = {k: v if isinstance(v, int) else visible(v, 300) for k, v in params.items()}

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
    position = first_control(path)
    if position is not None:
        raise PackageError("control_char", path=path, position=position)
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


def salvage(path: Path, limits: PackageLimits | None = None) -> tuple[bytes | None, str | None]:
    """What a package that could not be read leaves for quarantine: its bytes
    (the file as it came, or a zip of a folder's regular files) when they fit
    the package limit, and the sha256 that identifies it either way, so the
    same package sent again is the same quarantine entry. Links and special
    files are never followed or opened. (None, None) when nothing can be read.
    """
    limits = limits or PackageLimits()
    try:
        st = path.lstat()
        if stat.S_ISREG(st.st_mode):
            if st.st_size <= limits.max_package_bytes:
                raw = _read_regular(path, limits.max_package_bytes + 1)
                if len(raw) <= limits.max_package_bytes:
                    return raw, hashlib.sha256(raw).hexdigest()
            return None, _file_digest(path).hexdigest()
        if stat.S_ISDIR(st.st_mode):
            return _salvage_folder(path, limits)
        if stat.S_ISLNK(st.st_mode):
            return None, hashlib.sha256(b"link:" + os.fsencode(os.readlink(path))).hexdigest()
    except OSError:
        pass
    return None, None


def _salvage_folder(root: Path, limits: PackageLimits) -> tuple[bytes | None, str]:
    files: dict[str, bytes] = {}
    listing = hashlib.sha256()
    total, seen, fits = 0, 0, True
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        seen += len(dirnames)
        for name in sorted(filenames):
            seen += 1
            if seen > WALK_ENTRIES * limits.max_entries:
                return None, listing.hexdigest()
            full = Path(dirpath) / name
            rel = os.fsencode(full.relative_to(root).as_posix())
            st = full.lstat()
            if not stat.S_ISREG(st.st_mode):
                listing.update(b"special:" + rel + b"\0")
                continue
            total += st.st_size
            fits = fits and total <= limits.max_package_bytes and len(files) < limits.max_entries
            content = _file_digest(full).hexdigest().encode()
            listing.update(rel + b"\0" + content + b"\0")
            if fits:
                # Names are kept escaped (a name that is not UTF-8 cannot go into a zip).
                key = visible(rel.decode("utf-8", "surrogateescape"))
                while key in files:
                    key += "~"
                files[key] = _read_regular(full, st.st_size + 1)
    if not fits:
        return None, listing.hexdigest()
    raw = _zip_of(files)
    return raw, hashlib.sha256(raw).hexdigest()


def _file_digest(path: Path):
    fd = os.open(path, _OPEN_FLAGS)
    with os.fdopen(fd, "rb") as fh:
        return hashlib.file_digest(fh, "sha256")


def _raise(exc: OSError) -> None:
    raise exc


def _read_folder(root: Path, limits: PackageLimits) -> Package:
    package = Package(name=str(root))
    total = seen = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=_raise):
        dirnames.sort()
        for name in dirnames + sorted(filenames):
            seen += 1  # folders count too: a walk through a million empty ones stops early
            if seen > WALK_ENTRIES * limits.max_entries:
                raise PackageError("too_many_files", limit=limits.max_entries)
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            inner = normalise(rel)
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
            data = _read_regular(full, limits.max_file_bytes + 1)
            if len(data) > limits.max_file_bytes:
                raise PackageError("file_too_large", path=rel, mb=_mb(len(data)),
                                   limit=_mb(limits.max_file_bytes))
            package.files[inner] = data
    package.raw = _zip_of(package.files)
    return package


# O_NOFOLLOW: a file swapped for a link after its check is not followed;
# O_NONBLOCK: one swapped for a FIFO does not hang the open.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def _read_regular(path: Path, limit: int) -> bytes:
    fd = os.open(path, _OPEN_FLAGS)
    with os.fdopen(fd, "rb") as fh:
        return fh.read(limit)


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
    with path.open("rb") as fh:
        _check_end_record(fh, size, limits, path.name)
        fh.seek(0)
        raw = fh.read(limits.max_package_bytes + 1)
    if len(raw) > limits.max_package_bytes:  # it grew since it was measured
        raise PackageError("package_too_large", limit=_mb(limits.max_package_bytes))
    package = Package(name=str(path), raw=raw)
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error, NotImplementedError):
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


_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record, 22 bytes
_EOCD64_LOCATOR = struct.Struct("<4sLQL")  # 20 bytes, just before the record
_EOCD64 = struct.Struct("<4sQ2H2L4Q")  # 56 bytes, just before the locator


def _check_end_record(fh, size: int, limits: PackageLimits, name: str) -> None:
    """Refuse a zip whose end record declares more entries, or a larger central
    directory, than the limits allow, before anything parses the directory.

    The record is found where :mod:`zipfile` looks for it (the last 22 bytes,
    else the last signature in the final 64 KiB; its ZIP64 record right before
    the locator), so what is checked is what zipfile would then read.
    """
    fh.seek(max(size - _EOCD.size, 0))
    last = fh.read(_EOCD.size)
    if len(last) == _EOCD.size and last[:4] == b"PK\x05\x06" and last[-2:] == b"\0\0":
        at, record = size - _EOCD.size, last
    else:
        start = max(size - _EOCD.size - 0xFFFF - 1, 0)
        fh.seek(start)
        tail = fh.read()
        found = tail.rfind(b"PK\x05\x06")
        record = tail[found:found + _EOCD.size] if found >= 0 else b""
        if len(record) != _EOCD.size:
            raise PackageError("not_a_package", path=name)
        at = start + found
    _, _, _, on_disk, entries, cd_size, _, _ = _EOCD.unpack(record)
    counts = [on_disk, entries]
    sizes = [cd_size]
    zip64 = _zip64_end(fh, at)
    if zip64 is not None:
        counts += zip64[:2]
        sizes.append(zip64[2])
    if max(counts) > limits.max_entries or max(sizes) > limits.max_entries * CENTRAL_ENTRY_BYTES:
        raise PackageError("too_many_files", limit=limits.max_entries)


def _zip64_end(fh, eocd_at: int) -> tuple[int, int, int] | None:
    """(entries on this disk, entries, directory size) of a ZIP64 end record, if any."""
    if eocd_at < _EOCD64_LOCATOR.size + _EOCD64.size:
        return None
    fh.seek(eocd_at - _EOCD64_LOCATOR.size - _EOCD64.size)
    data = fh.read(_EOCD64.size + _EOCD64_LOCATOR.size)
    if data[_EOCD64.size:_EOCD64.size + 4] != b"PK\x06\x07" or data[:4] != b"PK\x06\x06":
        return None
    _, _, _, _, _, _, on_disk, entries, cd_size, _ = _EOCD64.unpack(data[:_EOCD64.size])
    return on_disk, entries, cd_size


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
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError,
            struct.error) as exc:
        raise PackageError("bad_entry", path=info.filename, detail=str(exc)[:120]) from None
    return b"".join(chunks)


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}"
