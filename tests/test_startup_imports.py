"""A TUI session imports what its first screen needs and nothing more (issue 16).

Thirty sessions share the office's server: libraries that only the children
(page drawing), the command line (PDFs, the scheduler daemon, Alembic) or a
later screen need stay out of a session's memory until used. Checked in a
fresh interpreter that runs `bakso tui` headless until the first rows are on
screen, for each role's first screen (and the garbage collector, off while
`bakso` starts, is on again by then).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from bakso_tui.demo.bulk import bulk_seed
from bakso_tui.domain import users

#: Imported only by the children, the command line or a later screen.
NOT_AT_START = ("PIL", "reportlab", "pypdf", "pypdfium2", "apscheduler", "holidays", "argon2",
                "textual_image", "alembic", "icalendar", "num2words", "mako", "multiprocessing",
                "dateutil", "pydantic", "numpy", "sqlite3", "rich._emoji_codes",
                "bakso_tui.domain.schedule.rules", "bakso_tui.domain.schedule.booking")

#: What a role's first screen does need. (The settings are checked with msgspec:
#: pydantic, 8 MB and 150 ms, only where a package or the service catalogue is
#: read. sqlite3 only on SQLite. Column labels are plain Text: Rich's emoji
#: table, 1 MB, stays out.) The supervisor's dashboard counts its age bands in
#: working days: the first session to ask for a year's holidays imports the
#: `holidays` package (and dateutil under it) and keeps the year's days in the
#: user's cache; the sessions after it read those (domain/calendar).
FIRST_SCREEN_NEEDS = {"verifier": set(), "supervisor": set()}
FIRST_OF_THE_YEAR_NEEDS = {"holidays", "dateutil"}

RUN_HEADLESS = """
import asyncio, sys
from bakso_tui.app import BaksoApp


async def until_first_rows(app):
    async with app.run_test(size=(100, 30)) as pilot:
        while app.first_rows_seconds is None and getattr(app.screen, "first_drawn_seconds", None) is None:  # queue or dashboard
            await pilot.pause(0.01)
        await pilot.pause()


BaksoApp.run = lambda app: asyncio.run(until_first_rows(app))
wanted = set(sys.argv[2].split(","))
sys.argv = ["bakso", "--db", sys.argv[1], "tui"]
from bakso_tui.__main__ import main  # as the `bakso` script starts

try:
    main()
except SystemExit as end:
    assert not end.code, end.code
import gc

assert gc.isenabled()  # off while starting, on again after the first frame
loaded = {name.split(".")[0] for name in sys.modules} | set(sys.modules)
print(",".join(sorted(loaded & wanted)))
"""


def _start(db, role: str, code: str = RUN_HEADLESS, *, seed: bool = True) -> str:
    if seed:
        bulk_seed(db, 20)
        with db.write() as s:
            users.add_user(s, users.cli_actor(), login=users.os_login(), name="Uji", role=role)
    out = subprocess.run([sys.executable, "-c", code, db.url, ",".join(NOT_AT_START)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


@pytest.mark.parametrize("role", ["verifier", "supervisor"])
def test_a_session_does_not_import_what_its_first_screen_does_not_need(db, role):
    needs = FIRST_SCREEN_NEEDS[role] | ({"sqlite3"} if db.dialect == "sqlite" else set())
    first = set(filter(None, _start(db, role).split(",")))  # this test's cache is empty
    assert first <= needs | FIRST_OF_THE_YEAR_NEEDS, first - needs
    loaded = set(filter(None, _start(db, role, seed=False).split(",")))
    assert loaded <= needs, loaded - needs


def test_the_check_sees_an_import(sqlite_db):
    """The same check names a library once something has imported it."""
    planted = RUN_HEADLESS.replace("from bakso_tui.__main__ import main",
                                   "import holidays\nfrom bakso_tui.__main__ import main")
    assert "holidays" in _start(sqlite_db, "verifier", planted).split(",")
