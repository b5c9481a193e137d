"""Inspecting one file in this process: what it is, how many pages, what is on them,
what is wrong. Only the bounded child of :mod:`bakso_tui.attachments.inspect`
calls :func:`inspect_in_process`; everyone else asks that module.

PDFs are read by pypdf with its decoding limits lowered to what an office
needs; images by Pillow, restricted to JPEG and PNG, with its pixel limit and
its bomb warning raised as an error. The media type is decided by the content
(magic bytes), never by the file name. Every page's content and images are
decoded, so a decompression bomb cannot hide behind an early return.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

from bakso_tui.attachments.untrusted import (
    JPEG, PDF, PNG, Problem, is_bomb, mb, pillow, pixels, short, sniff,
)
from bakso_tui.config import Limits


@dataclass
class PageInfo:
    number: int
    width_pt: float
    height_pt: float
    images: list[dict[str, int]] = field(default_factory=list)  # {width, height, dpi}
    text: str = ""


@dataclass
class Inspection:
    name: str
    size: int
    sha256: str
    media_type: str | None = None
    encrypted: bool = False
    pages: int = 0
    page_info: list[PageInfo] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """The file could be inspected and can be used."""
        return not any(p.fatal for p in self.problems)

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.name,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
            "pages": self.pages,
            "page_sizes": [[p.width_pt, p.height_pt] for p in self.page_info],
            "encrypted": self.encrypted,
            "images": [p.images for p in self.page_info],
            "text": [p.text for p in self.page_info],
            "metadata": self.metadata,
            "problems": [p.message() for p in self.problems],
            "problem_codes": [p.code for p in self.problems],
            "ok": self.ok,
        }

    def summary(self) -> dict[str, Any]:
        """What the database keeps beside an attachment (no text)."""
        return {
            "page_sizes": [[p.width_pt, p.height_pt] for p in self.page_info],
            "images": [p.images for p in self.page_info],
            "text_chars": [len(p.text) for p in self.page_info],
            "metadata": self.metadata,
        }


def inspect_in_process(data: bytes, name: str, limits: Limits) -> Inspection:
    """Inspect in this process. Only call this inside a bounded child."""
    result = Inspection(name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest())
    if not data:
        result.problems.append(Problem("empty_file"))
        return result
    if len(data) > limits.max_file_bytes:
        result.problems.append(
            Problem("too_large", {"mb": mb(len(data)), "limit": mb(limits.max_file_bytes)})
        )
        return result
    result.media_type = sniff(data)
    try:
        if result.media_type == PDF:
            _inspect_pdf(data, limits, result)
        elif result.media_type in (JPEG, PNG):
            _inspect_image(data, limits, result)
        else:
            result.problems.append(Problem("unknown_type", {"head": _head(data)}))
    except MemoryError:
        result.problems.append(Problem("memory"))
    return result


def _head(data: bytes) -> str:
    """The first bytes, printable ones as they are, others as '.'."""
    return "".join(chr(b) if 32 <= b < 127 else "." for b in data[:8])


def _inspect_image(data: bytes, limits: Limits, result: Inspection) -> None:
    image_mod = pillow(limits)
    try:
        with image_mod.open(io.BytesIO(data), formats=["JPEG", "PNG"]) as img:
            width, height = img.size
            img.load()  # force the decoding: a header alone proves nothing
            dpi = _image_dpi(img)
            extrema = img.convert("L").getextrema()
    except (image_mod.DecompressionBombError, image_mod.DecompressionBombWarning) as exc:
        result.problems.append(Problem("too_many_pixels", {"detail": pixels(exc),
                                                           "limit": limits.max_pixels // 1_000_000}))
        return
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        result.problems.append(Problem("unreadable", {"detail": short(exc)}))
        return
    result.pages = 1
    page = PageInfo(
        number=1,
        width_pt=round(width / (dpi or 72) * 72, 1),
        height_pt=round(height / (dpi or 72) * 72, 1),
        images=[{"width": width, "height": height, "dpi": dpi or 0}],
    )
    result.page_info.append(page)
    if extrema[1] - extrema[0] < 8:
        result.problems.append(Problem("empty_page", {"page": 1}))
    if dpi and dpi < limits.min_dpi or min(width, height) < 500:
        result.problems.append(Problem("low_resolution", {"page": 1, "dpi": dpi or "?",
                                                          "width": width, "height": height}))


def _image_dpi(img) -> int | None:
    dpi = img.info.get("dpi")
    if dpi and dpi[0] and float(dpi[0]) > 1:
        return round(float(dpi[0]))
    return None


def _inspect_pdf(data: bytes, limits: Limits, result: Inspection) -> None:
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError, PdfReadError

    pillow(limits)  # pypdf decodes images through Pillow: same limits
    bound = limits.max_decoded_bytes
    with apply_configuration(
        zlib_maximum_output_length=bound,
        lzw_maximum_output_length=bound,
        run_length_maximum_output_length=bound,
        jbig2_maximum_output_length=bound,
        brotli_maximum_output_length=bound,
        array_based_stream_maximum_output_length=bound,
        maximum_declared_stream_length=bound,
        image_maximum_buffer_size=bound,
        stream_decoding_work_maximum_length=bound * 2,
        xmp_maximum_input_length=1024 * 1024,
        page_tree_maximum_entries=limits.max_pages * 4 + 16,
    ):
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                result.encrypted = True
                result.problems.append(Problem("encrypted"))
                return
            count = len(reader.pages)
            result.pages = count
            if count == 0:
                result.problems.append(Problem("no_pages"))
                return
            if count > limits.max_pages:
                result.problems.append(Problem("too_many_pages", {"pages": count,
                                                                  "limit": limits.max_pages}))
                return
            result.metadata = _metadata(reader)
            for number, page in enumerate(reader.pages, start=1):
                result.page_info.append(_inspect_page(number, page, limits, result))
        except LimitReachedError as exc:
            result.problems.append(Problem("decompression_bomb", {"detail": short(exc),
                                                                  "limit": mb(bound)}))
        except _TooManyPixels as exc:
            result.problems.append(Problem("too_many_pixels", {"detail": str(exc),
                                                               "limit": limits.max_pixels // 1_000_000}))
        except MemoryError:
            raise
        except (PdfReadError, Exception) as exc:  # noqa: BLE001 - any parser failure
            if is_bomb(exc):
                result.problems.append(Problem("too_many_pixels", {"detail": pixels(exc),
                                                                   "limit": limits.max_pixels // 1_000_000}))
            else:
                result.problems.append(Problem("unreadable", {"detail": short(exc)}))


class _TooManyPixels(Exception):
    pass


def _metadata(reader) -> dict[str, str]:
    meta = reader.metadata or {}
    out = {}
    for key in ("/Title", "/Author", "/Creator", "/Producer", "/CreationDate"):
        value = meta.get(key)
        if value is not None:
            out[key.lstrip("/").lower()] = str(value)[:200]
    return out


def _inspect_page(number: int, page, limits: Limits, result: Inspection) -> PageInfo:
    box = page.mediabox
    width_pt, height_pt = round(float(box.width), 1), round(float(box.height), 1)
    info = PageInfo(number=number, width_pt=width_pt, height_pt=height_pt)
    # Force the decoding of the page's content: text extraction can return early
    # without decompressing anything, and a bomb must not slip through that way.
    contents = page.get_contents()
    if contents is not None:
        contents.get_data()
    for xobj in _image_xobjects(page):
        w, h = int(xobj.get("/Width", 0)), int(xobj.get("/Height", 0))
        if w * h > limits.max_pixels:
            raise _TooManyPixels(f"{w}×{h} = {w * h / 1e6:.0f} MP")
        xobj.get_data()  # decode under pypdf's output bounds
        dpi = round(w / (width_pt / 72)) if width_pt else 0
        info.images.append({"width": w, "height": h, "dpi": dpi})
    info.text = (page.extract_text() or "")[: limits.max_text_chars]
    if not info.text.strip() and not info.images:
        result.problems.append(Problem("empty_page", {"page": number}))
    if info.images and max(i["dpi"] for i in info.images) < limits.min_dpi:
        result.problems.append(Problem("low_resolution", {
            "page": number, "dpi": max(i["dpi"] for i in info.images),
            "width": info.images[0]["width"], "height": info.images[0]["height"],
        }))
    return info


def _image_xobjects(page, depth: int = 0):
    """Image XObjects of a page, looking into form XObjects a few levels deep."""
    resources = page.get("/Resources")
    if resources is None:
        return
    resources = resources.get_object()
    xobjects = resources.get("/XObject")
    if xobjects is None:
        return
    for ref in xobjects.get_object().values():
        obj = ref.get_object()
        subtype = obj.get("/Subtype")
        if subtype == "/Image":
            yield obj
        elif subtype == "/Form" and depth < 3:
            yield from _image_xobjects(obj, depth + 1)
