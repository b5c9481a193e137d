"""The command line speaks the user's language: help, click's own errors, dates."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bakso_tui.cli import cli, i18n
from bakso_tui.cli.context import demo_database_url
from bakso_tui.locale import LANGUAGES, catalog, set_language

CLICK_SOURCE = Path(click.__file__).parent


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_command_and_option_has_help(lang):
    set_language(lang)
    messages = catalog(lang)
    missing = []
    for path, command in i18n.help_paths(cli, "root"):
        if f"help.{path}.help" not in messages:
            missing.append(path)
        for param in command.params:
            if isinstance(param, click.Option) and param.opts[-1] not in ("--help", "--version"):
                name = max(param.opts, key=len)
                if f"help.{path}.{name}" not in messages and f"help.option.{name}" not in messages:
                    missing.append(f"{path} {name}")
    assert not missing, missing


def test_help_is_indonesian_by_default_and_english_on_request():
    indonesian = run("users", "add", "--help")
    assert indonesian.exit_code == 0
    assert "Pemakaian:" in indonesian.output and "Tambah akun." in indonesian.output
    assert "Nama lengkap." in indonesian.output and "Tampilkan bantuan ini" in indonesian.output
    assert "[wajib]" in indonesian.output and "required" not in indonesian.output
    english = run("--lang", "en", "users", "add", "--help")
    assert "Usage:" in english.output and "Add an account." in english.output
    root = run("--help", env={"BAKSO_LANG": "en"})
    assert "Commands:" in root.output and "Accounts and roles." in root.output
    assert "Show the version and exit." in root.output
    # click words --version's help when its decorator runs: ours is said again.
    assert "Tampilkan versi lalu keluar." in run("--help").output


def test_click_errors_are_translated_and_one_line():
    missing = run("users", "add", "x")
    assert missing.exit_code == 2
    assert missing.stderr.strip() == (
        "bakso users add: Pilihan belum diisi '--name'. (lihat bakso users add --help)"
    )
    choice = run("users", "add", "x", "--name", "X", "--role", "boss")
    assert choice.exit_code == 2 and "'boss' bukan salah satu dari" in choice.stderr
    assert len(choice.stderr.strip().splitlines()) == 1
    unknown = run("--lang", "en", "nosuch")
    assert unknown.exit_code == 2 and "No such command 'nosuch'" in unknown.stderr


def _click_msgids() -> set[str]:
    found = set()
    for path in CLICK_SOURCE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("_", "ngettext"):
                found |= {a.value for a in node.args
                          if isinstance(a, ast.Constant) and isinstance(a.value, str)}
            # Help's extras are stored first and translated later: `_(extra["required"])`.
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and any(
                    isinstance(t, ast.Subscript) and getattr(t.value, "id", None) == "extra"
                    for t in node.targets):
                found.add(node.value.value)
    return found


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_click_catalogue_matches_the_installed_click():
    """A click upgrade that rewords a message shows here, not as English on screen."""
    msgids = _click_msgids()
    ours = i18n.click_messages("id")
    stale = sorted(k for k in ours if k not in msgids)
    assert not stale, stale
    for msgid, text in ours.items():
        assert _fields(msgid) == _fields(text), msgid


def test_after_the_demo_other_commands_are_told_where_it_is():
    seeded = run("demo", "--no-tui", "--submissions", "3")
    assert seeded.exit_code == 0, seeded.output
    demo_url = demo_database_url()
    assert f"--db {demo_url}" in seeded.stdout
    export = run("export", "decisions")
    assert export.exit_code == 2 and f"--db {demo_url}" in export.stderr
    assert len(export.stderr.strip().splitlines()) == 1
    assert run("--db", demo_url, "export", "decisions").exit_code == 0
