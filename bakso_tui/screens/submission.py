"""One claimed submission: the applicant, the NIK checks, the requirement checklist,
the history, and the decision keys.

The screen holds a lease (a :class:`~bakso_tui.domain.claims.Claim`) and renews
it while it is open (and at once when the database is back after an outage);
leaving the screen releases it (`ClaimKeeper.leave`). A decision goes through
the rules (`claims.decide_once`) with the claim's fencing token, so a verifier
whose lease was lost is told and nothing changes; a decision whose connection
dropped is tried again under the same token, is found if its commit went
through, and is otherwise said to be NOT stored, the screen staying open.
After a decision the next free submission is claimed and opened by itself: a
clean approval is Enter (on the queue), ``a``, Enter.
"""

from __future__ import annotations

from datetime import date

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from bakso_tui.domain import claims
from bakso_tui.domain.audit import action_label, state_label
from bakso_tui.domain.calendar import OFFICE_CLOSES, OFFICE_TZ, OFFICE_TZ_NAME, last_service_day
from bakso_tui.domain.catalog import load_catalog
from bakso_tui.domain.once import NotStored
from bakso_tui.domain.review import SubmissionDetail, record_view, submission_detail
from bakso_tui.domain.workflow import Action
from bakso_tui.errors import Refusal
from bakso_tui.locale import language, t
from bakso_tui.locale.plain import visible
from bakso_tui.printing.manifest import long_date
from bakso_tui.screens.base import BaksoScreen
from bakso_tui.screens.decision import DecisionDialog, DecisionRequest
from bakso_tui.screens.viewer import AttachmentViewer, viewer_items
from bakso_tui.widgets import KeyBar
from bakso_tui.widgets.bindings import tui_binding


