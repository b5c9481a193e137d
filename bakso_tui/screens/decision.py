"""The decision dialog: approve, return or reject one submission, with the
reason code, the verifier's note, and the override reason an approval past a
concern needs. It returns a :class:`DecisionRequest`; the submission screen
sends it to the rules."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from bakso_tui.domain.catalog import load_catalog
from bakso_tui.domain.workflow import Action
from bakso_tui.locale import language, t
from bakso_tui.locale.plain import visible
from bakso_tui.screens.base import Dialog
from bakso_tui.widgets.bindings import tui_binding


@dataclass(frozen=True)
class DecisionRequest:
    action: Action
    reason_code: str | None = None
    reason: str = ""
    override_reason: str = ""


class DecisionDialog(Dialog[DecisionRequest | None]):
    """Confirm a decision; return and reject ask for a reason code (and text).

    An approval past a concern (a missing requirement, a NIK that does not
    agree, a possible duplicate) lists them and asks for the override reason.
    """

    DEFAULT_CSS = """
    DecisionDialog > Vertical { width: 76; }
    DecisionDialog OptionList { height: auto; max-height: 10; }
    DecisionDialog .concern { width: 100%; height: auto; color: $warning; }
    """

    BINDINGS = [tui_binding("escape", "cancel", "decision-cancel")]

    def __init__(self, action: Action, number: str, concerns: tuple[str, ...]) -> None:
        super().__init__()
        self.action = action
        self.number = number
        self.concerns = concerns
        lang = language()
        self.reasons = [r for r in load_catalog().reasons if action.value in r.applies_to]
        self._labels = {r.id: r.display_name(lang) for r in self.reasons}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t(f"tui.decision.title_{self.action.value}", number=visible(self.number)),
                        markup=False)
            if self.action is Action.APPROVE and self.concerns:
                yield Label(t("tui.decision.concerns"))
                for concern in self.concerns:  # resident data: plain text
                    yield Static(f"! {visible(concern)}", markup=False, classes="concern")
                yield Input(placeholder=t("tui.decision.override"), id="text")
            elif self.action is not Action.APPROVE:
                yield OptionList(*[Option(self._labels[r.id], id=r.id) for r in self.reasons],
                                 id="reasons")
                yield Input(placeholder=t("tui.decision.text"), id="text")
            yield Label(t("tui.decision.hint"), classes="hint")

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False  # over SSH every blink is a redraw
        if self.query("#reasons"):
            self.query_one("#reasons", OptionList).highlighted = 0
            self.query_one("#reasons").focus()
        elif self.query("#text"):
            self.query_one("#text").focus()

    def _confirm(self) -> None:
        text = self.query_one("#text", Input).value.strip() if self.query("#text") else ""
        if self.action is Action.APPROVE:
            if self.concerns and not text:
                self.notify(t("tui.decision.override_needed"), severity="warning")
                return
            self.dismiss(DecisionRequest(Action.APPROVE, override_reason=text))
            return
        options = self.query_one("#reasons", OptionList)
        if options.highlighted is None:
            return
        code = self.reasons[options.highlighted]
        if code.needs_text and not text:
            self.notify(t("decision.reason_text_needed", code=self._labels[code.id]),
                        severity="warning", markup=False)
            self.query_one("#text").focus()
            return
        self.dismiss(DecisionRequest(self.action, reason_code=code.id, reason=text))

    @on(OptionList.OptionSelected)
    def _option_chosen(self) -> None:
        self._confirm()

    @on(Input.Submitted)
    def _text_submitted(self) -> None:
        self._confirm()

    def key_enter(self) -> None:
        # The list and the note answer Enter themselves (OptionSelected,
        # Input.Submitted) and the key still reaches the dialog: confirm once.
        if not isinstance(self.focused, (Input, OptionList)):
            self._confirm()

    def action_cancel(self) -> None:
        self.dismiss(None)
