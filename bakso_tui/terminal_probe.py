"""What the terminal can draw pictures with, asked once before Textual takes it over.

The attachment viewer draws pages with textual-image, which asks the terminal
itself when it is imported, and can only do so before Textual reads the
keyboard. Importing it (and Pillow under it) at start cost the first frame
~0.2 s of imports and up to 0.3 s of waiting for a terminal that does not
answer (issue 16). Instead `bakso tui` sends the same questions itself as it
starts (:func:`start`), goes on loading the program while the answers travel
(over SSH they take a round trip), and reads them before the app starts
(:meth:`Probe.finish`). The viewer, imported when first opened, is told the
answers (:data:`answers`) and asks nothing.

The questions: the Kitty graphics query, then Primary Device Attributes
(every terminal answers those, and after the Kitty answer if there is one;
a ``4`` among the attributes means Sixel), and the cell size in pixels when
the kernel does not know it (``CSI 16 t``).
"""

from __future__ import annotations

import os
import re
import select
import sys
import time
from dataclasses import dataclass

try:
    import termios
except ImportError:  # not a POSIX terminal (Windows): nothing is asked, half-cells are drawn
    termios = None  # type: ignore[assignment]

KITTY_QUERY = b"\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
DEVICE_ATTRIBUTES = b"\x1b[c"
CELL_SIZE = b"\x1b[16t"

_DA1 = re.compile(rb"\x1b\[\?([0-9;]*)c")
_KITTY_OK = re.compile(rb"\x1b_Gi=31;OK\x1b\\")
_CELL = re.compile(rb"\x1b\[6;(\d+);(\d+)t")


@dataclass(frozen=True)
class Graphics:
    """The terminal's answers: how to draw a page, and a cell's size in pixels."""

    method: str  # "kitty", "sixel" or "halfcell"
    cell: tuple[int, int] | None = None  # (width, height), None when unknown


#: Set by :meth:`Probe.finish`; None when nobody asked (not a terminal, the tests).
answers: Graphics | None = None

#: The questions already asked by `bakso tui`'s launcher for a warm session (:func:`adopt`).
_adopted: Probe | None = None


def parse(reply: bytes) -> Graphics:
    """What `reply` (the bytes the terminal sent back) says it can draw with."""
    cell = _CELL.search(reply)
    size = (int(cell.group(2)), int(cell.group(1))) if cell else None
    if _KITTY_OK.search(reply):
        return Graphics("kitty", size)
    attributes = _DA1.search(reply)
    if attributes and "4" in attributes.group(1).decode().split(";"):
        return Graphics("sixel", size)
    return Graphics("halfcell", size)


class Probe:
    """The questions sent; :meth:`finish` reads the answers and gives the terminal back."""

    def __init__(self, fd: int, saved: list) -> None:
        self.fd = fd
        self.saved = saved
        self.sent_at = time.monotonic()

    def finish(self, timeout: float = 0.25) -> Graphics:
        """Wait for the answers until `timeout` seconds after they were asked for."""
        global answers
        reply = b""
        try:
            while not _DA1.search(reply):
                left = self.sent_at + timeout - time.monotonic()
                ready, _, _ = select.select([self.fd], [], [], max(0.0, left))
                if not ready:
                    break
                chunk = os.read(self.fd, 1024)
                if not chunk:
                    break
                reply += chunk
        except OSError:
            pass
        finally:
            try:
                termios.tcsetattr(self.fd, termios.TCSANOW, self.saved)
            except termios.error:
                pass
        answers = parse(reply)
        return answers


def adopt(saved: list, sent_at: float) -> None:
    """The launcher of a warm session (``bakso_tui/warm``) asked the questions as it
    started, the terminal then as `saved`: the next :func:`start` asks nothing and
    its probe waits for those answers (`sent_at` is ``time.monotonic()``, one clock
    for every process of the machine)."""
    global _adopted
    probe = Probe(sys.__stdin__.fileno(), saved)
    probe.sent_at = sent_at
    _adopted = probe


def start() -> Probe | None:
    """Ask the terminal (in no-echo, non-canonical mode until :meth:`Probe.finish`);
    None when standard input or output is not a terminal."""
    global _adopted
    if _adopted is not None:
        probe, _adopted = _adopted, None
        return probe
    if termios is None:
        return None
    try:
        stdin, stdout = sys.__stdin__.fileno(), sys.__stdout__.fileno()
        if not (os.isatty(stdin) and os.isatty(stdout)):
            return None
        saved = termios.tcgetattr(stdin)
    except (AttributeError, OSError, ValueError, termios.error):
        return None
    quiet = termios.tcgetattr(stdin)
    quiet[3] &= ~(termios.ICANON | termios.ECHO)
    quiet[6][termios.VMIN], quiet[6][termios.VTIME] = 1, 0
    try:
        termios.tcsetattr(stdin, termios.TCSANOW, quiet)
        questions = KITTY_QUERY + (CELL_SIZE if not _kernel_cell_size(stdout) else b"")
        os.write(stdout, questions + DEVICE_ATTRIBUTES)
    except OSError:
        termios.tcsetattr(stdin, termios.TCSANOW, saved)
        return None
    return Probe(stdin, saved)


def _kernel_cell_size(fd: int) -> bool:
    """Whether the kernel knows the window's size in pixels (often not over SSH)."""
    import fcntl
    import struct

    try:
        rows, columns, width, height = struct.unpack(
            "HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    except OSError:
        return False
    return bool(rows and columns and width and height)
