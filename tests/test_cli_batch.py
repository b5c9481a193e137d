"""`bakso batch …` and `bakso jobs …` on the command line: contracts, exit codes, one-line refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from bakso_tui.cli import cli
from bakso_tui.domain import batches
from bakso_tui.domain.calendar import office_today
from bakso_tui.domain.users import cli_actor
from batch_helpers import OFFICER_NIK, approve_all, ready_office


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def one_line(result) -> bool:
    return len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


@pytest.fixture
def ready(db):
    """Documents approved just now (the command closes today's, office time)."""
    office = ready_office(db, 13)
    approve_all(db, office, at=datetime.now(UTC))
    return db


def test_close_list_print_handover_received_verify(ready, tmp_path, cups, monkeypatch):
    db, url = ready, ready.url
    monkeypatch.setenv("CUPS_SERVER", str(cups.socket))
    out = tmp_path / "pdf"
    closed = run("batch", "close", "--db", url, "--out", str(out))
    assert closed.exit_code == 0, closed.output
    assert "BAST/" in closed.output and len(list(out.glob("*.pdf"))) >= 1
    assert run("batch", "close", "--db", url, "--out", str(out)).output.strip() == \
        "tidak ada dokumen siap"
    listed = json.loads(run("batch", "list", "--db", url, "--json").output)
    assert listed and set(listed[0]) >= {"number", "village", "village_name", "date", "documents",
                                         "state", "printed_at", "handed_over_at", "received_by"}
    assert listed[0]["date"] == office_today().isoformat()
    number = listed[0]["number"]
    early = run("batch", "handover", number, "--db", url, "--to", "Lalu Hamdi", "--position",
                "Sekretaris Desa", "--id-number", OFFICER_NIK)
    assert early.exit_code == 1 and "belum dicetak" in early.stderr and one_line(early)
    printed = run("batch", "print", number, "--db", url, "--printer", cups.printer, "--out",
                  str(out))
    assert printed.exit_code == 0, printed.output
    assert cups.printer in printed.output
    bad = run("batch", "handover", number, "--db", url, "--to", "Lalu Hamdi", "--position",
              "Sekretaris Desa", "--id-number", "12345")
    assert bad.exit_code == 1 and "NIK penerima 12345" in bad.stderr and one_line(bad)
    done = run("batch", "handover", number, "--db", url, "--to", "Lalu Hamdi", "--position",
               "Sekretaris Desa", "--id-number", OFFICER_NIK)
    assert done.exit_code == 0 and "Lalu Hamdi" in done.output
    stranger = run("batch", "received", number, "--db", url, "--nik", "5203010101800999")
    assert stranger.exit_code == 1 and "5203010101800999" in stranger.stderr
    received = run("batch", "received", number, "--db", url, "--all")
    assert received.exit_code == 0 and "semua dokumen" in received.output
    pdf = next(out.glob(number.replace("/", "_") + ".pdf"))
    assert run("batch", "verify", str(pdf), "--db", url).exit_code == 0
    with db.read() as session:
        code = batches.qr_payload(number, batches.get_batch(session, number).digest)
    assert "sah" in run("batch", "verify", code, "--db", url).output
    forged = run("batch", "verify", code.replace(code[-6:], "000000"), "--db", url)
    assert forged.exit_code == 1 and one_line(forged)


def test_close_refusals_are_one_line(ready, tmp_path):
    url = ready.url
    cases = [
        (["--out", "/proc/bakso-cannot"], 1, "tidak dapat ditulisi"),
        (["--date", "2026-02-30"], 2, "tidak sah"),
        (["--date", "2999-01-01"], 1, "belum tiba"),
        (["--village", "52.99.99.9999"], 1, "tidak dikenal"),
        (["--print", "--printer", "NO_SUCH"], 1, ""),
    ]
    for args, code, fragment in cases:
        result = run("batch", "close", "--db", url, "--out", str(tmp_path), *args)
        assert result.exit_code == code, (args, result.output)
        assert fragment in result.stderr and one_line(result), args
    with ready.read() as session:  # nothing was closed by any of them
        assert not list(batches.iter_batches(session))


def test_print_without_a_printer_is_a_configuration_error(ready, tmp_path):
    batches.close_batches(ready, cli_actor())
    result = run("batch", "print", "--db", ready.url, "--out", str(tmp_path))
    assert result.exit_code == 2 and "printer" in result.stderr and one_line(result)


def test_verify_something_that_is_not_a_batch(ready, tmp_path):
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.4 nothing here")
    for arg in (str(junk), "not a code"):
        result = run("batch", "verify", arg, "--db", ready.url)
        assert result.exit_code == 1 and one_line(result)


def test_jobs_once_and_list(ready, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    once = run("jobs", "once", "batch-close", "--db", ready.url)
    assert once.exit_code == 0 and "batch-close: berhasil" in once.output
    listed = {j["id"]: j for j in json.loads(run("jobs", "list", "--json", "--db",
                                                  ready.url).output)}
    assert listed["batch-close"]["last_outcome"] == "ok"
    assert listed["batch-close"]["last_run"].endswith("+08:00")
    unknown = run("jobs", "once", "nope", "--db", ready.url)
    assert unknown.exit_code == 2 and one_line(unknown)
