"""The audit viewer (F8, or from a figure, a submission's `h`): the log newest
first, by keyset pages of 100 (the next page is read when the cursor reaches
the last row; at most 2,000 rows are held). `f` filters by user, submission,
NIK, action and days; a filter the rules refuse is said in one line and the
dialog stays open with what was typed."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label
from textual.worker import Worker, get_current_worker

from bakso_tui.domain.audit import AuditRow, action_label, state_label, target_label
from bakso_tui.domain.audit_view import AuditFilter, AuditFilterError, AuditPage, parse_day
from bakso_tui.domain.calendar import OFFICE_TZ
from bakso_tui.locale import t
from bakso_tui.screens.base import BaksoScreen, Dialog
from bakso_tui.widgets import KeyBar, RowTable, StatusBar, format_count
from bakso_tui.widgets.bindings import tui_binding

PAGE = 100
WINDOW = 2000
#: At 80 columns the change is cut first: a submission's or batch's number and
#: the action in words come before it.
COLUMNS = (("at", None), ("actor", 10), ("action", 22), ("target", 18), ("change", None))


def _change(row: AuditRow) -> str:
    moved = (f"{state_label(row.from_state)} → {state_label(row.to_state)}".lstrip()
             if row.to_state else "")
    return " · ".join(p for p in (moved, row.reason) if p)


class AuditScreen(BaksoScreen):
    TITLE_KEY = "dashboard.audit.title"
    HELP_KEY = "dashboard.audit.help"
    AUTO_FOCUS = "#audit-table"

    BINDINGS = [
        tui_binding("f", "filter", "audit-filter"),
        tui_binding("r", "refresh", "audit-refresh"),
        tui_binding("escape", "back", "audit-back"),
    ]

    class Loaded(Message):
        def __init__(self, page: AuditPage, append: bool, filters: AuditFilter) -> None:
            super().__init__()
            self.page = page
            self.append = append
            self.filters = filters

    class Refused(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, filters: AuditFilter | None = None) -> None:
        super().__init__()
        self.filters = filters or AuditFilter()
        self.rows: list[AuditRow] = []
        self.next_after: int | None = None
        self.reading = False
        self.failed = False

    def compose(self) -> ComposeResult:
        yield self.make_header()
        yield RowTable(id="audit-table")
        yield StatusBar(id="audit-status")
        yield KeyBar()

    @property
    def table(self) -> DataTable:
        return self.query_one("#audit-table", DataTable)

    def on_mount(self) -> None:
        self._columns()
        self.action_refresh()

    def _columns(self) -> None:
        self.table.clear(columns=True)
        for key, width in COLUMNS:
            self.table.add_column(t(f"dashboard.audit.column.{key}"), key=key, width=width)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":  # only over another screen (a figure, a submission)
            return len(self.app.screen_stack) > 1
        return True

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.dismiss()

    # ------------------------------------------------------------------ loading

    def action_refresh(self) -> None:
        self.rows, self.next_after = [], None
        self.query_one(StatusBar).show(t("dashboard.audit.loading"))
        self._fetch(None, False, self.filters)

    @work(thread=True, exclusive=True, group="audit", exit_on_error=False)
    def _fetch(self, after: int | None, append: bool, filters: AuditFilter) -> None:
        from bakso_tui.domain.audit_view import audit_page

        app = self.bakso
        self.reading = True
        try:
            with app.db.read() as session:
                page = audit_page(session, app.actor, filters, after=after, limit=PAGE)
        except AuditFilterError as exc:
            self.post_message(self.Refused(str(exc)))
            return
        finally:
            self.reading = False
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(page, append, filters))

    def on_audit_screen_loaded(self, message: Loaded) -> None:
        if message.filters != self.filters:
            return  # read for a filter no longer shown
        self.failed = False
        if not message.append or len(self.rows) + len(message.page.rows) > WINDOW:
            self.rows = []
            self.table.clear()
        self.rows += message.page.rows
        self.next_after = message.page.next_after
        for row in message.page.rows:
            self.table.add_row(
                Text(row.at.astimezone(OFFICE_TZ).strftime("%d-%m-%Y %H:%M")),
                Text(row.actor, no_wrap=True, overflow="ellipsis"),
                Text(action_label(row.action), no_wrap=True, overflow="ellipsis"),
                Text(target_label(row), no_wrap=True, overflow="ellipsis"),
                Text(_change(row), no_wrap=True, overflow="ellipsis"),
                key=str(row.id))
        self._status()

    def on_audit_screen_refused(self, message: Refused) -> None:
        self.notify(message.text, severity="warning", markup=False)
        self._status()

    def _status(self) -> None:
        more = "+" if self.next_after is not None else ""
        what = ", ".join(f"{k}={v}" for k, v in vars(self.filters).items() if v)
        self.query_one(StatusBar).show(
            t("dashboard.audit.count", count=format_count(len(self.rows)), more=more),
            t("dashboard.audit.filtered", what=what) if what else "")

    @on(DataTable.RowHighlighted)
    def _near_the_end(self, event: DataTable.RowHighlighted) -> None:
        if (self.next_after is not None and not self.reading
                and event.cursor_row >= len(self.rows) - 1):
            self.reading = True
            self._fetch(self.next_after, True, self.filters)

    def worker_failed(self, worker: Worker) -> None:
        if worker.group == "audit":
            self.failed = True
            self.query_one(StatusBar).show(t("dashboard.audit.failed"), error=True)

    def database_back(self) -> None:
        if self.failed:
            self.action_refresh()

    # ------------------------------------------------------------------ filter

    def action_filter(self) -> None:
        self.app.push_screen(AuditFilterDialog(self.filters), self._filtered)

    def _filtered(self, chosen: AuditFilter | None) -> None:
        if chosen is not None and chosen != self.filters:
            self.filters = chosen
            self.action_refresh()

    def retranslate(self) -> None:
        super().retranslate()
        self._columns()
        self.action_refresh()


class AuditFilterDialog(Dialog[AuditFilter | None]):
    """The audit's filters; Ctrl+S applies (refused in one line when the rules
    would refuse it), Esc cancels."""

    BINDINGS = [
        tui_binding("escape", "cancel", "audit-filter-cancel"),
        tui_binding("ctrl+s", "apply", "audit-filter-apply", priority=True),
    ]
    FIELDS = ("user", "submission", "nik", "action", "since", "until")

    def __init__(self, current: AuditFilter) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        c = self.current
        values = {"user": c.user, "submission": c.submission, "nik": c.nik, "action": c.action,
                  "since": f"{c.since:%d-%m-%Y}" if c.since else "",
                  "until": f"{c.until:%d-%m-%Y}" if c.until else ""}
        with Vertical():
            yield Label(t("dashboard.audit.filter_title"))
            for name in self.FIELDS:
                field = Input(value=values[name] or "", placeholder=t(f"dashboard.audit.field_{name}"),
                              id=f"audit-{name}")
                field.cursor_blink = False
                yield field
            yield Label("", id="audit-refusal", classes="hint")
            yield Label(t("dashboard.audit.filter_hint"), classes="hint")

    def _value(self, name: str) -> str | None:
        return self.query_one(f"#audit-{name}", Input).value.strip() or None

    def action_apply(self) -> None:
        from bakso_tui.domain.audit_view import check_filter

        refusal = self.query_one("#audit-refusal", Label)
        try:
            chosen = replace(self.current, user=self._value("user"),
                             submission=self._value("submission"), nik=self._value("nik"),
                             action=self._value("action"),
                             since=parse_day(self._value("since") or ""),
                             until=parse_day(self._value("until") or ""))
            check_filter(chosen)
        except AuditFilterError as exc:
            refusal.update(Text(str(exc), style="bold"))
            return
        self.dismiss(chosen)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_apply()

    def action_cancel(self) -> None:
        self.dismiss(None)


def verify_chain(app) -> None:
    """`bakso audit verify` from the palette: the chain (and the anchor file
    of the settings, when there is one) checked in a worker; the result in one
    line. A failure to read reaches the app's one handler."""
    from bakso_tui.domain import audit
    from bakso_tui.domain.audit_view import verify_line

    app.notify(t("dashboard.audit.verifying"), markup=False)

    def check() -> None:
        anchors = []
        path = app.settings.resolved_anchor_file()
        if path.exists():
            anchors = audit.read_anchors(path)
        with app.db.read() as session:
            whole, line = verify_line(session, app.actor, anchors)
        app.call_from_thread(app.notify, line, severity="information" if whole else "error",
                             timeout=15, markup=False)

    app.run_worker(check, thread=True, group="audit_verify", exit_on_error=False)
