"""`bakso export decisions`: one row per decision, JSON lines or CSV, by office day."""

from __future__ import annotations

import csv
import io
import json

import pytest
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import select

from bakso_tui.cli import cli
from bakso_tui.db.models import Submission
from bakso_tui.demo.bulk import bulk_seed
from bakso_tui.domain import users
from bakso_tui.domain.catalog import load_catalog
from bakso_tui.domain.claims import claim, decide
from bakso_tui.domain.workflow import Action

DAY1 = datetime(2026, 11, 19, 2, 0, tzinfo=UTC)  # 10:00 WITA on the 19th


def _decide_three(db):
    bulk_seed(db, 3, now=DAY1 - timedelta(hours=1))
    with db.write() as s:
        actor = users.add_user(s, users.cli_actor(), login="verif1", name="V", role="verifier").actor()
    plan = [(Action.APPROVE, None, "", DAY1), (Action.RETURN, "scan_tidak_terbaca", "buram", DAY1),
            (Action.REJECT, "lainnya", "meninggal sebelum diproses", DAY1 + timedelta(days=1))]
    for action, code, text, at in plan:
        with db.write() as s:
            c = claim(s, actor, now=at)
            decide(s, actor, c.submission_id, c.token, action, reason_code=code, reason=text,
                   override_reason="uji" if action is Action.APPROVE else "", now=at)


def test_jsonl_and_csv_with_day_bounds(db):
    _decide_three(db)
    runner = CliRunner()
    out = runner.invoke(cli, ["export", "decisions", "--db", db.url])
    rows = [json.loads(line) for line in out.output.splitlines()]
    assert out.exit_code == 0 and [r["action"] for r in rows] == ["approve", "return", "reject"]
    assert set(rows[0]) == {"submission", "action", "actor", "at", "reason_code", "reason_label",
                            "reason", "override_reason"}
    assert rows[0]["override_reason"] == "uji" and rows[0]["reason_code"] is None
    # The code stays in its own column; its name, in the user's language, beside it.
    assert rows[1]["reason_code"] == "scan_tidak_terbaca" and rows[1]["reason"] == "buram"
    assert rows[1]["reason_label"] == load_catalog().reason("scan_tidak_terbaca").name
    assert rows[1]["override_reason"] == ""
    english = runner.invoke(cli, ["--lang", "en", "export", "decisions", "--db", db.url])
    assert json.loads(english.output.splitlines()[1])["reason_label"] == (
        load_catalog().reason("scan_tidak_terbaca").name_en)
    assert rows[0]["actor"] == "verif1" and rows[0]["submission"].startswith("BKS-")
    with db.read() as s:
        assert rows[2]["submission"] in set(s.scalars(select(Submission.number)))
    day = runner.invoke(cli, ["export", "decisions", "--from", "2026-11-20", "--to", "2026-11-20",
                              "--format", "csv", "--db", db.url])
    table = list(csv.DictReader(io.StringIO(day.output)))
    assert [r["action"] for r in table] == ["reject"]
    assert table[0]["reason"] == "meninggal sebelum diproses"
    # The day as the screens write it gives the same rows as ISO 8601.
    screen_day = runner.invoke(cli, ["export", "decisions", "--from", "20-11-2026", "--to",
                                     "20-11-2026", "--format", "csv", "--db", db.url])
    assert screen_day.exit_code == 0 and screen_day.output == day.output
    bad = runner.invoke(cli, ["export", "decisions", "--from", "31-11-2026", "--db", db.url])
    assert bad.exit_code == 2 and "31-11-2026" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    backwards = runner.invoke(cli, ["export", "decisions", "--from", "21-11-2026", "--to",
                                    "20-11-2026", "--db", db.url])
    assert backwards.exit_code == 2 and backwards.stdout == ""
    assert "21-11-2026" in backwards.stderr and len(backwards.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("value,cell", [
    ("=HYPERLINK(\"http://x\",\"klik\")", "'=HYPERLINK(\"http://x\",\"klik\")"),
    ("+62 812", "'+62 812"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("buram", "buram"), (None, ""),
])
def test_csv_cells_never_start_a_formula(value, cell):
    from bakso_tui.domain.exports import csv_cell

    assert csv_cell(value) == cell
