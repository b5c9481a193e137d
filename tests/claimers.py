"""Claimer processes for the concurrency tests: ours, and a naive one that the test shows failing."""

from __future__ import annotations

import time


def run_claimer(url: str, user_id: int, login: str, start, out, naive: bool) -> None:
    from sqlalchemy import select, update
    from sqlalchemy.exc import OperationalError

    from bakso_tui.db.engine import Database
    from bakso_tui.db.models import Submission
    from bakso_tui.domain.claims import claim_next
    from bakso_tui.domain.users import Actor

    db = Database(url, pool_size=1)
    actor = Actor(login=login, role="verifier", id=user_id)
    with db.read():
        pass
    got, locked_errors = [], 0
    start.wait()
    while True:
        try:
            if naive:
                # Select, think, then update: two claimers can pick the same row.
                with db.read() as s:
                    sid = s.scalar(select(Submission.id).where(Submission.state == "diajukan")
                                   .order_by(Submission.id).limit(1))
                if sid is None:
                    break
                time.sleep(0.001)
                with db.engine.begin() as conn:
                    conn.execute(update(Submission).where(Submission.id == sid)
                                 .values(state="diverifikasi", claim_holder_id=user_id))
                got.append(sid)
            else:
                c = claim_next(db, actor)
                if c is None:
                    break
                got.append(c.submission_id)
        except OperationalError as exc:
            if "locked" in str(exc):
                locked_errors += 1
                continue
            raise
    out.put((login, got, locked_errors))
    db.dispose()
