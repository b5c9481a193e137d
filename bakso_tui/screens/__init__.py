"""The screens of the back office. Each screen reads through the rules layer in
thread workers and changes its widgets only in message handlers.

The names below are imported when first asked for (PEP 562): the first
screen must not wait for the modules of the others (the schedule's brings
the PDF library, the viewer's the image library; issue 16).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bakso_tui.screens.base import BaksoScreen
    from bakso_tui.screens.help import HelpScreen, screen_keys
    from bakso_tui.screens.queue import QueueScreen
    from bakso_tui.screens.schedule import ScheduleScreen
    from bakso_tui.screens.users import UsersScreen
    from bakso_tui.screens.viewer import AttachmentViewer

_WHERE = {"AttachmentViewer": "viewer", "BaksoScreen": "base", "HelpScreen": "help",
          "QueueScreen": "queue", "ScheduleScreen": "schedule", "UsersScreen": "users",
          "screen_keys": "help"}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
