"""Accounts, roles, passwords and the rules-layer permission checks."""

from __future__ import annotations

import pytest

from bakso_tui.domain import audit, users
from bakso_tui.domain.users import Actor, Permission, PermissionDenied, UserError


def test_add_list_disable(db):
    actor = users.cli_actor()
    with db.write() as s:
        users.add_user(s, actor, login="verif1", name="Baiq Nurul", role="verifier")
        users.add_user(s, actor, login="spv1", name="Siti Rohani", role="supervisor", password="rahasia-123")
    with db.write() as s:
        users.disable_user(s, actor, "verif1")
    with db.read() as s:
        listed = {u.login: u for u in users.list_users(s)}
    assert listed["verif1"].active is False
    assert listed["spv1"].has_password and not listed["verif1"].has_password


@pytest.mark.parametrize("login,role,message", [
    ("Bad Login", "verifier", "tidak sah"),
    ("ok", "boss", "tidak dikenal"),
])
def test_add_refuses_bad_input(sqlite_db, login, role, message):
    with pytest.raises(UserError, match=message), sqlite_db.write() as s:
        users.add_user(s, users.cli_actor(), login=login, name="X", role=role)


def test_duplicate_login_refused(sqlite_db):
    with sqlite_db.write() as s:
        users.add_user(s, users.cli_actor(), login="a", name="A", role="verifier")
    with pytest.raises(UserError, match="sudah ada"), sqlite_db.write() as s:
        users.add_user(s, users.cli_actor(), login="a", name="A", role="verifier")


def test_verifier_cannot_manage_users_in_the_rules_layer(sqlite_db):
    verifier = Actor(login="verif1", role="verifier", id=1)
    with pytest.raises(PermissionDenied), sqlite_db.write() as s:
        users.add_user(s, verifier, login="x", name="X", role="admin")
    assert not verifier.can(Permission.CLAIM_RELEASE)
    assert Actor(login="spv1", role="supervisor").can(Permission.CLAIM_RELEASE)
    assert not Actor(login="admin1", role="admin").can(Permission.ATTACHMENT_VIEW)


def _setup(db):
    with db.write() as s:
        users.add_user(s, users.cli_actor(), login="verif1", name="V", role="verifier")
        users.add_user(s, users.cli_actor(), login="spv1", name="S", role="supervisor", password="kata-sandi-1")
        users.add_user(s, users.cli_actor(), login="gone", name="G", role="verifier")
        users.disable_user(s, users.cli_actor(), "gone")


def test_authenticate_rules(sqlite_db):
    _setup(sqlite_db)
    with sqlite_db.read() as s:
        auth = lambda **kw: users.authenticate(s, **kw)  # noqa: E731
        assert auth(system_login="verif1", requested=None, password=None, demo=False).login == "verif1"
        with pytest.raises(UserError, match="tidak terdaftar"):
            auth(system_login="root", requested=None, password=None, demo=False)
        with pytest.raises(UserError, match="dinonaktifkan"):
            auth(system_login="gone", requested=None, password=None, demo=False)
        # Switching to another account needs its password...
        with pytest.raises(UserError, match="memerlukan kata sandi"):
            auth(system_login="verif1", requested="spv1", password=None, demo=False)
        with pytest.raises(UserError, match="salah"):
            auth(system_login="verif1", requested="spv1", password="nope", demo=False)
        assert auth(system_login="verif1", requested="spv1", password="kata-sandi-1", demo=False).role == "supervisor"
        # ...an account without one cannot be switched to at all...
        with pytest.raises(UserError, match="belum punya kata sandi"):
            auth(system_login="spv1", requested="verif1", password="x", demo=False)
        # ...except on a demo database.
        assert auth(system_login="root", requested="verif1", password=None, demo=True).login == "verif1"


def test_os_login_comes_from_the_uid_not_the_environment(monkeypatch):
    import os
    import pwd

    monkeypatch.setenv("USER", "spv1")
    monkeypatch.setenv("LOGNAME", "spv1")
    assert users.os_login() == pwd.getpwuid(os.getuid()).pw_name


def test_user_changes_are_audited(sqlite_db):
    from bakso_tui.domain import audit

    _setup(sqlite_db)
    with sqlite_db.read() as s:
        actions = [r.action for r in audit.history(s, "user", "gone")]
    assert actions == ["user.add", "user.disable"]


# ------------------------------------------------------------------ disabling


