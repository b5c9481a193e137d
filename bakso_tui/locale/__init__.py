"""The translation layer: every message a user sees goes through `t()`.

Messages live in TOML files, one folder per language (``id`` is the default,
``en`` on request) and one file per area of the program. A key is
``<file stem>.<key>``: ``t("db.unreachable", url=..., reason=...)`` reads the
key ``unreachable`` from ``locale/<lang>/db.toml``. Placeholders use
``str.format`` syntax. A key missing from the chosen language falls back to
Indonesian, then to the key itself, so a forgotten message is visible but never
crashes the program; a test keeps both languages complete.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"

_current = DEFAULT_LANGUAGE


@cache
def catalog(lang: str) -> dict[str, str]:
    """All messages of one language, keyed ``<area>.<key>``."""
    messages: dict[str, str] = {}
    folder = resources.files(__package__).joinpath(lang)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        area = entry.name[: -len(".toml")]
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        for key, value in _flatten(data):
            messages[f"{area}.{key}"] = value
    return messages


def _flatten(data: dict, prefix: str = ""):
    for key, value in data.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", str(value)


def set_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(lang)
    global _current
    _current = lang


def language() -> str:
    return _current


def t(key: str, /, **params: object) -> str:
    """The message `key` in the current language, with `params` filled in."""
    text = catalog(_current).get(key)
    if text is None:
        text = catalog(DEFAULT_LANGUAGE).get(key, key)
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text
