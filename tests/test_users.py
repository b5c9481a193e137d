"""Accounts, roles, passwords and the rules-layer permission checks."""

from __future__ import annotations

import pytest

from bakso_tui.domain import users
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
