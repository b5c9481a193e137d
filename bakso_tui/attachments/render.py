"""Drawing one page of an untrusted attachment as a bitmap, for the viewer.

PDF pages, native or scanned, are drawn by PDFium (pypdfium2, the engine of
Chrome's PDF viewer); JPEG and PNG are decoded by Pillow. Either runs only in
the inspector's bounded child process (see :mod:`bakso_tui.attachments.inspect`:
address-space limit, timeout, Pillow's pixel limit), never in the TUI. The
child sends back raw RGB pixels with their size and the page's text layer, so
the TUI decodes nothing it did not make itself.

A page is drawn so that its longer side has at most ``max_side`` pixels (the
viewer asks for enough to zoom in twice on a large terminal) and at most
:data:`MAX_DPI`; images from cameras are turned upright by their EXIF tag.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from bakso_tui.attachments.untrusted import (
    JPEG, PDF, PNG, Problem, is_bomb, mb, pillow, pixels, short, sniff,
)
from bakso_tui.config import Limits
from bakso_tui.locale.plain import visible_lines

if TYPE_CHECKING:
    from PIL.Image import Image

MAX_DPI = 200
DEFAULT_MAX_SIDE = 1600


@dataclass(frozen=True)
class RenderedPage:
    """One page drawn: `number` counts from 1 of `pages`; `pixels` are RGB rows."""

    number: int
    pages: int
    width: int
    height: int
    pixels: bytes = field(repr=False)
    text: str = field(repr=False)
    has_text_layer: bool = False

    def image(self) -> Image:
        from PIL import Image

        return Image.frombytes("RGB", (self.width, self.height), self.pixels)

    @property
    def nbytes(self) -> int:
        return len(self.pixels)


def check_rendered(page: RenderedPage, max_side: int) -> RenderedPage:
    """What came back from a child is checked before the TUI touches it."""
    if not (0 < page.width <= max_side and 0 < page.height <= max_side):
        raise ValueError(f"page drawn at {page.width}×{page.height}, limit {max_side}")
    if len(page.pixels) != page.width * page.height * 3:
        raise ValueError("page pixels do not match the page size")
    if not 1 <= page.number <= page.pages:
        raise ValueError(f"page {page.number} of {page.pages}")
    if not isinstance(page.text, str):
        raise ValueError("page text is not text")
    # The text layer is the file's: no control character of it reaches a screen.
    clean = visible_lines(page.text)
    return page if clean == page.text else replace(page, text=clean)


# ------------------------------------------------------------ in the child only

# The file the viewer pages through, kept so that the TUI sends it once, not per page.
_file: tuple[str, bytes] | None = None  # (sha256, bytes)
_open_pdf: tuple[str, object] | None = None  # (sha256, PdfDocument)


def render_job(data: bytes | None, sha256: str, number: int, max_side: int,
               limits: Limits) -> RenderedPage | Problem:
    """A render job as the child gets it: without the bytes when it has them already
    (the reply ``not_cached`` asks the TUI to send them)."""
    global _file
    if data is None:
        if _file is None or _file[0] != sha256:
            return Problem("not_cached")
        data = _file[1]
    else:
        _file = (sha256, data)
    return render_in_process(data, number, max_side, limits, sha256=sha256)


def render_in_process(data: bytes, number: int, max_side: int, limits: Limits,
                      *, sha256: str | None = None) -> RenderedPage | Problem:
    """Draw page `number` (from 1). Only call this inside a bounded child."""
    media_type = sniff(data)
    if len(data) > limits.max_file_bytes:
        return Problem("too_large", {"mb": mb(len(data)), "limit": mb(limits.max_file_bytes)})
    try:
        if media_type == PDF:
            return _render_pdf(data, sha256 or hashlib.sha256(data).hexdigest(), number,
                               max_side, limits)
        if media_type in (JPEG, PNG):
            return _render_image(data, max_side, limits)
    except MemoryError:
        return Problem("memory")
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a reason, not a crash
        if is_bomb(exc):
            return Problem("too_many_pixels", {"detail": pixels(exc),
                                               "limit": limits.max_pixels // 1_000_000})
        return Problem("unreadable", {"detail": short(exc)})
    return Problem("unknown_type", {"head": data[:8].decode("latin-1", "replace")})


def _document(data: bytes, digest: str):
    import pypdfium2 as pdfium

    global _open_pdf
    if _open_pdf is None or _open_pdf[0] != digest:
        if _open_pdf is not None:
            _open_pdf[1].close()
            _open_pdf = None
        _open_pdf = (digest, pdfium.PdfDocument(data))
    return _open_pdf[1]


def _render_pdf(data: bytes, digest: str, number: int, max_side: int,
                limits: Limits) -> RenderedPage | Problem:
    import pypdfium2 as pdfium

    try:
        pdf = _document(data, digest)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            return Problem("encrypted")
        return Problem("unreadable", {"detail": short(exc)})
    pages = len(pdf)
    if pages == 0:
        return Problem("no_pages")
    if pages > limits.max_pages:
        return Problem("too_many_pages", {"pages": pages, "limit": limits.max_pages})
    page = pdf[min(max(number, 1), pages) - 1]
    try:
        width_pt, height_pt = page.get_size()
        scale = min(max_side / max(width_pt, height_pt, 1), MAX_DPI / 72)
        if width_pt * height_pt * scale * scale > limits.max_pixels:
            return Problem("too_many_pixels", {"detail": f"{width_pt:.0f}×{height_pt:.0f} pt",
                                               "limit": limits.max_pixels // 1_000_000})
        image = page.render(scale=scale, may_draw_forms=False).to_pil().convert("RGB")
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_bounded()[: limits.max_text_chars]
        finally:
            textpage.close()
    finally:
        page.close()
    image.thumbnail((max_side, max_side))
    return RenderedPage(number=min(max(number, 1), pages), pages=pages, width=image.width,
                        height=image.height, pixels=image.tobytes(), text=text.strip(),
                        has_text_layer=bool(text.strip()))


def _render_image(data: bytes, max_side: int, limits: Limits) -> RenderedPage:
    from PIL import ImageOps

    image_mod = pillow(limits)
    with image_mod.open(io.BytesIO(data), formats=["JPEG", "PNG"]) as img:
        img.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced size when it can
        upright = ImageOps.exif_transpose(img).convert("RGB")
    upright.thumbnail((max_side, max_side))
    return RenderedPage(number=1, pages=1, width=upright.width, height=upright.height,
                        pixels=upright.tobytes(), text="", has_text_layer=False)
