"""Inspecting an attachment: what it is, how many pages, what is on them, what is wrong.

One module serves intake, the attachment viewer and ``bakso inspect``. Every
file is untrusted: parsing runs in a child process with an address-space limit
(``RLIMIT_AS``) and a wall-clock timeout, with pypdf's decoding limits and
Pillow's pixel limit lowered to what an office needs, Pillow's bomb warning
raised as an error and its formats restricted to JPEG and PNG. The media type
is decided by the content (magic bytes), never by the file name.

A child that hangs is killed when its time is up and a new one takes its place;
a child that dies (out of memory, a crash in a decoder) likewise. Either way the
caller gets an :class:`Inspection` with a problem, never an exception.

Problems are codes with parameters; :meth:`Problem.message` renders them in the
user's language. ``fatal`` problems mean the file cannot be used (intake
refuses it); the others (an empty page, a low resolution) are shown to the
verifier.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import logging
import multiprocessing as mp
import queue
import re
import sys
import threading
import warnings
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from collections.abc import Callable
from typing import Any

from bakso_tui.locale import t

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
MEDIA_TYPES = (PDF, JPEG, PNG)

FATAL = frozenset({
    "empty_file", "too_large", "unknown_type", "unreadable", "encrypted", "no_pages",
    "too_many_pages", "too_many_pixels", "decompression_bomb", "timeout", "memory", "crashed",
})


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 20 * 1024 * 1024
    max_pages: int = 50
    max_pixels: int = 40_000_000  # ~ an A4 page at 600 dpi; a 100 MP image is refused
    max_decoded_bytes: int = 64 * 1024 * 1024  # per stream, after decompression
    max_text_chars: int = 20_000  # kept per page
    min_dpi: int = 100
    timeout_s: float = 15.0
    memory_bytes: int = 1024 * 1024 * 1024  # the child's address space


@dataclass(frozen=True)
class Problem:
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def fatal(self) -> bool:
        return self.code in FATAL

    def message(self) -> str:
        return t(f"inspect.{self.code}", **self.params)


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


def sniff(data: bytes) -> str | None:
    """The media type by content: PDF, JPEG or PNG, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.lstrip(b"\xef\xbb\xbf \t\r\n\0")[:5] == b"%PDF-":
        return PDF
    return None


# ----------------------------------------------------------------- in the child


def inspect_in_process(data: bytes, name: str, limits: Limits) -> Inspection:
    """Inspect in this process. Only call this inside a bounded child."""
    result = Inspection(name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest())
    if not data:
        result.problems.append(Problem("empty_file"))
        return result
    if len(data) > limits.max_file_bytes:
        result.problems.append(
            Problem("too_large", {"mb": _mb(len(data)), "limit": _mb(limits.max_file_bytes)})
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


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}"


def _head(data: bytes) -> str:
    """The first bytes, printable ones as they are, others as '.'."""
    return "".join(chr(b) if 32 <= b < 127 else "." for b in data[:8])


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def _pillow(limits: Limits):
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    return Image


