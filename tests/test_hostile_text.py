"""Hostile text never reaches the terminal: not from an old row, a file name or a PDF.

Intake refuses control characters now (tests/test_intake_text.py), but rows
stored before that check, and text layers of PDFs, can still hold them. Here a
submission is changed directly in the database, as an old row would be, to a
name with ``ESC]52`` (writes the clipboard), ``ESC[2J`` (clears the screen) and
markup that would colour the warnings away; its one attachment has such a file
name and such a text layer. The queue, the submission screen and the viewer
are driven with Pilot, and what they would write to the terminal is read back:
no control character, the markup shown as the characters it is made of.
"""

from __future__ import annotations

import csv
import io
import json

import hostile
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.segment import Segment
from sqlalchemy import select, update
from textual.color import Color

from bakso_tui.attachments.store import BlobStore
from bakso_tui.cli import cli
from bakso_tui.db.models import Attachment, Submission
from bakso_tui.domain import exports, users
from bakso_tui.locale.plain import dumps, is_unsafe, terminal_text, visible, visible_lines
from bakso_tui.screens.submission import SubmissionScreen
from bakso_tui.screens.viewer import AttachmentViewer
from bakso_tui.widgets.plain import ControlGuard
from tui_helpers import app_for, run_async, seed_office, settle

CLIP = "\x1b]52;c;aGk=\x07"
CLEAR = "\x1b[2J"
NAME = f"[bold red]Siti[/] {CLIP}{CLEAR}[$error on $error]"
ADDRESS = f"Dusun [b]Baru[/b] {CLEAR}\u202eKIRI"
FILE = f"[$error on $error]{CLIP}scan.pdf"
PDF_TEXT = f"Surat [bold red]X {CLIP} {CLEAR} akhir"

#: How the values must look on screen: markup as its characters, controls as escapes.
SHOWN_NAME = "[bold red]Siti[/] \\x1b]52;c;aGk=\\x07\\x1b[2J[$error on $error]"
SHOWN_FILE = "[$error on $error]\\x1b]52;c;aGk=\\x07scan.pdf"
SHOWN_PDF = "Surat [bold red]X \\x1b]52;c;aGk=\\x07 \\x1b[2J akhir"


def _pdf(text: str) -> bytes:
    content = b"BT /F1 12 Tf 72 720 Td (" + text.encode("latin-1") + b") Tj ET"
    return hostile._write_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])


@pytest.fixture
def office(db):
    office = seed_office(db)
    first = office.work_order[0]
    with db.write() as s:
        # As an old row would be: straight into the table, past every check.
        s.execute(update(Submission).where(Submission.number == first)
                  .values(applicant_name=NAME, applicant_address=ADDRESS))
        sub = s.scalar(select(Submission).where(Submission.number == first))
        data = _pdf(PDF_TEXT)
        sha = BlobStore().put(s, data, "application/pdf")
        s.add(Attachment(submission_id=sub.id, service_id=sub.service_id, requirement_id="kk",
                         filename=FILE, sha256=sha, size=len(data),
                         media_type="application/pdf", pages=1,
                         problems=[{"code": "unreadable", "params": {"detail": CLEAR + "[b]x"}}]))
    return office


