"""The command line: exit codes, one-line refusals, JSON contracts."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bakso_tui.cli import cli


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.mark.parametrize("url,fragment", [
    ("foo://x", "tidak didukung"),
    ("not a url", "tidak dapat dibaca"),
    ("postgresql+psycopg://postgres@127.0.0.1:1/none", "tidak dapat dihubungi"),
    ("mysql://root@localhost/x", "tidak didukung"),
])
def test_bad_database_is_one_line_and_exit_2(url, fragment):
    result = run("users", "list", "--db", url)
    assert result.exit_code == 2
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_missing_sqlite_file_is_not_created(tmp_path):
    path = tmp_path / "typo.sqlite3"
    result = run("users", "list", "--db", f"sqlite:///{path}")
    assert result.exit_code == 2 and "bakso db upgrade" in result.stderr
    assert not path.exists()


def test_bad_config_file_exit_2(tmp_path, monkeypatch):
    cfg = tmp_path / "c.toml"
    cfg.write_text("lang = 'xx'\n")
    monkeypatch.setenv("BAKSO_CONFIG", str(cfg))
    result = run("catalog", "services")
    assert result.exit_code == 2 and "lang" in result.stderr


def test_db_upgrade_on_a_new_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    result = run("db", "upgrade", "--db", url)
    assert result.exit_code == 0, result.output
    assert "254" in result.output
    again = run("db", "upgrade", "--db", url)
    assert again.exit_code == 0


def test_users_commands(db):
    url = db.url
    assert run("users", "add", "verif1", "--name", "Baiq Nurul", "--role", "verifier", "--db", url).exit_code == 0
    dup = run("users", "add", "verif1", "--name", "X", "--role", "verifier", "--db", url)
    assert dup.exit_code == 1 and "sudah ada" in dup.stderr
    bad = run("users", "add", "x", "--name", "X", "--role", "boss", "--db", url)
    assert bad.exit_code == 2  # click refuses the choice: usage error
    listed = json.loads(run("users", "list", "--json", "--db", url).output)
    assert listed == [{"login": "verif1", "name": "Baiq Nurul", "role": "verifier", "active": True, "has_password": False, "db_role": None}]
    # The table says the role as the TUI does; --json keeps the code.
    table = run("users", "list", "--db", url).output
    assert "Verifikator" in table and "AKUN" in table.splitlines()[0]
    assert "verifier" not in table and "LOGIN" not in table
    assert "Verifier" in run("--lang", "en", "users", "list", "--db", url).output
    assert run("users", "disable", "verif1", "--db", url).exit_code == 0
    assert "nonaktif" in run("users", "list", "--db", url).output
    missing = run("users", "disable", "nobody", "--db", url)
    assert missing.exit_code == 1 and "nobody" in missing.stderr


def test_catalog_services_json_contract():
    result = run("catalog", "services", "--json")
    assert result.exit_code == 0
    services = json.loads(result.output)
    ids = {s["id"] for s in services}
    assert {"akta_kelahiran", "akta_kematian", "kk_baru", "kk_perubahan", "kk_hilang_rusak",
            "ktp_el_baru", "ktp_el_hilang_rusak", "ktp_el_perubahan", "kia", "pindah_datang"} <= ids
    for s in services:
        assert set(s) == {"id", "short", "name", "requirements", "outputs", "needs_recording",
                          "service_days", "handover"}
        assert s["handover"] in ("village", "in_person")
        assert s["requirements"] and all({"id", "name", "mandatory"} <= set(r)
                                         for r in s["requirements"])
    lost = next(s for s in services if s["id"] == "ktp_el_hilang_rusak")
    assert lost["short"] == "KTP-HILANG"
    assert [r.get("one_of") for r in lost["requirements"] if r.get("one_of")] == ["hilang_rusak"] * 2
    text = run("catalog", "services").output
    assert "ktp_el_hilang_rusak (KTP-HILANG)" in text and "salah satu dari kelompok hilang_rusak" in text
    birth = next(s for s in services if s["id"] == "akta_kelahiran")
    assert {"akta_kelahiran", "kk", "kia"} <= set(birth["outputs"])
    assert next(s for s in services if s["id"] == "ktp_el_baru")["needs_recording"] is True


def test_catalog_villages_json_contract():
    villages = json.loads(run("catalog", "villages", "--json").output)
    assert len(villages) == 254
    first = next(v for v in villages if v["code"] == "52.03.01.2001")
    assert first == {"code": "52.03.01.2001", "name": "Tanjung Luar", "kecamatan": "Keruak"}


def test_audit_verify_ok_then_broken(sqlite_db):
    from sqlalchemy import text

    url = sqlite_db.url
    run("users", "add", "a", "--name", "A", "--role", "verifier", "--db", url)
    run("users", "add", "b", "--name", "B", "--role", "verifier", "--db", url)
    ok = run("audit", "verify", "--db", url)
    assert ok.exit_code == 0 and "2" in ok.output
    with sqlite_db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET actor = 'x' WHERE id = 1"))
    broken = run("audit", "verify", "--db", url)
    assert broken.exit_code == 1 and "id 1" in broken.stderr


def test_english_messages_on_request(tmp_path):
    result = run("--lang", "en", "users", "list", "--db", f"sqlite:///{tmp_path / 'none.sqlite3'}")
    assert "There is no database" in result.stderr


def test_an_unparsable_url_never_shows_its_password():
    result = run("users", "list", "--db", "postgresql+psycopg://bakso:rahasia@sekali@db:notaport/x")
    assert result.exit_code == 2 and "rahasia" not in result.stderr and "sekali" not in result.stderr
    assert "bakso:***@db" in result.stderr


def test_a_short_password_is_refused_when_adding(db):
    from bakso_tui.domain import users

    with pytest.raises(users.UserError, match="8"):
        with db.write() as s:
            users.add_user(s, users.cli_actor(), login="x1", name="X", role="verifier",
                           password="pendek")


def test_a_password_from_a_script_is_its_first_line_without_warnings(db):
    """`printf 'pw\\n' | bakso users passwd x`: no terminal, so nothing to hide
    and no warning about echo; the password is stored and a short one refused."""
    from bakso_tui.domain import users

    with db.write() as s:
        users.add_user(s, users.cli_actor(), login="verif7", name="V", role="verifier")
    result = run("--db", db.url, "users", "passwd", "verif7", input="kata-sandi-panjang\n")
    assert result.exit_code == 0, result.output
    assert "echo" not in result.output.lower() and "Warning" not in result.output
    with db.read() as s:
        assert users.authenticate(s, system_login="nobody", requested="verif7",
                                  password="kata-sandi-panjang", demo=False).login == "verif7"
    short = run("--db", db.url, "users", "passwd", "verif7", input="pendek\n")
    assert short.exit_code == 1 and "8" in short.output
