"""The translation layer: both languages complete, every key used exists."""

from __future__ import annotations

import ast
import string
from pathlib import Path

from bakso_tui.locale import LANGUAGES, catalog, set_language, t

PACKAGE = Path(__file__).resolve().parent.parent / "bakso_tui"


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_languages_have_the_same_keys_and_placeholders():
    id_, en = catalog("id"), catalog("en")
    assert id_.keys() == en.keys(), id_.keys() ^ en.keys()
    for key in id_:
        assert _fields(id_[key]) == _fields(en[key]), key


def _keys_used() -> set[str]:
    keys = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                keys.add(node.args[0].value)
    return keys


def test_every_literal_key_in_the_code_exists():
    known = catalog("id").keys()
    missing = sorted(k for k in _keys_used() if k not in known)
    assert not missing, missing


def test_english_on_request():
    set_language("en")
    assert t("users.disabled", login="x") == "Account 'x' has been disabled"
    set_language("id")
    assert "dinonaktifkan" in t("users.disabled", login="x")
    assert set(LANGUAGES) == {"id", "en"}
