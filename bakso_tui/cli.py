"""The `bakso` command line. Every command builds its context through `open_db`.

Exit codes: 0 success, 1 some input refused (each with its reason), 2 usage or
configuration error. Messages go through the translation layer; a refusal is
one line that says what was wrong and where.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import NoReturn

import click

from bakso_tui import __version__
from bakso_tui.config import ConfigError, Settings, load_settings
from bakso_tui.db.engine import Database, DatabaseError
from bakso_tui.locale import set_language, t

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"bakso: {message}", err=True)
    sys.exit(code)


@dataclass
class Context:
    db_url: str | None = None
    lang: str | None = None

    def settings(self) -> Settings:
        try:
            settings = load_settings(database_url=self.db_url, lang=self.lang)
        except ConfigError as exc:
            fail(t("cli.config_error", error=str(exc)))
        set_language(settings.lang)
        return settings


def open_db(settings: Settings, *, need_schema: bool = True) -> Database:
    """Connect, or exit 2 with one line: bad URL, unreachable server, old schema."""
    from bakso_tui.db import migrate

    try:
        db = Database(settings.resolved_database_url())
        path = db.sqlite_path()
        if need_schema and path is not None and not path.exists():
            raise DatabaseError(t("db.no_file", path=str(path)))
        db.check()
        if need_schema and not migrate.is_current(db):
            raise DatabaseError(t("db.not_upgraded", url=db.safe_url))
        if need_schema:
            db.ensure_statistics()
    except DatabaseError as exc:
        fail(str(exc))
    return db


def common(func: Callable) -> Callable:
    """`--db` and `--lang` on every command, as well as before it."""

    @click.option("--db", "db_url", metavar="URL", help="Database URL (sqlite:///… or postgresql+psycopg://…).")
    @click.option("--lang", type=click.Choice(["id", "en"]), help="Language of messages.")
    @click.pass_obj
    @wraps(func)
    def wrapper(obj: Context, db_url: str | None, lang: str | None, *args, **kwargs):
        obj.db_url = db_url or obj.db_url
        obj.lang = lang or obj.lang
        return func(obj, *args, **kwargs)

    return wrapper


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_url", metavar="URL", help="Database URL (else BAKSO_DATABASE_URL, config file, local SQLite).")
@click.option("--lang", type=click.Choice(["id", "en"]), help="Language: id (default) or en.")
@click.option("--user", "login", metavar="LOGIN", help="Open the TUI as another account (needs its password).")
@click.version_option(__version__, prog_name="bakso")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, lang: str | None, login: str | None) -> None:
    """BAKSO back office: the Dukcapil side of village submissions."""
    ctx.obj = Context(db_url=db_url, lang=lang)
    if ctx.invoked_subcommand is None:
        run_tui(ctx.obj, login)


# --------------------------------------------------------------------- TUI


def run_tui(obj: Context, login: str | None, *, demo_user: str | None = None) -> None:
    from bakso_tui.domain import users

    settings = obj.settings()
    db = open_db(settings)
    system_login = users.os_login()
    with db.read() as session:
        demo = is_demo(session)
        requested = login or demo_user
        password = None
        if requested and requested != system_login and not demo:
            password = click.prompt(
                t("cli.password_prompt", login=requested), hide_input=True, default="",
                show_default=False,
            )
        try:
            user = users.authenticate(
                session,
                system_login=system_login,
                requested=requested,
                password=password,
                demo=demo,
            )
        except users.UserError as exc:
            fail(str(exc))
    from bakso_tui.app import make_app

    make_app(settings=settings, db=db, user=user, demo=demo).run()


@cli.command("tui")
@common
@click.option("--user", "login", metavar="LOGIN", help="Open as another account (needs its password).")
def tui_cmd(obj: Context, login: str | None) -> None:
    """Open the back office as the system login user, by role."""
    run_tui(obj, login)


def is_demo(session) -> bool:
    from bakso_tui.db.models import Meta

    row = session.get(Meta, "demo")
    return bool(row and row.value == "true")


# --------------------------------------------------------------------- demo


@cli.command("demo")
@common
@click.option("--no-tui", is_flag=True, help="Only create and seed the demo database.")
@click.option("--submissions", default=300, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--seed", default=2018, show_default=True, help="Random seed (same seed, same data).")
def demo_cmd(obj: Context, no_tui: bool, submissions: int, seed: int) -> None:
    """Create (or reuse) and seed a demo database, then open the TUI as spv1.

    Without --db, the demo lives in its own SQLite file in the user data
    directory, never in the office's configured database.
    """
    from bakso_tui.config import data_dir
    from bakso_tui.db import migrate
    from bakso_tui.demo.people import DemoRefused
    from bakso_tui.demo.seed import seed_demo

    if not obj.db_url:
        obj.db_url = f"sqlite:///{data_dir() / 'demo.sqlite3'}"
    settings = obj.settings()
    db = open_db(settings, need_schema=False)
    migrate.upgrade(db)
    try:
        report = seed_demo(db, submissions=submissions, seed=seed, progress=_progress)
    except DemoRefused as exc:
        fail(str(exc))
    click.echo(t("cli.demo_done", url=db.safe_url, **report.as_dict()))
    if not no_tui:
        run_tui(obj, None, demo_user="spv1")


def _progress(label: str, total: int):
    """A progress bar on a terminal, nothing when piped."""
    return click.progressbar(length=total, label=label, file=sys.stderr)


@cli.command("seed")
@common
@click.option("--submissions", "count", required=True, type=click.IntRange(1, 10_000_000))
@click.option("--seed", default=1, show_default=True)
def seed_cmd(obj: Context, count: int, seed: int) -> None:
    """Bulk synthetic load for benchmarks (queued submissions, no attachments)."""
    from bakso_tui.db import migrate
    from bakso_tui.demo.bulk import bulk_seed
    from bakso_tui.demo.people import DemoRefused

    settings = obj.settings()
    db = open_db(settings, need_schema=False)
    migrate.upgrade(db)
    with click.progressbar(length=count, label=t("demo.progress"), file=sys.stderr) as bar:
        try:
            made = bulk_seed(db, count, seed=seed, progress=bar.update)
        except DemoRefused as exc:
            fail(str(exc))
    click.echo(t("cli.seeded", count=made, url=db.safe_url))


# --------------------------------------------------------------------- db


@cli.group("db")
def db_group() -> None:
    """The database schema."""


@db_group.command("upgrade")
@common
def db_upgrade(obj: Context) -> None:
    """Create or upgrade the schema (Alembic) and load the reference data."""
    from bakso_tui.db import migrate
    from bakso_tui.db.reference import sync_reference

    settings = obj.settings()
    db = open_db(settings, need_schema=False)
    before = migrate.current_revision(db)
    migrate.upgrade(db)
    with db.write() as session:
        counts = sync_reference(session)
    db.refresh_statistics()  # new indexes are chosen only once they have statistics
    click.echo(
        t(
            "cli.upgraded",
            url=db.safe_url,
            before=before or "-",
            after=migrate.current_revision(db),
            villages=counts.villages,
            services=counts.services,
        )
    )


# --------------------------------------------------------------------- users


@cli.group("users")
def users_group() -> None:
    """Accounts and roles."""


@users_group.command("add")
@common
@click.argument("login")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", required=True, type=click.Choice(["verifier", "supervisor", "admin"]))
@click.option("--password", "ask_password", is_flag=True, help="Set a password (asked twice).")
def users_add(obj: Context, login: str, name: str, role: str, ask_password: bool) -> None:
    """Add an account."""
    from bakso_tui.domain import users

    settings = obj.settings()
    db = open_db(settings)
    password = None
    if ask_password:
        password = click.prompt(t("cli.new_password"), hide_input=True, confirmation_prompt=True)
    try:
        with db.write() as session:
            info = users.add_user(
                session, users.cli_actor(), login=login, name=name, role=role, password=password
            )
    except users.UserError as exc:
        fail(str(exc), EXIT_REFUSED)
    click.echo(t("cli.user_added", login=info.login, role=info.role))


@users_group.command("list")
@common
@click.option("--json", "as_json", is_flag=True)
def users_list(obj: Context, as_json: bool) -> None:
    """List accounts."""
    from bakso_tui.domain import users

    settings = obj.settings()
    db = open_db(settings)
    with db.read() as session:
        rows = users.list_users(session)
    if as_json:
        click.echo(json.dumps([
            {"login": u.login, "name": u.name, "role": u.role, "active": u.active,
             "has_password": u.has_password} for u in rows
        ], ensure_ascii=False, indent=2))
        return
    header = (t("cli.col_login"), t("cli.col_name"), t("cli.col_role"), t("cli.col_status"))
    table = [
        (u.login, u.name, u.role, t("cli.active") if u.active else t("cli.disabled"))
        for u in rows
    ]
    _print_table(header, table)


@users_group.command("disable")
@common
@click.argument("login")
def users_disable(obj: Context, login: str) -> None:
    """Disable an account (it stays in the audit; it can no longer sign in)."""
    from bakso_tui.domain import users

    settings = obj.settings()
    db = open_db(settings)
    try:
        with db.write() as session:
            users.disable_user(session, users.cli_actor(), login)
    except users.UserError as exc:
        fail(str(exc), EXIT_REFUSED)
    click.echo(t("cli.user_disabled", login=login))


@users_group.command("passwd")
@common
@click.argument("login")
def users_passwd(obj: Context, login: str) -> None:
    """Set an account's password (argon2id), needed to sign in as it from another login."""
    from bakso_tui.domain import users

    settings = obj.settings()
    db = open_db(settings)
    password = click.prompt(t("cli.new_password"), hide_input=True, confirmation_prompt=True)
    try:
        with db.write() as session:
            users.set_password(session, users.cli_actor(), login, password)
    except users.UserError as exc:
        fail(str(exc), EXIT_REFUSED)
    click.echo(t("cli.password_set", login=login))


