"""`bakso batch …`: issuance batches: close, list, print, hand over, receive, verify.

Every change is made as ``cli:<system login>`` and audited. A batch's PDF
(handover record and receipts) goes to ``--out``, else the ``[batches]
directory`` setting, else ``<data dir>/batches``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from sqlalchemy.exc import DBAPIError

from bakso_tui.cli.context import (
    EXIT_REFUSED,
    EXIT_USAGE,
    OFFICE_DATE,
    CliEnv,
    day_text,
    echo,
    env_command,
    fail,
    json_option,
    print_table,
)
from bakso_tui.config import batch_dir
from bakso_tui.domain import batches
from bakso_tui.domain.batches.output import PdfPipeline, check_writable, print_batch
from bakso_tui.domain.users import cli_actor
from bakso_tui.locale import t
from bakso_tui.locale.plain import dumps

MAX_VERIFY_BYTES = 50 * 1024 * 1024


def _printer(env: CliEnv, given: str | None) -> str:
    printer = given or env.settings.printer
    if not printer:
        fail(t("batch.no_printer"), EXIT_USAGE)
    return printer


@click.group("batch")
def batch_group() -> None:
    """Issuance batches: close, print, hand over, receive, verify."""


@env_command("close", batch_group)
@click.option("--date", "day", type=OFFICE_DATE)
@click.option("--village", metavar="CODE")
@click.option("--out", "out", type=click.Path(path_type=Path))
@click.option("--print", "to_print", is_flag=True)
@click.option("--printer", metavar="NAME")
def batch_close(env: CliEnv, day: date | None, village: str | None, out: Path | None,
                to_print: bool, printer: str | None) -> None:
    """Put the ready documents into one batch per village for the day (idempotent)."""
    from bakso_tui.printing.cups import PrintError, printer_problem

    office_day = day
    settings = env.settings
    folder = out or batch_dir(settings)
    name = _printer(env, printer) if to_print else None
    db = env.database()
    check_writable(folder)  # before any batch is closed
    if name is not None:
        try:
            problem = printer_problem(name)
        except PrintError as exc:
            problem = str(exc)
        if problem:
            fail(problem, EXIT_REFUSED)

    def closed_one(c) -> None:
        echo(t("batch.closed_line", number=c.number, documents=c.documents, added=c.added,
                     new=t("batch.closed_new") if c.new else ""))
        pdfs.add(c.number)  # drawn by a worker while the next village closes

    with PdfPipeline(db, folder, settings) as pdfs:
        try:
            closed = batches.close_batches(db, cli_actor(), day=office_day, village=village,
                                           handover_days=settings.batches.handover_days,
                                           on_closed=closed_one)
        except DBAPIError as exc:  # whole batches stay closed; the next run completes them
            fail(t("batch.db_dropped", reason=str(exc.orig or exc).strip().splitlines()[0]),
                 EXIT_USAGE)
        paths = pdfs.finish()
    if not closed:
        echo(t("batch.nothing_ready"))
        return
    for path in paths.values():
        echo(t("batch.pdf_written", path=str(path)))
    if name is not None:
        failed = _print_all(env, [c.number for c in closed], name, folder)
        if failed:
            raise SystemExit(EXIT_REFUSED)


def _print_all(env: CliEnv, numbers: list[str], printer: str, folder: Path) -> int:
    failed = 0
    db = env.database()
    for number in numbers:
        try:
            done = print_batch(db, cli_actor(), number, printer, folder, env.settings)
        except batches.BatchError as exc:
            echo(f"bakso: {exc}", err=True)
            failed += 1
            continue
        echo(t("batch.printed_line", number=number, printer=printer, job=done.job.job))
    return failed


@env_command("print", batch_group)
@click.argument("numbers", nargs=-1)
@click.option("--printer", metavar="NAME")
@click.option("--out", "out", type=click.Path(path_type=Path))
def batch_print(env: CliEnv, numbers: tuple[str, ...], printer: str | None,
                out: Path | None) -> None:
    """Print batches (by number; without one, every closed batch not yet printed)."""
    name = _printer(env, printer)
    folder = out or batch_dir(env.settings)
    check_writable(folder)
    wanted = list(numbers)
    if not wanted:
        with env.database().read() as session:
            wanted = [b.number for b in batches.iter_batches(
                session, batches.BatchFilter(state=batches.BatchState.CLOSED.value))]
        if not wanted:
            echo(t("batch.none_listed"))
            return
    if _print_all(env, wanted, name, folder):
        raise SystemExit(EXIT_REFUSED)


@env_command("list", batch_group)
@click.option("--date", "day", type=OFFICE_DATE)
@click.option("--village", metavar="CODE")
@click.option("--state", type=click.Choice([s.value for s in batches.BatchState]))
@json_option
def batch_list(env: CliEnv, day: date | None, village: str | None, state: str | None,
               as_json: bool) -> None:
    """The batches, newest day first, then by village."""
    filters = batches.BatchFilter(day=day, village_code=village, state=state)
    with env.database().read() as session:
        rows = list(batches.iter_batches(session, filters))
    if as_json:
        echo(dumps([r.as_json() for r in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        echo(t("batch.none_listed"))
        return
    print_table(
        (t("batch.col_number"), t("batch.col_village"), t("batch.col_date"),
         t("batch.col_documents"), t("batch.col_state"), t("batch.col_received_by")),
        [(r.number, r.village_name, day_text(r.office_day), str(r.documents),
          r.state + (f" ({t('batch.overdue_mark')})" if r.overdue else ""),
          r.received_by or "") for r in rows],
    )


@env_command("handover", batch_group)
@click.argument("number")
@click.option("--to", "name", required=True)
@click.option("--position", required=True)
@click.option("--id-number", "nik", required=True, metavar="NIK")
@click.option("--on", "on", type=OFFICE_DATE)
@click.option("--place", type=click.Choice(["service-day", "office"]))
def batch_handover(env: CliEnv, number: str, name: str, position: str, nik: str,
                   on: date | None, place: str | None) -> None:
    """Record that the village received a printed batch (the recipient's identity)."""
    where = batches.Place(place.replace("-", "_")) if place else None
    with env.database().write() as session:
        batch = batches.handover(session, cli_actor(), number,
                                 batches.Recipient(name, position, nik), on=on,
                                 place=where)
        line = t("batch.handed_over", number=batch.number, name=batch.recipient_name,
                 position=batch.recipient_position, day=day_text(batch.handed_over_on),
                 place=t(f"batch.place_{batch.handover_place}"))
    echo(line)


@env_command("received", batch_group)
@click.argument("number")
@click.option("--all", "everything", is_flag=True)
@click.option("--nik", "niks", multiple=True, metavar="NIK")
def batch_received(env: CliEnv, number: str, everything: bool, niks: tuple[str, ...]) -> None:
    """Record that residents received their documents (diterima)."""
    with env.database().write() as session:
        receipt = batches.received(session, cli_actor(), number, niks=list(niks),
                                   everything=everything)
    if receipt.done:
        echo(t("batch.received_done", number=number))
    else:
        echo(t("batch.received_line", number=number, received=receipt.received,
                     remaining=receipt.remaining))


@env_command("verify", batch_group)
@click.argument("code_or_file")
def batch_verify(env: CliEnv, code_or_file: str) -> None:
    """Check a printed batch: its QR code's text, or the PDF file."""
    from bakso_tui.printing.pdf import pdf_pages_text

    path = Path(code_or_file)
    db = env.database()
    with db.read() as session:
        if path.is_file():
            try:
                if path.stat().st_size > MAX_VERIFY_BYTES:
                    raise ValueError("too large")
                pages = pdf_pages_text(path.read_bytes())
            except Exception:  # noqa: BLE001 - any unreadable file is "not a batch"
                fail(t("batch.verify_not_a_batch", file=str(path)), EXIT_REFUSED)
            verdict = batches.verify_pages(session, pages, str(path))
        else:
            verdict = batches.verify_payload(session, code_or_file)
    if not verdict.ok:
        fail(verdict.reason, EXIT_REFUSED)
    echo(t("batch.verify_ok", number=verdict.number, documents=verdict.documents))
