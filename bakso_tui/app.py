"""The back office application: one factory for the command line and the tests.

`make_app` builds a `BaksoApp` for one signed-in user. The app holds the
settings, the database and the clock; screens read through the rules layer in
thread workers. Which screens a user reaches depends on the role
(`Permission.QUEUE_VIEW` → queue on F2, `Permission.USERS` → users on F3,
`Permission.BATCH` → issuance batches on F5);
F1 or ? explains the current screen and its keys, Ctrl+P opens the commands.

No background task ends the app: every worker runs with
``exit_on_error=False`` and a failure reaches `report_worker_error`, which
says in one line what could not be done and whether it will be tried again.
The database going away and coming back, and the claims this session holds,
are looked after by `bakso_tui.resilience`.
"""

from __future__ import annotations

import gc
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING
from time import perf_counter

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.worker import Worker, WorkerState

from bakso_tui.commands import BaksoCommands
from bakso_tui.config import Settings
from bakso_tui.db.errors import DatabaseError, transient
from bakso_tui.domain.permissions import Permission, PermissionDenied, UserInfo
from bakso_tui.locale import language, set_language, t
from bakso_tui.live import QueueListener
from bakso_tui.opening import NotOpened, Opener, Opening
from bakso_tui.locale.plain import visible, visible_lines
from bakso_tui.resilience import ClaimKeeper, DatabaseWatch
from bakso_tui.screens import later
from bakso_tui.screens.base import BaksoScreen
from bakso_tui.screens.help import HelpScreen
from bakso_tui.screens.queue import QueueScreen
from bakso_tui.screens.dashboard import DashboardScreen
from bakso_tui.type_ahead import TypeAhead
from bakso_tui.widgets import translate_bindings
from bakso_tui.widgets.bindings import tui_binding
from bakso_tui.widgets.plain import ControlGuard

if TYPE_CHECKING:
    from bakso_tui.attachments.inspect import InspectorPool
    from bakso_tui.db.engine import Database

Clock = Callable[[], datetime]


#: Screens reachable by mode name, and the permission each one needs.
SCREEN_PERMISSIONS = {"queue": Permission.QUEUE_VIEW, "users": Permission.USERS,
                      "schedule": Permission.QUEUE_VIEW, "batches": Permission.BATCH,
                      "dashboard": Permission.DASHBOARD, "claims": Permission.CLAIM_RELEASE,
                      "audit": Permission.AUDIT}
#: The first screen: the first of these the role may open (supervisors land on the dashboard).
FIRST_SCREENS = ("dashboard", "queue", "users")

def first_mode(actor, wanted: str | None = None) -> str:
    """The screen a session opens on: `wanted` if the role may open it, else the
    first of FIRST_SCREENS it may (supervisors land on the dashboard)."""
    asked = (wanted,) if wanted else ()
    return next((m for m in (*asked, *FIRST_SCREENS)
                 if m in SCREEN_PERMISSIONS and actor.can(SCREEN_PERMISSIONS[m])), "users")


#: Actions of the queue that need a permission beyond seeing it.
ACTION_PERMISSIONS = {"release": Permission.CLAIM_RELEASE, "reassign": Permission.CLAIM_RELEASE}

#: Worker groups whose work is done again by itself once the database is back
#: (`BaksoScreen.database_back`, `ClaimKeeper.release_left_behind`). The others
#: were asked for by a key press, and the user presses it again.
RETRIED_WHEN_BACK = frozenset(
    {"queue", "users", "submission_load", "submission_lease", "release", "viewer_open"})


def describe_error(error: BaseException | None) -> str:
    """One line a user can read, for any exception a worker may raise."""

    def first_line(text: str) -> str:
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        return lines[0] if lines else ""

    if error is None:
        return ""
    if isinstance(error, (DatabaseError, PermissionDenied)):
        return str(error)
    exc = sys.modules.get("sqlalchemy.exc")  # (none of its errors before it is imported)
    if exc is not None and isinstance(error, exc.DBAPIError):
        reason = first_line(str(error.orig)) if error.orig is not None else first_line(str(error))
        return t("tui.error.database", reason=reason)
    if exc is not None and isinstance(error, exc.SQLAlchemyError):
        return t("tui.error.database", reason=first_line(str(error)))
    return first_line(f"{type(error).__name__}: {error}")


