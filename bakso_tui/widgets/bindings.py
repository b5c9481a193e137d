"""Key bindings whose descriptions follow the language.

A `Binding` is frozen, and class-level ``BINDINGS`` are built when the module
is imported, before the language is known. So every binding of ours carries an
``id`` (by which the ``[keys]`` table of the config file remaps it), and its
description is looked up at run time as ``t("tui.binding.<id>")``; a node calls
:func:`translate_bindings` when it is made and again after a language switch.
"""

from __future__ import annotations

from dataclasses import replace

from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode

from bakso_tui.locale import catalog, t


def binding_key(binding: Binding) -> str | None:
    """The translation key of a binding, or None for bindings that are not ours."""
    if binding.id is None:
        return None
    key = f"tui.binding.{binding.id}"
    return key if key in catalog("id") else None


def describe(binding: Binding) -> str:
    key = binding_key(binding)
    return t(key) if key else binding.description


def translate_bindings(node: DOMNode) -> None:
    """Put the current language's descriptions on `node`'s own bindings."""
    translated: dict[str, list[Binding]] = {}
    for key, bindings in node._bindings.key_to_bindings.items():
        translated[key] = [
            replace(b, description=describe(b), tooltip=describe(b)) if binding_key(b) else b
            for b in bindings
        ]
    node._bindings = BindingsMap.from_keys(translated)


def tui_binding(
    key: str, action: str, id: str, *, show: bool = True, priority: bool = False,
    system: bool = False,
) -> Binding:
    """A binding of ours: its id names its description (``tui.binding.<id>``).

    The description given here is only a placeholder (Textual hides bindings
    with an empty one); `translate_bindings` puts the real text in. ``system``
    marks plain navigation (arrows, pages, Home and End), which the key bar
    leaves out and the help sums up in three lines instead of one per key.
    """
    return Binding(key, action, id, show=show and not system, priority=priority, id=id,
                   system=system)
