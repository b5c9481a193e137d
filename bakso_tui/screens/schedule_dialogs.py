"""The schedule's dialogs: plan a village's days, close a day, pick a team or a village."""

from __future__ import annotations

from dataclasses import dataclass
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from bakso_tui.locale import t
from bakso_tui.screens.base import Dialog
from bakso_tui.widgets.bindings import tui_binding


@dataclass(frozen=True)
class PlanRequest:
    village: str
    rule: str
    start: str
    until: str
    team: str
    capacity: str


FIELDS = ("village", "rule", "start", "until", "team", "capacity")


class PlanDialog(Dialog[PlanRequest | None]):
    """Six fields in a column; Tab moves between them, Enter (or Ctrl+S) plans."""

    DEFAULT_CSS = """
    PlanDialog > Vertical { width: 70; }
    PlanDialog Horizontal { height: 1; margin: 1 0 0 0; }
    PlanDialog Horizontal > Label { width: 14; }
    PlanDialog Input, PlanDialog Input:focus { width: 1fr; height: 1; border: none;
                                               padding: 0 1; background: $boost; }
    PlanDialog Input:focus { background: $accent 30%; }
    PlanDialog .hint, CloseDayDialog .hint { width: 1fr; margin-top: 1; }
    """

    BINDINGS = [
        tui_binding("escape", "cancel", "schedule-dialog-cancel"),
        tui_binding("ctrl+s", "submit", "schedule-dialog-submit"),
    ]

    def __init__(self, request: PlanRequest) -> None:
        super().__init__()
        self.request = request

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t("schedule.tui.plan_title"))
            for name in FIELDS:
                with Horizontal():
                    yield Label(t(f"schedule.tui.field.{name}"))
                    field = Input(getattr(self.request, name), id=f"plan-{name}",
                                  placeholder=t(f"schedule.tui.hint.{name}"))
                    field.cursor_blink = False
                    yield field
            yield Label(t("schedule.tui.plan_hint"), classes="hint")

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        self.dismiss(PlanRequest(*(self.query_one(f"#plan-{n}", Input).value.strip()
                                   for n in FIELDS)))

    def action_cancel(self) -> None:
        self.dismiss(None)


class CloseDayDialog(Dialog[str | None]):
    """Close a day for the whole office (or cancel one village's): the reason, Enter confirms."""

    BINDINGS = [tui_binding("escape", "cancel", "schedule-dialog-cancel")]

    def __init__(self, day: str, booked: int, *, title_is_text: bool = False) -> None:
        super().__init__()
        self.day = day
        self.booked = booked
        self.title_is_text = title_is_text

    def compose(self) -> ComposeResult:
        with Vertical():
            title = self.day if self.title_is_text else t("schedule.tui.close_title", day=self.day)
            yield Label(title, markup=False)
            yield Label(t("schedule.tui.close_effect", booked=self.booked), classes="hint")
            reason = Input(id="close-reason", placeholder=t("schedule.tui.close_reason"))
            reason.cursor_blink = False
            yield reason
            yield Label(t("schedule.tui.close_hint"), classes="hint")

    @on(Input.Submitted)
    def _confirm(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())
        else:
            self.notify(t("schedule.reason_needed"), severity="warning")

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickDialog(Dialog[str | None]):
    """Pick a team or a village; with many choices, type to narrow the list."""

    DEFAULT_CSS = """
    PickDialog OptionList { height: auto; max-height: 14; }
    PickDialog Input, PickDialog Input:focus { height: 1; border: none; padding: 0 1;
                                               background: $boost; }
    """

    BINDINGS = [tui_binding("escape", "cancel", "schedule-dialog-cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices  # (id, label)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, markup=False)
            if len(self.choices) > 12:
                narrow = Input(id="pick-filter", placeholder=t("schedule.tui.pick_filter"))
                narrow.cursor_blink = False
                yield narrow
            yield OptionList(*self._options(""), id="pick-list")

    def _options(self, text: str) -> list[Option]:
        words = text.lower().split()
        return [Option(Text(label), id=key) for key, label in self.choices
                if all(w in f"{key} {label}".lower() for w in words)]

    def on_mount(self) -> None:
        options = self.query_one("#pick-list", OptionList)
        if options.option_count:
            options.highlighted = 0
        (self.query("#pick-filter").first() if self.query("#pick-filter") else options).focus()

    @on(Input.Changed, "#pick-filter")
    def _narrow(self, event: Input.Changed) -> None:
        options = self.query_one("#pick-list", OptionList)
        options.clear_options()
        options.add_options(self._options(event.value))
        if options.option_count:
            options.highlighted = 0

    @on(Input.Submitted, "#pick-filter")
    def _take_first(self) -> None:
        options = self.query_one("#pick-list", OptionList)
        if options.option_count:
            self.dismiss(options.get_option_at_index(options.highlighted or 0).id)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class FindDialog(Dialog[str | None]):
    """A NIK or a submission number to find where a resident is booked."""

    BINDINGS = [tui_binding("escape", "cancel", "schedule-dialog-cancel")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t("schedule.tui.find_title"))
            term = Input(id="find-term", placeholder=t("schedule.tui.find_hint"))
            term.cursor_blink = False
            yield term

    @on(Input.Submitted)
    def _find(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
