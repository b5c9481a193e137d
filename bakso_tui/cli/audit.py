"""`bakso audit …`: the append-only audit log and its anchors outside the database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from bakso_tui.cli.context import CliEnv, EXIT_REFUSED, EXIT_USAGE, echo, env_command, fail
from bakso_tui.domain import audit
from bakso_tui.locale import t


@click.group("audit")
def audit_group() -> None:
    """The append-only audit log."""


@env_command("verify", audit_group)
@click.option("--anchor", "anchor_files", multiple=True, type=click.Path(path_type=Path))
def audit_verify(env: CliEnv, anchor_files: tuple[Path, ...]) -> None:
    """Check the audit log's hash chain (and its anchors); name the first broken row."""
    anchors = []
    for path in anchor_files:
        try:
            anchors += audit.read_anchors(path)
        except OSError as exc:
            fail(t("cli.cannot_read", path=str(path), detail=exc.strerror or str(exc)), EXIT_USAGE)
        except audit.AnchorFileError as exc:
            fail(t("cli.anchor_file_bad", path=str(exc.path), line=exc.number), EXIT_USAGE)
    with env.database().read() as session:
        result = audit.verify(session, anchors)
    if result.ok:
        echo(t("cli.audit_ok", count=result.count, last=result.last_hash))
        if anchors:
            echo(t("cli.audit_anchors_ok", anchors=len(anchors)))
        return
    anchor = result.anchor
    fail(
        t(f"cli.audit_broken_{result.problem}", id=result.first_bad_id, count=result.count,
          anchor_count=anchor.count if anchor else 0,
          anchor_at=anchor.at.isoformat(timespec="seconds") if anchor else ""),
        EXIT_REFUSED,
    )


@env_command("anchor", audit_group)
@click.option("--out", "out", type=click.Path(path_type=Path))
def audit_anchor(env: CliEnv, out: Path | None) -> None:
    """Append the chain's head (time, count, hash) to the anchor file and print it."""
    path = out or env.settings.resolved_anchor_file()
    with env.database().read() as session:
        anchor = audit.current_anchor(session, datetime.now(UTC).astimezone())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        audit.append_anchor(path, anchor)
    except OSError as exc:
        fail(t("cli.cannot_write", path=str(path), detail=exc.strerror or str(exc)), EXIT_USAGE)
    echo(t("cli.anchor_written", line=anchor.line(), path=str(path)))
