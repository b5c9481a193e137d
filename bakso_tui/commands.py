"""The command palette (Ctrl+P): commands that depend on the screen and the role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from bakso_tui.domain.permissions import Permission
from bakso_tui.locale import t
from bakso_tui.screens.queue import QueueScreen

if TYPE_CHECKING:
    from bakso_tui.app import BaksoApp

Command = tuple[str, str, Callable[[], object]]


def console_commands(app: BaksoApp) -> Iterator[Command]:
    """The supervisor's console: dashboard, claims, audit, and the chain check."""
    from bakso_tui.screens.audit import verify_chain

    for mode, key in (("dashboard", "dashboard.title"), ("claims", "dashboard.claims.title"),
                      ("audit", "dashboard.audit.command")):
        if app.may_open(mode) and app.current_mode != mode:
            yield (t(key), t(f"dashboard.command.{mode}"),
                   lambda mode=mode: app.action_show_screen(mode))
    if app.can(Permission.AUDIT):
        yield (t("dashboard.audit.verify_command"), t("dashboard.audit.verify_help"),
               lambda: verify_chain(app))


class BaksoCommands(Provider):
    """Open a screen the role may use, search or reload the list, a supervisor's
    release and reassign, help, language, quit."""

    def commands(self) -> Iterator[Command]:
        app = cast("BaksoApp", self.app)
        screen = self.screen
        if app.can(Permission.QUEUE_VIEW) and not isinstance(screen, QueueScreen):
            yield (t("tui.command.queue"), t("tui.command.queue_help"),
                   lambda: app.action_show_screen("queue"))
        if app.can(Permission.USERS) and app.current_mode != "users":
            yield (t("tui.command.users"), t("tui.command.users_help"),
                   lambda: app.action_show_screen("users"))
        if app.may_open("schedule") and app.current_mode != "schedule":
            yield (t("schedule.tui.title"), t("schedule.tui.command_help"),
                   lambda: app.action_show_screen("schedule"))
        if app.can(Permission.BATCH) and app.current_mode != "batches":
            yield (t("tui.command.batches"), t("tui.command.batches_help"),
                   lambda: app.action_show_screen("batches"))
        yield from console_commands(app)
        if isinstance(screen, QueueScreen):
            yield t("tui.command.search"), t("tui.command.search_help"), screen.action_search
        if isinstance(screen, QueueScreen) or app.current_mode == "users":
            yield t("tui.command.refresh"), t("tui.command.refresh_help"), screen.action_refresh
        if isinstance(screen, QueueScreen) and app.can(Permission.CLAIM_RELEASE):
            # A supervisor's actions on the highlighted row (the rules check again).
            yield (t("session.command.release"), t("session.command.release_help"),
                   screen.action_release)
            yield (t("session.command.reassign"), t("session.command.reassign_help"),
                   screen.action_reassign)
        if app.demo:
            for login in app.demo_accounts:
                yield (t("tui.command.switch_user", login=login),
                       t("tui.command.switch_user_help"),
                       lambda login=login: app.switch_user(login))
        yield t("tui.command.help"), t("tui.command.help_help"), app.action_help
        yield (t("tui.command.language"), t("tui.command.language_help"),
               app.action_switch_language)
        yield t("tui.command.quit"), t("tui.command.quit_help"), app.action_quit

    async def discover(self) -> Hits:
        for name, help_text, callback in self.commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self.commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