def screen_text(app) -> str:
    """The screen's lines as they are drawn (line filters applied)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def terminal_bytes(app) -> str:
    """What a full redraw writes to the terminal, escape sequences of the styles included."""
    return app.screen._compositor.render_full_update().render_segments(app.console)


def assert_clean(app, *shown: str) -> str:
    text = screen_text(app)
    assert not [c for c in text if c != "\n" and is_unsafe(c)], "control character on screen"
    for value in shown:
        assert value in text, f"{value!r} not shown as it is"
    out = terminal_bytes(app)
    for sequence in (CLIP, "\x1b]52", CLEAR, "\x07", "\u202e"):
        assert sequence not in out
    return text


@run_async
async def test_queue_submission_and_viewer_show_hostile_values_as_plain_text(office):
    app = app_for(office)
    async with app.run_test(size=(260, 60)) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#queue-table").current.applicant_name == NAME
        assert_clean(app, SHOWN_NAME)

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SubmissionScreen)
        text = assert_clean(app, SHOWN_NAME, "Dusun [b]Baru[/b] \\x1b[2J\\u202eKIRI",
                            SHOWN_FILE, "\\x1b[2J[b]x")
        assert "NIK" in text  # the rest of the screen is there

        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, AttachmentViewer)
        assert_clean(app, SHOWN_FILE, SHOWN_PDF, "\\x1b[2J[b]x")


@run_async
async def test_notifications_quoting_a_value_are_escaped(office):
    app = app_for(office)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await settle(pilot)
        app.notify(f"Ditolak-{CLIP}-[b]x[/b]", title=f"{CLEAR}[i]", markup=False)
        await settle(pilot)
        assert_clean(app, "Ditolak-\\x1b]52;c;aGk=\\x07-[b]x[/b]", "\\x1b[2J[i]")


def test_the_guard_drops_what_slipped_through_and_keeps_the_layout():
    guard = ControlGuard()
    plain = [Segment("Siti Aminah"), Segment(" · ")]
    assert guard.apply(plain, Color(0, 0, 0)) is plain  # nothing to do: the same list
    out = guard.apply([Segment("a"), Segment(f"b{CLIP}c\u202e\u00add"), Segment(CLEAR)],
                      Color(0, 0, 0))
    assert "".join(s.text for s in out) == "ab]52;c;aGk=c\ufffdd[2J"
    assert not any(is_unsafe(c) for s in out for c in s.text)


def test_the_pdf_text_layer_keeps_its_lines_and_loses_its_controls():
    assert visible_lines(f"baris 1\r\nbaris\t2{CLEAR}") == "baris 1\nbaris 2\\x1b[2J"


def test_users_list_prints_names_escaped(db):
    with db.write() as s:
        users.add_user(s, users.cli_actor(), login="spv9", name=NAME, role="supervisor")
    runner = CliRunner()
    table = runner.invoke(cli, ["--db", db.url, "users", "list"])
    assert table.exit_code == 0, table.output
    assert SHOWN_NAME in table.output and "\x1b" not in table.output
    as_json = runner.invoke(cli, ["--db", db.url, "users", "list", "--json"])
    assert "\x1b" not in as_json.output and "\x07" not in as_json.output
    names = {u["login"]: u["name"] for u in json.loads(as_json.output)}
    assert names["spv9"] == NAME  # the same value to a program reading the JSON


def test_exports_are_terminal_safe_in_both_formats():
    row = {"submission": "BKS-2026-0000001", "action": "tolak", "actor": "verif1",
           "at": "2026-11-20T10:00:00+08:00", "reason_code": "lainnya",
           "reason": f"=HYPERLINK(\"x\") {CLIP}{CLEAR}\u202e"}
    out = io.StringIO()
    exports.write(iter([row]), out, "csv")
    text = out.getvalue()
    assert not [c for c in text if c != "\n" and is_unsafe(c)]
    cells = list(csv.DictReader(io.StringIO(text)))[0]
    assert cells["reason"] == "'=HYPERLINK(\"x\") \\x1b]52;c;aGk=\\x07\\x1b[2J\\u202e"
    out = io.StringIO()
    exports.write(iter([row]), out, "jsonl")
    assert not [c for c in out.getvalue() if c != "\n" and is_unsafe(c)]
    assert json.loads(out.getvalue()) == row


def test_json_output_is_the_same_value_with_escapes():
    value = {"name": NAME, "astral": "\U000e0041", "plain": "Lalu Ahmad Zaini ñ"}
    document = dumps(value, indent=2)
    assert json.loads(document) == value
    assert not [c for c in document if c != "\n" and is_unsafe(c)]
    assert "ñ" in document  # letters stay letters


def test_a_refusal_quoting_a_value_is_printed_escaped(db):
    result = CliRunner().invoke(cli, ["--db", db.url, "users", "disable", NAME])
    assert result.exit_code != 0
    said = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "\x1b" not in said and "\x07" not in said
    assert "\\x1b]52;c;aGk=\\x07" in said


# ------------------------------------------------------------ any text at all

ANY_TEXT = st.text(st.characters(blacklist_categories=()), max_size=60)


def _unsafe_left(text: str, allowed: str = "") -> list[str]:
    return [c for c in text if c not in allowed and is_unsafe(c)]


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_any_text_comes_out_harmless_everywhere(text):
    assert not _unsafe_left(visible(text))
    assert not _unsafe_left(visible_lines(text), "\n")
    assert not _unsafe_left(terminal_text(text), "\n\t\r")
    assert "\r" not in terminal_text(text).replace("\r\n", "")
    document = dumps({"v": text})
    assert json.loads(document) == {"v": text} and not _unsafe_left(document)
    assert visible(visible(text)) == visible(text)  # escaping twice changes nothing


@settings(max_examples=300, deadline=None)
@given(st.lists(ANY_TEXT, max_size=5))
def test_the_guard_leaves_no_control_character_and_keeps_the_width(texts):
    segments = [Segment(t) for t in texts]
    out = ControlGuard().apply(segments, Color(0, 0, 0))
    assert not [c for s in out for c in s.text if is_unsafe(c)]
    assert sum(cell_len(s.text) for s in out) == sum(cell_len(s.text) for s in segments)


@run_async
async def test_every_table_shows_strings_as_written_not_as_markup():
    """DataTable reads a string cell or column label as Rich markup: ``[/b]`` raises
    and ends the app, ``[b]`` vanishes, ``:smile:`` becomes an emoji. The screens
    hand it `Text`; RowTable, which every screen's table is, makes sure of it."""
    from textual.app import App

    from bakso_tui.widgets.row_table import RowTable

    name = "Budi [/b] [b]Santoso :smile:"

    class One(App):
        def compose(self):
            yield RowTable()

        def on_mount(self) -> None:
            table = self.query_one(RowTable)
            table.add_column("Nama [/i]", key="name")
            table.add_column(":smile:", key="other")
            table.add_row(name, "x", key="a")
            table.add_row("y", "z", key="b")
            table.update_cell("b", "other", "[red]merah[/red]")

    app = One()
    async with app.run_test(size=(80, 6)) as pilot:
        await pilot.pause()
        table = app.query_one(RowTable)
        shown = "\n".join("".join(s.text for s in table.render_line(y))
                          for y in range(table.size.height))
        for written in ("Nama [/i]", ":smile:", name, "[red]merah[/red]"):
            assert written in shown, shown
        assert app.is_running
