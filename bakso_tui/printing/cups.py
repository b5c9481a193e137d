"""Printing through the system's print service (CUPS), with its own command-line tools.

A batch is sent with ``lp -d PRINTER -t TITLE FILE`` and then watched (one
IPP request, `ipp.py`) until CUPS says the job completed: a job its backend
cancelled or aborted has ended too, and is a failure. Anything else is a
`PrintError` with one line a person can act on: ``lp`` is not installed, the
print service does not answer, the printer does not exist, or the job did not
complete (the printer stopped on it, or it was still waiting when the time ran
out; such a job is cancelled, so that it cannot come out later behind a batch
that the office believes unprinted). CUPS is found as every CUPS client finds
it: ``CUPS_SERVER`` in the environment, else the system's default.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bakso_tui.locale import t
from bakso_tui.printing.ipp import IppError, job_state

_REQUEST = re.compile(r"request id is (\S+)")


class PrintError(Exception):
    """The print service did not print the file; the message is one line."""


@dataclass(frozen=True)
class PrintJob:
    printer: str
    job: str  # CUPS's request id, e.g. "PDF-12"


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise PrintError(t("printing.no_answer", command=args[0])) from None
    except OSError as exc:
        raise PrintError(t("printing.cannot_run", command=args[0], reason=exc.strerror)) from None


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise PrintError(t("printing.no_cups", command=name))
    return found


def printer_problem(printer: str, *, timeout: float = 10) -> str | None:
    """Why `printer` cannot take a job now (None when it can)."""
    lpstat = _tool("lpstat")
    running = _run([lpstat, "-r"], timeout)
    if running.returncode != 0 or "not running" in running.stdout:
        server = os.environ.get("CUPS_SERVER") or t("printing.default_server")
        return t("printing.not_running", server=server)
    out = _run([lpstat, "-p", printer], timeout)
    if out.returncode != 0:
        return t("printing.unknown_printer", printer=printer)
    if "disabled" in out.stdout:
        return t("printing.stopped", printer=printer, detail=_first_line(
            "\n".join(out.stdout.splitlines()[1:])) or _first_line(out.stdout))
    return None


def print_file(path: Path, printer: str, *, title: str, timeout: float = 120,
               poll: float = 0.25) -> PrintJob:
    """Send `path` to `printer` and wait until CUPS has completed the job."""
    lp = _tool("lp")
    problem = printer_problem(printer)
    if problem is not None:
        raise PrintError(problem)
    sent = _run([lp, "-d", printer, "-t", title, "--", str(path)], timeout=30)
    if sent.returncode != 0:
        raise PrintError(_first_line(sent.stderr) or _first_line(sent.stdout)
                         or t("printing.lp_failed", code=sent.returncode))
    found = _REQUEST.search(sent.stdout)
    if found is None:
        raise PrintError(t("printing.no_job", output=_first_line(sent.stdout)))
    job = found.group(1)
    number = int(job.rsplit("-", 1)[1])
    deadline = time.monotonic() + timeout
    while True:
        try:
            state = job_state(number)
        except IppError as exc:
            raise PrintError(t("printing.no_state", job=job, reason=str(exc))) from None
        if state.state == "completed":
            return PrintJob(printer, job)
        if state.ended:
            raise PrintError(t("printing.job_failed", job=job, state=state.state,
                               reasons=", ".join(state.reasons) or "-"))
        problem = printer_problem(printer)
        if problem is not None or time.monotonic() > deadline:
            _run([_tool("cancel"), job], timeout=10)
            raise PrintError(problem or t("printing.timeout", job=job, seconds=int(timeout)))
        time.sleep(poll)
