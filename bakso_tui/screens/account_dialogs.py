"""The accounts screen's dialogs: add an account, change a role, set a
password, confirm disabling. Each returns what was typed; the rules decide
(``domain/users.py``) and the screen says their refusal in one line."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from bakso_tui.domain.users import Role
from bakso_tui.locale import t
from bakso_tui.screens.base import Dialog
from bakso_tui.widgets import role_label
from bakso_tui.widgets.bindings import tui_binding


@dataclass(frozen=True)
class NewAccount:
    login: str
    name: str
    role: str
    password: str | None


def _input(name: str, *, password: bool = False, value: str = "") -> Input:
    field = Input(value=value, placeholder=t(f"dashboard.accounts.field_{name}"),
                  password=password, id=f"account-{name}")
    field.cursor_blink = False
    return field


class _AccountDialog(Dialog):
    BINDINGS = [
        tui_binding("escape", "cancel", "account-cancel"),
        tui_binding("ctrl+s", "save", "account-save", priority=True),
    ]

    def value(self, name: str) -> str:
        return self.query_one(f"#account-{name}", Input).value

    def refuse(self, text: str) -> None:
        self.query_one("#account-refusal", Label).update(Text(text, style="bold"))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()


class AddAccountDialog(_AccountDialog):
    """Login, name, role (an option list) and an optional password."""

    DEFAULT_CSS = "AddAccountDialog OptionList { height: 5; }"

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t("dashboard.accounts.add_title"))
            yield _input("login")
            yield _input("name")
            yield OptionList(*[Option(role_label(r.value), id=r.value) for r in Role],
                             id="account-role")
            yield _input("password", password=True)
            yield Label("", id="account-refusal", classes="hint")
            yield Label(t("dashboard.accounts.hint"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#account-role", OptionList).highlighted = 0
        self.query_one("#account-login", Input).focus()

    def action_save(self) -> None:
        roles = self.query_one("#account-role", OptionList)
        role = roles.get_option_at_index(roles.highlighted or 0).id
        self.dismiss(NewAccount(self.value("login").strip(), self.value("name").strip(),
                                str(role), self.value("password") or None))


class RoleDialog(_AccountDialog):
    """Another role for one account: Enter on it."""

    def __init__(self, login: str, current: str) -> None:
        super().__init__()
        self.login = login
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t("dashboard.accounts.role_title", login=self.login), markup=False)
            yield OptionList(*[Option(role_label(r.value), id=r.value) for r in Role],
                             id="account-role")
            yield Label("", id="account-refusal", classes="hint")

    def on_mount(self) -> None:
        roles = self.query_one("#account-role", OptionList)
        roles.highlighted = [r.value for r in Role].index(self.current) \
            if self.current in [r.value for r in Role] else 0
        roles.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_save(self) -> None:
        roles = self.query_one("#account-role", OptionList)
        self.dismiss(roles.get_option_at_index(roles.highlighted or 0).id)


class PasswordDialog(_AccountDialog):
    """A new password, typed twice."""

    def __init__(self, login: str) -> None:
        super().__init__()
        self.login = login

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t("dashboard.accounts.password_title", login=self.login), markup=False)
            yield _input("password", password=True)
            yield _input("again", password=True)
            yield Label("", id="account-refusal", classes="hint")
            yield Label(t("dashboard.accounts.hint"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#account-password", Input).focus()

    def action_save(self) -> None:
        if self.value("password") != self.value("again"):
            self.refuse(t("dashboard.accounts.mismatch"))
            return
        self.dismiss(self.value("password"))


class ConfirmDisable(_AccountDialog):
    """Disable this account? Enter yes, Esc no."""

    BINDINGS = [*_AccountDialog.BINDINGS, tui_binding("enter", "save", "account-save")]

    def __init__(self, login: str) -> None:
        super().__init__()
        self.login = login

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t("dashboard.accounts.disable_title", login=self.login), markup=False)
            yield Label("", id="account-refusal", classes="hint")
            yield Label(t("dashboard.accounts.confirm_hint"), classes="hint")

    def action_save(self) -> None:
        self.dismiss(self.login)
