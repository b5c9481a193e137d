"""The supervisor's reassign dialog: hand one submission to another verifier."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from bakso_tui.domain.users import UserInfo
from bakso_tui.locale import t
from bakso_tui.locale.plain import visible
from bakso_tui.screens.base import Dialog
from bakso_tui.widgets.bindings import tui_binding
from bakso_tui.widgets.plain import cell


class ReassignDialog(Dialog[str | None]):
    """Pick the verifier (Enter); the dialog returns the login, or None on Esc."""

    DEFAULT_CSS = """
    ReassignDialog OptionList { height: auto; max-height: 12; }
    """

    BINDINGS = [tui_binding("escape", "cancel", "reassign-cancel")]

    def __init__(self, number: str, holder: str | None, people: list[UserInfo]) -> None:
        super().__init__()
        self.number = number
        self.holder = holder
        self.people = [p for p in people if p.login != holder]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t("tui.reassign.title", number=visible(self.number)), markup=False)
            if self.holder:
                yield Label(t("tui.reassign.held_by", login=visible(self.holder)), classes="hint",
                        markup=False)
            yield OptionList(*[Option(cell(f"{p.name} ({p.login})"), id=p.login)
                               for p in self.people], id="people")
            yield Label(t("tui.reassign.hint"), classes="hint")

    def on_mount(self) -> None:
        people = self.query_one("#people", OptionList)
        if self.people:
            people.highlighted = 0
        people.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
