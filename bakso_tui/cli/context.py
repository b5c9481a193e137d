"""What every command shares: its options, settings, the database, and the exit codes.

A command is written as ``@env_command("name", group)`` and receives a
:class:`CliEnv`. The environment loads the settings once (flags > environment >
file > defaults), opens the database on request, and :func:`exit_codes` turns
the rules' refusals into the contract's exit codes in this one place:

- 0: success;
- 1: some input refused (:class:`~bakso_tui.errors.Refusal`), each with its reason;
- 2: usage or configuration (:class:`~bakso_tui.errors.SetupError`): a bad URL,
  an unreachable server, an old schema, a broken config file.

Every message is one line on standard error, translated, never a traceback.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from bakso_tui.config import ConfigError, Settings, data_dir, load_settings
from bakso_tui.db.errors import DatabaseError
from bakso_tui.errors import Refusal, SetupError
from bakso_tui.locale import set_language, t
from bakso_tui.locale.plain import terminal_text, visible

if TYPE_CHECKING:  # SQLAlchemy: when a command opens the database, not as `bakso` starts
    from bakso_tui.db.engine import Database

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2

# Each option is declared once and used wherever it applies. Help texts of
# every option and command are in locale/<lang>/help.toml (bakso_tui.cli.i18n).
db_option = click.option("--db", "db_url", metavar="URL")
lang_option = click.option("--lang", type=click.Choice(["id", "en"]))
user_option = click.option("--user", "login", metavar="LOGIN")
#: `bakso tui --cold`: start in this process and leave warm parents alone (bakso_tui/warm).
cold_option = click.option("--cold", is_flag=True)
json_option = click.option("--json", "as_json", is_flag=True)


class OfficeDate(click.ParamType):
    """A day as the screens write it (29-11-2026) or as ISO 8601 (2026-11-29)."""

    name = "date"
    FORMATS = ("%d-%m-%Y", "%Y-%m-%d")

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return t("cli.date_metavar")

    def convert(self, value, param, ctx) -> date:
        if isinstance(value, date):
            return value
        for fmt in self.FORMATS:
            try:
                return datetime.strptime(str(value).strip(), fmt).date()
            except ValueError:
                continue
        self.fail(t("cli.bad_date", value=value), param, ctx)


OFFICE_DATE = OfficeDate()


def day_text(day: date) -> str:
    """A day as the command line writes it for a person: as the screens do, 29-11-2026
    (JSON output keeps ISO 8601)."""
    return day.strftime("%d-%m-%Y")


def check_range(since: date | None, until: date | None, names: str = "--from/--to") -> None:
    """A range whose start is after its end is a usage error (exit 2), in one line."""
    if since is not None and until is not None and since > until:
        raise click.UsageError(t("cli.range_backwards", names=names, since=day_text(since),
                                 until=day_text(until)))


def echo(message: object = "", **options) -> None:
    """``click.echo`` for lines that may quote a value from a resident, a village or
    a file: no control character of it reaches the terminal (shown escaped)."""
    click.echo(terminal_text(message), **options)


def new_password() -> str:
    """A new password: asked twice, unseen, on a terminal; from a script, the first
    line of standard input (no echo to hide, so no warning about it)."""
    if sys.stdin.isatty():
        return click.prompt(t("cli.new_password"), hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Say `message` in one line on standard error and exit with `code`."""
    echo(f"bakso: {message}", err=True)
    sys.exit(code)


@contextmanager
def exit_codes() -> Iterator[None]:
    """Refusals exit 1, set-up problems exit 2, each as its one line."""
    try:
        yield
    except Refusal as exc:
        fail(str(exc), EXIT_REFUSED)
    except SetupError as exc:
        fail(str(exc), EXIT_USAGE)


@dataclass
class CliEnv:
    """The command's view of the world: flags given, settings, database."""

    db_url: str | None = None
    lang: str | None = None
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        """Loaded on first use; a broken config file exits 2 naming the key."""
        if self._settings is None:
            try:
                self._settings = load_settings(database_url=self.db_url, lang=self.lang)
            except ConfigError as exc:
                fail(t("cli.config_error", error=str(exc)))
            set_language(self._settings.lang)
        return self._settings

    def database(self, *, need_schema: bool = True) -> Database:
        """Connect, or exit 2 in one line: bad URL, unreachable server, old schema.

        With ``need_schema=False`` (commands that create or upgrade the schema)
        an SQLite file that does not exist yet is allowed.
        """
        try:
            return self.open_database(need_schema=need_schema)
        except DatabaseError as exc:
            fail(str(exc))

    def open_database(self, *, need_schema: bool = True) -> Database:
        """:meth:`database`, raising :class:`DatabaseError` instead of exiting (the
        TUI opens it in a worker, after its first frame)."""
        from bakso_tui.db import migrate  # Alembic: only for commands that open a database
        from bakso_tui.db.engine import Database

        db = Database(self.settings.resolved_database_url())
        try:
            path = db.sqlite_path()
            if need_schema and path is not None and not path.exists():
                raise DatabaseError(_no_database(path))
            db.check()
            if need_schema and not migrate.is_current(db):
                raise DatabaseError(t("db.not_upgraded", url=db.safe_url))
            if need_schema:
                db.ensure_statistics()
        except BaseException:
            db.dispose()
            raise
        return db


def demo_database_url() -> str:
    """Where `bakso demo` keeps its database when no --db is given."""
    return f"sqlite:///{data_dir() / 'demo.sqlite3'}"


def _no_database(path: Path) -> str:
    """No database file: say how to make one, and where the demo's is if there is one."""
    demo = data_dir() / "demo.sqlite3"
    if demo.exists() and demo != path:
        return t("db.no_file_demo", path=str(path), demo_url=demo_database_url())
    return t("db.no_file", path=str(path))


def env_command(
    name: str, group: click.Group | None = None, **attrs
) -> Callable[[Callable], click.Command]:
    """`func(env, …)` as the command `name` (of `group`, if given) with ``--db`` and ``--lang``.

    The options may also stand before the command (``bakso --db URL users
    list``); given here they win. Refusals and set-up errors become exit codes
    through :func:`exit_codes`.
    """

    def decorate(func: Callable) -> click.Command:
        @db_option
        @lang_option
        @click.pass_obj
        @wraps(func)
        def wrapper(env: CliEnv, db_url: str | None, lang: str | None, *args, **kwargs):
            if name != "tui":
                gc.enable()  # off while `bakso` started (bakso_tui/__main__.py); the TUI's comes later
            env.db_url = db_url or env.db_url
            env.lang = lang or env.lang
            with exit_codes():
                return func(env, *args, **kwargs)

        make = group.command if group is not None else click.command
        return make(name, **attrs)(wrapper)

    return decorate


def progress(label: str, total: int):
    """A progress bar on standard error (click draws nothing when it is not a terminal)."""
    return click.progressbar(length=total, label=label, file=sys.stderr)


def print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Columns padded to their widest cell, two spaces apart; every cell as plain,
    escaped text (names and villages come from outside)."""
    header = tuple(visible(v) for v in header)
    rows = [tuple(visible(v) for v in row) for row in rows]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
