r"""`bakso intake` (village packages) and `bakso inspect` (one attachment, as the viewer sees it).

What a package holds is hostile text: every value printed from it (its name,
the reasons that quote it) goes through :func:`~bakso_tui.locale.plain.visible`,
so an escape sequence or a bidi override is shown as ``\x1b`` or ``\u202e``,
never acted on by the terminal. ``--json`` writes ASCII only (JSON's own
``\u`` escapes), so the same holds for it while parsers read the exact values.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bakso_tui.attachments.inspect import inspect_bytes
from bakso_tui.cli.context import (
    CliEnv,
    EXIT_OK,
    EXIT_REFUSED,
    echo,
    env_command,
    fail,
    json_option,
    progress,
)
from bakso_tui.domain.intake import Intake, IntakeResult
from bakso_tui.locale import t
from bakso_tui.locale.plain import dumps, visible


@env_command("intake")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@json_option
def intake_cmd(env: CliEnv, paths: tuple[Path, ...], as_json: bool) -> None:
    """Ingest submission packages (folders or .zip files).

    One result per package, in the order given, printed as soon as it is known:
    accepted, duplicate, quarantined (with its reasons) or failed (nothing
    stored; run again). Exit 0 when every package was accepted or a duplicate,
    1 when any was quarantined or failed.
    """
    intake = Intake(env.database(), env.settings)
    counts = dict.fromkeys(("accepted", "duplicate", "quarantined", "failed"), 0)
    bar = progress(t("cli.intake_progress"), len(paths)) if len(paths) > 1 and sys.stderr.isatty() else None
    try:
        for result in intake.intake_many(paths):
            counts[result.status] += 1
            if as_json:
                echo(dumps(result.as_json(), ensure_ascii=True))
            else:
                echo(_intake_line(result))
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.render_finish()
    if not as_json and len(paths) > 1:
        echo(t("cli.intake_summary", total=len(paths), **counts), err=True)
    sys.exit(EXIT_REFUSED if counts["quarantined"] or counts["failed"] else EXIT_OK)


def _intake_line(result: IntakeResult) -> str:
    label = t(f"cli.intake_{result.status}")
    head = f"{visible(result.package)}: {label}"
    if result.submission:
        head += f" {visible(result.submission)}"
    if result.flags:
        head += " [" + ", ".join(result.flags) + "]"
    return "\n".join([head, *(f"  - {visible(m)}" for m in result.messages())])


@env_command("inspect")
@click.argument("file", type=click.Path(path_type=Path))
@json_option
def inspect_cmd(env: CliEnv, file: Path, as_json: bool) -> None:
    """Inspect one attachment as the viewer would (type, pages, encryption, images, text)."""
    att = env.settings.attachments
    try:
        with file.open("rb") as handle:
            data = handle.read(att.max_file_bytes + 1)  # one byte over the bound is enough to refuse
    except OSError as exc:
        fail(t("cli.cannot_read", path=str(file), detail=exc.strerror or str(exc)), EXIT_REFUSED)
    result = inspect_bytes(data, str(file), att.file_limits())
    if as_json:
        echo(dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        echo(t("cli.inspect_head", path=str(file), media_type=result.media_type or "?",
                     size=result.size, pages=result.pages))
        if result.encrypted:
            echo("  " + t("cli.inspect_encrypted"))
        for page in result.page_info:
            images = ", ".join(f"{i['width']}×{i['height']} ({i['dpi']} dpi)" for i in page.images)
            echo("  " + t("cli.inspect_page", number=page.number, width=page.width_pt,
                                height=page.height_pt, images=images or "-",
                                chars=len(page.text)))
        for problem in result.problems:
            echo(f"  ! {problem.message()}")
    sys.exit(EXIT_OK if result.ok else EXIT_REFUSED)
