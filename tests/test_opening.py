"""The first frame before the database (bakso_tui/opening.py, cli/remembered.py; issue 16).

`bakso tui` signed in by the system login draws its first screen for the
account this login signed in as last time on the same database, then opens
the database and signs in, in a worker. Checked in a fresh interpreter, as
the `bakso` script starts, headless: what was imported when the first frame
was drawn, which screen it was, and what happens when the account changed
since (another role: it opens again, signed in first; disabled: refused in
one line, exit 2).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading

from textual import events
from textual.widgets import Input
from tui_helpers import burst, fixed_clock, run_async, seed_office

from bakso_tui.app import make_app
from bakso_tui.cli import remembered
from bakso_tui.config import settings_from
from bakso_tui.demo.bulk import bulk_seed
from bakso_tui.domain import users
from bakso_tui.domain.permissions import UserInfo

#: What the first frame must be drawn without (the database's libraries and our models).
DATABASE_MODULES = ("sqlalchemy", "psycopg", "sqlite3", "alembic", "bakso_tui.db.models",
                    "bakso_tui.db.engine")

RUN_HEADLESS = """
import asyncio, json, sys
from bakso_tui import opening
from bakso_tui.app import BaksoApp

WATCHED = %r
runs = []
real_sign_in = opening.Opening._sign_in


def sign_in(app):  # the worker starts after the first frame: what had been imported for it
    runs[-1]["at_first_frame"] = sorted(m for m in WATCHED if m in sys.modules)
    return real_sign_in(app)


async def until_first_rows(app):
    async with app.run_test(size=(100, 30)) as pilot:
        runs[-1]["first_screen"] = app.current_mode
        while (not app._exit and app.first_rows_seconds is None
               and getattr(app.screen, "first_drawn_seconds", None) is None):
            await pilot.pause(0.01)
        runs[-1]["signed_in"] = app.signed_in
        runs[-1]["shown"] = None if app._exit else app.current_mode


def run(app):
    runs.append({"remembered": not app.signed_in})
    asyncio.run(until_first_rows(app))


opening.Opening._sign_in = sign_in
BaksoApp.run = run
sys.argv = ["bakso", "--db", sys.argv[1], "tui"]
from bakso_tui.__main__ import main  # as the `bakso` script starts

code = 0
try:
    main()
except SystemExit as end:
    code = end.code
print(json.dumps({"runs": runs, "code": code}))
""" % (DATABASE_MODULES,)


def _bakso_tui(db) -> tuple[list[dict], int, str]:
    out = subprocess.run([sys.executable, "-c", RUN_HEADLESS, db.url],
                         capture_output=True, text=True, timeout=120)
    said = json.loads(out.stdout.strip().splitlines()[-1])
    return said["runs"], said["code"], out.stderr


def _me(db, role: str = "verifier") -> None:
    bulk_seed(db, 20)
    with db.write() as s:
        users.add_user(s, users.cli_actor(), login=users.os_login(), name="Uji", role=role)


def test_the_first_frame_is_drawn_before_the_database_is_opened(db):
    _me(db)
    (first,), code, _ = _bakso_tui(db)  # nothing remembered yet: signed in first, as before
    assert code == 0 and first["remembered"] is False and first["shown"] == "queue"
    (second,), code, _ = _bakso_tui(db)
    assert code == 0
    assert second["remembered"] is True
    assert second["at_first_frame"] == []  # no database library, no model, for the frame
    assert second["first_screen"] == "queue"
    assert second["signed_in"] is True and second["shown"] == "queue"  # its rows came after


def test_an_account_whose_role_changed_opens_again_signed_in_first(db):
    _me(db)
    _bakso_tui(db)
    with db.write() as s:
        users.set_role(s, users.cli_actor(), users.os_login(), "supervisor")
    runs, code, _ = _bakso_tui(db)
    assert code == 0
    guessed, opened = runs
    # The frame drawn for the verifier remembered ended unseen: nothing was read for it.
    assert guessed["first_screen"] == "queue" and guessed["signed_in"] is False
    assert guessed["shown"] is None
    assert opened["remembered"] is False and opened["shown"] == "dashboard"
    (third,), code, _ = _bakso_tui(db)  # the supervisor is remembered now
    assert code == 0 and third["remembered"] is True and third["first_screen"] == "dashboard"


def test_a_remembered_account_since_disabled_is_refused_in_one_line(db):
    _me(db)
    _bakso_tui(db)
    with db.write() as s:
        users.add_user(s, users.cli_actor(), login="kasi", name="Kasi", role="supervisor")
        users.disable_user(s, users.cli_actor(), users.os_login())
    runs, code, stderr = _bakso_tui(db)
    assert code == 2
    assert [r["signed_in"] for r in runs] == [False]
    lines = stderr.strip().splitlines()
    assert lines[-1].startswith("bakso: ") and users.os_login() in lines[-1], stderr
    assert remembered.recall(db.url, users.os_login()) is None  # forgotten: no guess next time
    runs, code, _ = _bakso_tui(db)
    assert code == 2 and runs == []  # signed in first, refused before any frame


def test_the_remembered_account_is_private_and_a_damaged_one_is_no_guess(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    user = UserInfo(id=7, login="verif1", name="Baiq Sari", role="verifier", active=True,
                    has_password=False)
    url = "postgresql+psycopg://bakso:rahasia@db.kantor/bakso"
    remembered.remember(url, "verif1", user)
    (path,) = (tmp_path / "bakso" / "accounts").iterdir()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert b"rahasia" not in path.read_bytes()
    assert remembered.recall(url, "verif1") == user
    # The password is not part of which database it is; the login and the database are.
    assert remembered.recall("postgresql+psycopg://bakso:baru@db.kantor/bakso", "verif1") == user
    assert remembered.recall(url, "verif2") is None
    assert remembered.recall("postgresql+psycopg://bakso@db.kantor/lain", "verif1") is None
    for damaged in (b"", b"{", b'{"id": 7}', b"[1, 2]", b'{"login": "x"}'):
        path.write_bytes(damaged)
        assert remembered.recall(url, "verif1") is None
    disabled = UserInfo(**{**user.__dict__, "active": False})
    remembered.remember(url, "verif1", disabled)
    assert remembered.recall(url, "verif1") is None


@run_async
async def test_keys_typed_on_the_first_frame_wait_for_the_sign_in(db):
    """`/` and a name typed while the sign-in is still working land in the search
    once it holds (the queue's first read waits for the database meanwhile)."""
    office = seed_office(db)
    gate = threading.Event()

    def opener():
        gate.wait(10)
        return office.db, office.verifier, False, []

    app = make_app(settings=settings_from({"live_queue": False}), db=None, user=office.verifier,
                   clock=fixed_clock, first_screen="queue", opener=opener)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for key, character in (("slash", "/"), *((c, c) for c in "siti")):
            app._driver.send_message(events.Key(key, character))
        await pilot.pause(0.3)
        assert not app.signed_in and app._typed  # held while the sign-in works
        assert app.first_rows_seconds is None
        gate.set()
        await burst(pilot)
        assert app.signed_in
        assert isinstance(app.focused, Input) and app.focused.value == "siti"
