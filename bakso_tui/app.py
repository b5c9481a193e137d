"""The back office application: one factory for the command line and the tests.

`make_app` builds a `BaksoApp` for one signed-in user. The app holds the
settings, the database and the clock; screens read through the rules layer in
thread workers. Which screens a user reaches depends on the role
(`Permission.QUEUE_VIEW` → queue on F2, `Permission.USERS` → users on F3);
F1 or ? explains the current screen and its keys, Ctrl+P opens the commands.
"""

from __future__ import annotations

import gc
import re
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cached_property
from time import perf_counter

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from textual import work
from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import ModalScreen
from textual.worker import Worker

from bakso_tui.attachments.inspect import InspectorPool, default_pool
from bakso_tui.commands import BaksoCommands
from bakso_tui.config import Settings
from bakso_tui.db.engine import Database, DatabaseError
from bakso_tui.domain.users import Permission, PermissionDenied, UserInfo
from bakso_tui.locale import language, set_language, t
from bakso_tui.screens import BaksoScreen, HelpScreen, QueueScreen, UsersScreen
from bakso_tui.widgets import translate_bindings
from bakso_tui.widgets.bindings import tui_binding

Clock = Callable[[], datetime]

#: Screens reachable by mode name, and the permission each one needs.
SCREEN_PERMISSIONS = {"queue": Permission.QUEUE_VIEW, "users": Permission.USERS}


def describe_error(error: BaseException | None) -> str:
    """One line a user can read, for any exception a worker may raise."""

    def first_line(text: str) -> str:
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        return lines[0] if lines else ""

    if error is None:
        return ""
    if isinstance(error, (DatabaseError, PermissionDenied)):
        return str(error)
    if isinstance(error, DBAPIError):
        reason = first_line(str(error.orig)) if error.orig is not None else first_line(str(error))
        return t("tui.error.database", reason=reason)
    if isinstance(error, SQLAlchemyError):
        return t("tui.error.database", reason=first_line(str(error)))
    return first_line(f"{type(error).__name__}: {error}")


class BaksoApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "BAKSO"
    COMMANDS = {BaksoCommands}

    BINDINGS = [
        tui_binding("f1,question_mark", "help", "help"),
        tui_binding("f2", "show_screen('queue')", "show-queue"),
        tui_binding("f3", "show_screen('users')", "show-users"),
        tui_binding("ctrl+q", "quit", "quit", priority=True),
        tui_binding("ctrl+p", "command_palette", "command-palette", priority=True, show=False),
    ]

    MODES = {"queue": QueueScreen, "users": UsersScreen}

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        user: UserInfo,
        demo: bool = False,
        clock: Clock | None = None,
        keymap: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self._quit_last()
        translate_bindings(self)
        self.settings = settings
        self.db = db
        self.user = user
        self.actor = user.actor()
        self.demo = demo
        self._clock = clock
        self.started_at = perf_counter()
        #: Seconds from `make_app` to the first queue rows in the table (for benchmarks).
        self.first_rows_seconds: float | None = None
        # Over SSH every frame counts: no animated scrolling or fading.
        self.animation_level = "none"
        if keymap:
            self.set_keymap(dict(keymap))

    def _quit_last(self) -> None:
        # Textual's own Ctrl+Q comes first in the map; list "Keluar" last, after the screens.
        bindings = self._bindings.key_to_bindings
        for key in [k for k, bs in bindings.items() if any(b.action == "quit" for b in bs)]:
            bindings[key] = bindings.pop(key)

    # ------------------------------------------------------------------ basics

    def now(self) -> datetime:
        """The current time (aware, UTC); fixed in tests and snapshots."""
        return self._clock() if self._clock is not None else datetime.now(UTC)

    @cached_property
    def inspector(self) -> InspectorPool:
        """The bounded child processes that draw attachment pages for the viewer."""
        return default_pool(self.settings.attachments.file_limits())

    def can(self, permission: Permission) -> bool:
        return self.actor.can(permission)

    def may_open(self, mode: str) -> bool:
        return mode in SCREEN_PERMISSIONS and self.can(SCREEN_PERMISSIONS[mode])

    def on_mount(self) -> None:
        self.switch_mode("queue" if self.may_open("queue") else "users")
        # Everything built so far (modules, classes, the stylesheet, the first
        # screen) lives as long as the program: move it out of the garbage
        # collector's full passes, which otherwise walk ~140,000 objects every
        # few seconds of scrolling (85 ms each; 10 ms after this).
        self.call_after_refresh(gc.freeze)

    def get_key_display(self, binding: Binding) -> str:
        display = super().get_key_display(binding)
        if re.fullmatch(r"f\d{1,2}", display):
            return display.upper()
        return {"esc": "Esc", "pgdn": "PgDn", "pgup": "PgUp"}.get(display, display)

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_screen":
            mode = str(parameters[0]) if parameters else ""
            if not self.may_open(mode):
                return False
            return self.current_mode != mode
        return True

    def action_show_screen(self, mode: str) -> None:
        if not self.may_open(mode) or self.current_mode == mode:
            return
        while isinstance(self.screen, ModalScreen) and len(self.screen_stack) > 1:
            self.pop_screen()  # the help over the old screen must not wait there
        self.switch_mode(mode)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
        elif not isinstance(self.screen, ModalScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(
                CommandPalette(id="--command-palette", placeholder=t("tui.command.placeholder"))
            )

    def action_help_quit(self) -> None:
        # Ctrl+C does not quit a Textual app: say which key does, in our words.
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(t("tui.quit_hint", key=self.get_key_display(active.binding)))
                return

    def action_switch_language(self) -> None:
        self.switch_language("en" if language() == "id" else "id")

    def switch_language(self, lang: str) -> None:
        set_language(lang)
        translate_bindings(self)
        for screen in self.screen_stack:
            if isinstance(screen, (BaksoScreen, HelpScreen)):
                screen.retranslate()
        # Screens of the other modes redraw themselves when they are shown again.
        self.screen.refresh_bindings()
        self.notify(t("tui.language_switched"))

    # ------------------------------------------------------------------ messages

    def on_queue_screen_submission_chosen(self, message: QueueScreen.SubmissionChosen) -> None:
        self.open_submission(message.row.id)

    def action_claim_next(self) -> None:
        self.open_submission(None)

    @work(thread=True, exclusive=True, group="claim")
    def open_submission(self, submission_id: int | None) -> None:
        """Claim `submission_id` (or the next free one) and open it."""
        from bakso_tui.domain import claims

        try:
            if submission_id is None:
                claim = claims.claim_next(self.db, self.actor,
                                          lease_minutes=self.settings.lease_minutes, now=self.now())
            else:
                with self.db.write() as session:
                    claim = claims.claim(session, self.actor, submission_id=submission_id,
                                         lease_minutes=self.settings.lease_minutes, now=self.now())
        except claims.ClaimError as exc:
            self.call_from_thread(self.notify, str(exc), severity="warning", markup=False)
            return
        self.call_from_thread(self._show_claim, claim)

    def _show_claim(self, claim) -> None:
        from bakso_tui.screens.submission import SubmissionScreen

        if claim is None:
            self.notify(t("tui.submission.queue_empty"), markup=False)
            if isinstance(self.screen, QueueScreen):
                self.screen.action_refresh()
            return
        self.push_screen(SubmissionScreen(claim))

    def on_submission_screen_decided(self, message) -> None:
        self.notify(t(f"tui.decision.done_{message.action.value}", number=message.number),
                    markup=False)
        self.pop_screen()
        if isinstance(self.screen, QueueScreen):
            self.screen.action_refresh()
        self.open_submission(None)

    def report_worker_error(self, worker: Worker) -> None:
        """The one place where a failed background task is shown to the user."""
        task_key = f"tui.task.{worker.group}"
        task = t(task_key)
        if task == task_key:
            task = t("tui.task.other")
        self.log.error(f"worker {worker.name!r} ({worker.group}) failed", worker.error)
        self.notify(
            t("tui.error.failed", task=task, error=describe_error(worker.error)),
            title=t("tui.error.title"),
            severity="error",
            timeout=12,
            markup=False,
        )


def make_app(
    *,
    settings: Settings,
    db: Database,
    user: UserInfo,
    demo: bool = False,
    clock: Clock | None = None,
    keymap: Mapping[str, str] | None = None,
) -> BaksoApp:
    """The back office for `user` on `db`. `clock` returns an aware UTC datetime.

    ``keymap`` maps binding ids (``help``, ``quit``, ``show-queue``,
    ``show-users``, ``queue-search``, ``queue-refresh``, …) to other keys.
    """
    set_language(settings.lang)
    # The screen draws on the main thread and every query runs in a worker
    # thread. Python lets a thread that wants the lock wait up to the switch
    # interval (5 ms) at each hand-over, and a query hands over at every round
    # trip: while the screen was being built, the queue's first page took
    # 60-80 ms instead of 11. At 1 ms the worker gets its turns; the cost is a
    # few more switches per second.
    sys.setswitchinterval(0.001)
    return BaksoApp(settings=settings, db=db, user=user, demo=demo, clock=clock, keymap=keymap)