def _print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


# --------------------------------------------------------------------- catalog


@cli.group("catalog")
def catalog_group() -> None:
    """The service catalogue and the villages the office serves."""


@catalog_group.command("services")
@common
@click.option("--json", "as_json", is_flag=True)
def catalog_services(obj: Context, as_json: bool) -> None:
    """Services with their requirement documents and outputs."""
    from bakso_tui.domain.catalog import CatalogError, load_catalog

    settings = obj.settings()
    try:
        catalog = load_catalog()
    except CatalogError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(catalog.as_json_services(), ensure_ascii=False, indent=2))
        return
    lang = settings.lang
    for svc in catalog.services:
        click.echo(
            f"{svc.id}: {svc.display_name(lang)} "
            + t("cli.service_days", days=svc.service_days)
            + (f" · {t('cli.needs_recording')}" if svc.needs_recording else "")
        )
        for req in svc.requirements:
            mark = "*" if req.mandatory else " "
            click.echo(f"  {mark} {req.id}: {req.display_name(lang)}")
        click.echo(f"  → {', '.join(catalog.output(o).display_name(lang) for o in svc.outputs)}")
    click.echo(t("cli.mandatory_legend"))


@catalog_group.command("villages")
@common
@click.option("--json", "as_json", is_flag=True)
def catalog_villages(obj: Context, as_json: bool) -> None:
    """The desa and kelurahan of the office, with their Kemendagri codes."""
    from bakso_tui.domain import regions

    obj.settings()
    kecamatan = {k.code: k.name for k in regions.office_kecamatan()}
    villages = regions.office_villages()
    if as_json:
        click.echo(json.dumps(
            [{"code": v.code, "name": v.name, "kecamatan": kecamatan[v.kecamatan_code]}
             for v in villages],
            ensure_ascii=False, indent=2,
        ))
        return
    _print_table(
        (t("cli.col_code"), t("cli.col_village"), t("cli.col_kecamatan")),
        [(v.code, v.name, kecamatan[v.kecamatan_code]) for v in villages],
    )


