"""`make bench`: run every benchmark and print its figures (also in bench/results/)."""

from __future__ import annotations

import sys

from bench import claims, intake, queue, viewer


def main(argv: list[str]) -> None:
    wanted = set(argv) or {"intake", "claims", "queue", "viewer"}
    if "intake" in wanted:
        intake.run()
    if "claims" in wanted:
        claims.run()
    if "queue" in wanted:
        queue.run()
    if "viewer" in wanted:
        viewer.run()


if __name__ == "__main__":
    main(sys.argv[1:])
