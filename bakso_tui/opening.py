"""The first frame before the database: the session's sign-in in a worker after it.

`bakso tui` used to open the database and sign in before Textual drew
anything, so the first frame waited for SQLAlchemy's import (0.14 s here),
the connection and the sign-in. When the account this login signed in as
last time is known (``cli/remembered.py``), the app is built for that account
and draws its first screen at once; the screen's own reads start as usual
and wait, in their worker threads, for the database (:attr:`Opening.db`),
which the sign-in worker opens after the first frame.

The remembered account is a guess: nothing is read or written until the
sign-in has found the very same account. If it differs in anything, the app
ends before showing a figure (:attr:`reopen`) and the command line signs in
first and opens it again; if the sign-in is refused (a disabled account, a
database away), the app ends and the command line says why in one line
(:attr:`refusal`, exit 2), as it did before the app started.

An app built with an open database and a signed-in user (the tests, a
password typed at the prompt, a first session) is open from the start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message import Message

from bakso_tui.errors import Refusal, SetupError
from bakso_tui.resilience import one_line

if TYPE_CHECKING:
    from bakso_tui.db.engine import Database
    from bakso_tui.domain.permissions import UserInfo

#: Opens the database and signs in: (database, account, a demo?, the demo's
#: accounts). Raises a Refusal or a SetupError saying why it cannot.
Opener = Callable[[], "tuple[Database, UserInfo, bool, list[str]]"]


class NotOpened(RuntimeError):
    """The session ended before its sign-in held: no database for this task."""


class Opening:
    """Mixed into `BaksoApp` (``self`` is the app)."""

    class Opened(Message):
        """The sign-in found the account the first frame was drawn for."""

    def _init_opening(self, db: Database | None, opener: Opener | None) -> None:
        self._db = db
        self._opener = opener
        self._open = threading.Event()
        #: One line when the sign-in was refused (the command line says it, exit 2).
        self.refusal: str | None = None
        #: The account signed in differs from the remembered one: open again, signed in first.
        self.reopen = False
        #: The database the sign-in opened, whatever came of it (the command line's next
        #: sign-in uses it after a `reopen`).
        self.opened_db: Database | None = db
        if opener is None:
            self._open.set()

    @property
    def signed_in(self) -> bool:
        return self._open.is_set() and self._db is not None

    @property
    def db(self) -> Database:
        """The database, once the sign-in has found the account on screen.

        A worker asking before then waits for it; the screen's thread never
        waits (a programming error, said loudly)."""
        if not self._open.is_set():
            if threading.current_thread() is threading.main_thread():
                raise NotOpened("the database asked for on the screen's thread before the sign-in")
            self._open.wait()
        if self._db is None:
            raise NotOpened("the session ended before its sign-in")
        return self._db

    def open_session(self) -> None:
        """After the first frame: open the database and sign in, in a worker."""
        if self._open.is_set():
            return
        self.run_worker(self._sign_in, thread=True, group="sign_in", exit_on_error=False)

    def _sign_in(self) -> None:
        try:
            db, user, demo, accounts = self._opener()
        except (Refusal, SetupError) as exc:
            self._not_opened(str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - any failure: said in one line, exit 2
            self.log.error("sign-in failed", exc)
            self._not_opened(one_line(exc))
            return
        self.opened_db = db
        if user != self.user:
            self.reopen = True  # role, name, state or password changed since it was remembered
            self._end(None)
            return
        self.demo = demo
        self.demo_accounts = tuple(a for a in accounts if a != user.login)
        self._db = db
        self._open.set()
        self.post_message(self.Opened())

    def _not_opened(self, reason: str) -> None:
        self.refusal = reason
        self._end(2)

    def _end(self, code: int | None) -> None:
        """End the app unseen: the workers waiting for the database end too (NotOpened)."""
        self._open.set()
        try:
            self.call_from_thread(self.exit, return_code=code or 0)
        except RuntimeError:
            pass  # the app had already ended (its terminal gone)

    def stop_opening(self) -> None:
        """The app is ending: a read still waiting for a sign-in that has not begun
        ends now (NotOpened) rather than keep the process from exiting."""
        self._open.set()

    def on_opening_opened(self, message: Opening.Opened) -> None:
        self._started()  # (the garbage collector back on: after the sign-in's imports)
        self.start_listening()