def _inspect_image(data: bytes, limits: Limits, result: Inspection) -> None:
    image_mod = _pillow(limits)
    try:
        with image_mod.open(io.BytesIO(data), formats=["JPEG", "PNG"]) as img:
            width, height = img.size
            img.load()  # force the decoding: a header alone proves nothing
            dpi = _image_dpi(img)
            extrema = img.convert("L").getextrema()
    except (image_mod.DecompressionBombError, image_mod.DecompressionBombWarning) as exc:
        result.problems.append(Problem("too_many_pixels", {"detail": _pixels(exc),
                                                           "limit": limits.max_pixels // 1_000_000}))
        return
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        result.problems.append(Problem("unreadable", {"detail": _short(exc)}))
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


def _pixels(exc: BaseException) -> str:
    """Pillow's bomb message names the pixel count: say it in megapixels."""
    match = re.search(r"\((\d+) pixels\)", str(exc))
    return f"{int(match.group(1)) / 1e6:.0f} MP" if match else _short(exc)


def _image_dpi(img) -> int | None:
    dpi = img.info.get("dpi")
    if dpi and dpi[0] and float(dpi[0]) > 1:
        return round(float(dpi[0]))
    return None


def _inspect_pdf(data: bytes, limits: Limits, result: Inspection) -> None:
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError, PdfReadError

    _pillow(limits)  # pypdf decodes images through Pillow: same limits
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
            result.problems.append(Problem("decompression_bomb", {"detail": _short(exc),
                                                                  "limit": _mb(bound)}))
        except _TooManyPixels as exc:
            result.problems.append(Problem("too_many_pixels", {"detail": str(exc),
                                                               "limit": limits.max_pixels // 1_000_000}))
        except MemoryError:
            raise
        except (PdfReadError, Exception) as exc:  # noqa: BLE001 - any parser failure
            if _is_bomb(exc):
                result.problems.append(Problem("too_many_pixels", {"detail": _pixels(exc),
                                                                   "limit": limits.max_pixels // 1_000_000}))
            else:
                result.problems.append(Problem("unreadable", {"detail": _short(exc)}))


class _TooManyPixels(Exception):
    pass


def _is_bomb(exc: BaseException) -> bool:
    from PIL import Image

    return isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning))


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


# ----------------------------------------------------------------- the pool


@contextmanager
def _real_stderr():
    """Inside the TUI, Textual has replaced sys.stderr with an object without a
    file descriptor, and multiprocessing's helper process needs one: hand it
    the real one while a child starts."""
    saved = sys.stderr
    sys.stderr = sys.__stderr__ or saved
    try:
        yield
    finally:
        sys.stderr = saved


def _child(conn: Connection, limits: Limits) -> None:
    import os
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    # Nothing a decoder prints may reach the terminal (the TUI may own it):
    # every failure comes back as a Problem instead.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    logging.disable(logging.CRITICAL)  # pypdf logs recoverable damage; problems say it
    warnings.simplefilter("ignore")  # pypdf's chatter; bomb warnings are re-armed per file
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        kind, data, *args = job
        if kind == "render":
            from bakso_tui.attachments.render import render_job

            conn.send(_page_to_wire(render_job(data, *args, limits)))
            continue
        name = args[0]
        try:
            inspection = inspect_in_process(data, name, limits)
        except MemoryError:
            inspection = Inspection(name=name, size=len(data), sha256="",
                                    problems=[Problem("memory")])
        conn.send(_to_wire(inspection))


def _to_wire(inspection: Inspection) -> dict[str, Any]:
    return asdict(inspection)


def _page_to_wire(page) -> dict[str, Any]:
    # A drawn page, or the Problem why not: plain data across the pipe.
    return {"problem": asdict(page)} if isinstance(page, Problem) else {"page": asdict(page)}


def _from_wire(data: dict[str, Any]) -> Inspection:
    data = dict(data)
    data["page_info"] = [PageInfo(**p) for p in data["page_info"]]
    data["problems"] = [Problem(**p) for p in data["problems"]]
    return Inspection(**data)


class _Worker:
    def __init__(self, ctx, limits: Limits) -> None:
        self.file: str | None = None  # sha256 of the file the child keeps for drawing
        self.conn, child_conn = ctx.Pipe()
        self.process = ctx.Process(target=_child, args=(child_conn, limits), daemon=True)
        with _real_stderr():
            self.process.start()
        child_conn.close()

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.join(1)
        finally:
            self.conn.close()


class InspectorPool:
    """Long-lived bounded children; thread-safe; a bad file costs one child at most."""

    def __init__(self, limits: Limits | None = None, size: int = 2) -> None:
        self.limits = limits or Limits()
        self._ctx = mp.get_context("spawn")
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()
        self._closed = False

    def inspect(self, data: bytes, name: str) -> Inspection:
        reply = self._run(lambda worker: ("inspect", data, name))
        if isinstance(reply, Problem):
            return Inspection(name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                              media_type=sniff(data), problems=[reply])
        return _from_wire(reply)

    def render(self, data: bytes, number: int, max_side: int, sha256: str | None = None):
        """Page `number` (from 1) of an attachment drawn in a child: a
        :class:`~bakso_tui.attachments.render.RenderedPage`, or the Problem why not.

        The child keeps the last file it drew from; paging on, only its hash is
        sent again (a 20 MB file is not copied through the pipe per page)."""
        from bakso_tui.attachments.render import RenderedPage, check_rendered

        sha256 = sha256 or hashlib.sha256(data).hexdigest()
        reply = self._run(lambda worker: (
            "render", None if worker.file == sha256 else data, sha256, number, max_side))
        if isinstance(reply, dict) and reply.get("problem", {}).get("code") == "not_cached":
            reply = self._run(lambda worker: ("render", data, sha256, number, max_side))
        if isinstance(reply, Problem):
            return reply
        if "problem" in reply:
            return Problem(**reply["problem"])
        try:
            return check_rendered(RenderedPage(**reply["page"]), max_side)
        except (TypeError, ValueError) as exc:
            return Problem("unreadable", {"detail": str(exc)})

    def warm(self) -> None:
        """Start one child now, so that the first file does not wait for it."""
        with self._slots:
            self._idle.put(self._take())

    def _run(self, job_for: Callable[[_Worker], tuple]) -> Any:
        """Send the job made for an idle child; its reply, or a Problem if it hung or died."""
        with self._slots:
            worker = self._take()
            try:
                job = job_for(worker)
                worker.conn.send(job)
                if job[0] == "render" and job[1] is not None:
                    worker.file = job[2]  # the child keeps this file now
                if worker.conn.poll(self.limits.timeout_s):
                    reply = worker.conn.recv()
                    self._idle.put(worker)
                    return reply
                self._drop(worker)
                return Problem("timeout", {"seconds": f"{self.limits.timeout_s:g}"})
            except (EOFError, OSError, BrokenPipeError):
                self._drop(worker)
                return Problem("crashed", {"code": worker.process.exitcode})

    def _take(self) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            with self._lock:
                if self._closed:
                    raise RuntimeError("inspector pool closed") from None
                worker = _Worker(self._ctx, self.limits)
                self._all.add(worker)
                return worker

    def _drop(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.kill()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._all = list(self._all), set()
        for worker in workers:
            try:
                worker.conn.send(None)
            except OSError:
                pass
            worker.kill()


_default: InspectorPool | None = None
_default_lock = threading.Lock()


def default_pool(limits: Limits | None = None) -> InspectorPool:
    global _default
    with _default_lock:
        if _default is None or (limits is not None and limits != _default.limits):
            if _default is not None:
                _default.close()
            _default = InspectorPool(limits)
            atexit.register(_default.close)
        return _default


def inspect_bytes(data: bytes, name: str, limits: Limits | None = None) -> Inspection:
    """Inspect untrusted bytes in a bounded child process."""
    return default_pool(limits).inspect(data, name)
