"""A zip that lists a million entries, and one that claims ten million: what refusing costs.

Issue 13 (item 9): the entry cap used to be checked after zipfile had parsed the
whole central directory into ``ZipInfo`` objects. Intake now reads the entry
count and the directory's size from the end record first. Measured here: the
old path (read the file, let zipfile parse the directory) beside
``read_package``, which refuses from the end record. Each is measured in a
child process of its own: wall-clock time, and how much its peak resident
memory grew during the call.
"""

from __future__ import annotations

import io
import multiprocessing
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from bench.common import save

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def _child(call, conn) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    try:
        outcome = call()
    except Exception as exc:  # noqa: BLE001 - the refusal is the outcome measured
        outcome = f"{type(exc).__name__}: {getattr(exc, 'code', exc)}"
    seconds = time.perf_counter() - start
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    conn.send((round(seconds * 1000, 2), round(grown_kb / 1024, 2), str(outcome)))


def _measure(call) -> tuple[float, float, str]:
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(call, child))
    proc.start()
    result = parent.recv()
    proc.join()
    return result


def _zipfile_parse(path: Path):
    raw = path.read_bytes()  # what intake did before: the whole file, then zipfile
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        return f"{len(zf.infolist())} entries parsed"


def run(entries: int = 1_000_000, claimed: int = 10_000_000) -> dict:
    import hostile

    from bakso_tui.attachments.package import read_package

    figures: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        real = Path(tmp) / "many.zip"
        real.write_bytes(hostile.zip_with_entries(entries))
        claim = Path(tmp) / "claim.zip"
        claim.write_bytes(hostile.zip_claiming_entries(claimed))
        figures["file_mb"] = round(real.stat().st_size / 1024 / 1024, 1)
        for label, call in (
            (f"zipfile_parse_{entries}", lambda: _zipfile_parse(real)),
            (f"read_package_{entries}", lambda: read_package(real)),
            (f"read_package_claims_{claimed}", lambda: read_package(claim)),
        ):
            ms, mb, outcome = _measure(call)
            figures[label] = {"ms": ms, "rss_growth_mb": mb, "outcome": outcome}
    save("zip_entries", figures)
    return figures


if __name__ == "__main__":
    run()
