"""The office's accounts: login, name, role, active, password set or not.

`a` adds an account, `d` disables the one under the cursor, `u` changes its
role, `p` sets its password (dialogs in ``account_dialogs.py``). The rules
(``domain/users.py``) refuse a verifier, one's own account and the last active
supervisor; the refusal is said in one line and nothing is written.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable
from textual.worker import get_current_worker

from bakso_tui.domain.users import (
    Permission,
    UserInfo,
    add_user,
    disable_user,
    list_users,
    require,
    set_password,
    set_role,
)
from bakso_tui.locale import t
from bakso_tui.screens.base import ListScreen
from bakso_tui.widgets import KeyBar, RowTable, StatusBar, format_count, role_label
from bakso_tui.widgets.bindings import tui_binding
from bakso_tui.widgets.plain import cell

COLUMNS = ("login", "name", "role", "active", "password")


class UsersScreen(ListScreen):
    TITLE_KEY = "tui.screen.users"
    HELP_KEY = "dashboard.accounts.help"
    AUTO_FOCUS = "#users-table"
    LIST_GROUP = "users"
    FAILED_KEY = "tui.users.failed"
    REREAD_REFUSED = False

    BINDINGS = [
        tui_binding("a", "add", "users-add"),
        tui_binding("d", "disable", "users-disable"),
        tui_binding("u", "role", "users-role"),
        tui_binding("p", "password", "users-password"),
        tui_binding("r", "refresh", "users-refresh"),
    ]

    class Loaded(Message):
        def __init__(self, users: list[UserInfo]) -> None:
            super().__init__()
            self.users = users

    def __init__(self) -> None:
        super().__init__()
        self.users: list[UserInfo] | None = None

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
                cell(user.login),
                cell(user.name, no_wrap=True, overflow="ellipsis"),
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

    # ------------------------------------------------------------------ changes

    @property
    def current(self) -> UserInfo | None:
        row = self.table.cursor_row
        return self.users[row] if self.users and 0 <= row < len(self.users) else None

    def action_add(self) -> None:
        from bakso_tui.screens.account_dialogs import AddAccountDialog, NewAccount

        def chosen(new: NewAccount | None) -> None:
            if new is not None:
                self._change(lambda s, actor: add_user(
                    s, actor, login=new.login, name=new.name, role=new.role,
                    password=new.password),
                    lambda: t("dashboard.accounts.added", login=new.login,
                              role=role_label(new.role)))

        self.app.push_screen(AddAccountDialog(), chosen)

    def action_disable(self) -> None:
        from bakso_tui.screens.account_dialogs import ConfirmDisable

        user = self.current
        if user is None:
            return

        def chosen(login: str | None) -> None:
            if login:
                self._change(lambda s, actor: disable_user(s, actor, login),
                             lambda: t("dashboard.accounts.disabled", login=login))

        self.app.push_screen(ConfirmDisable(user.login), chosen)

    def action_role(self) -> None:
        from bakso_tui.screens.account_dialogs import RoleDialog

        user = self.current
        if user is None:
            return

        def chosen(role: str | None) -> None:
            if role:
                self._change(lambda s, actor: set_role(s, actor, user.login, role),
                             lambda: t("users.role_changed", login=user.login,
                                       role=role_label(role)))

        self.app.push_screen(RoleDialog(user.login, user.role), chosen)

    def action_password(self) -> None:
        from bakso_tui.screens.account_dialogs import PasswordDialog

        user = self.current
        if user is None:
            return

        def chosen(password: str | None) -> None:
            if password is not None:
                self._change(lambda s, actor: set_password(s, actor, user.login, password),
                             lambda: t("dashboard.accounts.password_set", login=user.login))

        self.app.push_screen(PasswordDialog(user.login), chosen)

    @work(thread=True, exit_on_error=False, group="users_change")
    def _change(self, change, done) -> None:
        """One account change, as this account: the rules' refusal, or `done`."""
        self.write_change(lambda session: change(session, self.bakso.actor), done())

    def retranslate(self) -> None:
        super().retranslate()
        self._columns()
        if self.users is not None:
            self._fill()
