"""`bakso users …`: accounts and roles. Each change is audited as the account
acting (`users.command_line_actor`): on PostgreSQL with per-person roles the
account of the database role connected (the database checks it again), else
the account of the OS login if it has one (and needs that account's
permission), else `cli:<system login>`. On PostgreSQL `users add` makes the
login role and the row in one transaction."""

from __future__ import annotations


import click

from bakso_tui.cli.context import CliEnv, echo, env_command, json_option, new_password, print_table
from bakso_tui.domain import users
from bakso_tui.locale import t
from bakso_tui.locale.plain import dumps


@click.group("users")
def users_group() -> None:
    """Accounts and roles."""


@env_command("add", users_group)
@click.argument("login")
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(["verifier", "supervisor", "admin"]))
@click.option("--password", "ask_password", is_flag=True)
def users_add(env: CliEnv, login: str, name: str, role: str, ask_password: bool) -> None:
    """Add an account."""
    db = env.database()
    password = None
    if ask_password:
        password = new_password()
    with db.write() as session:
        info = users.add_user(session, users.command_line_actor(session), login=login, name=name,
                              role=role, password=password)
    echo(t("cli.user_added", login=info.login, role=t(f"users.role_{info.role}")))


@env_command("list", users_group)
@json_option
def users_list(env: CliEnv, as_json: bool) -> None:
    """List accounts (roles in words of the user's language; ``--json`` keeps the codes)."""
    with env.database().read() as session:
        rows = users.list_users(session)
    if as_json:
        echo(dumps([
            {"login": u.login, "name": u.name, "role": u.role, "active": u.active,
             "has_password": u.has_password, "db_role": u.db_role} for u in rows
        ], ensure_ascii=False, indent=2))
        return
    header = (t("cli.col_login"), t("cli.col_name"), t("cli.col_role"), t("cli.col_status"))
    print_table(header, [
        (u.login, u.name, t(f"users.role_{u.role}"),
         t("cli.active") if u.active else t("cli.disabled"))
        for u in rows
    ])


@env_command("disable", users_group)
@click.argument("login")
def users_disable(env: CliEnv, login: str) -> None:
    """Disable an account (it stays in the audit; it can no longer sign in)."""
    with env.database().write() as session:
        users.disable_user(session, users.command_line_actor(session), login)
    echo(t("cli.user_disabled", login=login))


@env_command("passwd", users_group)
@click.argument("login")
def users_passwd(env: CliEnv, login: str) -> None:
    """Set an account's password (argon2id), needed to sign in as it from another login."""
    db = env.database()
    password = new_password()
    with db.write() as session:
        users.set_password(session, users.command_line_actor(session), login, password)
    echo(t("cli.password_set", login=login))



@env_command("role", users_group)
@click.argument("login")
@click.argument("role", type=click.Choice(["verifier", "supervisor", "admin"]))
def users_role(env: CliEnv, login: str, role: str) -> None:
    """Change an account's role."""
    with env.database().write() as session:
        info = users.set_role(session, users.command_line_actor(session), login, role)
    echo(t("users.role_changed", login=info.login, role=t(f"users.role_{info.role}")))
