"""The database's failures as the program tells them apart, without SQLAlchemy.

The screens and the session's watch (``bakso_tui/resilience.py``) ask whether a
failure is the database being away (`transient`) from the program's first
frame on, before the worker that signs in has imported SQLAlchemy: an error
can only be one of SQLAlchemy's once SQLAlchemy has been imported.
"""

from __future__ import annotations

import sys

from bakso_tui.errors import SetupError


class DatabaseError(SetupError):
    """The database cannot be used; the message is one line for the user."""


class DatabaseUnreachable(DatabaseError):
    """The server did not answer (down, restarting, or the network is cut).

    ``reason`` is the driver's own words ("Connection refused"), without the URL.
    """

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


def transient(error: BaseException | None) -> bool:
    """Is `error` the database being away rather than a refusal?

    A connection that was cut or could not be made, a server shutting down
    or restarting, a deadlock or serialisation failure, SQLite being busy:
    the work did not happen (or its outcome is unknown, see
    `domain.once.write_once`) and may be tried again once the database
    answers. A constraint violation or an SQL error is not transient.
    """
    if isinstance(error, DatabaseUnreachable):
        return True
    exc = sys.modules.get("sqlalchemy.exc")
    if exc is None:  # SQLAlchemy not imported yet: no error of the database's so far
        return False
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if type(error.orig).__module__.startswith("sqlite3"):
        # SQLite says OperationalError for a missing table too: only a busy or
        # unreachable file is transient.
        text = str(error.orig).lower()
        return any(word in text for word in ("locked", "busy", "unable to open", "disk i/o"))
    # psycopg: connection (08), operator intervention (57: shutdown, cancel),
    # transaction rollback (40: deadlock, serialisation), resources (53).
    return isinstance(error, (exc.OperationalError, exc.InterfaceError))