def test_disabling_releases_the_claims_and_ends_the_accounts_rights(db):
    """Every write re-reads the actor's role and `active` in its transaction:
    an account disabled after it signed in (its Actor still says verifier)
    decides, renews and claims nothing more; its claim went back at once."""
    from datetime import timedelta

    from bakso_tui.db.models import Decision, Submission
    from bakso_tui.domain import audit, claims
    from bakso_tui.domain.workflow import Action
    from tui_helpers import FIXED_NOW, seed_office

    office = seed_office(db, count=14)
    verifier, now = office.verifier.actor(), FIXED_NOW
    taken = claims.claim_next(db, verifier, now=now)
    with db.write() as s:
        users.disable_user(s, office.supervisor.actor(), "verif1", now=now)
    with db.read() as s:
        row = s.get(Submission, taken.submission_id)
        assert (row.state, row.claim_holder_id) == ("diajukan", None)
        last = audit.history(s, "submission", taken.submission_id)[-1]
        assert (last.action, last.actor, last.details) == (
            "submission.release", "spv1", {"disabled": "verif1"})
    with pytest.raises(claims.LeaseLost, match="dinonaktifkan"):
        claims.decide_once(db, verifier, taken.submission_id, taken.token, Action.APPROVE,
                           override_reason="uji", now=now)
    with pytest.raises(claims.LeaseLost, match="dinonaktifkan"), db.write() as s:
        claims.renew(s, verifier, taken.submission_id, taken.token, now=now)
    with pytest.raises(UserError, match="dinonaktifkan"):
        claims.claim_next(db, verifier, now=now + timedelta(minutes=1))
    with pytest.raises(UserError, match="dinonaktifkan"), db.write() as s:
        claims.claim(s, verifier, submission_id=taken.submission_id, now=now)
    with db.read() as s:
        assert s.get(Submission, taken.submission_id).state == "diajukan"
        assert s.query(Decision).count() == 0
        assert audit.verify(s).ok


def test_a_role_changed_under_an_open_session_is_the_one_that_counts(db):
    """The Actor a session holds says supervisor; the row says verifier now."""
    from bakso_tui.db.models import User

    with db.write() as s:
        info = users.add_user(s, users.cli_actor(), login="spv9", name="S", role="supervisor")
    with db.write() as s:
        s.get(User, info.id).role = "verifier"
    with pytest.raises(PermissionDenied), db.write() as s:
        users.add_user(s, info.actor(), login="x9", name="X", role="verifier")


def _office(db):
    with db.write() as s:
        for login, role in [("verif1", "verifier"), ("spv1", "supervisor"), ("admin1", "admin")]:
            users.add_user(s, users.cli_actor(), login=login, name=login, role=role)
        return {u.login: u.actor() for u in users.list_users(s)}


def test_the_last_supervisor_is_neither_disabled_nor_demoted(db):
    """Whoever asks (an administrator, the command line): refused in one line,
    nothing written; with a second supervisor the first may go."""
    people = _office(db)
    for who in (people["admin1"], users.cli_actor()):
        with db.write() as s, pytest.raises(users.UserError, match="supervisor aktif terakhir"):
            users.disable_user(s, who, "spv1")
        with db.write() as s, pytest.raises(users.UserError, match="supervisor aktif terakhir"):
            users.set_role(s, who, "spv1", "verifier")
    with db.read() as s:
        assert users.get_user(s, "spv1").active and users.get_user(s, "spv1").role == "supervisor"
        assert not [r for r in audit.history(s, "user", "spv1") if r.action != "user.add"]
    with db.write() as s:
        users.add_user(s, people["admin1"], login="spv2", name="Spv Dua", role="supervisor")
    with db.write() as s:
        assert users.set_role(s, people["admin1"], "spv1", "verifier").role == "verifier"
    with db.write() as s, pytest.raises(users.UserError, match="terakhir"):
        users.disable_user(s, people["admin1"], "spv2")


def test_nobody_disables_or_changes_their_own_account(db):
    people = _office(db)
    with db.write() as s:
        users.add_user(s, people["admin1"], login="spv2", name="Spv Dua", role="supervisor")
    with db.write() as s, pytest.raises(users.UserError, match="sendiri"):
        users.disable_user(s, people["spv1"], "spv1")
    with db.write() as s, pytest.raises(users.UserError, match="sendiri"):
        users.set_role(s, people["spv1"], "spv1", "admin")
    with db.write() as s:  # another supervisor may
        users.disable_user(s, people["spv1"], "spv2")
        assert users.set_role(s, people["spv1"], "verif1", "supervisor").role == "supervisor"


def test_a_verifier_manages_no_account_by_any_rule(db):
    people = _office(db)
    verifier = people["verif1"]
    for call in (lambda s: users.add_user(s, verifier, login="x1", name="X", role="verifier"),
                 lambda s: users.disable_user(s, verifier, "admin1"),
                 lambda s: users.set_role(s, verifier, "verif1", "supervisor"),
                 lambda s: users.set_password(s, verifier, "spv1", "rahasia-baru")):
        with db.write() as s, pytest.raises(users.PermissionDenied):
            call(s)


def test_a_verifier_at_the_command_line_is_refused(sqlite_db, monkeypatch):
    from click.testing import CliRunner

    from bakso_tui.cli import cli as main

    _office(sqlite_db)
    monkeypatch.setattr(users, "os_login", lambda: "verif1")
    runner = CliRunner()
    url = str(sqlite_db.engine.url)
    for args in (["users", "role", "verif1", "supervisor"], ["users", "disable", "spv1"]):
        result = runner.invoke(main, ["--db", url, *args])
        assert result.exit_code == 1, result.output
        assert "tidak berhak" in result.output and "Traceback" not in result.output
    monkeypatch.setattr(users, "os_login", lambda: "root-not-an-account")
    result = runner.invoke(main, ["--db", url, "users", "role", "spv1", "admin"])
    assert result.exit_code == 1 and "terakhir" in result.output
    result = runner.invoke(main, ["--db", url, "users", "role", "verif1", "supervisor"])
    assert result.exit_code == 0 and "verif1" in result.output
