"""Values from residents, villages and files on screen: plain text, never markup.

Two layers, so that one forgotten call does not undo the other:

1. Every outside value is put on screen as a Textual ``Content`` or a Rich
   ``Text`` built from :func:`~bakso_tui.locale.plain.visible` (:func:`plain`,
   :func:`cell`): a ``[bold red]`` or ``[$error on $error]`` in a name is shown
   as those characters, and ESC, C0/C1 controls and bidi overrides are shown as
   escapes (``\\x1b``). ``Static(markup=False)`` alone is not enough: it still
   lets ESC through to the terminal, and ``rich.markup.escape`` leaves
   ``[$…]`` variables in place.
2. :class:`ControlGuard`, a line filter on the whole app, drops any such
   character still left in a line the moment before it is written to the
   terminal, whatever widget drew it (they take no cell, so the layout is
   unchanged).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from rich.text import Text
from textual.color import Color
from textual.content import Content
from textual.filter import LineFilter

from bakso_tui.locale.plain import is_unsafe, visible, visible_lines

__all__ = ["ControlGuard", "cell", "plain", "plain_lines", "scrub"]


def plain(value: object, style: str = "") -> Content:
    """An outside value as one line of plain Content, optionally styled."""
    return Content.styled(visible(value), style) if style else Content(visible(value))


def plain_lines(value: object) -> Content:
    """A text of several lines (a PDF's text layer) as plain Content."""
    return Content(visible_lines(value))


def cell(value: object, **options) -> Text:
    """An outside value as a Rich Text for a DataTable cell or an option."""
    return Text(visible(value), **options)


def scrub(text: str) -> str:
    """`text` without the characters a terminal would act on: zero-width ones
    dropped, any that takes a cell (a soft hyphen) replaced by U+FFFD."""
    if text.isprintable():
        return text
    return "".join(("" if cell_len(c) == 0 else "\ufffd") if is_unsafe(c) else c for c in text)


class ControlGuard(LineFilter):
    """The app's last guard: no segment text carries a control character to the terminal."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        out: list[Segment] | None = None
        for index, segment in enumerate(segments):
            text = segment.text
            if segment.control or text.isprintable():
                if out is not None:
                    out.append(segment)
                continue
            clean = scrub(text)
            if clean == text:
                if out is not None:
                    out.append(segment)
                continue
            if out is None:
                out = list(segments[:index])
            out.append(Segment(clean, segment.style))
        return segments if out is None else out
