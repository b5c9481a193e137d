"""Keys typed ahead go where the keys before them sent the focus (bakso_tui/type_ahead.py).

Over a slow SSH link a moment's typing arrives in one packet; a fast typist
does the same on a busy machine. Textual hands every key to the widget that
was focused when the app read it, so a burst went to the widget focused
before its first key was handled. Each test sends its keys as one burst.
"""

from __future__ import annotations

import asyncio
import threading
import time

from textual import events
from textual.app import App
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static

from bakso_tui.screens.account_dialogs import AddAccountDialog
from bakso_tui import type_ahead
from bakso_tui.type_ahead import TypeAhead
from tui_helpers import app_for, burst, run_async, seed_office, settle


class TwoFields(App):
    def compose(self):
        yield Input(id="login")
        yield Input(id="name")


class TwoFieldsInTurn(TypeAhead, TwoFields):
    pass


def values(app) -> tuple[str, str]:
    return app.query_one("#login", Input).value, app.query_one("#name", Input).value


def _key(char: str) -> events.Key:
    return events.Key(char, char)


async def typed_until(app, keys: list[events.Key], login: str, limit: float = 5.0) -> float:
    """`keys` sent together; the seconds until the first field reads `login` (or `limit`)."""
    started = time.monotonic()
    for key in keys:
        app._driver.send_message(key)
    while values(app)[0] != login and time.monotonic() - started < limit:
        await asyncio.sleep(0.005)
    return time.monotonic() - started


@run_async
async def test_textual_alone_sends_a_burst_to_the_first_field():
    """What the mixin is for: without it, Tab in a burst moves the focus too late."""
    app = TwoFields()
    async with app.run_test() as pilot:
        await pilot.pause()
        await typed_until(app, [_key("a"), _key("b"), events.Key("tab", "\t"), _key("c")], "abc",
                          limit=0.5)
        assert values(app) == ("abc", "")


@run_async
async def test_tab_in_a_burst_moves_the_rest_to_the_next_field():
    app = TwoFieldsInTurn()
    async with app.run_test() as pilot:
        await pilot.pause()
        await burst(pilot, *"verif7", "tab", *"Baiq", "space", *"Sari")
        assert values(app) == ("verif7", "Baiq Sari")


class Opened(Screen):
    def compose(self):
        yield Input(id="search")

    def on_mount(self) -> None:
        self.query_one(Input).focus()


class OpensAfterAWorker(TypeAhead, App):
    """`o` asks something of a worker (as Enter on the queue claims in one), then opens a screen."""

    BINDINGS = [("o", "open")]
    KEYS_WAIT_FOR = frozenset({"opens"})

    def compose(self):
        yield Static("behind")

    def action_open(self) -> None:
        self.run_worker(self._ask, thread=True, group="opens")

    def _ask(self) -> None:
        time.sleep(0.5)  # longer than MOST_WAIT: a worker that leads on is waited for longer
        self.call_from_thread(self.push_screen, Opened())


@run_async
async def test_keys_after_one_that_opens_a_screen_through_a_worker_reach_that_screen():
    app = OpensAfterAWorker()
    async with app.run_test() as pilot:
        await pilot.pause()
        await burst(pilot, "o", *"5203")
        assert isinstance(app.screen, Opened)
        assert app.screen.query_one(Input).value == "5203"


class ReadsInTheBackground(TypeAhead, TwoFields):
    """Ctrl+R starts a read that only refreshes what is shown (not in KEYS_WAIT_FOR)."""

    BINDINGS = [("ctrl+r", "read")]
    KEYS_WAIT_FOR = frozenset({"opens"})

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def action_read(self) -> None:
        self.run_worker(lambda: self.gate.wait(30), thread=True, group="read")


@run_async
async def test_a_read_in_flight_never_delays_the_keys_after_it(monkeypatch):
    """With the wait for a restless screen made longer than the test, the keys
    still come at once: nothing holds them for the read."""
    monkeypatch.setattr(type_ahead, "MOST_WAIT", 60.0)
    app = ReadsInTheBackground()
    async with app.run_test() as pilot:
        await pilot.pause()
        await typed_until(app, [events.Key("ctrl+r", None), *map(_key, "ab")], "ab")
        assert values(app)[0] == "ab"
        assert any(w.group == "read" and not w.is_finished for w in app.workers)
        app.gate.set()


class NeverRests(Static):
    """A widget with a message always waiting (until `rest` is set), as an endless
    animation would keep it."""

    class Busy(Message):
        pass

    def __init__(self) -> None:
        super().__init__("busy")
        self.rest = asyncio.Event()

    async def on_never_rests_busy(self, message: Busy) -> None:
        if not self.rest.is_set():
            self.post_message(self.Busy())
            await asyncio.sleep(0.001)


class BusyScreen(TypeAhead, TwoFields):
    def compose(self):
        yield from super().compose()
        yield NeverRests()


@run_async
async def test_a_screen_that_never_rests_delays_a_burst_once_not_per_key(monkeypatch):
    """Ten keys: the first waits the whole MOST_WAIT, the others not again (ten
    waits would be 3 s)."""
    monkeypatch.setattr(type_ahead, "MOST_WAIT", 0.3)
    app = BusyScreen()
    async with app.run_test() as pilot:
        await pilot.pause()
        busy = app.query_one(NeverRests)
        busy.post_message(NeverRests.Busy())
        await asyncio.sleep(0.05)
        waited = await typed_until(app, list(map(_key, "abcdefghij")), "abcdefghij")
        assert values(app) == ("abcdefghij", "")
        assert 0.3 <= waited < 1.5, waited
        busy.rest.set()
        await pilot.pause()


@run_async
async def test_the_queue_search_gets_what_is_typed_after_the_slash(db):
    office = seed_office(db)
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await burst(pilot, "slash", *"siti")
        assert app.focused is not None and isinstance(app.focused, Input)
        assert app.focused.value == "siti"


@run_async
async def test_a_nik_pasted_right_after_the_slash_lands_in_the_search(db):
    office = seed_office(db)
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app._driver.send_message(events.Key("slash", "/"))
        app._driver.send_message(events.Paste("5203184512055266"))
        await burst(pilot)
        assert isinstance(app.focused, Input) and app.focused.value == "5203184512055266"


@run_async
async def test_a_supervisor_types_a_new_account_in_one_go(db):
    office = seed_office(db)
    app = app_for(office, role="supervisor")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await burst(pilot, "f3", "a", *"verif7", "tab", *"Baiq", "space", *"Sari")
        dialog = app.screen
        assert isinstance(dialog, AddAccountDialog)
        assert dialog.query_one("#account-login", Input).value == "verif7"
        assert dialog.query_one("#account-name", Input).value == "Baiq Sari"
