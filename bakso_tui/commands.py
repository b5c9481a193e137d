"""The command palette (Ctrl+P): commands that depend on the screen and the role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from bakso_tui.domain.users import Permission
from bakso_tui.locale import t

if TYPE_CHECKING:
    from bakso_tui.app import BaksoApp

Command = tuple[str, str, Callable[[], object]]


class BaksoCommands(Provider):
    """Open a screen the role may use, search or reload the list, help, language, quit."""

    def commands(self) -> Iterator[Command]:
        from bakso_tui.screens import QueueScreen, UsersScreen

        app = cast("BaksoApp", self.app)
        screen = self.screen
        if app.can(Permission.QUEUE_VIEW) and not isinstance(screen, QueueScreen):
            yield (t("tui.command.queue"), t("tui.command.queue_help"),
                   lambda: app.action_show_screen("queue"))
        if app.can(Permission.USERS) and not isinstance(screen, UsersScreen):
            yield (t("tui.command.users"), t("tui.command.users_help"),
                   lambda: app.action_show_screen("users"))
        if isinstance(screen, QueueScreen):
            yield t("tui.command.search"), t("tui.command.search_help"), screen.action_search
        if isinstance(screen, (QueueScreen, UsersScreen)):
            yield t("tui.command.refresh"), t("tui.command.refresh_help"), screen.action_refresh
        yield t("tui.command.help"), t("tui.command.help_help"), app.action_help
        yield (t("tui.command.language"), t("tui.command.language_help"),
               app.action_switch_language)
        yield t("tui.command.quit"), t("tui.command.quit_help"), app.exit

    async def discover(self) -> Hits:
        for name, help_text, callback in self.commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self.commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
