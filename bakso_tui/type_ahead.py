"""Keys typed ahead go where the keys before them sent the focus.

Textual hands a key to the widget that has the focus when the app reads the
key. Keys that arrive together (a fast typist, or a slow SSH link that
delivers a moment's typing in one packet) therefore all went to the widget
focused before the first of them was handled: ``verif7``, Tab, ``Baiq Sari``
filled the login field with all of it; ``/`` then ``Baiq`` opened the search
and sent the name to the table behind it; Enter, ``a``, Enter opened a
submission and lost the approval. A paste (a NIK copied from a letter) goes
the same way, and waits its turn with the keys.

:class:`TypeAhead`, mixed into the app, hands a key on only once the key
before it has been dealt with: its handlers, the bindings it set off, a
screen it opened and the focus that screen took (every message queue of the
app and of the current screen's widgets empty, twice, with every other
task's turn between), and the workers it started whose end moves the user
on: the app names their groups in ``KEYS_WAIT_FOR`` (Enter on the queue
claims the submission in a worker before its screen opens). A read that
only refreshes what is shown is not among them: it never delays a key. (A
handler still running is not seen: the screens do their slow work in
workers.) A key typed while all is quiet goes at once, as before. A key
waits at most :data:`MOST_WAIT` for a screen that never rests (an
animation), :data:`WORKER_WAIT` for a leading worker; then it and the rest
of its burst go as Textual would have sent them.
"""

from __future__ import annotations

import asyncio
from collections import deque

from textual import events
from textual.app import ScreenStackError

#: Seconds a key waits at most for a screen that does not rest. None of ours is
#: restless (no endless animation), so this is a safety net; a machine under load
#: may take most of a second to open a screen and focus its field.
MOST_WAIT = 2.0
#: Seconds a key waits at most for a worker that leads on (a claim on a slow
#: database): going early would send it to the screen the user is leaving.
WORKER_WAIT = 5.0


def _busy(pump) -> bool:
    """A message waiting in `pump`'s queue."""
    return bool(pump.message_queue_size)


class TypeAhead:
    """Holds typed keys while the app still deals with the ones before them."""

    #: The groups of the workers whose end moves the user on (opens a screen,
    #: closes a dialog): a key waits for those the keys before it started.
    KEYS_WAIT_FOR: frozenset[str] = frozenset()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._typed: deque[events.Key | events.Paste] = deque()
        self._in_turn: set[int] = set()  # keys handed back to the app, by id
        self._feeder: asyncio.Task | None = None
        self._workers_before: set = set()  # the workers running when the last key was handed on

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            if id(event) in self._in_turn:
                self._in_turn.discard(id(event))
            elif self._typed or self.message_queue_size or not self._quiet(app=False):
                self._typed.append(event)  # after the keys before it
                if self._feeder is None or self._feeder.done():
                    self._feeder = asyncio.create_task(self._feed())
                return
            self._workers_before = set(self.workers)
        await super().on_event(event)

    def _quiet(self, *, app: bool = True) -> bool:
        """Nothing waiting for the current screen and its widgets (nor for the app
        itself, `app`), and no worker of ``KEYS_WAIT_FOR`` started since the last
        key was handed on."""
        try:
            screen = self.screen
        except ScreenStackError:  # no screen yet, or the app is closing
            return True
        if app and _busy(self):
            return False
        if self._leading_worker():
            return False
        return not any(_busy(node) for node in screen.walk_children(with_self=True))

    def _leading_worker(self) -> bool:
        """A worker of ``KEYS_WAIT_FOR`` running that the last key handed on started."""
        return any(worker.group in self.KEYS_WAIT_FOR and worker not in self._workers_before
                   for worker in self.workers)

    async def _feed(self) -> None:
        """Hand the typed keys back to the app one by one, each once the app rests."""
        loop = asyncio.get_running_loop()
        patient = True  # until the app fails to rest in time, for this burst
        while self._typed:
            started = loop.time()
            while patient and not await self._rested():
                wait = WORKER_WAIT if self._leading_worker() else MOST_WAIT
                if loop.time() >= started + wait:
                    patient = False
                    break
                await asyncio.sleep(0.001)
            key = self._typed.popleft()
            self._in_turn.add(id(key))
            self.post_message(key)
            await asyncio.sleep(0)

    async def _rested(self) -> bool:
        """Quiet now and still quiet after every other task has had its turn."""
        if not self._quiet():
            return False
        await asyncio.sleep(0)
        return self._quiet()
