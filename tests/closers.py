"""Closer processes for the concurrency test: each runs a whole batch close at once with the others."""

from __future__ import annotations


def run_closer(url: str, now_iso: str, start, out) -> None:
    from datetime import datetime

    from bakso_tui.db.engine import Database
    from bakso_tui.domain.batches import close_batches
    from bakso_tui.domain.users import Actor

    db = Database(url, pool_size=1)
    with db.read():
        pass  # connected before the start signal
    start.wait()
    closed = close_batches(db, Actor(login="closer", role="system"),
                           now=datetime.fromisoformat(now_iso))
    out.put([(c.number, c.added) for c in closed])
    db.dispose()
