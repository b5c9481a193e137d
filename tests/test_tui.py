"""The TUI shell: queue in work order by keyset pages, help, roles, language, failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.command import CommandList, CommandPalette

from bakso_tui.app import BaksoApp, describe_error, make_app
from bakso_tui.config import Settings
from bakso_tui.db.engine import Database
from bakso_tui.domain.queue import QueueRow
from bakso_tui.locale import catalog, set_language
from bakso_tui.screens import HelpScreen, QueueScreen, UsersScreen
from bakso_tui.widgets import KeyBar, QueueTable, StatusBar, column_layout, format_age, format_count
from bakso_tui.widgets.row_table import RowTable
from tui_helpers import FIXED_NOW, app_for, fixed_clock, run_async, seed_office, settle


@pytest.fixture
def office(db):
    return seed_office(db)


@pytest.fixture
def sqlite_office(sqlite_db):
    return seed_office(sqlite_db)


def numbers(app: BaksoApp) -> list[str]:
    return [row.number for row in app.screen.query_one(QueueTable).rows_shown]


def status(app: BaksoApp) -> str:
    return app.screen.query_one(StatusBar).left_text


# ---------------------------------------------------------------- the queue


@run_async
async def test_queue_shows_the_open_submissions_in_work_order(office):
    app = app_for(office)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert numbers(app) == office.work_order
        table = app.screen.query_one(QueueTable)
        first: QueueRow = table.rows_shown[0]
        assert "prioritas" in first.flags  # priority residents first
        assert status(app) == "Baris 1 dari 30 pengajuan"
        # The row shows the compact flags and the age from the fixed clock.
        cells = table.cells_at(0)
        assert cells[1] == first.number
        assert cells[-1].startswith("P")
        assert cells[0] == format_age(FIXED_NOW - first.submitted_at)


@run_async
async def test_next_page_is_loaded_when_the_cursor_nears_the_end(office):
    app = app_for(office, queue_page_size=10)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert numbers(app) == office.work_order[:10]
        assert "lebih banyak tersedia" in status(app)
        await pilot.press("end")
        await settle(pilot)
        assert numbers(app) == office.work_order[:20]
        await pilot.press("end")
        await settle(pilot)
        assert numbers(app) == office.work_order
        await pilot.press("end")
        await settle(pilot)
        assert numbers(app) == office.work_order
        assert status(app) == "Baris 30 dari 30 pengajuan"


@run_async
async def test_the_window_drops_pages_and_reads_them_again_by_key(sqlite_office, monkeypatch):
    monkeypatch.setattr(QueueScreen, "window_rows", 20)
    app = app_for(sqlite_office, queue_page_size=10)
    order = sqlite_office.work_order
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for _ in range(3):
            await pilot.press("end")
            await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        # Never more than the window: the first page has gone.
        assert numbers(app) == order[10:30]
        assert status(app) == "Baris 30 dari 30 pengajuan"
        await pilot.press("home")
        await settle(pilot)
        # Near the top of the window: the page before is read again, the cursor stays put.
        assert numbers(app) == order[0:20]
        assert screen.table.current.number == order[10]
        assert status(app).startswith("Baris 11 dari >20")
        await pilot.press("home")
        await settle(pilot)
        assert screen.table.current.number == order[0]


@run_async
async def test_search_narrows_the_queue_and_escape_clears_it(office):
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*"siti", "enter")
        await settle(pilot)
        shown = numbers(app)
        assert shown and all(office.names[n] == "Siti Aminah" for n in shown)
        assert shown == [n for n in office.work_order if office.names[n] == "Siti Aminah"]
        assert isinstance(app.focused, QueueTable)
        # By submission number too.
        await pilot.press("slash", "ctrl+u", *office.work_order[5], "enter")
        await settle(pilot)
        assert numbers(app) == [office.work_order[5]]
        await pilot.press("escape")
        await settle(pilot)
        assert numbers(app) == office.work_order


@run_async
async def test_empty_search_says_so(sqlite_office):
    app = app_for(sqlite_office)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"zzz", "enter")
        await settle(pilot)
        assert numbers(app) == []
        assert status(app) == "Tidak ada pengajuan yang cocok dengan «zzz»"


@run_async
async def test_key_bar_lists_the_keys_and_a_click_presses_one(sqlite_office):
    app = app_for(sqlite_office)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        line = str(bar.render())
        assert line.startswith(" ⏎ Buka  / Cari  f Filter")
        assert line.rstrip().endswith("^p Perintah")  # the palette, at the right edge
        assert len(line) == 100
        await pilot.click(KeyBar, offset=(line.index("/ Cari") + 1, 0))
        await settle(pilot)
        assert app.screen.search_input.display and app.screen.search_input.has_focus
        # The bar follows the bindings: in the search box Esc closes it.
        await pilot.press("escape")
        await settle(pilot)
        assert not app.screen.search_input.display
        app.switch_language("en")
        await settle(pilot)
        assert str(bar.render()).startswith(" ⏎ Open  / Search")


# ---------------------------------------------------------------- help


@run_async
async def test_help_opens_on_question_mark_and_f1_and_closes_on_escape(sqlite_office):
    app = app_for(sqlite_office)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key in ("question_mark", "f1"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            described = dict((text, keys) for keys, text in
                             [(k, b.description) for k, b in app.screen.keys])
            assert described["Bantuan"] == "F1 / ?"
            assert described["Cari"] == "/"
            assert described["Keluar"] == "^q"
            assert "Pengguna" not in described  # a verifier has no users screen
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, QueueScreen)


@run_async
async def test_help_explains_the_screen_and_the_flags(sqlite_office):
    app = app_for(sqlite_office, role="supervisor")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        text = " ".join(str(s.content) for s in app.screen.query("Static"))
        assert "urutan kerja" in text
        keys = {b.description: k for k, b in app.screen.keys}
        assert keys["Pengguna"] == "F3"
        # The legend is a Rich table: render it through the screen's text.
        legend = app.screen.query_one("#help-dialog")
        assert legend.border_title == "Bantuan — Antrian"
        await pilot.press("f1")  # F1 again closes it
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)


# ---------------------------------------------------------------- roles


def footer_actions(app: BaksoApp) -> set[str]:
    return {a.binding.action for a in app.screen.active_bindings.values() if a.binding.show}


@run_async
async def test_a_verifier_has_no_users_screen(sqlite_office):
    app = app_for(sqlite_office, role="verifier")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "show_screen('users')" not in footer_actions(app)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        app.action_show_screen("users")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)


@run_async
async def test_a_supervisor_lists_the_accounts(sqlite_office):
    app = app_for(sqlite_office, role="supervisor")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "show_screen('users')" in footer_actions(app)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, UsersScreen)
        table = app.screen.query_one(RowTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows == [
            ["spv1", "Hj. Siti Rohani, S.Sos.", "Supervisor", "Ya", "Belum ada"],
            ["verif1", "Baiq Nurul Aini", "Verifikator", "Ya", "Belum ada"],
        ]
        assert [str(c.label) for c in table.columns.values()] == [
            "Akun", "Nama", "Peran", "Aktif", "Kata sandi"
        ]
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)


@run_async
async def test_the_palette_follows_screen_and_role(sqlite_office):
    for role, expect_users in (("verifier", False), ("supervisor", True)):
        app = app_for(sqlite_office, role=role)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            from bakso_tui.commands import BaksoCommands

            names = [name for name, _, _ in BaksoCommands(app.screen).commands()]
            assert ("Daftar pengguna" in names) is expect_users
            assert "Buka antrian" not in names  # already there
            assert {"Cari pengajuan", "Bantuan", "Keluar", "Ganti bahasa / Switch language"} <= set(names)


@run_async
async def test_the_palette_switches_the_language(sqlite_office):
    app = app_for(sqlite_office)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"bahasa")
        for _ in range(40):  # the palette searches in the background
            await pilot.pause(0.05)
            if app.screen.query_one(CommandList).option_count:
                break
        await pilot.press("enter")
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        assert table.column_labels()[0] == "Age"
        assert status(app) == "Row 1 of 30 submissions"
        assert app.screen.query_one("#header-screen").content == "Queue"
        keys = {a.binding.description for a in app.screen.active_bindings.values() if a.binding.show}
        assert {"Open", "Search", "Help", "Quit"} <= keys


# ---------------------------------------------------------------- language


@run_async
async def test_english_on_request(office):
    app = app_for(office, lang="en")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        assert table.column_labels() == [
            "Age", "Submission no.", "Village", "Service", "Applicant", "NIK", "Flags"
        ]
        assert status(app) == "Row 1 of 30 submissions"
        services = {row.service_name for row in table.rows_shown}
        assert "Birth certificate" in services


# ---------------------------------------------------------------- failures


@run_async
async def test_a_broken_database_is_a_notification_not_a_crash(tmp_path, sqlite_office):
    broken = Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")  # no schema at all
    app = make_app(settings=Settings(), db=broken, user=sqlite_office.verifier, clock=fixed_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.is_running
        errors = [n for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1
        assert errors[0].message.startswith("Memuat antrian gagal: basis data tidak dapat dipakai")
        assert "no such table" in errors[0].message
        assert status(app).startswith("Antrian gagal dimuat")
        # Trying again fails the same way, and is told again.
        await pilot.press("r")
        await settle(pilot)
        assert app.is_running
        assert len([n for n in app._notifications if n.severity == "error"]) == 2
    broken.dispose()


@run_async
async def test_an_unreachable_server_is_a_notification(sqlite_office):
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    app = make_app(settings=Settings(), db=db, user=sqlite_office.verifier, clock=fixed_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.is_running
        (error,) = [n for n in app._notifications if n.severity == "error"]
        assert "basis data tidak dapat dipakai" in error.message
    db.dispose()


def test_errors_are_one_line():
    assert describe_error(ValueError("a\nb")) == "ValueError: a"
    assert describe_error(None) == ""


# ---------------------------------------------------------------- keys and bits


def test_every_binding_has_an_id_and_a_description_in_both_languages():
    from bakso_tui.widgets.bindings import binding_key

    for cls in (BaksoApp, QueueScreen, UsersScreen, HelpScreen, QueueTable):
        for binding in cls.BINDINGS:
            assert binding.id, (cls.__name__, binding.key)
            key = binding_key(binding)
            assert key is not None, binding.id
            assert catalog("id")[key] and catalog("en")[key]


@run_async
async def test_keys_can_be_remapped(sqlite_office):
    app = make_app(
        settings=Settings(keys={"help": "f5"}), db=sqlite_office.db, user=sqlite_office.verifier,
        clock=fixed_clock,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


def test_ages_and_counts_read_naturally():
    assert format_age(timedelta(seconds=30)) == "baru"
    assert format_age(timedelta(minutes=12)) == "12 mnt"
    assert format_age(timedelta(hours=5, minutes=59)) == "5 jam"
    assert format_age(timedelta(days=3, hours=2)) == "3 hr"
    assert format_count(1234567) == "1.234.567"
    set_language("en")
    assert format_age(timedelta(days=3)) == "3 d"
    assert format_count(1234) == "1,234"


def test_columns_fill_the_terminal_and_drop_the_nik_when_narrow():
    narrow = dict(column_layout(79))
    assert "nik" not in narrow
    assert sum(narrow.values()) + 2 * len(narrow) == 79
    wide = dict(column_layout(119))
    assert wide["nik"] == 16
    assert sum(wide.values()) + 2 * len(wide) == 119


@run_async
async def test_demo_marker(sqlite_office):
    app = app_for(sqlite_office, demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "DEMO" in str(app.screen.query_one("#header-demo").content)
    app = app_for(sqlite_office)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.screen.query("#header-demo")


@run_async
async def test_a_queue_line_changes_style_only_where_its_style_changes(office):
    """Textual writes every segment with its whole style: a row kept as a cell's
    margins, text and padding apart cost the terminal (an SSH link) 2-3 times the
    bytes. Adjacent segments of one line never share a style."""
    app = app_for(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        for y in range(min(6, table.size.height)):
            segments = list(table.render_line(y))
            assert all(a.style != b.style for a, b in zip(segments, segments[1:])), y
