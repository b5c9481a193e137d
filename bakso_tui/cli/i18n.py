"""The command line in the user's language: click's own messages and every help text.

Click writes its messages (usage, errors, "Show this message and exit.") with
``gettext`` bound at import in each of its modules; :func:`install` rebinds
them to our catalogue of click's messages (``locale/click/<lang>.toml``, keyed
by click's own text), so usage errors read in Indonesian by default.

Help texts come from ``locale/<lang>/help.toml``, keyed by the command's path
(``help.users.add.help``) and by option name (``help.users.add.--name``, or
``help.option.--db`` for an option every command shares). The language is
chosen before click reads the arguments (:func:`early_language`): ``--help``
is answered while they are read.
"""

from __future__ import annotations

import importlib
import os
import tomllib
from collections.abc import Sequence
from functools import cache
from importlib import resources

import click

from bakso_tui.config import ConfigError, load_settings
from bakso_tui.locale import catalog, language, set_language

#: Click's modules that bind gettext at import.
_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types",
                  "utils")


@cache
def click_messages(lang: str) -> dict[str, str]:
    """Click's msgid → our translation, for one language (empty: click's English)."""
    entry = resources.files("bakso_tui.locale").joinpath("click", f"{lang}.toml")
    if not entry.is_file():
        return {}
    return tomllib.loads(entry.read_text(encoding="utf-8"))


def _gettext(message: str) -> str:
    return click_messages(language()).get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _gettext(singular if n == 1 else plural)


def install() -> None:
    """Route click's messages through our catalogue (idempotent)."""
    for name in _CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = _gettext
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext


def early_language(args: Sequence[str]) -> str:
    """The language before click parses: ``--lang``, else BAKSO_LANG, else the config file."""
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args) and args[i + 1] in ("id", "en"):
            return args[i + 1]
        if arg.startswith("--lang=") and arg[7:] in ("id", "en"):
            return arg[7:]
    if os.environ.get("BAKSO_LANG") in ("id", "en"):
        return os.environ["BAKSO_LANG"]
    try:
        return load_settings().lang
    except ConfigError:
        return "id"  # the command itself will report the broken file in its own line


def help_text(key: str) -> str | None:
    return catalog(language()).get(f"help.{key}")


def translate(command: click.Command, path: str) -> click.Command:
    """Give `command` (and its sub-commands and options) help in the current language."""
    text = help_text(f"{path}.help")
    if text is not None:
        command.help = text
        command.short_help = None
    for param in command.params:
        if not isinstance(param, click.Option) or param.opts[-1] in ("--help", "-h"):
            continue  # click asks for --help's text when it draws the help
        if "--version" in param.opts:  # its text was set when the module was imported
            param.help = _gettext("Show the version and exit.")
            continue
        long_name = max(param.opts, key=len)
        param.help = help_text(f"{path}.{long_name}") or help_text(f"option.{long_name}")
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            translate(sub, _child(path, name))
    return command


def _child(path: str, name: str) -> str:
    return name if path == "root" else f"{path}.{name}"


def help_paths(command: click.Command, path: str) -> list[tuple[str, click.Command]]:
    """Every (path, command) below and including `command`, for the completeness test."""
    found = [(path, command)]
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            found += help_paths(command.get_command(ctx, name), _child(path, name))
    return found


def prepare(args: Sequence[str]) -> None:
    """Choose the language from `args` and route click's messages through it."""
    set_language(early_language(args))
    install()
