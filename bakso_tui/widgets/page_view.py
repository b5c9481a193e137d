"""One page of an attachment on screen: zoom, pan and rotation, drawn by textual-image.

`TerminalImage` is textual-image's widget; `PageView` says which part of the
page it shows.

textual-image draws the bitmap with the best the terminal has: Kitty's graphics
protocol or Sixel where the terminal answers for them, coloured half-cell
blocks otherwise (as in most terminals over SSH, and in tmux). It asks the
terminal once, when this module is imported, which is why the app imports it
before Textual takes the terminal over.

The view (:class:`PageView`) is a plain value: the page is turned by quarter
turns, then a window of 1/zoom of it around a centre is cut out. Only the
viewer's copy of the page changes; the resident's file is never touched.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from textual.geometry import Size
from textual_image._terminal import get_cell_size
from textual_image.renderable.halfcell import Image as HalfcellRenderable
from textual_image.renderable.unicode import Image as UnicodeRenderable
from textual_image.widget import Image as TerminalImage  # the terminal is asked here

if TYPE_CHECKING:
    from PIL.Image import Image

ZOOMS = (1.0, 1.5, 2.0, 3.0, 4.0)


@dataclass(frozen=True)
class PageView:
    """How a page is shown: zoom (1 = the whole page), rotation, and the centre
    of the window as fractions of the (turned) page."""

    zoom: float = 1.0
    rotation: int = 0  # degrees clockwise: 0, 90, 180, 270
    cx: float = 0.5
    cy: float = 0.5

    @property
    def fitted(self) -> bool:
        return self.zoom == 1.0

    def zoomed(self, steps: int) -> PageView:
        index = min(range(len(ZOOMS)), key=lambda i: abs(ZOOMS[i] - self.zoom))
        zoom = ZOOMS[max(0, min(len(ZOOMS) - 1, index + steps))]
        return replace(self, zoom=zoom)._clamped()

    def fit(self) -> PageView:
        return replace(self, zoom=1.0, cx=0.5, cy=0.5)

    def rotated(self) -> PageView:
        return replace(self, rotation=(self.rotation + 90) % 360, cx=0.5, cy=0.5)

    def panned(self, dx: int, dy: int) -> PageView:
        """Move the window by half its size per step."""
        step = 0.5 / self.zoom
        return replace(self, cx=self.cx + dx * step, cy=self.cy + dy * step)._clamped()

    def _clamped(self) -> PageView:
        half = 0.5 / self.zoom
        return replace(self, cx=min(max(self.cx, half), 1 - half),
                       cy=min(max(self.cy, half), 1 - half))

    def apply(self, image: Image) -> Image:
        """The part of `image` this view shows."""
        from PIL import Image as PILImage

        turns = {90: PILImage.Transpose.ROTATE_270, 180: PILImage.Transpose.ROTATE_180,
                 270: PILImage.Transpose.ROTATE_90}
        if self.rotation in turns:
            image = image.transpose(turns[self.rotation])
        if self.fitted:
            return image
        width, height = image.size
        w, h = width / self.zoom, height / self.zoom
        left = round(self.cx * width - w / 2)
        top = round(self.cy * height - h / 2)
        return image.crop((left, top, left + round(w), top + round(h)))


def for_terminal(image: Image, cells: Size) -> Image:
    """`image` with no more pixels than the terminal can show in `cells`.

    Half-cell blocks show two pixels per cell; Kitty and Sixel show the cell's
    real pixels. textual-image resizes on every redraw: handing it a page of
    about the right size makes a redraw cheap (measured: 104 → 55 ms for a
    1600-pixel page in half-cells at 120×40), and a good filter keeps small
    print legible.
    """
    from PIL import Image as PILImage

    if getattr(TerminalImage, "_Renderable", None) in (HalfcellRenderable, UnicodeRenderable):
        per_cell = (1, 2)
    else:
        cell = get_cell_size()
        per_cell = (cell.width, cell.height)
    box = (max(1, cells.width * per_cell[0]), max(1, cells.height * per_cell[1]))
    if image.width <= box[0] and image.height <= box[1]:
        return image
    small = image.copy()
    small.thumbnail(box, PILImage.Resampling.LANCZOS)
    return small


__all__ = ["ZOOMS", "PageView", "TerminalImage", "for_terminal"]
