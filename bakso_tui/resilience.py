"""What keeps a session going through faults, and what it leaves behind when it ends.

Two parts of `BaksoApp`, kept here so that app.py stays about screens and keys:

`DatabaseWatch`: a worker that failed because the database went away
(`db.engine.transient`) puts the app in "database away" mode: the header of
every screen says so, and a probe connects again after 1, 2, 4 … 30 seconds
(the engine's pool pre-pings and replaces dead connections). When the probe
gets through, the header clears, the user is told once, and each open screen
redoes what it could not do (`BaksoScreen.database_back`: the queue reloads, a
submission renews its lease and reads itself again, claims left behind are
released).

`ClaimKeeper`: the claims this session holds. Leaving a submission releases
its claim in a worker (and again, once the database is back, if that failed).
Leaving the program releases every claim at once, however it is left: Ctrl+Q
or the palette's Quit, SIGTERM, SIGHUP (the SSH connection dropped), or a
terminal that went away without a signal (Textual would spin on end of file
reading it, Textual #5140; checked twice a second, as Dolphie does every five). A
session killed outright (SIGKILL) keeps its claims until their leases end.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import TYPE_CHECKING
from textual import work
from textual.message import Message

from bakso_tui.db.errors import transient
from bakso_tui.locale import t

if TYPE_CHECKING:  # the rules, with SQLAlchemy: on first use (opening.py)
    from bakso_tui.domain import claims

#: Seconds between tries to reach the database again (the last one repeats).
PROBE_BACKOFF = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
#: Seconds between checks that the terminal is still there.
TERMINAL_CHECK = 0.5
#: Seconds the claims may take to be released when the program ends (a
#: database that is away keeps them until their leases end).
RELEASE_WAIT = 5.0
#: Seconds a hung-up session may take to close before it is ended outright.
HANGUP_GRACE = 10.0


def one_line(error: BaseException | str) -> str:
    """The driver's reason, short enough for the header: "Connection refused",
    "server closed the connection unexpectedly"."""
    text = str(getattr(error, "reason", "") or
               (error.orig if getattr(error, "orig", None) is not None else error))
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    line = lines[0] if lines else type(error).__name__
    if line.startswith("connection failed:"):  # "…: connection to server at …, port …: <why>"
        line = line.rsplit(": ", 1)[-1]
    return line


class DatabaseWatch:
    """Notices the database going away and coming back (mixed into `BaksoApp`,
    whose ``db``, ``db_status``, timers and workers it uses)."""

    class Probed(Message):
        """The probe's answer: None when the database answered, else why not."""

        def __init__(self, error: BaseException | None) -> None:
            super().__init__()
            self.error = error

    class Away(Message):
        """A worker met the database away (it goes on trying by itself)."""

        def __init__(self, error: BaseException) -> None:
            super().__init__()
            self.error = error

    _probes = 0
    _probe_timer = None

    def on_database_watch_away(self, message: DatabaseWatch.Away) -> None:
        self.database_lost(message.error)

    @property
    def database_away(self) -> bool:
        return bool(self.db_status)

    def database_lost(self, error: BaseException | str) -> None:
        """The database did not answer: say so in the header and start probing."""
        first = not self.database_away
        self._away_reason = one_line(error)
        if first:
            self._probes = 0
            self.log.warning("database away", self._away_reason)
            self._arm_probe()
        self._show_away()

    def _arm_probe(self) -> None:
        delay = PROBE_BACKOFF[min(self._probes, len(PROBE_BACKOFF) - 1)]
        self._next_probe_seconds = delay
        self._probe_timer = self.set_timer(delay, self.probe_database)

    def _show_away(self) -> None:
        self.db_status = t("session.db_away", seconds=int(self._next_probe_seconds),
                           reason=self._away_reason)

    @work(thread=True, exclusive=True, exit_on_error=False, group="db_probe")
    def probe_database(self) -> None:
        try:
            self.db.check()
        except Exception as exc:  # noqa: BLE001 - any failure: try again later
            self.post_message(self.Probed(exc))
            return
        self.post_message(self.Probed(None))

    def on_database_watch_probed(self, message: DatabaseWatch.Probed) -> None:
        if message.error is None:
            self._database_back()
        else:
            self._probe_failed(message.error)

    def _probe_failed(self, error: BaseException) -> None:
        self._probes += 1
        self._away_reason = one_line(error)
        self._arm_probe()
        self._show_away()

    def _database_back(self) -> None:
        if not self.database_away:
            return
        self.db_status = ""
        self.notify(t("session.db_back"), markup=False)
        self.release_left_behind()
        from bakso_tui.screens.base import BaksoScreen

        for screen in list(self.screen_stack):
            if isinstance(screen, BaksoScreen):
                screen.database_back()

    def note_failure(self, error: BaseException | None) -> None:
        """A worker failed: if the database went away, start watching it."""
        if error is not None and transient(error):
            self.database_lost(error)