class SubmissionScreen(BaksoScreen):
    TITLE_KEY = "tui.screen.submission"
    HELP_KEY = "tui.submission.help"

    BINDINGS = [
        tui_binding("a", "decide('approve')", "submission-approve"),
        tui_binding("k", "decide('return')", "submission-return"),
        tui_binding("t", "decide('reject')", "submission-reject"),
        tui_binding("v", "view(1)", "submission-view"),
        *[tui_binding(str(n), f"view({n})", f"submission-view-{n}", show=False)
          for n in range(1, 10)],
        tui_binding("h", "history", "submission-history", show=False),
        tui_binding("escape", "leave", "submission-leave"),
    ]

    class Loaded(Message):
        def __init__(self, detail: SubmissionDetail) -> None:
            super().__init__()
            self.detail = detail

    class Lost(Message):
        """The lease is gone (expired and taken, or reassigned): nothing was changed."""

        def __init__(self, text: str, *, by_decision: bool = False) -> None:
            super().__init__()
            self.text = text
            self.by_decision = by_decision  # the decision found it lost, not a renewal

    class NotDecided(Message):
        """The rules refused the decision, or it could not be stored: say so, stay."""

        def __init__(self, text: str, severity: str = "warning") -> None:
            super().__init__()
            self.text = text
            self.severity = severity

    class Decided(Message):
        """A decision was stored; the app opens the next submission.

        ``found``: the connection dropped, and the decision was found stored.
        """

        def __init__(self, submission_id: int, number: str, action: Action,
                     found: bool = False) -> None:
            super().__init__()
            self.submission_id = submission_id
            self.number = number
            self.action = action
            self.found = found

    def __init__(self, claim: claims.Claim) -> None:
        super().__init__()
        self.claim = claim
        self.detail: SubmissionDetail | None = None
        self.deciding = False
        self.left = False  # Esc pressed: the claim was given back by us

    def compose(self) -> ComposeResult:
        yield self.make_header()
        with VerticalScroll(id="submission-body"):
            yield Static(t("tui.submission.loading"), id="submission-text", markup=False)
        # Five keys of this screen plus help and quit fill 80 columns: the palette
        # (Ctrl+P) still works and the help lists it.
        yield KeyBar(show_command_palette=False)

    def on_mount(self) -> None:
        self.load()
        self.warm_viewer()
        minutes = self.bakso.settings.lease_minutes
        self.set_interval(max(20.0, minutes * 60 / 3), self.renew)

    @work(thread=True, exit_on_error=False, group="submission_warm")
    def warm_viewer(self) -> None:
        """Start a drawing child now, so the first page shows at once."""
        self.bakso.inspector.warm()

    @work(thread=True, exclusive=True, exit_on_error=False, group="submission_load")
    def load(self) -> None:
        app = self.bakso
        with app.db.write() as session:  # the view is written to the audit log
            detail = submission_detail(session, app.actor, self.claim.submission_id,
                                       lang=language())
            if detail is not None:
                record_view(session, app.actor, self.claim.submission_id)
        if detail is not None:
            self.post_message(self.Loaded(detail))

    def on_submission_screen_loaded(self, message: Loaded) -> None:
        self.detail = message.detail
        self.query_one("#submission-text", Static).update(render_detail(message.detail))

    @work(thread=True, exit_on_error=False, group="submission_lease")
    def renew(self) -> None:
        """Extend the lease. A failure is reported by the app and tried again at
        the next interval, and at once when the database is back. Not while a
        decision is under way: the decision ends the claim, and a renewal after
        it commits would read the claim as lost."""
        app = self.bakso
        if self.deciding:
            return
        try:
            with app.db.write() as session:
                claims.renew(session, app.actor, self.claim.submission_id, self.claim.token,
                             lease_minutes=app.settings.lease_minutes, now=app.now())
        except claims.LeaseLost as exc:
            self.post_message(self.Lost(str(exc)))

    def queue_changed(self) -> None:
        """Another session changed the queue (the app calls this on the top screen):
        perhaps a supervisor released or reassigned this claim. Ask at once, so the
        verifier hears it now rather than when deciding."""
        self.check_held()

    @work(thread=True, exclusive=True, exit_on_error=False, group="submission_held")
    def check_held(self) -> None:
        app = self.bakso
        if self.deciding or self.left:
            return
        with app.db.read() as session:
            held = claims.still_held(session, app.actor, self.claim.submission_id,
                                     self.claim.token, now=app.now())
        if not held:
            self.post_message(self.Lost(t("claim.taken_back")))

    def database_back(self) -> None:
        self.renew()
        if self.detail is None:
            self.load()

    def on_submission_screen_lost(self, message: Lost) -> None:
        if self.left or (self.deciding and not message.by_decision):
            return  # we gave it back, or the decision under way says what became of it
        self.bakso.forget(self.claim.submission_id)
        self.notify(message.text, severity="error", timeout=8, markup=False)
        self.dismiss()

    def action_history(self) -> None:
        """This submission's whole history in the audit viewer (the claim stays held)."""
        from bakso_tui.screens.audit import AuditFilter, AuditScreen

        self.app.push_screen(AuditScreen(AuditFilter(submission=str(self.claim.submission_id))),
                             self._back)

    def action_view(self, number: int) -> None:
        """Open the viewer on attachment `number` (as numbered in the checklist)."""
        if self.detail is None:
            return
        count = len(viewer_items(self.detail))
        if not count:
            self.notify(t("tui.viewer.no_attachments"), severity="warning", markup=False)
            return
        if number > count:
            self.notify(t("tui.viewer.no_such", number=number, count=count), severity="warning")
            return
        self.app.push_screen(AttachmentViewer(self.detail, number - 1), self._back)

    def _back(self, _result: object = None) -> None:
        """Back from the viewer or the history: the queue may have changed meanwhile."""
        self.check_held()

    def action_decide(self, action: str) -> None:
        if self.detail is None or self.deciding:
            return
        act = Action(action)
        self.app.push_screen(
            DecisionDialog(act, self.detail.number, self.detail.concerns),
            self._decision_made,
        )

    def _decision_made(self, request: DecisionRequest | None) -> None:
        if request is not None:
            self.deciding = True
            self.decide(request)

    #: Seconds a decision keeps trying while the database is away.
    DECISION_PATIENCE = 30.0

    @work(thread=True, exclusive=True, exit_on_error=False, group="submission_decide")
    def decide(self, request: DecisionRequest) -> None:
        app = self.bakso
        number = self.detail.number if self.detail else ""
        try:
            stored = claims.decide_once(
                app.db, app.actor, self.claim.submission_id, self.claim.token, request.action,
                reason_code=request.reason_code, reason=request.reason,
                override_reason=request.override_reason, now=app.now(),
                patience=self.DECISION_PATIENCE,
                on_lost=lambda error: app.post_message(app.Away(error)))
        except claims.LeaseLost as exc:
            self.post_message(self.Lost(str(exc), by_decision=True))
            return
        except NotStored as exc:
            app.post_message(app.Away(exc.error))
            said = t("session.not_stored" if exc.certain else "session.not_known",
                     number=number, error=str(exc))
            self.post_message(self.NotDecided(said, "error"))
            return
        except Refusal as exc:  # a refusal of the rules: say it, stay on the screen
            self.post_message(self.NotDecided(str(exc)))
            return
        self.post_message(self.Decided(self.claim.submission_id, number, request.action,
                                       found=stored.found))

    def worker_failed(self, worker) -> None:
        if worker.group == "submission_decide":
            self.deciding = False  # not stored (the app said why): the keys work again

    def on_submission_screen_not_decided(self, message: NotDecided) -> None:
        self.deciding = False
        self.notify(message.text, severity=message.severity, timeout=12, markup=False)

    def action_leave(self) -> None:
        self.left = True
        self.bakso.leave(self.claim)
        self.dismiss()

    def retranslate(self) -> None:
        """After a language switch: the body too (names come from the database
        in each language, so it is read again)."""
        super().retranslate()
        if self.detail is not None:
            self.query_one("#submission-text", Static).update(render_detail(self.detail))
        self.load()


def _when(moment) -> str:
    return moment.astimezone(OFFICE_TZ).strftime("%d-%m-%Y %H:%M")


