"""The screens of the back office. Each screen reads through the rules layer in
thread workers and changes its widgets only in message handlers."""

from bakso_tui.screens.base import BaksoScreen
from bakso_tui.screens.help import HelpScreen, screen_keys
from bakso_tui.screens.queue import QueueScreen
from bakso_tui.screens.users import UsersScreen

# The viewer asks the terminal about its graphics when it is imported, which
# must happen before Textual owns the terminal (else the answers arrive as keys).
from bakso_tui.screens.viewer import AttachmentViewer  # noqa: E402

__all__ = ["AttachmentViewer", "BaksoScreen", "HelpScreen", "QueueScreen", "UsersScreen",
           "screen_keys"]
