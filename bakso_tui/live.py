"""Keeping the open queue current: one listener per session, in a thread.

The writers say when the queue changed (`bakso_tui.db.changes`: NOTIFY on
PostgreSQL, ``PRAGMA data_version`` on SQLite); `QueueListener` waits for that
in a thread of its own and posts `QueueListener.QueueChanged` to the app. The
app counts the changes (``queue_version``) and tells the screen on top; a
queue screen under another screen reads itself again when it comes back
(`QueueScreen.on_screen_resume`). Nothing re-reads a page on a timer: a
session whose queue does not change reads nothing.

The thread is not a Textual worker (the tests' ``settle`` waits for every
worker to finish, and this one never does). It is a daemon thread stopped on
unmount; a connection that breaks is opened again after 1, 2, 4 … 30
seconds, and the queue is read again then (changes may have been missed).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from bakso_tui.db.changes import QueueWatch


#: Seconds one wait may block (how long stopping the thread may take).
WAIT_SECONDS = 0.5
#: Seconds between tries to listen again after the connection broke.
RETRY_BACKOFF = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)


class QueueListener:
    """Mixed into `BaksoApp` (``self`` is the app)."""

    class QueueChanged(Message):
        """Another session (or this one) changed the queue."""

    queue_version = 0
    _listener: threading.Thread | None = None
    _listener_stop: threading.Event | None = None

    def start_listening(self) -> None:
        """Once signed in (``opening.py``): the database's own module, with SQLAlchemy."""
        from bakso_tui.db.changes import QueueWatch

        if not self.settings.live_queue or self._listener is not None:
            return
        stop = threading.Event()
        self._listener_stop = stop
        self._listener = threading.Thread(
            target=self._listen, args=(QueueWatch(self.db), stop),
            name="bakso-queue-listener", daemon=True)
        self._listener.start()

    def stop_listening(self) -> None:
        if self._listener_stop is not None:
            self._listener_stop.set()
        if self._listener is not None:
            self._listener.join(2 * WAIT_SECONDS + 1)
        self._listener = None

    def _listen(self, watch: QueueWatch, stop: threading.Event) -> None:
        from bakso_tui.db.changes import FOLLOW_UP

        failures = 0
        follow_up: float | None = None
        try:
            first = True
            while not stop.is_set():
                try:
                    changed = watch.wait(WAIT_SECONDS)
                except Exception as exc:  # noqa: BLE001 - listen again later
                    self.log.warning("queue listener", exc)
                    stop.wait(RETRY_BACKOFF[min(failures, len(RETRY_BACKOFF) - 1)])
                    failures += 1
                    continue
                failures = 0
                now = time.monotonic()
                if changed and not first and watch.follows_up:
                    follow_up = now + FOLLOW_UP
                elif not changed and follow_up is not None and now >= follow_up:
                    follow_up, changed = None, True
                if changed and not first and not stop.is_set():
                    self.post_message(self.QueueChanged())
                first = False  # the first "change" is only the connection being made
        finally:
            watch.close()

    def on_queue_listener_queue_changed(self, message: QueueListener.QueueChanged) -> None:
        if not self.is_running or self._exit:
            return  # closing: the screens are being taken down
        self.queue_version += 1
        reread = getattr(self.screen, "queue_changed", None)
        if reread is not None:
            reread()