# --------------------------------------------------------------------- intake


@cli.command("intake")
@common
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per package per line.")
def intake_cmd(obj: Context, paths: tuple[Path, ...], as_json: bool) -> None:
    """Ingest submission packages (folders or .zip files).

    Exit 0 when none was quarantined, 1 when any was.
    """
    from bakso_tui.domain.intake import Intake

    settings = obj.settings()
    db = open_db(settings)
    intake = Intake(db, settings)
    quarantined = 0
    show_bar = len(paths) > 1 and sys.stderr.isatty()
    bar = click.progressbar(length=len(paths), label=t("cli.intake_progress"),
                            file=sys.stderr) if show_bar else None
    try:
        for result in intake.intake_many(paths):
            quarantined += result.status == "quarantined"
            if as_json:
                click.echo(json.dumps(result.as_json(), ensure_ascii=False))
            else:
                click.echo(_intake_line(result))
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.render_finish()
    if not as_json and len(paths) > 1:
        click.echo(t("cli.intake_summary", total=len(paths), quarantined=quarantined), err=True)
    sys.exit(EXIT_REFUSED if quarantined else EXIT_OK)


def _intake_line(result) -> str:
    label = t(f"cli.intake_{result.status}")
    head = f"{result.package}: {label}"
    if result.submission:
        head += f" {result.submission}"
    if result.flags:
        head += " [" + ", ".join(result.flags) + "]"
    return "\n".join([head, *(f"  - {r}" for r in result.reasons)])


