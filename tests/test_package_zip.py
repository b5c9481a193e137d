"""A zip's entry count is read from its end record before zipfile parses the directory.

Measured figures (bench/zip_entries.py, README): zipfile parsing a directory of
a million entries takes seconds and half a gigabyte; the end record refuses it
in under a millisecond without reading the file.
"""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import hostile
import pytest

from bakso_tui.attachments.package import PackageError, PackageLimits, read_package


def _refusal_peak(path) -> tuple[str, int]:
    tracemalloc.start()
    try:
        with pytest.raises(PackageError) as refused:
            read_package(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return refused.value.code, peak


@pytest.mark.parametrize("claim", ["10 million entries", "entries and a 470 MB directory",
                                   "a 2 GB directory (ZIP64)"])
def test_a_zip_claiming_too_much_is_refused_from_its_end_record(tmp_path, claim):
    raw = {
        "10 million entries": hostile.zip_claiming_entries(10_000_000, cd_size=47),
        "entries and a 470 MB directory": hostile.zip_claiming_entries(10_000_000),
        "a 2 GB directory (ZIP64)": hostile.zip_claiming_entries(10, cd_size=2 * 1024**3),
    }[claim]
    path = tmp_path / "claim.zip"
    path.write_bytes(raw)
    code, peak = _refusal_peak(path)
    assert code == "too_many_files"
    assert peak < 256 * 1024  # the tail of the file, not its directory


def test_a_zip_really_listing_100000_entries_is_refused_unread(tmp_path):
    raw = hostile.zip_with_entries(100_000)
    assert len(zipfile.ZipFile(io.BytesIO(raw)).infolist()) == 100_000  # a real directory
    path = tmp_path / "many.zip"
    path.write_bytes(raw)
    code, peak = _refusal_peak(path)
    assert code == "too_many_files"
    assert peak < 256 * 1024 < len(raw) // 20


def test_the_limit_itself_is_still_accepted(tmp_path):
    limits = PackageLimits()
    path = tmp_path / "ok.zip"
    path.write_bytes(hostile.zip_with_entries(limits.max_entries))
    package = read_package(path, limits)
    assert len(package.files) == limits.max_entries
    path.write_bytes(hostile.zip_with_entries(limits.max_entries + 1))
    with pytest.raises(PackageError):
        read_package(path, limits)


def test_the_record_is_found_before_an_archive_comment(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(300):
            zf.writestr(f"f{i}", b"")
        zf.comment = b"dikirim dari desa Tanjung Luar " * 2000
    path = tmp_path / "c.zip"
    path.write_bytes(buf.getvalue())
    with pytest.raises(PackageError) as refused:
        read_package(path)
    assert refused.value.code == "too_many_files"