class ClaimKeeper:
    """The claims this session holds, released when they are left (mixed into `BaksoApp`)."""

    class Released(Message):
        """Claims left behind are back in the queue."""

        def __init__(self, submission_ids: list[int]) -> None:
            super().__init__()
            self.submission_ids = submission_ids

    def _init_claims(self) -> None:
        self.held: dict[int, claims.Claim] = {}
        #: Claims left whose release did not reach the database yet.
        self.left_behind: dict[int, claims.Claim] = {}
        self._leaving = False

    def hold(self, claim: claims.Claim) -> None:
        self.held[claim.submission_id] = claim

    def forget(self, submission_id: int) -> None:
        """The claim ended by itself (decided, lost to another): nothing to release."""
        self.held.pop(submission_id, None)
        self.left_behind.pop(submission_id, None)

    def leave(self, claim: claims.Claim) -> None:
        """The verifier left the submission: give it back to the queue."""
        self.held.pop(claim.submission_id, None)
        self.left_behind[claim.submission_id] = claim
        self.release_claims([claim])

    def release_left_behind(self) -> None:
        if self.left_behind:
            self.release_claims(list(self.left_behind.values()))

    @work(thread=True, exit_on_error=False, group="release")
    def release_claims(self, left: list[claims.Claim]) -> None:
        self._release(left)
        self.post_message(self.Released([claim.submission_id for claim in left]))

    def _release(self, left: list[claims.Claim]) -> None:
        """Give `left` back to the queue, in one transaction (the rules: on first use)."""
        from bakso_tui.domain import claims

        with self.db.write() as session:
            for claim in left:
                claims.release(session, self.actor, claim.submission_id, claim.token,
                               now=self.now())

    def on_claim_keeper_released(self, message: ClaimKeeper.Released) -> None:
        for submission_id in message.submission_ids:
            self.left_behind.pop(submission_id, None)

    def release_all_now(self) -> int:
        """Release every claim of this session before going on (the program is ending).

        Waits at most `RELEASE_WAIT` seconds and never raises: a database that
        is away keeps the claims until their leases end. Returns how many were
        released.
        """
        left = {**self.left_behind, **self.held}
        if not left:
            return 0
        done: list[int] = []

        def release() -> None:
            try:
                self._release(list(left.values()))
                done.append(len(left))
            except Exception as exc:  # noqa: BLE001 - ending anyway; the leases will run out
                self.log.error("claims not released at exit", exc)

        releaser = threading.Thread(target=release, name="release-at-exit", daemon=True)
        releaser.start()
        releaser.join(RELEASE_WAIT)
        if not done:
            return 0
        self.held.clear()
        self.left_behind.clear()
        return done[0]

    # -------------------------------------------------------------- leaving

    def action_quit(self) -> None:
        """Ctrl+Q and the palette's Quit: release the claims, then close."""
        self.release_all_now()
        self.exit()

    def watch_terminal(self) -> None:
        """On a real terminal: leave on SIGHUP, SIGTERM, or a terminal that is gone."""
        if self.is_headless:
            return
        try:
            import asyncio

            loop = asyncio.get_running_loop()
            for sig in (signal.SIGHUP, signal.SIGTERM):
                loop.add_signal_handler(sig, self.hang_up, sig.name)
        except (NotImplementedError, RuntimeError, AttributeError, ValueError):
            pass  # no signals here (Windows, or not the main thread)
        self.set_interval(TERMINAL_CHECK, self._check_terminal)

    def _check_terminal(self) -> None:
        try:
            alive = sys.__stdin__ is not None and os.isatty(sys.__stdin__.fileno())
        except (OSError, ValueError):
            alive = False
        if not alive:
            self.hang_up("stdin")

    def hang_up(self, why: str = "") -> None:
        """The terminal (or the system) ends the session: release, then close.

        A terminal that is gone cannot be restored, and Textual may wait on it:
        a watchdog ends the process after `HANGUP_GRACE` seconds if it has not
        ended by then (the release, first, waits at most `RELEASE_WAIT`).
        """
        if self._leaving:
            return
        self._leaving = True
        self.log.warning("session ends", why)
        watchdog = threading.Timer(HANGUP_GRACE, os._exit, args=(0,))
        watchdog.daemon = True
        watchdog.start()
        self.release_all_now()
        self.exit()
