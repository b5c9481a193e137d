"""Writes that are stored once, whatever the connection does.

A write transaction whose connection is lost ends in one of two ways the
client cannot tell apart: the server rolled it back, or it committed and only
the acknowledgement was lost. :func:`write_once` runs a change in a write
transaction and, when the database went away (`db.engine.transient`), waits
and asks `stored` (a read that recognises the change by what it wrote) before
it tries again: a change whose commit was acknowledged to nobody is found and
not made a second time. It gives up with :class:`NotStored` after `patience`
seconds, and then nothing is claimed to be stored.

Used for a verifier's decision (`claims.decide_once`): recognised by the
submission being decided under the very fencing token the verifier held.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from bakso_tui.db.engine import Database, transient

T = TypeVar("T")

#: Seconds between tries: short at first (a dropped connection is back at
#: once), then longer (a server restart takes a few seconds).
BACKOFF = (0.2, 0.5, 1.0, 2.0, 4.0)


class NotStored(Exception):
    """The database stayed away: the change is not stored (one line for the user).

    ``certain``: the database was read after the last try and the change is
    not there. Otherwise the last try's commit may have gone through unseen:
    trying again later (under the same token) finds it, never doubles it.
    """

    def __init__(self, error: BaseException, *, certain: bool) -> None:
        cause = getattr(error, "orig", None) or error
        lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
        super().__init__(lines[0] if lines else type(cause).__name__)
        self.error = error
        self.certain = certain


@dataclass(frozen=True)
class Stored(Generic[T]):
    value: T
    #: Tries it took (1: the first).
    attempts: int
    #: Found stored after a lost connection: the commit had gone through.
    found: bool = False


def write_once(
    db: Database,
    change: Callable[[Session], T],
    *,
    stored: Callable[[Session], T | None],
    refusals: tuple[type[BaseException], ...] = (),
    patience: float = 30.0,
    on_lost: Callable[[BaseException], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Stored[T]:
    """Run `change` in a write transaction, once.

    After a transient error `stored` is read (it returns what `change` would
    have returned if the change is in the database, else None), and the
    change is tried again only if it is not there. A refusal listed in
    `refusals` (for a decision: the lease is no longer held) is also checked
    against `stored` before it is raised: the refusal may be the change
    itself, stored by a try whose acknowledgement was lost. Other errors
    are raised at once. `on_lost` hears of each transient error (the TUI
    shows that the database is away while it waits).
    """
    deadline = clock() + patience
    attempts = 0
    lost: BaseException | None = None
    while True:
        if lost is not None:
            if on_lost is not None:
                on_lost(lost)
            pause = BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
            if clock() + pause > deadline:
                # Out of patience: one last look tells "not stored" from "not known".
                prior, away = _look(db, stored)
                if away is not None:
                    raise NotStored(lost, certain=False) from lost
                if prior is not None:
                    return Stored(prior, attempts, found=True)
                raise NotStored(lost, certain=True) from lost
            sleep(pause)
            prior, away = _look(db, stored)
            if away is not None:
                lost = away
                continue
            if prior is not None:
                return Stored(prior, attempts, found=True)
        attempts += 1
        try:
            with db.write() as session:
                return Stored(change(session), attempts)
        except refusals as refusal:
            prior, away = _look(db, stored)
            if away is not None:
                lost = away
                continue
            if prior is not None:
                return Stored(prior, attempts, found=True)
            raise refusal
        except Exception as exc:
            if not transient(exc):
                raise
            lost = exc


def _look(db: Database, stored: Callable[[Session], T | None]
          ) -> tuple[T | None, BaseException | None]:
    """What `stored` finds, or the transient error that kept it from looking
    (any other error is raised)."""
    try:
        with db.read() as session:
            return stored(session), None
    except Exception as exc:
        if not transient(exc):
            raise
        return None, exc


__all__ = ["BACKOFF", "NotStored", "Stored", "write_once"]
