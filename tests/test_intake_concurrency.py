"""Intake under concurrency: shared files, two processes over one inbox, two inbox runs.

Village packages often share an identical file (the family's KK scan sent with
each member's request). On PostgreSQL two transactions inserting the same blob
used to collide (UniqueViolation) and `bakso intake` died after committing some
packages and reporting none. Here every package must be reported exactly once,
by each process, with no traceback; the database holds each package once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime

import packages as pk
import pytest
from sqlalchemy import func, select

from bakso_tui.db.models import Attachment, Blob, QuarantinedPackage, Submission
from bakso_tui.domain import audit
from bakso_tui.domain.intake import Intake
from bakso_tui.jobs.inbox import process_inbox

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
FAMILY = 10  # packages of one family, every one carrying the same KK scan and forms


def _count(db, model) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def _family(root, n: int = FAMILY, *, zipped: bool = True):
    """n good packages (distinct members, identical attachment files), one refused
    package and one file that is not a package at all."""
    paths = []
    for i in range(n):
        m = pk.manifest(external_id=f"FAM-{i:03d}")
        m["applicant"]["nik"] = f"520301520390{i + 1:04d}"  # same birth date, own serial
        write = pk.write_zip if zipped else pk.write_folder
        paths.append(write(root / (f"fam{i:03d}.zip" if zipped else f"fam{i:03d}"), m))
    bad = pk.write_zip(root / "bad.zip", {**pk.manifest(external_id="FAM-BAD"), "service": "nope"})
    junk = root / "junk.zip"
    junk.write_bytes(b"this is not a package")
    return paths, [bad, junk]


def test_packages_sharing_files_in_one_run_are_each_reported_once(db, tmp_path):
    good, bad = _family(tmp_path)
    results = list(Intake(db).intake_many([*good, *bad], workers=4, now=NOW))
    assert [r.package for r in results] == [str(p) for p in [*good, *bad]]
    assert [r.status for r in results] == ["accepted"] * len(good) + ["quarantined"] * 2
    assert _count(db, Submission) == len(good)
    assert _count(db, Attachment) == len(good) * len(pk.manifest()["attachments"])
    # The shared files are stored once; plus the two refused packages' own bytes.
    assert _count(db, Blob) == len(pk.files_for(pk.manifest())) + 2


def _run_cli(db_url: str, paths) -> subprocess.Popen:
    env = {**os.environ, "BAKSO_LANG": "id"}
    return subprocess.Popen(
        [sys.executable, "-m", "bakso_tui", "intake", "--json", "--db", db_url, *map(str, paths)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


@pytest.mark.pg_only
def test_two_intake_processes_over_one_inbox_report_every_package_once(pg_db, tmp_path):
    good, bad = _family(tmp_path)
    everything = [*good, *bad]
    # Opposite orders: each process meets the other's packages half-way through.
    procs = [_run_cli(pg_db.url, everything), _run_cli(pg_db.url, everything[::-1])]
    outputs = [p.communicate(timeout=300) for p in procs]
    accepted = Counter()
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert "Traceback" not in err, err
        assert proc.returncode == 1, (proc.returncode, err)  # two refused packages
        lines = [json.loads(x) for x in out.splitlines()]
        assert Counter(x["package"] for x in lines) == Counter(str(p) for p in everything)
        by_path = {x["package"]: x for x in lines}
        for path in good:
            line = by_path[str(path)]
            assert line["status"] in ("accepted", "duplicate"), line
            assert line["submission"].startswith("BKS-2026-")
            accepted[str(path)] += line["status"] == "accepted"
        for path in bad:
            assert by_path[str(path)]["status"] == "quarantined"
            assert by_path[str(path)]["reasons"]
    assert all(accepted[str(p)] == 1 for p in good), accepted
    assert _count(pg_db, Submission) == len(good)
    assert _count(pg_db, Attachment) == len(good) * len(pk.manifest()["attachments"])
    with pg_db.read() as s:
        rows = s.execute(select(QuarantinedPackage.package, QuarantinedPackage.attempts)).all()
        chain = audit.verify(s)
    assert sorted(r.attempts for r in rows) == [2, 2]  # each refused package once, two attempts
    assert chain.ok


@pytest.mark.pg_only
def test_two_inbox_runs_at_once_take_each_package_once(pg_db, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good, bad = _family(inbox, n=6)
    runs = []

    def run():
        runs.append(process_inbox(Intake(pg_db), inbox))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    taken = [r for run_ in runs for r in run_.results]
    assert Counter(r.package for r in taken) == Counter(str(p) for p in [*good, *bad])
    assert sorted(os.listdir(inbox / "accepted")) == sorted(p.name for p in good)
    assert {"bad.zip", "junk.zip"} <= set(os.listdir(inbox / "quarantine"))
    assert set(os.listdir(inbox)) == {".lock", "accepted", "quarantine"}
    assert _count(pg_db, Submission) == len(good)
