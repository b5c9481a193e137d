"""The office's accounts, read only: login, name, role, active, password set or not."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable
from textual.worker import Worker, get_current_worker

from bakso_tui.domain.users import Permission, UserInfo, list_users, require
from bakso_tui.locale import t
from bakso_tui.screens.base import BaksoScreen
from bakso_tui.widgets import KeyBar, RowTable, StatusBar, format_count, role_label
from bakso_tui.widgets.bindings import tui_binding

COLUMNS = ("login", "name", "role", "active", "password")


class UsersScreen(BaksoScreen):
    TITLE_KEY = "tui.screen.users"
    HELP_KEY = "tui.users.help"
    AUTO_FOCUS = "#users-table"

    BINDINGS = [tui_binding("r", "refresh", "users-refresh")]

    class Loaded(Message):
        def __init__(self, users: list[UserInfo]) -> None:
            super().__init__()
            self.users = users

    def __init__(self) -> None:
        super().__init__()
        self.users: list[UserInfo] | None = None
        self.failed = False

    def compose(self) -> ComposeResult:
        yield self.make_header()
        yield RowTable(id="users-table")
        yield StatusBar(id="users-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self._columns()
        self.action_refresh()

    @property
    def table(self) -> DataTable:
        return self.query_one("#users-table", DataTable)

    def _columns(self) -> None:
        self.table.clear(columns=True)
        for key in COLUMNS:
            self.table.add_column(t(f"tui.column.{key}"), key=key)

    def action_refresh(self) -> None:
        self.failed = False
        self.query_one(StatusBar).show(t("tui.users.loading"))
        self._fetch()

    @work(thread=True, exclusive=True, group="users", exit_on_error=False)
    def _fetch(self) -> None:
        app = self.bakso
        require(app.actor, Permission.USERS)  # list_users itself does not check
        with app.db.read() as session:
            users = list_users(session)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(users))

    def on_users_screen_loaded(self, message: UsersScreen.Loaded) -> None:
        self.users = message.users
        self._fill()

    def _fill(self) -> None:
        table = self.table
        current = table.cursor_row
        table.clear()
        for user in self.users or ():
            table.add_row(
                Text(user.login),
                Text(user.name, no_wrap=True, overflow="ellipsis"),
                Text(role_label(user.role)),
                Text(t("tui.yes") if user.active else t("tui.no"),
                     style="" if user.active else "dim"),
                Text(t("tui.users.password_set") if user.has_password
                     else t("tui.users.password_none")),
                key=user.login,
            )
        if self.users:
            table.move_cursor(row=min(current, len(self.users) - 1))
        self.query_one(StatusBar).show(
            t("tui.users.title_count", count=format_count(len(self.users or ())))
        )

    def worker_failed(self, worker: Worker) -> None:
        if worker.group == "users":
            self.failed = True
            self.query_one(StatusBar).show(t("tui.users.failed"), error=True)

    def retranslate(self) -> None:
        super().retranslate()
        self._columns()
        if self.users is not None:
            self._fill()
