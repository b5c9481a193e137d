"""The line at the top of every screen: office, screen, user and role; the demo
marker; and, while the database does not answer, a line that says so."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Static

from bakso_tui.domain.permissions import UserInfo
from bakso_tui.locale import t
from bakso_tui.locale.plain import visible


def role_label(role: str) -> str:
    return t(f"users.role_{role}")


def user_line(user: UserInfo) -> str:
    return t("tui.user_line", name=visible(user.name), login=visible(user.login),
             role=role_label(user.role))


class OfficeHeader(Vertical):
    """Who is working where: ``Dukcapil Lombok Timur │ Antrian │ Name (login) · Role``.

    On a demo database a second line says so, in the warning colour: there the
    accounts can be switched without a password, and nothing is real. While
    the database is away (the app's ``db_status`` is not empty) a line in the
    error colour says so and when the next try is; it goes when it is back.
    """

    DEFAULT_CSS = """
    OfficeHeader {
        height: auto;
        width: 1fr;
    }
    OfficeHeader > Horizontal {
        height: 1;
        background: $panel;
        color: $foreground;
    }
    OfficeHeader Label {
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    OfficeHeader #header-office {
        width: auto;
        padding: 0 1;
        background: $primary;
        color: $text;
        text-style: bold;
    }
    OfficeHeader #header-screen {
        width: 1fr;
        min-width: 8;
        padding: 0 1;
        color: $text-accent;
        text-style: bold;
    }
    OfficeHeader #header-user {
        width: auto;
        max-width: 60%;
        padding: 0 1;
    }
    OfficeHeader #header-db {
        height: 1;
        width: 1fr;
        padding: 0 1;
        background: $error;
        color: $text;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    OfficeHeader #header-demo {
        height: 1;
        width: 1fr;
        padding: 0 1;
        background: $warning;
        color: $text;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, office: str, user: UserInfo, demo: bool, title: str = "") -> None:
        super().__init__(id="header")
        self._office = office
        self._user = user
        self._demo = demo
        self._title = title

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(visible(self._office), id="header-office", markup=False)
            yield Label(self._title, id="header-screen", markup=False)
            yield Label(user_line(self._user), id="header-user", markup=False)
        if self._demo:
            yield Static(t("tui.demo_banner"), id="header-demo")
        away = Static("", id="header-db", markup=False)
        away.display = False
        yield away

    def on_mount(self) -> None:
        if hasattr(self.app, "db_status"):
            self.watch(self.app, "db_status", self._database_status, init=True)

    def _database_status(self, status: str) -> None:
        line = self.query_one("#header-db", Static)
        line.update(status)
        line.display = bool(status)

    def set_title(self, title: str) -> None:
        self._title = title
        if self.is_mounted:
            self.query_one("#header-screen", Label).update(title)

    def retranslate(self, title: str) -> None:
        """Redraw every text after the language changed."""
        self.set_title(title)
        self.query_one("#header-user", Label).update(user_line(self._user))
        if self._demo:
            self.query_one("#header-demo", Static).update(t("tui.demo_banner"))
