"""One claimed submission: the applicant, the NIK checks, the requirement checklist,
the history, and the decision keys.

The screen holds a lease (a :class:`~bakso_tui.domain.claims.Claim`) and renews
it while it is open; leaving the screen releases it. A decision goes through
the rules (`claims.decide`) with the claim's fencing token, so a verifier whose
lease was lost is told and nothing changes. After a decision the next free
submission is claimed and opened by itself: a clean approval is Enter (on the
queue), ``a``, Enter.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from bakso_tui.domain import claims
from bakso_tui.domain.calendar import OFFICE_TZ
from bakso_tui.domain.catalog import load_catalog
from bakso_tui.domain.review import SubmissionDetail, submission_detail
from bakso_tui.domain.workflow import Action
from bakso_tui.locale import language, t
from bakso_tui.screens.base import BaksoScreen, Dialog
from bakso_tui.screens.viewer import AttachmentViewer, viewer_items
from bakso_tui.widgets import KeyBar
from bakso_tui.widgets.bindings import tui_binding


@dataclass(frozen=True)
class DecisionRequest:
    action: Action
    reason_code: str | None = None
    reason: str = ""
    override_reason: str = ""


class DecisionDialog(Dialog[DecisionRequest | None]):
    """Confirm a decision; return and reject ask for a reason code (and text)."""

    DEFAULT_CSS = """
    DecisionDialog > Vertical { width: 76; }
    DecisionDialog OptionList { height: auto; max-height: 10; }
    """

    BINDINGS = [tui_binding("escape", "cancel", "decision-cancel")]

    def __init__(self, action: Action, number: str, missing: tuple[str, ...]) -> None:
        super().__init__()
        self.action = action
        self.number = number
        self.missing = missing
        lang = language()
        self.reasons = [r for r in load_catalog().reasons if action.value in r.applies_to]
        self._labels = {r.id: r.display_name(lang) for r in self.reasons}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t(f"tui.decision.title_{self.action.value}", number=self.number))
            if self.action is Action.APPROVE and self.missing:
                yield Label(t("tui.decision.missing", ids=", ".join(self.missing)))
                yield Input(placeholder=t("tui.decision.override"), id="text")
            elif self.action is not Action.APPROVE:
                yield OptionList(*[Option(self._labels[r.id], id=r.id) for r in self.reasons],
                                 id="reasons")
                yield Input(placeholder=t("tui.decision.text"), id="text")
            yield Label(t("tui.decision.hint"), classes="hint")

    def on_mount(self) -> None:
        if self.query("#reasons"):
            self.query_one("#reasons", OptionList).highlighted = 0
            self.query_one("#reasons").focus()
        elif self.query("#text"):
            self.query_one("#text").focus()

    def _confirm(self) -> None:
        text = self.query_one("#text", Input).value.strip() if self.query("#text") else ""
        if self.action is Action.APPROVE:
            if self.missing and not text:
                self.notify(t("tui.decision.override_needed"), severity="warning")
                return
            self.dismiss(DecisionRequest(Action.APPROVE, override_reason=text))
            return
        options = self.query_one("#reasons", OptionList)
        if options.highlighted is None:
            return
        code = self.reasons[options.highlighted]
        if code.needs_text and not text:
            self.notify(t("decision.reason_text_needed", code=code.id), severity="warning")
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
        self._confirm()

    def action_cancel(self) -> None:
        self.dismiss(None)


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
        tui_binding("escape", "leave", "submission-leave"),
    ]

    class Loaded(Message):
        def __init__(self, detail: SubmissionDetail) -> None:
            super().__init__()
            self.detail = detail

    class Decided(Message):
        """A decision was recorded; the app opens the next submission."""

        def __init__(self, number: str, action: Action) -> None:
            super().__init__()
            self.number = number
            self.action = action

    def __init__(self, claim: claims.Claim) -> None:
        super().__init__()
        self.claim = claim
        self.detail: SubmissionDetail | None = None
        self.deciding = False

    def compose(self) -> ComposeResult:
        yield self.make_header()
        with VerticalScroll(id="submission-body"):
            yield Static(t("tui.submission.loading"), id="submission-text", markup=True)
        # Five keys of this screen plus help and quit fill 80 columns: the palette
        # (Ctrl+P) still works and the help lists it.
        yield KeyBar(show_command_palette=False)

    def on_mount(self) -> None:
        self.load()
        self.warm_viewer()
        minutes = self.bakso.settings.lease_minutes
        self.set_interval(max(20.0, minutes * 60 / 3), self.renew)

    @work(thread=True, group="submission_warm")
    def warm_viewer(self) -> None:
        """Start a drawing child now, so the first page shows at once."""
        self.bakso.inspector.warm()

    @work(thread=True, exclusive=True, group="submission_load")
    def load(self) -> None:
        app = self.bakso
        with app.db.read() as session:
            detail = submission_detail(session, app.actor, self.claim.submission_id,
                                       lang=language())
        if detail is not None:
            self.post_message(self.Loaded(detail))

    def on_submission_screen_loaded(self, message: Loaded) -> None:
        self.detail = message.detail
        self.query_one("#submission-text", Static).update(render_detail(message.detail))

    @work(thread=True, group="submission_lease")
    def renew(self) -> None:
        app = self.bakso
        try:
            with app.db.write() as session:
                claims.renew(session, app.actor, self.claim.submission_id, self.claim.token,
                             lease_minutes=app.settings.lease_minutes, now=app.now())
        except claims.LeaseLost as exc:
            self.app.call_from_thread(self._lost, str(exc))

    def _lost(self, message: str) -> None:
        self.notify(message, severity="error", timeout=8)
        self.dismiss()

    def action_view(self, number: int) -> None:
        """Open the viewer on attachment `number` (as numbered in the checklist)."""
        if self.detail is None:
            return
        count = len(viewer_items(self.detail))
        if not count or number > count:
            self.notify(t("tui.viewer.no_such", number=number, count=count), severity="warning")
            return
        self.app.push_screen(AttachmentViewer(self.detail, number - 1))

    def action_decide(self, action: str) -> None:
        if self.detail is None or self.deciding:
            return
        act = Action(action)
        self.app.push_screen(
            DecisionDialog(act, self.detail.number, self.detail.missing_mandatory),
            self._decision_made,
        )

    def _decision_made(self, request: DecisionRequest | None) -> None:
        if request is not None:
            self.deciding = True
            self.decide(request)

    @work(thread=True, exclusive=True, group="submission_decide")
    def decide(self, request: DecisionRequest) -> None:
        app = self.bakso
        try:
            with app.db.write() as session:
                claims.decide(session, app.actor, self.claim.submission_id, self.claim.token,
                              request.action, reason_code=request.reason_code,
                              reason=request.reason, override_reason=request.override_reason,
                              now=app.now())
        except claims.LeaseLost as exc:
            self.app.call_from_thread(self._lost, str(exc))
            return
        except Exception as exc:  # a refusal of the rules: say it, stay on the screen
            self.app.call_from_thread(self._refused, str(exc))
            return
        number = self.detail.number if self.detail else ""
        self.post_message(self.Decided(number, request.action))

    def _refused(self, message: str) -> None:
        self.deciding = False
        self.notify(message, severity="warning", timeout=8)

    def action_leave(self) -> None:
        self.release()
        self.dismiss()

    @work(thread=True, group="submission_release")
    def release(self) -> None:
        app = self.bakso
        with app.db.write() as session:
            claims.release(session, app.actor, self.claim.submission_id, self.claim.token,
                           now=app.now())


def _when(moment) -> str:
    return moment.astimezone(OFFICE_TZ).strftime("%d-%m-%Y %H:%M")


def render_detail(d: SubmissionDetail) -> str:
    """The submission as Rich markup (all data escaped)."""
    e = escape
    lines = [
        f"[b]{e(d.number)}[/b]  {e(d.service_name)}  ·  {e(d.village_name)} ({e(d.village_code)})",
        t("tui.submission.times", submitted=_when(d.submitted_at), due=_when(d.due_at)),
        "",
        f"[b]{t('tui.submission.applicant')}[/b]",
        f"  {e(d.applicant_name)}   NIK {e(d.applicant_nik)}   KK {e(d.applicant_kk)}",
        f"  {d.applicant_birth_date:%d-%m-%Y}  {e(d.applicant_sex)}  {e(d.applicant_address)}",
        f"  {t('tui.submission.operator')}: {e(d.operator)}",
    ]
    if d.priority_reasons:
        lines.append(f"  [b $warning]{t('tui.flag.prioritas')}[/]: {e(', '.join(d.priority_reasons))}")
    for subject in d.subjects:
        lines.append(f"  {e(str(subject.get('role', '')))}: {e(str(subject.get('name', '')))} "
                     f"{e(str(subject.get('birth_date', '')))}")
    if d.nik_checks:
        lines.append(f"  [b $error]{t('tui.flag.nik_tidak_cocok')}[/]")
        lines += [f"    [$error]! {e(c)}[/]" for c in d.nik_checks]
    else:
        lines.append(f"  [$success]✓ {t('tui.submission.nik_ok')}[/]")
    if d.duplicate_of:
        lines.append(f"  [b $warning]{t('tui.submission.duplicate_of', number=e(d.duplicate_of))}[/]")
    if d.resubmission_of:
        lines.append(f"  {t('tui.submission.resubmission_of', number=e(d.resubmission_of))}")
    lines += ["", f"[b]{t('tui.submission.checklist')}[/b]  "
                  f"[$text-muted]{t('tui.submission.view_hint')}[/]"]
    number = 0  # attachments are numbered for the viewer keys (1–9)
    for item in d.checklist:
        tag = t("tui.submission.mandatory") if item.mandatory else t("tui.submission.optional")
        if item.missing:
            colour = "$error" if item.mandatory else "$text-muted"
            lines.append(f"  [{colour}]✗ {e(item.name)} ({tag}): {t('tui.submission.missing')}[/]")
            continue
        lines.append(f"  [$success]✓[/] {e(item.name)} ({tag})")
        for att in item.attachments:
            number += 1
            lines.append(f"      [b]\\[{number}][/b] {e(att.filename)}  {e(att.media_type)}  "
                         f"{t('tui.submission.pages', pages=att.pages)}")
            lines += [f"      [$warning]! {e(p)}[/]" for p in att.problems]
    lines += ["", f"[b]{t('tui.submission.history')}[/b]"]
    for row in d.history[-12:]:
        move = f"{row.from_state or ''} → {row.to_state}" if row.to_state else ""
        lines.append(f"  {_when(row.at)}  {e(row.actor)}  {e(row.action)}  {e(move)}  {e(row.reason)}")
    return "\n".join(lines)
