"""The screens of the back office. Each screen reads through the rules layer in
thread workers and changes its widgets only in message handlers."""

from bakso_tui.screens.base import BaksoScreen
from bakso_tui.screens.help import HelpScreen, screen_keys
from bakso_tui.screens.queue import QueueScreen
from bakso_tui.screens.users import UsersScreen

__all__ = ["BaksoScreen", "HelpScreen", "QueueScreen", "UsersScreen", "screen_keys"]
