"""`bakso` / `bakso tui`: open the back office as the system login user, by role."""

from __future__ import annotations

import click

from bakso_tui.cli import remembered
from bakso_tui.cli.context import CliEnv, cold_option, env_command, fail, user_option
from bakso_tui.domain.permissions import os_login
from bakso_tui.errors import Refusal
from bakso_tui.files import private_umask
from bakso_tui.locale import t


def run_tui(env: CliEnv, login: str | None, *, demo_user: str | None = None,
            cold: bool = False) -> None:
    """Sign in (the OS login, or `login` with its password) and run the app.

    A refused sign-in (unknown, disabled, wrong password) is a set-up problem:
    one line, exit 2. On a demo database the demo's own accounts (`demo_user`
    among them) open without a password (``domain/demo_mode.py``), and the
    palette offers to switch to each of them: the app ends, and opens again
    as the chosen account.

    Signed in by the system login and with the account it signed in as last
    time on this database known (``cli/remembered.py``), the app draws its
    first screen for that account before the database is opened, and signs
    in in a worker after it (``bakso_tui/opening.py``); an account that has
    changed since ends that app unseen, and it opens again, signed in first.

    Started here rather than by a warm parent (``bakso_tui/warm``), it spawns
    one for the next sessions a moment after the app starts, unless `cold`,
    ``[tui] warm = false`` or ``BAKSO_WARM=0`` say not to.
    """
    private_umask()  # also when the TUI is started from Python, not `bakso`
    from bakso_tui import terminal_probe

    system_login = os_login()
    url = env.settings.resolved_database_url()
    requested = login or demo_user
    db = None
    while True:
        as_system_login = requested in (None, system_login)  # what `bakso tui` opens as
        guess = remembered.recall(url, system_login) if db is None and as_system_login else None
        # The terminal is asked what it can draw pictures with (for the attachment
        # viewer) while the database is opened and the app imported; only later when
        # a password may be asked for, which would read the answers as typed.
        probe = terminal_probe.start() if as_system_login else None
        try:
            if guess is None:
                if db is None:
                    db = env.database()
                try:
                    user, demo, accounts = _sign_in(db, requested, system_login)
                except Refusal as exc:
                    if as_system_login:
                        remembered.forget(url, system_login)
                    fail(str(exc))
                if as_system_login:
                    remembered.remember(url, system_login, user)
                if probe is None:
                    probe = terminal_probe.start()
            # The app (Textual and the first screens) only once the sign-in holds,
            # or the first frame is drawn for the account remembered.
            from bakso_tui.app import make_app
        finally:
            if probe is not None:
                probe.finish()  # the answers read, the terminal as it was
        if guess is None:
            app = make_app(settings=env.settings, db=db, user=user, demo=demo)
            app.demo_accounts = tuple(a for a in accounts if a != user.login)
        else:
            app = make_app(settings=env.settings, db=None, user=guess,
                           opener=lambda: _open(env, system_login))
        # Said before the screen opens; it stays above the prompt after.
        if not url.startswith("postgresql"):
            click.echo(t("db.sqlite_single_user"), err=True)
        if not cold:
            _warm_next(env.settings)
            cold = True  # once (a demo's switch of account runs this loop again)
        try:
            app.run()
        finally:
            app.release_all_now()  # however the app ended (an error too), its claims go back
        db = app.opened_db
        if app.refusal is not None:
            remembered.forget(url, system_login)
            fail(app.refusal)
        if app.reopen:  # the account changed since it was remembered: signed in first now
            continue
        if not app.switch_login:
            return
        requested = app.switch_login


def _open(env: CliEnv, system_login: str):
    """The database opened and the system login signed in (in the app's sign-in
    worker): raises a Refusal or a SetupError, which the app says and ends on."""
    db = env.open_database()
    try:
        return (db, *_sign_in(db, None, system_login))
    except BaseException:
        db.dispose()
        raise


#: Seconds after the app starts before a warm parent is spawned (its first frame first).
WARM_AFTER = 1.0


def _warm_next(settings) -> None:
    """Spawn a warm parent for the next sessions, in a thread a moment from now;
    nothing when one serves this process or warm starts are off. A failure is
    silent: the next session simply starts in-process too."""
    import threading

    from bakso_tui import warm
    from bakso_tui.warm import launch

    if warm.serving or not settings.tui.warm or not warm.wanted():
        return

    def spawn() -> None:
        try:
            launch.spawn(settings.tui.warm_idle_minutes)
        except Exception:  # noqa: BLE001 - OSError, a timeout: no warm parent, nothing else
            pass

    timer = threading.Timer(WARM_AFTER, spawn)
    timer.daemon = True
    timer.start()


def _sign_in(db, requested: str | None, system_login: str):
    """The signed-in user, whether the database is a demo, and its password-free
    accounts; a refused sign-in raises `users.UserError` (a Refusal), in one line."""
    from bakso_tui.domain import demo_mode, users

    with db.read() as session:
        if users.roles_in_use(session):  # PostgreSQL with per-person roles
            return _database_account(session, requested), False, []
        demo = demo_mode.is_demo(session)
        free = requested is not None and demo_mode.switches_without_password(session, requested)
        password = None
        if requested and requested != system_login and not free:
            password = click.prompt(
                t("cli.password_prompt", login=requested), hide_input=True, default="",
                show_default=False,
            )
        user = users.authenticate(
            session,
            system_login=system_login,
            requested=requested,
            password=password,
            demo=free,
        )
        accounts = sorted(demo_mode.demo_logins(session)) if demo else []
    return user, demo, accounts


def _database_account(session, login: str | None):
    """PostgreSQL with per-person roles: the account of the role connected, and
    no other (`--user` may only name it)."""
    from bakso_tui.db import roles
    from bakso_tui.domain import users

    role = roles.session_role(session.connection())
    account = users.session_account(session)
    if account is None:
        raise users.UserError(t("users.no_db_account", role=role))
    if login and login != account.login:
        raise users.UserError(t("users.db_identity", role=role))
    if not account.active:
        raise users.UserError(t("users.disabled", login=account.login))
    return account


@env_command("tui")
@user_option
@cold_option
def tui_cmd(env: CliEnv, login: str | None, cold: bool) -> None:
    """Open the back office as the system login user, by role."""
    run_tui(env, login, cold=cold)
