"""Claims (F7, supervisors): who holds which submission, since when, and the
lease left; `l` releases the claim under the cursor, `o` hands it to another
verifier. Both present the claim's token as read: a claim decided, released or
taken by someone else since the list was read is refused in one line, and
nothing changes (``domain/claims_view.why_not_held``)."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable
from textual.worker import get_current_worker

from bakso_tui.domain.calendar import OFFICE_TZ
from bakso_tui.domain.claims_view import HeldClaim
from bakso_tui.locale import t
from bakso_tui.screens.base import ListScreen
from bakso_tui.widgets import KeyBar, RowTable, StatusBar, format_age, format_count
from bakso_tui.widgets.bindings import tui_binding

COLUMNS = (("number", None), ("holder", 14), ("since", None), ("lease", None), ("village", 22))


class ClaimsScreen(ListScreen):
    TITLE_KEY = "dashboard.claims.title"
    HELP_KEY = "dashboard.claims.help"
    AUTO_FOCUS = "#claims-table"
    LIST_GROUP = "claims"
    FAILED_KEY = "dashboard.claims.failed"

    BINDINGS = [
        tui_binding("l", "release", "claims-release"),
        tui_binding("o", "reassign", "claims-reassign"),
        tui_binding("r", "refresh", "claims-refresh"),
    ]

    class Loaded(Message):
        def __init__(self, held: list[HeldClaim]) -> None:
            super().__init__()
            self.held = held

    def __init__(self) -> None:
        super().__init__()
        self.held: list[HeldClaim] = []

    def compose(self) -> ComposeResult:
        yield self.make_header()
        yield RowTable(id="claims-table")
        yield StatusBar(id="claims-status")
        yield KeyBar()

    @property
    def table(self) -> DataTable:
        return self.query_one("#claims-table", DataTable)

    def on_mount(self) -> None:
        self._columns()
        self.action_refresh()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.is_mounted:
            self.action_refresh()

    def _columns(self) -> None:
        self.table.clear(columns=True)
        for key, width in COLUMNS:
            self.table.add_column(t(f"dashboard.claims.column.{key}"), key=key, width=width)

    def action_refresh(self) -> None:
        self.query_one(StatusBar).show(t("dashboard.loading"))
        self._fetch()

    @work(thread=True, exclusive=True, group="claims", exit_on_error=False)
    def _fetch(self) -> None:
        from bakso_tui.domain.claims_view import held_claims

        app = self.bakso
        with app.db.read() as session:
            held = held_claims(session, app.actor)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(held))

    def on_claims_screen_loaded(self, message: Loaded) -> None:
        self.failed = False
        self.held = message.held
        self._fill()

    def _fill(self) -> None:
        now = self.bakso.now()
        table = self.table
        cursor = table.cursor_row
        table.clear()
        for c in self.held:
            left = c.lease_left(now)
            since = c.since.astimezone(OFFICE_TZ).strftime("%d-%m %H:%M") if c.since else "?"
            table.add_row(
                Text(c.number), Text(c.holder_login, no_wrap=True, overflow="ellipsis"),
                Text(since),
                Text(format_age(left) if left else t("dashboard.claims.expired"),
                     style="" if left else "bold red", justify="right"),
                Text(c.village_name, no_wrap=True, overflow="ellipsis"),
                key=str(c.submission_id))
        if self.held:
            table.move_cursor(row=min(cursor, len(self.held) - 1))
        self.query_one(StatusBar).show(
            t("dashboard.claims.count", count=format_count(len(self.held))))

    @property
    def current(self) -> HeldClaim | None:
        if not self.held or self.table.cursor_row >= len(self.held):
            return None
        return self.held[self.table.cursor_row]

    # ------------------------------------------------------------------ actions

    def action_release(self) -> None:
        claim = self.current
        if claim is not None:
            self._release(claim)

    @work(thread=True, exit_on_error=False, group="claims_change")
    def _release(self, held: HeldClaim) -> None:
        from bakso_tui.domain import claims

        app = self.bakso
        self.write_change(lambda s: claims.release(s, app.actor, held.submission_id, None,
                                              now=app.now(), seen_token=held.token),
                     t("tui.queue.released", number=held.number, login=held.holder_login))

    def action_reassign(self) -> None:
        claim = self.current
        if claim is not None:
            self._choose(claim)

    @work(thread=True, exit_on_error=False, group="claims_change")
    def _choose(self, held: HeldClaim) -> None:
        from bakso_tui.domain import users
        from bakso_tui.screens.reassign import ReassignDialog

        with self.bakso.db.read() as session:
            people = users.verifiers(session)

        def chosen(login: str | None) -> None:
            if login:
                self._reassign(held, login)

        self.app.call_from_thread(
            self.app.push_screen, ReassignDialog(held.number, held.holder_login, people), chosen)

    @work(thread=True, exit_on_error=False, group="claims_change")
    def _reassign(self, held: HeldClaim, login: str) -> None:
        from bakso_tui.domain import claims

        app = self.bakso
        self.write_change(lambda s: claims.reassign(s, app.actor, held.submission_id, login,
                                               lease_minutes=app.settings.lease_minutes,
                                               now=app.now(), seen_token=held.token),
                     t("tui.queue.reassigned", number=held.number, login=login))

    def retranslate(self) -> None:
        super().retranslate()
        self._columns()
        self._fill()
