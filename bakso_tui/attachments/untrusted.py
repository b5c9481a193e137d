"""What reading any untrusted file shares: its type by content, problems as codes,
Pillow under our limits, and short texts for what went wrong.

Both halves of the bounded child use it: inspection
(:mod:`bakso_tui.attachments.inspect`) and drawing pages for the viewer
(:mod:`bakso_tui.attachments.render`). It sits below both so that neither
needs the other's insides.

Problems are codes with parameters; :meth:`Problem.message` renders them in
the user's language. ``fatal`` problems mean the file cannot be used (intake
refuses it); the others (an empty page, a low resolution) are shown to the
verifier.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any

from bakso_tui.config import Limits
from bakso_tui.locale import t
from bakso_tui.locale.plain import visible

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
MEDIA_TYPES = (PDF, JPEG, PNG)

FATAL = frozenset({
    "empty_file", "too_large", "unknown_type", "unreadable", "encrypted", "no_pages",
    "too_many_pages", "too_many_pixels", "decompression_bomb", "timeout", "memory", "crashed",
})


@dataclass(frozen=True)
class Problem:
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def fatal(self) -> bool:
        return self.code in FATAL

    def message(self) -> str:
        # Details come from the file (a parser's error message quotes it): escaped.
        return t(f"inspect.{self.code}",
                 **{k: visible(v, 300) if isinstance(v, str) else v for k, v in self.params.items()})


def sniff(data: bytes) -> str | None:
    """The media type by content: PDF, JPEG or PNG, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.lstrip(b"\xef\xbb\xbf \t\r\n\0")[:5] == b"%PDF-":
        return PDF
    return None


def mb(n: int) -> str:
    """A size in megabytes with one decimal, as the problems say it."""
    return f"{n / 1024 / 1024:.1f}"


def short(exc: BaseException) -> str:
    """The first line of an exception's text (or its type), at most 160 characters."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def pillow(limits: Limits):
    """Pillow's Image module with our pixel limit, its bomb warning raised as an error."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    return Image


def is_bomb(exc: BaseException) -> bool:
    """Whether Pillow refused an image for its pixel count."""
    from PIL import Image

    return isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning))


def pixels(exc: BaseException) -> str:
    """Pillow's bomb message names the pixel count: say it in megapixels."""
    match = re.search(r"\((\d+) pixels\)", str(exc))
    return f"{int(match.group(1)) / 1e6:.0f} MP" if match else short(exc)
