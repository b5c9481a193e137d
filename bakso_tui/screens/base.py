"""What every screen of the back office shares: header, language, worker failures;
and the lists changed by others (`ListScreen`: the accounts, the claims)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from textual import on
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from bakso_tui.errors import Refusal
from bakso_tui.locale import language, t
from bakso_tui.widgets import OfficeHeader, StatusBar, translate_bindings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bakso_tui.app import BaksoApp


class BaksoScreen(Screen):
    """A full screen with the office header on top (each screen also yields its
    own key bar, :class:`~bakso_tui.widgets.KeyBar`, at the bottom).

    ``TITLE_KEY`` names the screen (header, help), ``HELP_KEY`` explains it on
    the help screen. A screen made in one language and shown again after a
    switch redraws its texts when it comes back (`retranslate`).
    """

    TITLE_KEY: ClassVar[str] = ""
    HELP_KEY: ClassVar[str] = ""
    #: Extra sections for the help screen: (heading key, [(term, explanation key)]).
    HELP_LEGEND: ClassVar[tuple[tuple[str, tuple[tuple[str, str], ...]], ...]] = ()

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self._language = language()
        self.title = t(self.TITLE_KEY) if self.TITLE_KEY else ""

    @property
    def bakso(self) -> BaksoApp:
        return cast("BaksoApp", self.app)

    def make_header(self) -> OfficeHeader:
        app = self.bakso
        return OfficeHeader(
            office=app.settings.office_short, user=app.user, demo=app.demo, title=self.title
        )

    def key_for(self, action: str, default: str = "") -> str:
        """How the key bound to `action` is shown (after any remapping)."""
        for active in self.active_bindings.values():
            if active.binding.action == action:
                return self.app.get_key_display(active.binding)
        return default

    def on_screen_resume(self) -> None:
        if self._language != language():
            self.retranslate()

    def retranslate(self) -> None:
        """Redraw every text in the current language (after a switch)."""
        self._language = language()
        translate_bindings(self)
        self.title = t(self.TITLE_KEY) if self.TITLE_KEY else ""
        for header in self.query(OfficeHeader):
            header.retranslate(self.title)
        self.refresh_bindings()

    @on(Worker.StateChanged)
    def _worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker.StateChanged does not bubble: hand it to the one place that
        # reports failures (the app), then let the screen fix its own status.
        if event.state == WorkerState.ERROR:
            self.bakso.report_worker_error(event.worker)
            self.worker_failed(event.worker)

    def worker_failed(self, worker: Worker) -> None:
        """Hook: a worker of this screen failed (the user has been told already)."""

    def database_back(self) -> None:
        """Hook: the database answers again; redo what could not be done."""


class ListScreen(BaksoScreen):
    """A list read in a worker of group ``LIST_GROUP``, changed by others (the
    accounts, the claims). A read that fails says ``FAILED_KEY`` in the status
    bar and is tried again when the database is back; a change is said in one
    line (:class:`Changed`) and the list read again, after a refusal too when
    ``REREAD_REFUSED`` (it may be the list that was out of date)."""

    LIST_GROUP: ClassVar[str] = ""
    FAILED_KEY: ClassVar[str] = ""
    REREAD_REFUSED: ClassVar[bool] = True

    class Changed(Message):
        """A change: done (said, the list read again) or refused by the rules."""

        def __init__(self, text: str, refused: bool) -> None:
            super().__init__()
            self.text = text
            self.refused = refused

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    def action_refresh(self) -> None:
        raise NotImplementedError

    def write_change(self, change: Callable[[Session], object], done: str) -> None:
        """One change in a write transaction (called in a worker): the rules'
        refusal, or `done`, said by :meth:`on_list_screen_changed`."""
        try:
            with self.bakso.db.write() as session:
                change(session)
        except Refusal as exc:
            self.post_message(self.Changed(str(exc), refused=True))
            return
        self.post_message(self.Changed(done, refused=False))

    def on_list_screen_changed(self, message: Changed) -> None:
        self.notify(message.text, severity="warning" if message.refused else "information",
                    markup=False)
        if self.REREAD_REFUSED or not message.refused:
            self.action_refresh()

    def worker_failed(self, worker: Worker) -> None:
        if worker.group == self.LIST_GROUP:
            self.failed = True
            self.query_one(StatusBar).show(t(self.FAILED_KEY), error=True)

    def database_back(self) -> None:
        if self.failed:
            self.action_refresh()


DialogResult = TypeVar("DialogResult")


class Dialog(ModalScreen[DialogResult]):
    """A question over the current screen: one framed column in the middle,
    with a muted hint line (``.hint``). Subclasses set their own width."""

    DEFAULT_CSS = """
    Dialog { align: center middle; }
    Dialog > Vertical {
        width: 64; max-width: 100%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    Dialog .hint { color: $text-muted; }
    /* A label is as wide as its text by default and is cut at the frame:
       as wide as the dialog, it wraps at word boundaries instead. */
    Dialog Label { width: 100%; }
    """
