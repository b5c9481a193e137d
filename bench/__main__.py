"""`make bench`: run every benchmark and write one table of their figures.

Each benchmark also keeps its figures in bench/results/<name>.json; the table
(benchmark, figure, value) is printed at the end and written to
bench/results/table.md. A benchmark that fails is a row saying so, and the
others still run. `python -m bench queue startup` runs the ones named.
"""

from __future__ import annotations

import sys
import traceback

from bench import (batches, claims, common, dashboard, intake, queue, schedule, startup, viewer,
                   zip_entries)

BENCHMARKS = {
    "intake": intake.run,
    "zip": zip_entries.run,
    "claims": claims.run,
    "queue": queue.run,
    "startup": startup.run,
    "viewer": viewer.run,
    "schedule": schedule.run,
    "batches": batches.run,
    "dashboard": dashboard.run,
}


def main(argv: list[str]) -> int:
    unknown = set(argv) - set(BENCHMARKS)
    if unknown:
        print(f"bench: unknown {', '.join(sorted(unknown))}; known: {', '.join(BENCHMARKS)}",
              file=sys.stderr)
        return 2
    wanted = [name for name in BENCHMARKS if not argv or name in argv]
    failed: dict[str, str] = {}
    for name in wanted:
        if name == "startup" and "queue" in wanted:
            continue  # measured on the queue's million submissions (one seeding, not two)
        print(f"bench: {name} ...", flush=True)
        try:
            if name == "queue":
                queue.run(with_startup="startup" in wanted)
            else:
                BENCHMARKS[name]()
        except Exception as exc:  # noqa: BLE001 - one failing benchmark must not hide the others
            traceback.print_exc()
            failed[name] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    text = common.table(common.SAVED, failed)
    common.RESULTS.mkdir(exist_ok=True)
    (common.RESULTS / "table.md").write_text(text)
    print()
    print(text, end="")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
