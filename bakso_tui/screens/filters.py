"""The queue's filter dialog: service, kecamatan, flag and minimum age."""

from __future__ import annotations

from dataclasses import replace

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Select

from bakso_tui.domain.queue_model import QueueFilter
from bakso_tui.domain.workflow import Flag
from bakso_tui.locale import language, t
from bakso_tui.screens.base import Dialog
from bakso_tui.widgets.bindings import tui_binding

AGES = (1, 2, 3, 7, 14)


def _value(select: Select):
    return None if select.value in (Select.NULL, Select.BLANK) else select.value


class FilterDialog(Dialog[QueueFilter | None]):
    """Choose the filters; Ctrl+S applies, Esc cancels, Delete clears them all."""

    DEFAULT_CSS = """
    FilterDialog > Vertical { max-height: 95%; }
    FilterDialog Select { width: 100%; }
    """

    BINDINGS = [
        tui_binding("escape", "cancel", "filter-cancel"),
        tui_binding("ctrl+s", "apply", "filter-apply", priority=True),
        tui_binding("delete", "clear", "filter-clear"),
    ]

    def __init__(self, current: QueueFilter, services: list[tuple[str, str]],
                 kecamatan: list[tuple[str, str]]) -> None:
        super().__init__()
        self.current = current
        self.services = services
        self.kecamatan = kecamatan

    def compose(self) -> ComposeResult:
        c = self.current
        with Vertical():
            yield Label(t("tui.filter.title"))
            yield Select([(name, sid) for sid, name in self.services], id="service",
                         prompt=t("tui.filter.any_service"),
                         value=c.service_id or Select.NULL)
            yield Select([(name, code) for code, name in self.kecamatan], id="kecamatan",
                         prompt=t("tui.filter.any_kecamatan"),
                         value=c.kecamatan_code or Select.NULL)
            yield Select([(t(f"tui.flag.{f.value}"), f.value) for f in Flag], id="flag",
                         prompt=t("tui.filter.any_flag"), value=c.flag or Select.NULL)
            yield Select([(t("tui.filter.age", days=d), d) for d in AGES], id="age",
                         prompt=t("tui.filter.any_age"), value=c.min_age_days or Select.NULL)
            yield Label(t("tui.filter.hint"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#service").focus()

    def action_apply(self) -> None:
        self.dismiss(replace(
            self.current,
            service_id=_value(self.query_one("#service", Select)),
            kecamatan_code=_value(self.query_one("#kecamatan", Select)),
            flag=_value(self.query_one("#flag", Select)),
            min_age_days=_value(self.query_one("#age", Select)),
        ))

    def action_clear(self) -> None:
        self.dismiss(QueueFilter(search=self.current.search))

    def action_cancel(self) -> None:
        self.dismiss(None)


class QueueFilters:
    """The queue's filters (a mixin of the queue screen): `f` reads the choices
    in a worker and opens :class:`FilterDialog`; a dashboard figure opens the
    queue already filtered."""

    def show_filtered(self, filters: QueueFilter) -> None:
        """Show the queue under `filters` (a dashboard figure opens it so)."""
        if filters != self.filters:
            self.filters = filters
            if self.is_mounted:
                self.load("reset")

    def action_filter(self) -> None:
        self.load_filter_choices()

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue_filters")
    def load_filter_choices(self) -> None:
        from bakso_tui.domain.queue import filter_choices

        app = self.bakso
        with app.db.read() as session:
            services, kecamatan = filter_choices(session, language())
        self.post_message(self.ChoicesRead(lambda: self._open_filters(services, kecamatan)))

    def _open_filters(self, services, kecamatan) -> None:
        self.app.push_screen(FilterDialog(self.filters, services, kecamatan), self._filters_chosen)

    def _filters_chosen(self, chosen: QueueFilter | None) -> None:
        if chosen is not None and chosen != self.filters:
            self.filters = chosen
            self.load("reset")
