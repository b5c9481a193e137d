"""Throwaway benchmark databases on the local PostgreSQL (or SQLite)."""

from __future__ import annotations

import json
import os
import resource
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bakso_tui.db import migrate
from bakso_tui.db.engine import Database
from bakso_tui.domain.reference import sync_reference

PG_ADMIN_URL = os.environ.get(
    "BAKSO_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
RESULTS = Path(__file__).resolve().parent / "results"


@contextmanager
def pg_database(keep: bool = False, *, admin_url: str = PG_ADMIN_URL, prefix: str = "bakso_bench",
                pool_size: int = 40):
    """A throwaway database at the current schema with the reference data, on the
    server of `admin_url`; dropped at the end unless `keep`."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    db = Database(url, pool_size=pool_size)
    migrate.upgrade(db)
    with db.write() as session:
        sync_reference(session)
    try:
        yield db
    finally:
        db.dispose()
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def rss_mb() -> float:
    """Current resident set size of this process, in MB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


#: Every benchmark's figures saved in this process, in order (`make bench`'s one table).
SAVED: dict[str, dict] = {}


def save(name: str, figures: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2, default=str))
    SAVED[name] = figures
    print(f"bench: {name} -> {RESULTS / (name + '.json')}", flush=True)


def flatten(figures: dict, prefix: str = "") -> list[tuple[str, str]]:
    """("a.b.c", "value") for every leaf of `figures`; a list of plain values stays one cell."""
    rows = []
    for key, value in figures.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += flatten(value, path + ".")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, item in enumerate(value):
                rows += flatten(item, f"{path}[{i}].")
        else:
            rows.append((path, ", ".join(map(str, value)) if isinstance(value, list) else str(value)))
    return rows


def table(saved: dict[str, dict], failed: dict[str, str]) -> str:
    """One Markdown table: benchmark, figure, value."""
    lines = ["| benchmark | figure | value |", "|---|---|---|"]
    for name, figures in saved.items():
        for path, value in flatten(figures):
            lines.append(f"| {name} | {path} | {value.replace('|', '/')} |")
    for name, error in failed.items():
        lines.append(f"| {name} | FAILED | {error.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


class FrameClock:
    """When a widget last drew a line: a key's latency is from the key to the
    last line of the frame it caused, not to when Pilot has finished waiting
    (Pilot's own press-and-pause costs ~60 ms even for a key that does nothing)."""

    def __init__(self, widget) -> None:
        self.last = 0.0
        draw = widget.render_line

        def timed(y):
            strip = draw(y)
            self.last = time.perf_counter()
            return strip

        widget.render_line = timed
