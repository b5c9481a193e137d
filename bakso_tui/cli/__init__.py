"""The `bakso` command line: one module per command group, loaded when it is used.

The root group knows each command by name and the module that defines it
(:data:`COMMANDS`); a module is imported only when its command runs (or
``--help`` lists them all), so ``bakso`` opens the TUI without loading the
intake, export or demo code. Every command is written with
:func:`bakso_tui.cli.context.env_command`, which gives it ``--db`` and
``--lang``, its settings and database, and the exit codes (0 success, 1 some
input refused, 2 usage or configuration) in one place.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import click

from bakso_tui import __version__
from bakso_tui.cli import i18n
from bakso_tui.cli.context import (EXIT_USAGE, CliEnv, cold_option, db_option, lang_option,
                                   user_option)
from bakso_tui.files import private_umask
from bakso_tui.locale import t

#: Command name → "module:attribute" under bakso_tui.cli.
COMMANDS = {
    "tui": "tui:tui_cmd",
    "demo": "demo:demo_cmd",
    "seed": "demo:seed_cmd",
    "db": "db:db_group",
    "users": "users:users_group",
    "catalog": "catalog:catalog_group",
    "intake": "intake:intake_cmd",
    "inspect": "intake:inspect_cmd",
    "export": "export:export_group",
    "audit": "audit:audit_group",
    "schedule": "schedule:schedule_group",
    "batch": "batch:batch_group",
    "jobs": "jobs:jobs_group",
}


class RootGroup(click.Group):
    """The `bakso` group: sub-commands imported on first use, in the user's language.

    Lazy loading follows click's documented pattern. :meth:`main` chooses the
    language before the arguments are read (so ``--help`` and click's own
    errors are translated) and says every usage error in one line, exit 2.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, attr = COMMANDS[cmd_name].split(":")
            module = importlib.import_module(f"{__name__}.{module_name}")
            return i18n.translate(getattr(module, attr), cmd_name)
        return super().get_command(ctx, cmd_name)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             standalone_mode: bool = True, **extra):
        args = list(sys.argv[1:] if args is None else args)
        i18n.prepare(args)
        i18n.translate(self, "root")
        if not standalone_mode:
            return super().main(args, prog_name, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name or "bakso", standalone_mode=False, **extra)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "bakso"
            message = " ".join(exc.format_message().split())
            click.echo(t("cli.usage_error", command=where, message=message), err=True)
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            click.echo(f"bakso: {' '.join(exc.format_message().split())}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo(t("cli.aborted"), err=True)
            sys.exit(1)
        sys.exit(code or 0)


@click.group("bakso", cls=RootGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@db_option
@lang_option
@user_option
@cold_option
@click.version_option(__version__, prog_name="bakso")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, lang: str | None, login: str | None,
        cold: bool) -> None:
    """BAKSO back office: the Dukcapil side of village submissions."""
    ctx.obj = CliEnv(db_url=db_url, lang=lang)
    if ctx.invoked_subcommand is None:
        from bakso_tui.cli.tui import run_tui

        run_tui(ctx.obj, login, cold=cold)


def main() -> None:
    private_umask()  # everything written from here on is the user's alone
    try:
        cli.main(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)