class BaksoApp(TypeAhead, Opening, QueueListener, DatabaseWatch, ClaimKeeper, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "BAKSO"
    COMMANDS = {BaksoCommands}
    #: Workers that move the user on when they end (type_ahead.py): the claim that opens
    #: a submission, its details, a decision (the next one opens), an account change
    #: (its dialog closes), a claim's reassignment (its dialog opens), a service day's
    #: change or mark, a batch's hand-over. Keys typed after the key that started one
    #: go where it leads. The reads that refresh a screen never delay a key.
    KEYS_WAIT_FOR = frozenset({
        "claim", "submission_load", "submission_decide", "users_change", "claims_change",
        "queue_reassign", "schedule_change", "schedule_mark", "batch-write",
        "sign_in",  # (opening.py: keys typed on the first frame wait for the sign-in)
    })

    BINDINGS = [
        tui_binding("f1,question_mark", "help", "help"),
        tui_binding("f2", "show_screen('queue')", "show-queue"),
        tui_binding("f3", "show_screen('users')", "show-users"),
        # Not in the key bar (no room at 80 columns): in the help and the palette.
        tui_binding("f4", "show_screen('schedule')", "show-schedule", show=False),
        tui_binding("f5", "show_screen('batches')", "show-batches"),
        tui_binding("f6", "show_screen('dashboard')", "show-dashboard", show=False),
        tui_binding("f7", "show_screen('claims')", "show-claims", show=False),
        tui_binding("f8", "show_screen('audit')", "show-audit", show=False),
        tui_binding("ctrl+q", "quit", "quit", priority=True),
        tui_binding("ctrl+p", "command_palette", "command-palette", priority=True, show=False),
    ]

    # The screens a role lands on are imported with the app; the others when
    # first opened (the schedule's modules bring the PDF library: issue 16).
    MODES = {"queue": QueueScreen, "users": later.users_screen, "dashboard": DashboardScreen,
             "schedule": later.schedule_screen, "batches": later.batches_screen,
             "claims": later.claims_screen, "audit": later.audit_screen}

    #: "" while the database answers; else the line the header shows.
    db_status: reactive[str] = reactive("")

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database | None,
        user: UserInfo,
        demo: bool = False,
        clock: Clock | None = None,
        first_screen: str | None = None,
        opener: Opener | None = None,
    ) -> None:
        # The app starts in its first screen's mode: Textual builds that screen
        # as it starts, instead of a blank default screen and then a switch of
        # mode (which styles the whole app again, twice).
        self.DEFAULT_MODE = first_mode(user.actor(), first_screen)
        super().__init__()
        self.first_screen = first_screen
        self._init_claims()
        self._quit_last()
        translate_bindings(self)
        self.settings = settings
        self._init_opening(db, opener)
        self.user = user
        self.actor = user.actor()
        self.demo = demo
        #: On a demo: the accounts the palette offers to switch to (set by the CLI).
        self.demo_accounts: tuple[str, ...] = ()
        #: The account to open next, once this app has ended (a demo's switch).
        self.switch_login: str | None = None
        self._clock = clock
        self.started_at = perf_counter()
        #: Seconds from `make_app` to the first queue rows in the table (for benchmarks).
        self.first_rows_seconds: float | None = None
        # Over SSH every frame counts: no animated scrolling or fading.
        self.animation_level = "none"
        # The [keys] table of the config file: binding id -> key(s), Posting's way.
        if settings.keys:
            self.set_keymap(settings.keys)
        hide_keys_not_yours(self)

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
        from bakso_tui.attachments.inspect import default_pool  # its modules: on first use

        return default_pool(self.settings.attachments.file_limits())

    def can(self, permission: Permission) -> bool:
        return self.actor.can(permission)

    def may_open(self, mode: str) -> bool:
        return mode in SCREEN_PERMISSIONS and self.can(SCREEN_PERMISSIONS[mode])

    def on_mount(self) -> None:
        # Everything built so far (modules, classes, the stylesheet, the first
        # screen) lives as long as the program: move it out of the garbage
        # collector's full passes, which otherwise walk ~140,000 objects every
        # few seconds of scrolling (85 ms each; 10 ms after this).
        self.watch_terminal()
        if self.signed_in:
            self.call_after_refresh(self._started)
            self.start_listening()
        elif "bakso_tui.db.models" in sys.modules:  # a warm parent's child (bakso_tui/warm):
            self.open_session()  # no imports to hold the frame up, the sign-in meanwhile
        else:  # the first frame first, then the sign-in (opening.py), then `_started`
            self.call_after_refresh(self.open_session)

    def on_unmount(self) -> None:
        self.stop_listening()
        self.stop_opening()

    _control_guard = ControlGuard()

    def get_line_filters(self):
        """Textual's filters, and last the guard that keeps control characters of
        any value off the terminal (see ``widgets/plain.py``)."""
        return [*super().get_line_filters(), self._control_guard]

    def notify(self, message: str, *, title: str = "", severity="information",
               timeout: float | None = None, markup: bool = True) -> None:
        """A notification. Ours may use markup; one that quotes a value (a refusal
        naming a submission, an error) is sent with ``markup=False``, and then its
        control characters are shown escaped as well."""
        if not markup:
            message, title = visible_lines(message), visible(title)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def _started(self) -> None:
        gc.freeze()
        gc.enable()  # `bakso` starts without it (bakso_tui/__main__.py)

    def get_key_display(self, binding: Binding) -> str:
        display = super().get_key_display(binding)
        if re.fullmatch(r"f\d{1,2}", display):
            return display.upper()
        return {"esc": "Esc", "pgdn": "PgDn", "pgup": "PgUp"}.get(display, display)

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_screen":
            mode = str(parameters[0]) if parameters else ""
            if mode not in SCREEN_PERMISSIONS:
                return False
            # A screen this role may not open: the key says so (`not_your_key`).
            return not self.may_open(mode) or self.current_mode != mode
        return True

    def permission_for(self, action: str) -> Permission | None:
        """The permission a key's action needs, if one beyond the queue."""
        screen = re.fullmatch(r"(?:app\.)?show_screen\('(\w+)'\)", action)
        if screen:
            return SCREEN_PERMISSIONS.get(screen[1])
        return ACTION_PERMISSIONS.get(action)

    def not_yours(self, action: str) -> bool:
        """Is `action` a key of another role (a supervisor's, an admin's)?"""
        needed = self.permission_for(action)
        return needed is not None and not self.can(needed)

    def not_your_key(self, action: str, key: str, what: str) -> None:
        """Say that `key` (`what` it does) belongs to other roles, and which."""
        from bakso_tui.domain.users import ROLE_PERMISSIONS

        needed = self.permission_for(action)
        roles = [t(f"users.role_{role.value}") for role, allowed in ROLE_PERMISSIONS.items()
                 if needed in allowed]
        self.notify(t("tui.not_your_key", key=key, what=what, roles=", ".join(roles)),
                    severity="warning", markup=False)

    def action_show_screen(self, mode: str) -> None:
        if not self.may_open(mode):
            for active in self.active_bindings.values():
                if active.binding.action == f"show_screen('{mode}')":
                    self.not_your_key(active.binding.action,
                                      self.get_key_display(active.binding),
                                      active.binding.description)
                    return
            return
        if self.current_mode == mode:
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

    def switch_user(self, login: str) -> None:
        """On a demo: end this session (its claims go back) and open it as `login`."""
        if not self.demo or login not in self.demo_accounts:
            return
        self.release_all_now()
        self.switch_login = login
        self.exit()

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

    @work(thread=True, exclusive=True, exit_on_error=False, group="claim")
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
            self.post_message(self.Claimed(None, refusal=str(exc)))
            return
        self.post_message(self.Claimed(claim))

    class Claimed(Message):
        """A claim was made (``claim``), refused (``refusal``), or nothing is free."""

        def __init__(self, claim, refusal: str = "") -> None:
            super().__init__()
            self.claim = claim
            self.refusal = refusal

    def on_bakso_app_claimed(self, message: BaksoApp.Claimed) -> None:
        from bakso_tui.screens.submission import SubmissionScreen

        claim = message.claim
        if message.refusal:
            self.notify(message.refusal, severity="warning", markup=False)
            return
        if claim is None:
            self.notify(t("tui.submission.queue_empty"), markup=False)
            if isinstance(self.screen, QueueScreen):
                self.screen.action_refresh()
            return
        self.hold(claim)
        if self._leaving:  # claimed while the session was ending: give it back
            self.release_all_now()
            return
        self.push_screen(SubmissionScreen(claim))

    def on_submission_screen_decided(self, message) -> None:
        self.forget(message.submission_id)
        if message.found:
            said = t("session.decision_found", number=message.number,
                     action=t(f"session.action.{message.action.value}"))
        else:
            said = t(f"tui.decision.done_{message.action.value}", number=message.number)
        self.notify(said, markup=False)
        if getattr(self.screen, "claim", None) is not None and \
                self.screen.claim.submission_id == message.submission_id:
            self.pop_screen()  # the decided submission's screen, if nothing else closed it
        if isinstance(self.screen, QueueScreen):
            self.screen.action_refresh()
        self.open_submission(None)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.report_worker_error(event.worker)

    def report_worker_error(self, worker: Worker) -> None:
        """The one place where a failed background task is shown to the user:
        one line saying what could not be done and whether it is tried again."""
        task = next((t(key) for key in (f"session.task.{worker.group}", f"tui.task.{worker.group}")
                     if t(key) != key), t("tui.task.other"))
        error = worker.error
        if isinstance(error, NotOpened):
            return  # the session is ending before its sign-in held (opening.py): said by the CLI
        self.log.error(f"worker {worker.name!r} ({worker.group}) failed", error)
        was_away = self.database_away
        self.note_failure(error)
        retried = worker.group in RETRIED_WHEN_BACK and error is not None and transient(error)
        if retried and was_away:
            return  # the header already says the database is away; this waits for it too
        self.notify(
            t("session.failed_retried" if retried else "session.failed_final",
              task=task, error=describe_error(error)),
            title=t("tui.error.title"),
            severity="error",
            timeout=12,
            markup=False,
        )


