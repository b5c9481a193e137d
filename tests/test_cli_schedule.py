"""`bakso schedule …`: the new-user path, JSON contract, and bad input in one line."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner
from icalendar import Calendar
from pypdf import PdfReader
from sqlalchemy import func, select

from bakso_tui.cli import cli
from bakso_tui.cli import schedule as schedule_cli
from bakso_tui.db.models import IssuedDocument, ServiceDay, ServicePlan, ServiceTeam
from schedule_helpers import NOW, approve, new_submission, villages


@pytest.fixture
def office(db, monkeypatch):
    monkeypatch.setattr(schedule_cli, "now", lambda: NOW)
    with db.write() as s:
        codes = villages(s, 2)
    return db, codes


def run(db, *args: str):
    return CliRunner().invoke(cli, [*args, "--db", db.url], catch_exceptions=False)


def test_new_user_path(office, tmp_path, monkeypatch):
    db, (v, other) = office
    assert run(db, "schedule", "team", "add", "t1", "--name", "Tim Keliling Selatan",
               "--capacity", "2").exit_code == 0
    result = run(db, "schedule", "plan", "--village", v, "--every", "rab,jum",
                 "--from", "2026-12-01", "--until", "2027-02-28")
    assert result.exit_code == 0, result.output
    assert "dilewati 25-12-2026: Hari Raya Natal" in result.output
    assert "tim T1" in result.output and "[rab,jum]" in result.output
    with db.write() as s:
        subs = [new_submission(s, v, i, minutes_ago=50 - i) for i in range(3)]
        for sub in subs:
            approve(s, sub)
        niks = [sub.applicant_nik for sub in subs]
    listed = json.loads(run(db, "schedule", "list", "--village", v, "--until", "2026-12-09",
                            "--json").output)
    assert listed[0] == {"date": "2026-12-02", "village": v, "village_name": listed[0]["village_name"],
                         "team": "T1", "capacity": 2, "booked": 2}
    assert [d["date"] for d in listed] == ["2026-12-02", "2026-12-04", "2026-12-09"]
    assert [d["booked"] for d in listed] == [2, 1, 0]
    assert json.loads(run(db, "schedule", "list", "--from", "2030-01-01", "--json").output) == []
    text = run(db, "schedule", "list", "--village", v, "--until", "2026-12-04").output
    assert text.splitlines()[1].split() == ["02-12-2026", v, *listed[0]["village_name"].split(),
                                            "T1", "2/2"]

    out = tmp_path / "lists"
    result = run(db, "schedule", "manifest", "--date", "2026-12-02", "--out", str(out))
    assert result.exit_code == 0, result.output
    pdf = out / f"daftar-perekaman_2026-12-02_{v}.pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "Warga 000" in text and "Warga 001" in text and "Rabu, 2 Desember 2026" in text
    result = run(db, "schedule", "manifest", "--date", "2026-12-02", "--village", v,
                 "--out", str(out), "--format", "text")
    assert "1. Warga 000" in (out / f"daftar-perekaman_2026-12-02_{v}.txt").read_text()

    monkeypatch.setattr(schedule_cli, "now", lambda: NOW.replace(day=2))  # the visit
    result = run(db, "schedule", "done", "--date", "02-12-2026", "--village", v,
                 "--recorded", subs[0].number.lower(), "--absent", niks[1])
    assert result.exit_code == 0, result.output
    assert "Warga 001 dipesan lagi: 04-12-2026" in result.output
    with db.read() as s:
        states = dict(s.execute(select(IssuedDocument.submission_id, IssuedDocument.state)).all())
    assert states[subs[0].id] == "siap_cetak" and states[subs[1].id] == "menunggu_perekaman"

    ics = run(db, "schedule", "export", "--format", "ics", "--village", v)
    events = Calendar.from_ical(ics.output.encode()).walk("VEVENT")
    assert [e.decoded("dtstart") for e in events[:2]] == [date(2026, 12, 2), date(2026, 12, 4)]
    team = json.loads(run(db, "schedule", "team", "list", "--json").output)
    assert team == [{"code": "T1", "name": "Tim Keliling Selatan", "capacity": 2, "active": True}]


def test_close_day_moves_and_says_so(office):
    db, (v, _) = office
    run(db, "schedule", "team", "add", "T1", "--name", "Tim", "--capacity", "1")
    run(db, "schedule", "plan", "--village", v, "--every", "wed,fri", "--from", "2026-12-01",
        "--until", "2026-12-31")
    with db.write() as s:
        approve(s, new_submission(s, v, 1))
    result = run(db, "schedule", "close-day", "2026-12-02", "--reason", "banjir bandang")
    assert result.exit_code == 0, result.output
    assert "1 warga dipindah" in result.output
    assert "Warga 001 (BKS-2026-" in result.output and "02-12-2026 → 04-12-2026" in result.output


BAD = [
    (("plan", "--village", "52.03.99.9999"), 1, "desa tidak dikenal: 52.03.99.9999"),
    (("plan", "--team", "NOPE"), 1, "tim tidak dikenal: NOPE"),
    (("plan", "--until", "2026-11-30"), 2, "--until 2026-11-30 sebelum --from 2026-12-01"),
    (("plan", "--until", "2028-12-01"), 2, "rentang 2026-12-01 s.d. 2028-12-01 lebih dari 2 tahun"),
    (("plan", "--capacity", "0"), 2, "kapasitas harus 1 sampai 500, bukan 0"),
    (("plan", "--capacity", "-3"), 2, "kapasitas harus 1 sampai 500, bukan -3"),
    (("plan", "--every", "wed,frii"), 2, "hari tidak dikenal: frii"),
    (("plan", "--from", "2026-13-01"), 2, "tanggal tidak dikenal: '2026-13-01'"),
    (("plan", "--village", "{other}"), 1, "bentrok: tim T1 sudah bertugas di"),
    (("close-day", "2026-11-30", "--reason", "x"), 1, "2026-11-30 sudah lewat"),
    (("close-day", "2026-12-09"), 2, "Pilihan belum diisi '--reason'"),
    (("done", "--date", "2026-12-02", "--village", "{v}", "--recorded", "1"), 1,
     "hari layanan 2026-12-02 belum tiba"),
    (("done", "--date", "2026-12-02", "--village", "{v}", "--sideways"), 2, "tidak dimengerti"),
    (("list", "--team", "ZZ"), 1, "tim tidak dikenal: ZZ"),
]


@pytest.mark.parametrize(("args", "code", "message"), BAD)
def test_bad_input_is_one_line_and_writes_nothing(office, args, code, message):
    db, (v, other) = office
    run(db, "schedule", "team", "add", "T1", "--name", "Tim", "--capacity", "5")
    run(db, "schedule", "plan", "--village", v, "--every", "wed", "--from", "2026-12-01",
        "--until", "2026-12-31")
    with db.read() as s:
        before = (s.scalar(select(func.count()).select_from(ServiceDay)),
                  s.scalar(select(func.count()).select_from(ServicePlan)))
    args = [a.format(v=v, other=other) for a in args]
    if args[0] == "plan":
        base = {"--village": other if "{other}" in str(args) else v, "--every": "wed",
                "--from": "2026-12-01", "--until": "2027-01-31", "--team": "T1"}
        given = dict(zip(args[1::2], args[2::2], strict=True))
        args = ["plan", *[x for k, val in (base | given).items() for x in (k, val)]]
    result = run(db, "schedule", *args)
    assert result.exit_code == code, result.output
    assert message in result.stderr and result.stderr.startswith("bakso"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    with db.read() as s:
        after = (s.scalar(select(func.count()).select_from(ServiceDay)),
                 s.scalar(select(func.count()).select_from(ServicePlan)))
    assert after == before


def test_refusal_in_english(office):
    db, (v, _) = office
    run(db, "schedule", "team", "add", "T1", "--name", "Tim")
    result = run(db, "schedule", "plan", "--village", v, "--every", "wed,frii", "--from",
                 "2026-12-01", "--until", "2026-12-31", "--lang", "en")
    assert result.exit_code == 2 and result.stderr == "bakso: unknown day: frii (for example: wed,fri or rab,jum)\n"
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(ServiceTeam)) == 1
