"""Hostile text made harmless: find the characters a terminal acts on, show them escaped.

Names, addresses and file names come from villages and residents. A terminal
obeys some characters instead of printing them: C0 controls (ESC starts cursor
moves, colour changes, ``ESC]52`` writes the clipboard), DEL, C1 controls
(U+0080-U+009F, 0x9B is a one-byte CSI), and the Unicode format characters that
reorder or hide text (bidi overrides U+202A-U+202E, isolates U+2066-U+2069,
marks U+200E/U+200F/U+061C, zero-width characters, soft hyphen, tags), plus
the line and paragraph separators U+2028/U+2029 and lone surrogates (a file
name that is not UTF-8).

Intake refuses them (:func:`first_control`); anything printed that came from
outside goes through :func:`visible`, which writes each such character as an
escape (``\\x1b``, ``\\u202e``). Ordinary text, including backslashes, is left as
it is, so escaping twice changes nothing.

This module sits beside the messages (``locale``) because both the lowest
layers (package file names) and the highest (the command line) need it.
"""

from __future__ import annotations

import unicodedata

# Categories refused or escaped: Cc (C0, DEL, C1), Cf (format: bidi, zero
# width, soft hyphen, tags), Cs (surrogates), Zl/Zp (line/paragraph separator).
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def is_unsafe(char: str) -> bool:
    """True for a character a terminal may act on or that reorders or hides text."""
    code = ord(char)
    if 0x20 <= code < 0x7F:
        return False
    return unicodedata.category(char) in _UNSAFE_CATEGORIES


def first_control(text: str) -> int | None:
    """The 1-based position of the first unsafe character of `text`, or None."""
    if text.isascii() and text.isprintable():
        return None
    for i, char in enumerate(text, start=1):
        if is_unsafe(char):
            return i
    return None


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: object, limit: int | None = None) -> str:
    """`text` with every unsafe character written as an escape; cut at `limit` characters."""
    value = str(text)
    if limit is not None and len(value) > limit:
        value = value[:limit] + "…"
    if value.isascii() and value.isprintable():
        return value
    return "".join(_escape(c) if is_unsafe(c) else c for c in value)


def visible_lines(text: object, limit: int | None = None) -> str:
    """Like :func:`visible`, but a text of several lines (a PDF's text layer) keeps
    its line breaks: CR LF and CR become LF, a tab becomes a space, and every
    other unsafe character is written as an escape."""
    value = str(text)
    if limit is not None and len(value) > limit:
        value = value[:limit] + "…"
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "\n".join(visible(line) for line in value.split("\n"))


def terminal_text(text: object) -> str:
    """What the command line prints: line breaks (LF, or CR LF as in an iCalendar
    file) and tabs kept, every other unsafe character written as an escape."""
    value = str(text)
    if value.isascii() and value.isprintable():
        return value
    if "\r\n" in value:
        return "\r\n".join(terminal_text(part) for part in value.split("\r\n"))
    return "".join(_escape(c) if c not in "\n\t" and is_unsafe(c) else c for c in value)


def _json_escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_safe(document: str) -> str:
    """A JSON document with every unsafe character inside its strings written as a
    ``\\uXXXX`` escape: the same value to a JSON reader, harmless on a terminal.
    (JSON's own structure is ASCII, so unsafe characters can only be in strings.)"""
    if document.isascii() and document.isprintable():
        return document
    return "".join(_json_escape(c) if c != "\n" and is_unsafe(c) else c for c in document)


def dumps(value: object, **options) -> str:
    """``json.dumps`` (non-ASCII letters kept) made safe for a terminal by :func:`json_safe`."""
    import json

    options.setdefault("ensure_ascii", False)
    return json_safe(json.dumps(value, **options))
