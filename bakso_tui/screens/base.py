"""What every screen of the back office shares: header, footer, language, worker failures."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from textual import on
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from bakso_tui.locale import language, t
from bakso_tui.widgets import OfficeHeader, translate_bindings

if TYPE_CHECKING:
    from bakso_tui.app import BaksoApp


class BaksoScreen(Screen):
    """A full screen with the office header on top and the key footer below.

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
    """
