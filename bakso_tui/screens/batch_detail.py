"""One issuance batch: its documents, the handover to the village, residents' receipt.

`h` records the handover (a dialog asks the recipient's name, position and
NIK, as OpenCRVS's collector check does, and proposes the village's service
day); `d` records that residents received their documents (all, or by NIK).
The rules check everything again; a refusal is shown as it is.
"""

from __future__ import annotations

from datetime import date, datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Checkbox, DataTable, Input, Label, Select, Static
from textual.worker import Worker

from bakso_tui.domain import batches
from bakso_tui.domain.batches import BatchDetail, BatchError, BatchRow, Place, Recipient
from bakso_tui.domain.calendar import OFFICE_TZ, office_today
from bakso_tui.domain.users import Permission, require
from bakso_tui.locale import t
from bakso_tui.locale.plain import visible
from bakso_tui.screens.base import BaksoScreen, Dialog
from bakso_tui.widgets import KeyBar, RowTable, StatusBar
from bakso_tui.widgets.bindings import tui_binding
from bakso_tui.widgets.plain import cell


def state_text(row: BatchRow) -> Text:
    label = t(f"batchscreen.state.{row.state}")
    if row.overdue:
        return Text(f"{label} !", style="bold")
    return Text(label, style="dim" if row.state == "selesai" else "")


def _parse_day(text: str) -> date:
    """A day as the screens write it (29-11-2026) or as ISO (2026-11-29)."""
    for fmt in ("%d-%m-%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise BatchError(t("batch.bad_date", value=text))


def _when(moment) -> str:
    return moment.astimezone(OFFICE_TZ).strftime("%d-%m-%Y %H:%M") if moment else "-"


class BatchDetailScreen(BaksoScreen):
    TITLE_KEY = "tui.screen.batch"
    HELP_KEY = "batchscreen.detail_help"
    AUTO_FOCUS = "#batch-documents"

    DEFAULT_CSS = """
    BatchDetailScreen #batch-info { height: auto; padding: 0 1; }
    """

    BINDINGS = [
        tui_binding("h", "handover", "batch-handover"),
        tui_binding("d", "received", "batch-received"),
        tui_binding("escape", "leave", "batch-leave"),
    ]

    class Loaded(Message):
        def __init__(self, detail: BatchDetail) -> None:
            super().__init__()
            self.detail = detail

    class Done(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, batch_id: int) -> None:
        super().__init__()
        self.batch_id = batch_id
        self.detail: BatchDetail | None = None

    def compose(self) -> ComposeResult:
        yield self.make_header()
        yield Static("", id="batch-info", markup=False)
        yield RowTable(id="batch-documents")
        yield StatusBar(id="batch-status")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        widths = {"kind": 18, "resident": 18}
        for key in ("no", "kind", "document", "resident", "nik", "state"):
            table.add_column(t(f"batchscreen.column.{key}"), key=key, width=widths.get(key))
        self.load()

    @work(thread=True, exclusive=True, group="batch", exit_on_error=False)
    def load(self) -> None:
        app = self.bakso
        require(app.actor, Permission.BATCH)
        with app.db.read() as session:
            detail = batches.batch_detail(session, self.batch_id, now=app.now())
        self.post_message(self.Loaded(detail))

    def on_batch_detail_screen_loaded(self, message: BatchDetailScreen.Loaded) -> None:
        from bakso_tui.domain.catalog import load_catalog

        d = self.detail = message.detail
        r = d.row
        info = Text()
        info.append(visible(r.number), style="bold")
        info.append("  ")
        info.append_text(state_text(r))
        info.append(f"\n{visible(r.village_name)}, {visible(r.kecamatan_name)} · "
                    + t("batchscreen.documents", count=r.documents))
        info.append("\n" + t("batchscreen.closed", at=_when(d.closed_at),
                             printed=_when(r.printed_at)))
        if d.recipient_name:
            info.append("\n" + t("batchscreen.handed", name=visible(d.recipient_name),
                                 position=visible(d.recipient_position or ""),
                                 nik=visible(d.recipient_nik or ""),
                                 day=d.handed_over_on.strftime("%d-%m-%Y")
                                 if d.handed_over_on else "-",
                                 place=t(f"batch.place_{d.handover_place}")))
        elif r.kind == "village":
            info.append("\n" + t("batchscreen.due", day=r.handover_due.strftime("%d-%m-%Y")))
        else:
            info.append("\n" + t("batchscreen.in_person", day=r.service_day.strftime("%d-%m-%Y")
                                  if r.service_day else t("batchscreen.no_service_day")))
        self.query_one("#batch-info", Static).update(info)
        table = self.query_one(DataTable)
        table.clear()
        catalog = load_catalog()
        for doc in d.documents:
            try:
                kind = catalog.output(doc.kind).display_name()
            except KeyError:
                kind = doc.kind
            table.add_row(Text(str(doc.position), justify="right"),
                          cell(kind, no_wrap=True, overflow="ellipsis"), cell(doc.number),
                          cell(doc.resident, no_wrap=True, overflow="ellipsis"), cell(doc.nik),
                          Text(t(f"batchscreen.docstate.{doc.state}")), key=str(doc.document_id))
        self.query_one(StatusBar).show(t("batchscreen.detail_status", digest=d.digest[:16]))

    def action_leave(self) -> None:
        self.dismiss(None)

    def action_handover(self) -> None:
        d = self.detail
        if d is None:
            return
        proposed = d.proposed_day or office_today(self.bakso.now())
        self.app.push_screen(HandoverDialog(d.row.number, proposed, d.proposed_day),
                             self._handover)

    def _handover(self, answer) -> None:
        if answer is not None:
            self._write("handover", answer)

    def action_received(self) -> None:
        if self.detail is not None:
            self.app.push_screen(ReceivedDialog(self.detail.row.number), self._received)

    def _received(self, answer) -> None:
        if answer is not None:
            self._write("received", answer)

    @work(thread=True, exclusive=True, group="batch-write", exit_on_error=False)
    def _write(self, what: str, answer) -> None:
        app = self.bakso
        number = self.detail.row.number
        try:
            with app.db.write() as session:
                if what == "handover":
                    recipient, on, place = answer
                    batches.handover(session, app.actor, number, recipient, on=on, place=place,
                                     now=app.now())
                    text = t("batchscreen.handed_done", number=number, name=recipient.name)
                else:
                    everything, niks = answer
                    got = batches.received(session, app.actor, number, niks=niks,
                                           everything=everything, now=app.now())
                    text = t("batch.received_done", number=number) if got.done else t(
                        "batch.received_line", number=number, received=got.received,
                        remaining=got.remaining)
        except BatchError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="warning", markup=False)
            return
        self.post_message(self.Done(text))

    def on_batch_detail_screen_done(self, message: BatchDetailScreen.Done) -> None:
        self.notify(message.text, markup=False)
        self.load()

    def worker_failed(self, worker: Worker) -> None:
        self.query_one(StatusBar).show(t("batchscreen.failed"), error=True)


