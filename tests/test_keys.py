"""The keymap: the config file's [keys] table remaps bindings by id, validated like the rest."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from textual.dom import DOMNode

import bakso_tui
from bakso_tui.app import make_app
from bakso_tui.config import ConfigError, binding_ids, load_settings
from bakso_tui.locale import catalog
from bakso_tui.screens import HelpScreen, QueueScreen
from bakso_tui.widgets.bindings import binding_key
from tui_helpers import fixed_clock, run_async, seed_office, settle


def _our_node_classes() -> list[type[DOMNode]]:
    for package in ("bakso_tui.screens", "bakso_tui.widgets"):
        for info in pkgutil.walk_packages(importlib.import_module(package).__path__,
                                          package + "."):
            importlib.import_module(info.name)
    importlib.import_module("bakso_tui.app")
    found, todo = [], [DOMNode]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith(bakso_tui.__name__ + "."):
            found.append(cls)
    return found


def test_the_remappable_ids_are_exactly_the_bindings_of_the_interface():
    in_code = set()
    for cls in _our_node_classes():
        for binding in cls.__dict__.get("BINDINGS", ()):
            assert binding.id, (cls.__name__, binding.key)
            assert binding_key(binding), (cls.__name__, binding.id)
            in_code.add(binding.id)
    assert in_code == set(binding_ids())
    assert {"help", "queue-search", "viewer-next-page", "table-first"} <= in_code
    for binding_id in in_code:
        assert catalog("en")[f"tui.binding.{binding_id}"]


def _config(tmp_path, monkeypatch, text: str):
    cfg = tmp_path / "config.toml"
    cfg.write_text(text, encoding="utf-8")
    monkeypatch.setenv("BAKSO_CONFIG", str(cfg))
    return cfg


def test_a_remap_is_read_from_the_file(tmp_path, monkeypatch):
    _config(tmp_path, monkeypatch, '[keys]\nhelp = "f5"\nqueue-search = " ctrl+f , f3 "\n')
    assert load_settings().keys == {"help": "f5", "queue-search": "ctrl+f,f3"}


@pytest.mark.parametrize("table,where,says", [
    ('queue-serch = "ctrl+f"', "keys.queue-serch:", "tidak ada tombol dengan nama ini"),
    ('help = ""', "keys.help:", "tulis satu tombol"),
    ('help = "f5,,f6"', "keys.help:", "tulis satu tombol"),
    ('help = "ctrl f"', "keys.help:", "tulis satu tombol"),
    ("help = 5", "keys.help:", "harus teks, bukan bilangan bulat"),
])
def test_a_bad_remap_is_one_line_naming_the_key(tmp_path, monkeypatch, table, where, says):
    cfg = _config(tmp_path, monkeypatch, f"[keys]\n{table}\n")
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(f"{cfg}: {where}") and says in message
    assert "\n" not in message


@run_async
async def test_the_remapped_keys_work_and_the_old_ones_do_not(sqlite_db, tmp_path, monkeypatch):
    office = seed_office(sqlite_db)
    _config(tmp_path, monkeypatch, '[keys]\nhelp = "f5"\nqueue-search = "ctrl+f"\n')
    app = make_app(settings=load_settings(), db=office.db, user=office.verifier,
                   clock=fixed_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("slash")
        await pilot.pause()
        assert not screen.query_one("#queue-search").display
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert screen.query_one("#queue-search").display
        assert screen.key_for("search") == "^f"  # what the key bar and the help show