@cli.command("inspect")
@common
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def inspect_cmd(obj: Context, file: Path, as_json: bool) -> None:
    """Inspect one attachment as the viewer would (type, pages, encryption, images, text)."""
    from bakso_tui.attachments.inspect import inspect_bytes

    settings = obj.settings()
    att = settings.attachments
    limits = att.file_limits()
    try:
        if file.stat().st_size > att.max_file_bytes:
            data = file.open("rb").read(att.max_file_bytes + 1)
        else:
            data = file.read_bytes()
    except OSError as exc:
        fail(t("cli.cannot_read", path=str(file), detail=exc.strerror or str(exc)), EXIT_REFUSED)
    result = inspect_bytes(data, str(file), limits)
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(t("cli.inspect_head", path=str(file), media_type=result.media_type or "?",
                     size=result.size, pages=result.pages))
        if result.encrypted:
            click.echo("  " + t("cli.inspect_encrypted"))
        for page in result.page_info:
            images = ", ".join(f"{i['width']}×{i['height']} ({i['dpi']} dpi)" for i in page.images)
            click.echo("  " + t("cli.inspect_page", number=page.number, width=page.width_pt,
                                height=page.height_pt, images=images or "-",
                                chars=len(page.text)))
        for problem in result.problems:
            click.echo(f"  ! {problem.message()}")
    sys.exit(EXIT_OK if result.ok else EXIT_REFUSED)


# --------------------------------------------------------------------- export


@cli.group("export")
def export_group() -> None:
    """Data for other programs."""


@export_group.command("decisions")
@common
@click.option("--from", "since", type=click.DateTime(["%Y-%m-%d"]), help="First office day (YYYY-MM-DD).")
@click.option("--to", "until", type=click.DateTime(["%Y-%m-%d"]), help="Last office day, inclusive.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
def export_decisions(obj: Context, since, until, fmt: str) -> None:
    """One row per decision: submission, action, actor, at, reason_code, reason."""
    from bakso_tui.domain import exports

    settings = obj.settings()
    db = open_db(settings)
    with db.read() as session:
        exports.write(
            exports.decisions(session, since=since.date() if since else None,
                              until=until.date() if until else None),
            sys.stdout,
            fmt,
        )


# --------------------------------------------------------------------- audit


@cli.group("audit")
def audit_group() -> None:
    """The append-only audit log."""


@audit_group.command("verify")
@common
def audit_verify(obj: Context) -> None:
    """Check the audit log's hash chain; name the first broken row."""
    from bakso_tui.domain import audit

    settings = obj.settings()
    db = open_db(settings)
    with db.read() as session:
        result = audit.verify(session)
    if result.ok:
        click.echo(t("cli.audit_ok", count=result.count, last=result.last_hash))
        return
    fail(
        t(f"cli.audit_broken_{result.problem}", id=result.first_bad_id, count=result.count),
        EXIT_REFUSED,
    )


def main() -> None:
    try:
        cli.main(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)
