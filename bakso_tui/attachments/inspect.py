"""Inspecting an attachment: what it is, how many pages, what is on them, what is wrong.

One module serves intake, the attachment viewer and ``bakso inspect``. Every
file is untrusted: it is parsed (:mod:`bakso_tui.attachments.probe`) and its
pages drawn (:mod:`bakso_tui.attachments.render`) only in a child process with
an address-space limit (``RLIMIT_AS``) and a wall-clock timeout, under the
bounds of :class:`~bakso_tui.config.Limits`.

A child that hangs is killed when its time is up and a new one takes its place;
a child that dies (out of memory, a crash in a decoder) likewise. Either way the
caller gets an :class:`Inspection` with a problem, never an exception.

The names callers need are importable from here: :class:`Inspection`,
:class:`Problem`, :class:`Limits`, :func:`sniff`, :func:`inspect_bytes`,
:class:`InspectorPool`.
"""

from __future__ import annotations

import atexit
import hashlib
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

from bakso_tui.attachments.child import (
    WireError, child_command, child_env, read_frame, write_frame,
)
from bakso_tui.attachments.probe import Inspection, PageInfo
from bakso_tui.attachments.render import RenderedPage, check_rendered
from bakso_tui.attachments.untrusted import Problem, sniff
from bakso_tui.config import Limits

__all__ = [
    "Inspection", "InspectorPool", "Limits", "PageInfo", "Problem", "default_pool",
    "inspect_bytes", "sniff",
]


# ----------------------------------------------------------------- the pool


def _from_wire(data: dict[str, Any]) -> Inspection:
    """An inspection as a child sent it, checked field by field (it is the word of
    a process that parsed an attacker's file)."""
    data = dict(data)
    data["page_info"] = [PageInfo(**p) for p in data["page_info"]]
    data["problems"] = [Problem(str(p["code"]), dict(p.get("params") or {}))
                        for p in data["problems"]]
    inspection = Inspection(**data)
    if not (isinstance(inspection.pages, int) and isinstance(inspection.name, str)
            and isinstance(inspection.metadata, dict)
            and all(isinstance(p.text, str) for p in inspection.page_info)):
        raise TypeError("inspection fields of the wrong type")
    return inspection


class _Worker:
    """One child process and its two pipes."""

    def __init__(self, limits: Limits) -> None:
        self.file: str | None = None  # sha256 of the file the child keeps for drawing
        self.process = subprocess.Popen(
            child_command(limits), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=child_env(), close_fds=True, cwd="/")
        self.network = "?"

    def send(self, message: dict[str, Any], payload: bytes = b"") -> None:
        write_frame(self.process.stdin, message, payload)

    def receive(self, timeout: float) -> tuple[dict[str, Any], bytes]:
        return read_frame(self.process.stdout.fileno(), time.monotonic() + timeout)

    def start(self, timeout: float) -> None:
        hello, _ = self.receive(timeout)
        self.network = str(hello.get("network", "?"))

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(1)
        except (OSError, subprocess.TimeoutExpired):
            pass
        finally:
            for pipe in (self.process.stdin, self.process.stdout):
                try:
                    pipe.close()
                except OSError:
                    pass


#: Seconds a new child may take to start (import its decoders) and say it is ready.
START_SECONDS = 30.0

Job = tuple[dict[str, Any], bytes]


class InspectorPool:
    """Long-lived bounded children; thread-safe; a bad file costs one child at most."""

    def __init__(self, limits: Limits | None = None, size: int = 2) -> None:
        self.limits = limits or Limits()
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()
        self._closed = False

    def inspect(self, data: bytes, name: str) -> Inspection:
        reply = self._run(lambda worker: ({"kind": "inspect", "name": name}, data))
        if not isinstance(reply, Problem):
            try:
                return _from_wire(reply[0]["inspection"])
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                reply = Problem("crashed", {"code": f"reply: {type(exc).__name__}"})
        return Inspection(name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                          media_type=sniff(data), problems=[reply])

    def render(self, data: bytes, number: int, max_side: int, sha256: str | None = None):
        """Page `number` (from 1) of an attachment drawn in a child: a
        :class:`~bakso_tui.attachments.render.RenderedPage`, or the Problem why not.

        The child keeps the last file it drew from; paging on, only its hash is
        sent again (a 20 MB file is not copied through the pipe per page)."""
        sha256 = sha256 or hashlib.sha256(data).hexdigest()

        def job(send: bool) -> Job:
            return ({"kind": "render", "has_data": send, "sha256": sha256, "number": number,
                     "max_side": max_side}, data if send else b"")

        reply = self._run(lambda worker: job(worker.file != sha256))
        if not isinstance(reply, Problem) and \
                (reply[0].get("problem") or {}).get("code") == "not_cached":
            reply = self._run(lambda worker: job(True))
        if isinstance(reply, Problem):
            return reply
        message, pixels = reply
        try:
            if "problem" in message:
                problem = message["problem"]
                return Problem(str(problem["code"]), dict(problem.get("params") or {}))
            return check_rendered(RenderedPage(**message["page"], pixels=pixels), max_side)
        except (KeyError, TypeError, ValueError) as exc:
            return Problem("unreadable", {"detail": str(exc)})

    def warm(self) -> None:
        """Start one child now, so that the first file does not wait for it."""
        with self._slots:
            worker = self._take()
            try:
                self._ready(worker)
            except (EOFError, OSError, TimeoutError, WireError):
                self._drop(worker)
                return
            self._idle.put(worker)

    def sandbox(self) -> dict[str, Any]:
        """What a child can reach: its network isolation ("netns", "userns" or
        "none"), the names in its environment, and what a TCP connection to
        127.0.0.1:5432 gave. For the tests and for an administrator's check."""
        reply = self._run(lambda worker: ({"kind": "check"}, b""))
        if isinstance(reply, Problem):
            raise RuntimeError(reply.message())
        return {"network": reply[0]["network"], **reply[0]["check"]}

    def _ready(self, worker: _Worker) -> None:
        if worker.network == "?":
            worker.start(max(START_SECONDS, self.limits.timeout_s))

    def _run(self, job_for: Callable[[_Worker], Job]) -> Job | Problem:
        """Send the job made for an idle child; its reply, or a Problem if it hung or died."""
        with self._slots:
            worker = self._take()
            try:
                self._ready(worker)
                message, payload = job_for(worker)
                worker.send(message, payload)
                if message.get("kind") == "render" and message.get("has_data"):
                    worker.file = message["sha256"]  # the child keeps this file now
                reply = worker.receive(self.limits.timeout_s)
            except TimeoutError:
                self._drop(worker)
                return Problem("timeout", {"seconds": f"{self.limits.timeout_s:g}"})
            except (EOFError, OSError, WireError):
                self._drop(worker)
                return Problem("crashed", {"code": worker.process.returncode})
            self._idle.put(worker)
            return reply

    def _take(self) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            with self._lock:
                if self._closed:
                    raise RuntimeError("inspector pool closed") from None
                worker = _Worker(self.limits)
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
                worker.send({"kind": "stop"})
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