def _due(moment) -> str:
    """The limit as the last working day at the counter's closing time, in WITA
    ("Kamis 19-11-2026 pukul 16:00 WITA"), not as the midnight after it."""
    day = last_service_day(moment)
    return t("tui.submission.due", weekday=t(f"schedule.weekday.{day.weekday()}"),
             day=f"{day:%d-%m-%Y}", time=f"{OFFICE_CLOSES:%H:%M}", zone=OFFICE_TZ_NAME)


def _day(value: object) -> str:
    """A date from a package (ISO) as the screens write dates: DD-MM-YYYY."""
    try:
        return f"{date.fromisoformat(str(value)):%d-%m-%Y}"
    except ValueError:
        return str(value)


def _priority(reason_id: str) -> str:
    """A priority reason's name from the catalogue, in the current language."""
    try:
        return load_catalog().priority_reason(reason_id).display_name()
    except KeyError:
        return reason_id


def _reason_label(code: str) -> str:
    """A decision's reason code by its name in the catalogue (the code if unknown)."""
    if not code:
        return ""
    try:
        return load_catalog().reason(code).display_name()
    except KeyError:
        return code


def requirement_tag(item) -> str:
    """How a checklist item is needed: wajib, salah satu wajib, wajib bila …, tidak wajib."""
    if item.need == "one_of" and not item.condition:
        return t("tui.submission.one_of")
    if item.condition:
        return t("tui.submission.when", condition=item.condition)
    return t("tui.submission.mandatory") if item.mandatory else t("tui.submission.optional")


def render_detail(d: SubmissionDetail) -> Content:
    """The submission as Content: our own words styled, every value plain text.

    A value is never markup: a name with ``[$error on $error]`` shows those
    characters, and cannot colour away the NIK or missing-document warnings;
    control characters show as escapes (:func:`~bakso_tui.widgets.plain.plain`).
    """
    v = visible
    lines: list[Content] = []

    def line(*parts: str | tuple[str, str] | Content) -> None:
        lines.append(Content.assemble(*parts))

    line((v(d.number), "bold"),
         f"  {v(d.service_name)}  ·  {v(d.village_name)} ({v(d.village_code)})")
    line(t("tui.submission.times", submitted=_when(d.submitted_at), due=_due(d.due_at)))
    line("")
    line((t("tui.submission.applicant"), "bold"))
    line(f"  {v(d.applicant_name)}   NIK {v(d.applicant_nik)}   KK {v(d.applicant_kk)}")
    line(f"  {d.applicant_birth_date:%d-%m-%Y}  {v(d.applicant_sex)}  {v(d.applicant_address)}")
    line(f"  {t('tui.submission.operator')}: {v(d.operator)}")
    if d.booking:
        day, home = d.booking
        line("  " + t("schedule.tui.booked_line", date=long_date(day.day),
                      village=v(day.village_name), team=v(day.team_code))
             + (f" ({t('schedule.tui.home_visit')})" if home else ""))
    if d.priority_reasons:
        line("  ", (t("tui.flag.prioritas"), "bold $warning"),
             f": {v(', '.join(map(_priority, d.priority_reasons)))}")
    for subject in d.subjects:
        line(f"  {v(subject.get('role', ''))}: {v(subject.get('name', ''))} "
             f"{v(_day(subject.get('birth_date', '')))}")
    if d.nik_checks:
        line("  ", (t("tui.flag.nik_tidak_cocok"), "bold $error"))
        lines.extend(Content.assemble("    ", (f"! {v(c)}", "$error")) for c in d.nik_checks)
    else:
        line("  ", (f"✓ {t('tui.submission.nik_ok')}", "$success"))
    if d.duplicate_of:
        line("  ", (t("tui.submission.duplicate_of", number=v(d.duplicate_of)), "bold $warning"))
    if d.resubmission_of:
        line("  " + t("tui.submission.resubmission_of", number=v(d.resubmission_of)))
    line("")
    line((t("tui.submission.checklist"), "bold"), "  ",
         (t("tui.submission.view_hint"), "$text-muted"))
    number = 0  # attachments are numbered for the viewer keys (1–9)
    for item in d.checklist:
        tag = requirement_tag(item)
        if item.missing:
            needed = item.requirement_id in d.unmet_ids
            colour = "$error" if needed else "$text-muted"
            said = t("tui.submission.covered") if item.covered else t("tui.submission.missing")
            line("  ", (f"✗ {v(item.name)} ({v(tag)}): {said}", colour))
            continue
        line("  ", ("✓", "$success"), f" {v(item.name)} ({v(tag)})")
        for att in item.attachments:
            number += 1
            line("      ", (f"[{number}]", "bold"),
                 f" {v(att.filename)}  {v(att.media_type)}  "
                 f"{t('tui.submission.pages', pages=att.pages)}")
            lines.extend(Content.assemble("      ", (f"! {v(p)}", "$warning"))
                         for p in att.problems)
    line("")
    line((t("tui.submission.history"), "bold"))
    for row in d.history[-12:]:
        move = (f"{state_label(row.from_state)} → {state_label(row.to_state)}".strip()
                if row.to_state else "")
        line(f"  {_when(row.at)}  {v(row.actor)}  {v(action_label(row.action))}  "
             f"{v(move)}  {v(_reason_label(row.reason))}".rstrip())
    return Content("\n").join(lines)
