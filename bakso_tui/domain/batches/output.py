"""Batch PDFs on disk, and batches on paper.

`write_pdfs` draws each batch's PDF (the handover record and its receipts)
into a folder, in worker processes when there are several (reportlab draws
on one core; a day's 254 villages take two); `PdfPipeline` does the same
while the batches are still being closed. `print_batch` sends one batch's
PDF to a CUPS printer and, only once CUPS says the job completed, marks the
batch and its documents printed (``dicetak``): a missing printer, a stopped
print service or a failed job leaves the batch as it was.
"""

from __future__ import annotations

import multiprocessing
import tempfile
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bakso_tui.config import Settings
from bakso_tui.db.engine import Database
from bakso_tui.domain.batches.core import BatchError
from bakso_tui.domain.batches.handover import mark_printed
from bakso_tui.domain.batches.sheet import build_sheet
from bakso_tui.domain.users import Actor, Permission, require
from bakso_tui.files import private_dir
from bakso_tui.locale import t
from bakso_tui.printing.cups import PrintError, PrintJob, print_file
from bakso_tui.printing.pdf import write_batch_pdf


def check_writable(folder: Path) -> None:
    """Refuse a folder the PDFs cannot be written to (before any batch is closed)."""
    try:
        private_dir(folder)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".bakso-", delete=True):
            pass
    except OSError as exc:
        raise BatchError(t("batch.out_not_writable", path=str(folder),
                           reason=exc.strerror or str(exc))) from None


class PdfPipeline:
    """Batch PDFs drawn by worker processes while the caller goes on (closing the next
    village's batch waits on the database; drawing needs the CPU).

    ``add(number)`` reads the batch's sheet now and hands it to a worker;
    ``finish()`` waits for every PDF and returns {number: path}. One worker, or
    one batch, draws in this process.
    """

    def __init__(self, db: Database, folder: Path, settings: Settings, *,
                 workers: int | None = None) -> None:
        self.db, self.folder, self.settings = db, folder, settings
        self.workers = workers or settings.batches.pdf_workers
        self._pool: ProcessPoolExecutor | None = None
        self._jobs: dict[str, Future | str] = {}
        private_dir(folder)

    def __enter__(self) -> PdfPipeline:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=exc[0] is not None)

    def add(self, number: str) -> None:
        with self.db.read() as session:
            sheet = build_sheet(session, number, self.settings)
        if self.workers <= 1:
            self._jobs[number] = write_batch_pdf(sheet, str(self.folder))
            return
        if self._pool is None:
            # A fork server, not a fork of this process: the daemon runs jobs in
            # threads, and a fork taken while another thread holds a lock inherits it.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["bakso_tui.printing.pdf"])
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        self._jobs[number] = self._pool.submit(write_batch_pdf, sheet, str(self.folder))

    def finish(self) -> dict[str, Path]:
        return {n: Path(j if isinstance(j, str) else j.result()) for n, j in self._jobs.items()}


def write_pdfs(db: Database, numbers: Iterable[str], folder: Path, settings: Settings, *,
               workers: int | None = None) -> dict[str, Path]:
    """Draw each batch's PDF into `folder`; returns {number: path}."""
    numbers = list(numbers)
    with PdfPipeline(db, folder, settings,
                     workers=min(workers or settings.batches.pdf_workers, len(numbers))
                     ) as pipeline:
        for number in numbers:
            pipeline.add(number)
        return pipeline.finish()


@dataclass(frozen=True)
class Printed:
    number: str
    path: Path
    job: PrintJob
    first_print: bool  # False for a reprint


def print_batch(db: Database, actor: Actor, number: str, printer: str, folder: Path,
                settings: Settings) -> Printed:
    """Draw (again) and print batch `number`; raises BatchError with one line on failure."""
    require(actor, Permission.BATCH)
    path = write_pdfs(db, [number], folder, settings, workers=1)[number]
    try:
        job = print_file(path, printer, title=number)
    except PrintError as exc:
        raise BatchError(t("batch.print_failed", number=number, reason=str(exc))) from None
    with db.write() as session:
        first = mark_printed(session, actor, number, printer=f"{printer} ({job.job})")
    return Printed(number, path, job, first)
