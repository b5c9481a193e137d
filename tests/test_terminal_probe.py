"""The terminal is asked about pictures at start, the viewer told later (bakso_tui/terminal_probe.py)."""

from __future__ import annotations

import os
import pty
import select
import sys
import time

import pytest

from bakso_tui.terminal_probe import Graphics, parse


@pytest.mark.parametrize(("reply", "expected"), [
    (b"\x1b_Gi=31;OK\x1b\\\x1b[?62;22c", Graphics("kitty")),
    (b"\x1b[?62;4;6;22c", Graphics("sixel")),
    (b"\x1b[?64;1;2;6;9;15;18;21;22c", Graphics("halfcell")),  # xterm without sixel
    (b"\x1b[6;20;10t\x1b[?62;4c", Graphics("sixel", (10, 20))),
    (b"\x1b_Gi=31;EINVAL:bad\x1b\\\x1b[?1;2c", Graphics("halfcell")),
    (b"", Graphics("halfcell")),  # nobody answered
])
def test_the_answers_are_read(reply, expected):
    assert parse(reply) == expected


ASK = """
import termios
from bakso_tui import terminal_probe
probe = terminal_probe.start()
answers = probe.finish(timeout=20)
mode = termios.tcgetattr(0)[3]
print("ANSWER", answers.method, answers.cell, bool(mode & termios.ECHO), bool(mode & termios.ICANON))
"""


def _terminal(answer: bytes | None, code: str = ASK, marker: bytes = b"ANSWER") -> bytes:
    """Run `code` under a pseudo-terminal that answers the probe's questions with
    `answer` (None: never), until its line with `marker` has come whole."""
    pid, master = pty.fork()
    if pid == 0:
        try:
            os.execv(sys.executable, [sys.executable, "-c", code])
        finally:
            os._exit(127)
    seen, answered = b"", False
    deadline = time.monotonic() + 60
    try:
        while marker not in seen or not seen.endswith(b"\n"):
            assert time.monotonic() < deadline, seen
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
            if answer is not None and not answered and b"\x1b[c" in seen:
                os.write(master, answer)
                answered = True
    finally:
        os.waitpid(pid, 0)
        os.close(master)
    return seen


def test_a_real_terminal_is_asked_and_given_back_as_it_was():
    seen = _terminal(b"\x1b[6;18;9t\x1b[?62;4;22c")
    assert b"\x1b_G" in seen and b"\x1b[c" in seen  # the Kitty query, then the attributes
    assert b"ANSWER sixel (9, 18) True True" in seen  # echo and line mode restored
    assert b"62;4" not in seen.split(b"ANSWER")[1]  # the answer was not echoed after


def test_a_terminal_that_does_not_answer_costs_only_the_wait():
    # (It read until the output ended in "True": a line that came in two pieces,
    # "... None True" then " True", was cut short. Now the whole line is awaited.)
    seen = _terminal(None, ASK.replace("finish(timeout=20)", "finish(timeout=0.3)"))
    assert b"ANSWER halfcell None True True" in seen


def test_the_viewer_takes_the_answers_and_asks_nothing():
    """Imported once Textual runs (the viewer opened), textual-image must not ask
    the terminal (the answers would arrive as keys): it is handed the probe's
    answers and draws with that method. Under a pseudo-terminal nobody answers."""
    code = ("from bakso_tui import terminal_probe\n"
            "terminal_probe.answers = terminal_probe.Graphics('sixel', (9, 18))\n"
            "from bakso_tui.widgets import page_view\n"
            "from textual_image import widget\n"
            "from textual_image._terminal import get_cell_size\n"
            "print('CHOSEN', page_view.TerminalImage is widget.SixelImage, *get_cell_size())\n")
    seen = _terminal(None, code, b"CHOSEN")
    assert b"CHOSEN True 9 18" in seen
    assert b"\x1b[c" not in seen and b"\x1b_G" not in seen and b"\x1b[16t" not in seen