class HandoverDialog(Dialog):
    """The recipient's identity, when and where; Ctrl+S records, Esc cancels."""

    DEFAULT_CSS = """
    HandoverDialog > Vertical { width: 70; }
    HandoverDialog Input { width: 100%; height: 1; border: none; padding: 0 1;
                           background: $boost; margin-bottom: 1; }
    HandoverDialog Input:focus { background: $primary 30%; border: none; }
    HandoverDialog Select { width: 100%; }
    HandoverDialog Label { width: 100%; }
    HandoverDialog #handover-error { color: $text-error; }
    """

    BINDINGS = [tui_binding("escape", "cancel", "handover-cancel"),
                tui_binding("ctrl+s", "save", "handover-save", priority=True)]

    def __init__(self, number: str, proposed: date, service_day: date | None) -> None:
        super().__init__()
        self.number, self.proposed, self.service_day = number, proposed, service_day

    def compose(self) -> ComposeResult:
        place = Place.SERVICE_DAY if self.service_day == self.proposed else Place.OFFICE
        with Vertical():
            yield Label(t("batchscreen.handover_title", number=self.number), markup=False)
            yield Label(t("batchscreen.field_name"), classes="hint")
            yield Input(id="name")
            yield Label(t("batchscreen.field_position"), classes="hint")
            yield Input(id="position")
            yield Label(t("batchscreen.field_nik"), classes="hint")
            yield Input(id="nik", max_length=16, restrict=r"[0-9]*")
            yield Label(t("batchscreen.field_day"), classes="hint")
            yield Input(self.proposed.strftime("%d-%m-%Y"), placeholder="DD-MM-YYYY", id="day")
            yield Select([(t(f"batch.place_{p.value}"), p.value) for p in Place], id="place",
                         value=place.value, allow_blank=False)
            yield Label("", id="handover-error", markup=False)
            yield Label(t("batchscreen.handover_hint"), classes="hint")

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False  # over SSH every blink is a redraw
        self.query_one("#name").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "day":
            self.action_save()
        else:
            self.focus_next()

    def action_save(self) -> None:
        value = {i.id: i.value for i in self.query(Input)}
        try:
            recipient = batches.check_recipient(
                Recipient(value["name"], value["position"], value["nik"]))
            on = _parse_day(value["day"])
        except BatchError as exc:
            self.query_one("#handover-error", Label).update(visible(str(exc)))
            return
        self.dismiss((recipient, on, Place(self.query_one("#place", Select).value)))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReceivedDialog(Dialog):
    """Who received their documents: every resident, or the NIKs typed; Ctrl+S records."""

    DEFAULT_CSS = """
    ReceivedDialog Input { width: 100%; height: 1; border: none; padding: 0 1;
                           background: $boost; margin-bottom: 1; }
    ReceivedDialog Input:focus { background: $primary 30%; border: none; }
    ReceivedDialog Label { width: 100%; }
    """

    BINDINGS = [tui_binding("escape", "cancel", "received-cancel"),
                tui_binding("ctrl+s", "save", "received-save", priority=True)]

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t("batchscreen.received_title", number=self.number), markup=False)
            yield Checkbox(t("batchscreen.received_all"), id="all")
            yield Label(t("batchscreen.received_niks"), classes="hint")
            yield Input(id="niks", restrict=r"[0-9 ,]*")
            yield Label(t("batchscreen.received_hint"), classes="hint")

    def on_mount(self) -> None:
        field = self.query_one("#niks", Input)
        field.cursor_blink = False
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        everything = self.query_one("#all", Checkbox).value
        niks = self.query_one("#niks", Input).value.replace(",", " ").split()
        if everything or niks:
            self.dismiss((everything, niks))

    def action_cancel(self) -> None:
        self.dismiss(None)
