"""One page of an attachment on screen: zoom, pan and rotation, drawn by textual-image.

`TerminalImage` is textual-image's widget; `PageView` says which part of the
page it shows.

textual-image draws the bitmap with the best the terminal has: Kitty's graphics
protocol or Sixel where the terminal answers for them, coloured half-cell
blocks otherwise (as in most terminals over SSH, and in tmux). It asks the
terminal once, when this module is imported, which must happen before Textual
takes the terminal over; under `bakso tui` the questions are asked at start by
terminal_probe.py instead, and this module (imported when the viewer is
first opened) is told the answers.

The view (:class:`PageView`) is a plain value: the page is turned by quarter
turns, then a window of 1/zoom of it around a centre is cut out. Only the
viewer's copy of the page changes; the resident's file is never touched.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from textual.geometry import Size
from textual_image._terminal import CellSize, get_cell_size, get_tiocgwinsz

from bakso_tui import terminal_probe


def _sizeless_terminal() -> None:
    """textual-image divides by the terminal's column count when it is imported
    (below): a terminal that reports no size (a pseudo-terminal nobody sized,
    some serial or SSH set-ups) ended the program with ZeroDivisionError before
    its first frame. There it gets the cell size textual-image assumes when it
    cannot tell (VT340's, 10x20 pixels)."""
    try:
        rows, columns, _, _ = get_tiocgwinsz()
    except Exception:  # noqa: BLE001 - not a terminal, or no size to read: nothing to fix
        return
    if not rows or not columns:
        get_cell_size._result = CellSize(10, 20)  # type: ignore[attr-defined]


def _import_without_asking(answers: terminal_probe.Graphics):
    """textual-image's widget classes, told what `bakso tui` asked the terminal
    at start (terminal_probe.py): Textual reads the keyboard by now, and
    textual-image's own questions would be answered into it. While it is
    imported it sees no terminal, so it asks nothing."""
    import io

    cell = answers.cell
    if cell is None:
        try:
            rows, columns, width, height = get_tiocgwinsz()
            cell = (width // columns, height // rows) if rows and columns and width else None
        except Exception:  # noqa: BLE001 - no size to read
            cell = None
    get_cell_size._result = CellSize(*(cell or (10, 20)))  # type: ignore[attr-defined]
    real = sys.__stdout__
    sys.__stdout__ = io.StringIO()  # isatty() False: no questions (Textual writes to stderr)
    try:
        from textual_image import widget
    finally:
        sys.__stdout__ = real
    return {"kitty": widget.TGPImage, "sixel": widget.SixelImage}.get(
        answers.method, widget.HalfcellImage)


if terminal_probe.answers is not None:
    TerminalImage = _import_without_asking(terminal_probe.answers)
else:  # not started by `bakso tui` (the tests, run_test): textual-image asks for itself
    _sizeless_terminal()
    from textual_image.widget import Image as TerminalImage  # noqa: E402

from textual_image.renderable.halfcell import Image as HalfcellRenderable  # noqa: E402
from textual_image.renderable.unicode import Image as UnicodeRenderable  # noqa: E402

if TYPE_CHECKING:
    from PIL.Image import Image

ZOOMS = (1.0, 1.5, 2.0, 3.0, 4.0)


@dataclass(frozen=True)
class PageView:
    """How a page is shown: zoom (1 = the whole page), rotation, the centre of
    the window as fractions of the (turned) page, and the window's size as
    fractions of it (``fw``, ``fh``).

    A zoomed window has the shape of the room the screen gives the page, not
    the page's own: a portrait KK zoomed in a wide terminal fills the width
    (`framed` sets the window from the page's and the room's sizes); the
    arrows then move it by half its size.
    """

    zoom: float = 1.0
    rotation: int = 0  # degrees clockwise: 0, 90, 180, 270
    cx: float = 0.5
    cy: float = 0.5
    fw: float = 1.0
    fh: float = 1.0

    @property
    def fitted(self) -> bool:
        return self.zoom == 1.0

    def zoomed(self, steps: int) -> PageView:
        index = min(range(len(ZOOMS)), key=lambda i: abs(ZOOMS[i] - self.zoom))
        zoom = ZOOMS[max(0, min(len(ZOOMS) - 1, index + steps))]
        # Until `framed` knows the room: the page's own shape.
        return replace(self, zoom=zoom, fw=min(1.0, 1 / zoom), fh=min(1.0, 1 / zoom))._clamped()

    def fit(self) -> PageView:
        return replace(self, zoom=1.0, cx=0.5, cy=0.5, fw=1.0, fh=1.0)

    def rotated(self) -> PageView:
        return replace(self, rotation=(self.rotation + 90) % 360, cx=0.5, cy=0.5)

    def framed(self, page: tuple[int, int], room: tuple[int, int]) -> PageView:
        """The window for a (turned) page of `page` pixels shown in `room` pixels:
        at zoom z the page is z times as large as when it fits, and the window
        is what of it the room holds."""
        if self.fitted:
            return replace(self, fw=1.0, fh=1.0)
        width, height = max(1, page[0]), max(1, page[1])
        scale = min(room[0] / width, room[1] / height) * self.zoom
        fw = min(1.0, room[0] / scale / width)
        fh = min(1.0, room[1] / scale / height)
        return replace(self, fw=fw, fh=fh)._clamped()

    def panned(self, dx: int, dy: int) -> PageView:
        """Move the window by half its size per step."""
        return replace(self, cx=self.cx + dx * self.fw / 2,
                       cy=self.cy + dy * self.fh / 2)._clamped()

    def _clamped(self) -> PageView:
        return replace(self, cx=min(max(self.cx, self.fw / 2), 1 - self.fw / 2),
                       cy=min(max(self.cy, self.fh / 2), 1 - self.fh / 2))

    def turned(self, image: Image) -> Image:
        from PIL import Image as PILImage

        turns = {90: PILImage.Transpose.ROTATE_270, 180: PILImage.Transpose.ROTATE_180,
                 270: PILImage.Transpose.ROTATE_90}
        return image.transpose(turns[self.rotation]) if self.rotation in turns else image

    def apply(self, image: Image) -> Image:
        """The part of `image` this view shows."""
        image = self.turned(image)
        if self.fitted:
            return image
        width, height = image.size
        w, h = width * self.fw, height * self.fh
        left = round(self.cx * width - w / 2)
        top = round(self.cy * height - h / 2)
        return image.crop((left, top, left + round(w), top + round(h)))


def room_pixels(cells: Size) -> tuple[int, int]:
    """How many of the page's pixels `cells` terminal cells show (half-cells: 1×2)."""
    if getattr(TerminalImage, "_Renderable", None) in (HalfcellRenderable, UnicodeRenderable):
        per_cell = (1, 2)
    else:
        cell = get_cell_size()
        per_cell = (cell.width, cell.height)
    return max(1, cells.width * per_cell[0]), max(1, cells.height * per_cell[1])


def for_terminal(image: Image, cells: Size) -> Image:
    """`image` with no more pixels than the terminal can show in `cells`.

    Half-cell blocks show two pixels per cell; Kitty and Sixel show the cell's
    real pixels. textual-image resizes on every redraw: handing it a page of
    about the right size makes a redraw cheap (measured: 104 → 55 ms for a
    1600-pixel page in half-cells at 120×40), and a good filter keeps small
    print legible.
    """
    from PIL import Image as PILImage

    box = room_pixels(cells)
    if image.width <= box[0] and image.height <= box[1]:
        return image
    small = image.copy()
    small.thumbnail(box, PILImage.Resampling.LANCZOS)
    return small


__all__ = ["ZOOMS", "PageView", "TerminalImage", "for_terminal", "room_pixels"]
