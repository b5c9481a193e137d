"""The two kinds of failure a user is told about in one line, and their exit codes.

Every rule that refuses an input raises a :class:`Refusal` (the command line
exits 1: "some input refused"); every problem with how the program was started
(configuration, database, catalogue files, the wrong database for the demo)
raises a :class:`SetupError` (exit 2: "usage or configuration"). The message
is the line the user reads, already translated. The command line maps both in
one place (`bakso_tui.cli.context`); the TUI shows them as they are.
"""

from __future__ import annotations


class Refusal(Exception):
    """The rules refuse an input or an action; the message says what and where."""


class SetupError(Exception):
    """The program cannot run as configured; the message says what to change."""
