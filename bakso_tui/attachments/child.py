"""The bounded child that parses untrusted files, and the plain wire it speaks.

The child is a fresh interpreter (``python -m bakso_tui.attachments.child``)
started by :class:`~bakso_tui.attachments.inspect.InspectorPool` with:

* a scrubbed environment: only :data:`ENV_ALLOWED` is passed on, so the
  database URL (and its password), ``HOME`` and any other secret of the
  parent's environment are not in the child's memory;
* no network where the platform allows: before it reads anything it moves
  into a new, empty network namespace (``unshare(CLONE_NEWNET)``, as root;
  else with a user namespace, ``CLONE_NEWUSER | CLONE_NEWNET``); where
  neither is allowed it goes on without, and says so in its first frame;
* an address-space limit (``RLIMIT_AS``), and standard output and error on
  ``/dev/null`` (nothing a decoder prints reaches the terminal).

Parent and child exchange frames, never pickles: a frame is an 8-byte
header (two big-endian lengths), a JSON object, and raw bytes (a file to
read, or a drawn page's RGB pixels). A parent reading a pickle from a child
that a malicious file took over would run that child's code; reading JSON
and bytes, it can only get wrong values, which it checks.
"""

from __future__ import annotations

import json
import os
import select
import struct
import sys
import time
from dataclasses import asdict
from typing import Any, BinaryIO

from bakso_tui.config import Limits

#: Environment variables a child gets (when the parent has them): locale and
#: time zone for the decoders, the search path for Python itself. Nothing else.
ENV_ALLOWED = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "PYTHONPATH",
               "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "TMPDIR")

_HEAD = struct.Struct(">II")
#: The largest JSON part of a frame (an inspection with the text of 50 pages).
MAX_JSON = 16 * 1024 * 1024
#: The largest raw part: a file of the largest size allowed, or a drawn page.
MAX_PAYLOAD = 256 * 1024 * 1024

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


class WireError(Exception):
    """A frame that is not one: too long, cut short, not JSON."""


# ----------------------------------------------------------------- frames


def encode(message: dict[str, Any], payload: bytes = b"") -> bytes:
    body = json.dumps(message, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return _HEAD.pack(len(body), len(payload)) + body + payload


def write_frame(out: BinaryIO, message: dict[str, Any], payload: bytes = b"") -> None:
    out.write(encode(message, payload))
    out.flush()


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    parts, left = [], size
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(left, 1024 * 1024))
        if not chunk:
            raise EOFError
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def read_frame(fd: int, deadline: float | None = None) -> tuple[dict[str, Any], bytes]:
    """One frame from `fd`: (message, payload). TimeoutError after `deadline`
    (a time.monotonic() value), EOFError at the end, WireError for junk."""
    json_size, payload_size = _HEAD.unpack(_read_exact(fd, _HEAD.size, deadline))
    if json_size > MAX_JSON or payload_size > MAX_PAYLOAD:
        raise WireError(f"frame of {json_size}+{payload_size} bytes")
    body = _read_exact(fd, json_size, deadline)
    payload = _read_exact(fd, payload_size, deadline) if payload_size else b""
    try:
        message = json.loads(body)
    except ValueError as exc:
        raise WireError(f"not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise WireError("not a JSON object")
    return message, payload


# ----------------------------------------------------------------- starting


def child_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a child starts with: the allowed names only."""
    environ = os.environ if environ is None else environ
    return {k: environ[k] for k in ENV_ALLOWED if k in environ}


def child_command(limits: Limits) -> list[str]:
    # Isolated mode (-I): no PYTHON* variables, no user site, not the current
    # folder on the path. With a PYTHONPATH (a checkout run in place) only -s.
    flag = "-s" if os.environ.get("PYTHONPATH") else "-I"
    return [sys.executable, flag, "-m", "bakso_tui.attachments.child",
            json.dumps(asdict(limits))]


def _unshare(flags: int) -> None:
    if hasattr(os, "unshare"):  # Python 3.12+
        os.unshare(flags)
        return
    import ctypes  # Python 3.11: through the C library
    import ctypes.util

    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.unshare(ctypes.c_int(flags)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


def isolate_network() -> str:
    """Leave every network behind, if the platform lets this process: "netns"
    (a new network namespace), "userns" (one inside a new user namespace),
    or "none" (not possible here: the child goes on with the host's network)."""
    if not sys.platform.startswith("linux"):
        return "none"
    try:
        _unshare(CLONE_NEWNET)  # root, or CAP_SYS_ADMIN
        return "netns"
    except (OSError, AttributeError, ImportError):
        pass
    try:
        _unshare(CLONE_NEWUSER | CLONE_NEWNET)  # unprivileged user namespaces
        return "userns"
    except (OSError, AttributeError, ImportError):
        return "none"


def _self_check() -> dict[str, Any]:
    """What the child can reach, for the tests and for `docs/security.md`."""
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            tcp = "connected"
    except OSError as exc:
        tcp = type(exc).__name__ + (f" errno {exc.errno}" if exc.errno else "")
    return {"env": sorted(os.environ), "tcp_127_0_0_1_5432": tcp}


# ----------------------------------------------------------------- in the child


def main(argv: list[str]) -> None:  # pragma: no cover - runs in the child process
    import logging
    import resource
    import warnings

    network = isolate_network()  # first, while this process has one thread
    limits = Limits(**json.loads(argv[0]))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    jobs = sys.stdin.buffer.raw.fileno()
    replies = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    logging.disable(logging.CRITICAL)  # pypdf logs recoverable damage; problems say it
    warnings.simplefilter("ignore")  # pypdf's chatter; bomb warnings are re-armed per file

    from bakso_tui.attachments.probe import Inspection, inspect_in_process
    from bakso_tui.attachments.render import render_job
    from bakso_tui.attachments.untrusted import Problem

    write_frame(replies, {"ready": True, "network": network})
    while True:
        try:
            job, data = read_frame(jobs)
        except (EOFError, OSError, WireError):
            return
        kind = job.get("kind")
        if kind == "stop":
            return
        if kind == "check":
            write_frame(replies, {"check": _self_check(), "network": network})
        elif kind == "render":
            page = render_job(data if job.get("has_data") else None, job["sha256"],
                              job["number"], job["max_side"], limits)
            if isinstance(page, Problem):
                write_frame(replies, {"problem": asdict(page)})
            else:
                fields = asdict(page)
                pixels = fields.pop("pixels")
                write_frame(replies, {"page": fields}, pixels)
        else:
            name = str(job.get("name", ""))
            try:
                inspection = inspect_in_process(data, name, limits)
            except MemoryError:
                inspection = Inspection(name=name, size=len(data), sha256="",
                                        problems=[Problem("memory")])
            write_frame(replies, {"inspection": asdict(inspection)})


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