def hide_keys_not_yours(node) -> None:
    """Keep the keys of other roles out of `node`'s key bar; pressed, they say whose they are."""
    from dataclasses import replace

    from textual.binding import BindingsMap

    app = node if isinstance(node, BaksoApp) else node.app
    node._bindings = BindingsMap.from_keys({
        key: [replace(b, show=False) if app.not_yours(b.action) else b for b in bindings]
        for key, bindings in node._bindings.key_to_bindings.items()
    })


def make_app(
    *,
    settings: Settings,
    db: Database | None,
    user: UserInfo,
    demo: bool = False,
    clock: Clock | None = None,
    first_screen: str | None = None,
    opener: Opener | None = None,
) -> BaksoApp:
    """The back office for `user` on `db`. `clock` returns an aware UTC datetime.

    With `opener` instead of `db`, `user` is the account remembered for this
    login and the app draws its first frame before the database is opened:
    `opener` then opens it and signs in, in a worker (``bakso_tui/opening.py``).

    The keys follow ``settings.keys`` (the ``[keys]`` table of the config
    file), which maps binding ids (``help``, ``quit``, ``show-queue``,
    ``queue-search``, …) to other keys.
    """
    set_language(settings.lang)
    # The screen draws on the main thread and every query runs in a worker
    # thread. Python lets a thread that wants the lock wait up to the switch
    # interval (5 ms) at each hand-over, and a query hands over at every round
    # trip: while the screen was being built, the queue's first page took
    # 60-80 ms instead of 11. At 1 ms the worker gets its turns; the cost is a
    # few more switches per second.
    sys.setswitchinterval(0.001)
    return BaksoApp(settings=settings, db=db, user=user, demo=demo, clock=clock,
                    first_screen=first_screen, opener=opener)
