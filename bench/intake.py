"""Intake throughput: packages of three attachments of 1-5 PDF pages, on PostgreSQL.

The bar (issue 3): 50+ packages/s on this 2-core machine, memory flat in the
number of packages.
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

from bench.common import Timer, pg_database, rss_mb, save

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def make_packages(root: Path, n: int, seed: int = 5) -> list[Path]:
    import packages as pk
    import hostile

    rng = random.Random(seed)
    paths = []
    base = pk.manifest(service="kk_perubahan")
    reqs = [a["requirement"] for a in base["attachments"]]
    while len(reqs) < 3:
        reqs.append(reqs[-1])
    pdfs = [hostile.text_pdf(f"Dokumen {k}", pages=rng.randint(1, 5)) for k in range(30)]
    for i in range(n):
        m = pk.manifest(service="kk_perubahan", external_id=f"BENCH-{i:06d}")
        m["applicant"]["nik"] = f"520301{rng.randint(1, 28) + 40:02d}0390{rng.randint(1, 9999):04d}"
        m["applicant"]["birth_date"] = "1990-03-%02d" % (int(m["applicant"]["nik"][6:8]) - 40)
        m["attachments"] = [{"requirement": r, "file": f"{j}.pdf"} for j, r in enumerate(reqs[:3])]
        files = {f"{j}.pdf": pdfs[(i * 3 + j + rng.randint(0, 29)) % 30] + b"%" + str(i * 3 + j).encode()
                 for j in range(3)}
        paths.append(pk.write_zip(root / f"p{i:06d}.zip", m, files))
    return paths


def run(n: int = 600) -> dict:
    from bakso_tui.domain.intake import Intake

    with tempfile.TemporaryDirectory() as tmp, pg_database() as db:
        paths = make_packages(Path(tmp), n)
        intake = Intake(db)
        intake.intake(paths[0])  # start the inspector children
        rss = [rss_mb()]
        with Timer() as timer:
            statuses = {}
            for k, result in enumerate(intake.intake_many(paths[1:], workers=4)):
                statuses[result.status] = statuses.get(result.status, 0) + 1
                if k % 100 == 0:
                    rss.append(rss_mb())
        rss.append(rss_mb())
    figures = {
        "packages": n - 1,
        "seconds": round(timer.seconds, 2),
        "packages_per_s": round((n - 1) / timer.seconds, 1),
        "statuses": statuses,
        "rss_mb_start_end": [round(rss[0]), round(rss[-1])],
        "rss_mb_samples": [round(x) for x in rss],
    }
    save("intake", figures)
    return figures


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 600)
