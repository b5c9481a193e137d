"""Arbitrary manifests and zip structures: every one ends accepted, duplicate or quarantined.

Hypothesis throws random JSON, a valid manifest with random values of random
types in its fields, deep nesting, raw bytes, and zips of random entries
(names with ``..``, absolute paths, control characters, duplicates), then
mutates and truncates the zips' bytes. Intake must answer each with a result,
never a traceback, and every reason must be one line free of control characters.
"""

from __future__ import annotations

import io
import json
import tempfile
import warnings
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import packages as pk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bakso_tui.domain.intake import Intake
from bakso_tui.locale.plain import first_control

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

NASTY = st.sampled_from([
    "\x1b]52;c;aGFjaw==\x07", "\u202e", "\ud800", "[$error on $error]", "\x00", "",
    "0001-01-01T00:00:00", "9999-12-31T23:59:59-12:00", "2026-02-30", "1e400",
    "../../etc/passwd", "/etc/passwd", "C:\\x", "lansia", "kk", "L", "P",
    "52.03.01.2001", "5203015203900001", "bakso.submission/1", "x" * 5000, "ß" * 150,
])
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
           | st.text(max_size=30) | NASTY)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=10) | NASTY, inner, max_size=4),
                    max_leaves=25)
FIELDS = [("schema",), ("external_id",), ("village_code",), ("submitted_at",), ("operator",),
          ("operator", "name"), ("service",), ("applicant",), ("applicant", "nik"),
          ("applicant", "kk_number"), ("applicant", "name"), ("applicant", "birth_date"),
          ("applicant", "sex"), ("applicant", "address"), ("subjects",), ("priority",),
          ("attachments",), ("attachments", 0, "file"), ("attachments", 0, "requirement"),
          ("resubmission_of",)]


def _replace(m: dict, path: tuple, value, remove: bool) -> None:
    target = m
    for key in path[:-1]:
        try:
            target = target[key]
        except (KeyError, IndexError, TypeError):
            return
    last = path[-1]
    if isinstance(target, dict):
        if remove:
            target.pop(last, None)
        else:
            target[last] = value
    elif isinstance(target, list) and isinstance(last, int) and last < len(target):
        target[last] = value


@st.composite
def mutated_manifest(draw) -> dict:
    """A valid manifest with some fields replaced by anything of any type, or removed."""
    m = pk.manifest(external_id=f"FZ-{draw(st.integers(0, 10**9))}")
    for path in draw(st.lists(st.sampled_from(FIELDS), max_size=4, unique=True)):
        _replace(m, path, draw(JSON), draw(st.booleans()))
    return m


def manifest_text(m) -> str:
    return json.dumps(m, ensure_ascii=False, allow_nan=True)


MANIFEST_BYTES = st.one_of(
    mutated_manifest().map(lambda m: manifest_text(m).encode("utf-8", "surrogatepass")),
    JSON.map(lambda v: manifest_text(v).encode("utf-8", "surrogatepass")),
    st.integers(1, 200_000).map(lambda n: b"[" * n),
    st.integers(1, 5_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.binary(max_size=200),
)


def _files(m_bytes: bytes) -> dict[str, bytes]:
    return {"submission.json": m_bytes, **pk.files_for(pk.manifest())}


def _write(path: Path, entries: list[tuple[str, bytes]]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are the point
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in entries:
                zf.writestr(name, data)


def _assert_answered(result) -> None:
    assert result.status in ("accepted", "duplicate", "quarantined"), result.messages()
    # Contained, but a sign of a bug of ours: every refusal should have its own reason.
    assert "intake.unexpected" not in {r.code for r in result.reasons}, result.messages()
    for message in result.messages():
        assert first_control(message) is None, repr(message)


@FUZZ
@given(data=MANIFEST_BYTES)
def test_any_manifest_ends_in_a_result(db, data):
    intake = Intake(db)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fz.zip"
        _write(path, list(_files(data).items()))
        _assert_answered(intake.intake(path, now=NOW))


ENTRY_NAMES = st.one_of(
    st.sampled_from(["submission.json", "kk.pdf", "dir/", "a/../../b", "../x", "/abs",
                     "C:/win", "x\x1b.pdf", "x\u202e.pdf", "./submission.json", "a//b", "."]),
    st.text(max_size=20),
)


@st.composite
def zip_bytes(draw) -> bytes:
    """A zip of random entries, then perhaps mutated or cut."""
    entries = [(name, draw(st.sampled_from([b"", b"%PDF-1.7", b"\xff" * 10]) | st.binary(max_size=64)))
               for name in draw(st.lists(ENTRY_NAMES, max_size=6))]
    if draw(st.booleans()):
        entries += list(_files(draw(MANIFEST_BYTES)).items())
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(buf, "w", draw(st.sampled_from([zipfile.ZIP_STORED,
                                                              zipfile.ZIP_DEFLATED]))) as zf:
            for name, data in draw(st.permutations(entries)):
                try:
                    zf.writestr(name, data)
                except (IndexError, ValueError):  # a name zipfile itself cannot write
                    continue
    raw = bytearray(buf.getvalue())
    for _ in range(draw(st.integers(0, 4))):
        if raw:
            raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
    if draw(st.booleans()) and raw:
        cut = draw(st.integers(0, len(raw)))
        raw = raw[:cut] if draw(st.booleans()) else raw[cut:]
    return bytes(raw)


@FUZZ
@given(raw=zip_bytes())
def test_any_zip_structure_ends_in_a_result(db, raw):
    intake = Intake(db)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fz.zip"
        path.write_bytes(raw)
        _assert_answered(intake.intake(path, now=NOW))
