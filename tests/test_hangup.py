"""Leaving releases: a real `bakso` under a pseudo-terminal, holding a claim, is
hung up (SIGHUP), terminated (SIGTERM), loses its terminal without a signal
(the SSH connection dropped and the terminal went with it), or is killed.

Each time but the kill, the claim is free within seconds, the process is
gone, and it did not spin a core on the way out. A killed session's claim is
free once its lease ends.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select as io_select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select as sql_select  # `select` is the system call's module here

from bakso_tui.db.models import Submission
from bakso_tui.db.types import utcnow
from bakso_tui.demo.bulk import bulk_seed
from bakso_tui.domain import claims, users

#: CPU seconds the program may use from the fault to its end (releasing,
#: closing the database). A spinning input loop burns one second per second.
CPU_BUDGET = 1.0
STARTUP = 60.0  # seconds to wait for the TUI to claim (a busy test machine)


@pytest.fixture
def office(pg_db):
    bulk_seed(pg_db, 5)
    with pg_db.write() as s:
        me = users.add_user(s, users.cli_actor(), login=users.os_login(), name="Petugas Uji",
                            role="verifier")
        users.add_user(s, users.cli_actor(), login="verif2", name="Verif Dua", role="verifier")
    return pg_db, me


def _env(db) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(BAKSO_DATABASE_URL=db.url, TERM="xterm-256color", COLUMNS="100", LINES="30")
    return env


def _command() -> list[str]:
    return [sys.executable, "-m", "bakso_tui"]


class Terminal:
    """The test's side of a pseudo-terminal: keeps reading so the program never blocks.

    The reader waits with a timeout rather than in a blocking read: a thread
    blocked in read() holds the file open, so closing the master would not
    hang the terminal up until the program wrote again.
    """

    def __init__(self, master: int) -> None:
        self.master = master
        self.output = bytearray()
        self.closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self.closed:
            ready, _, _ = io_select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.output += data

    def send(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._reader.join()
            os.close(self.master)


def _claimed(db, login: str) -> list[int]:
    with db.read() as s:
        holder = users.get_user(s, login).id
        return list(s.scalars(sql_select(Submission.id).where(
            Submission.state == "diverifikasi", Submission.claim_holder_id == holder)))


def _wait_claim(db, login: str, term: Terminal, pid: int) -> int:
    deadline = time.monotonic() + STARTUP
    pressed = 0.0
    while time.monotonic() < deadline:
        held = _claimed(db, login)
        if held:
            return held[0]
        if time.monotonic() - pressed > 3:
            term.send(b"n")  # "claim the next": harmless until the queue is up
            pressed = time.monotonic()
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    raise AssertionError(f"the TUI never claimed; it wrote: {bytes(term.output[-2000:])!r}")


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_gone(pid: int, seconds: float = 15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.wait4(pid, 0)
    raise AssertionError(f"the process was still there {seconds} s after the fault")


def _size(fd: int, rows: int = 30, columns: int = 100) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def _start_with_controlling_terminal(db, *, sized: bool = True) -> tuple[int, Terminal]:
    pid, master = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal, as under sshd
        if sized:
            _size(0)
        os.execve(sys.executable, _command(), _env(db))
    return pid, Terminal(master)


def _free_within(db, submission_id: int, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        with db.read() as s:
            if s.get(Submission, submission_id).state == "diajukan":
                return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"submission {submission_id} still claimed after {seconds} s")


@pytest.mark.parametrize("fault", ["sighup", "sigterm", "close-terminal", "sighup-unsized"])
def test_a_session_that_ends_releases_its_claim_at_once(office, fault):
    """("unsized": a terminal that reports 0x0, which once ended the program at start.)"""
    db, me = office
    pid, term = _start_with_controlling_terminal(db, sized=fault != "sighup-unsized")
    try:
        held = _wait_claim(db, me.login, term, pid)
        cpu_before = _cpu_seconds(pid)
        fault_at = time.monotonic()
        if fault.startswith("sighup"):
            os.kill(pid, signal.SIGHUP)
        elif fault == "sigterm":
            os.kill(pid, signal.SIGTERM)
        else:
            term.close()  # the SSH connection dropped: the kernel hangs the terminal up
        freed = _free_within(db, held, 5.0)
        status, usage = _wait_gone(pid)
        gone = time.monotonic() - fault_at
    finally:
        term.close()
    cpu_after = usage.ru_utime + usage.ru_stime - cpu_before
    print(f"{fault}: claim free after {freed:.2f} s, process gone after {gone:.2f} s, "
          f"{cpu_after:.2f} CPU s on the way out, status {status}")
    assert cpu_after < CPU_BUDGET
    assert not _claimed(db, me.login)


def test_a_terminal_gone_without_a_signal_is_noticed(office):
    """No SIGHUP reaches the program (the terminal is not its controlling one):
    reading it gives end-of-file for ever, on which Textual would spin. The
    program notices the terminal is gone, releases and ends."""
    db, me = office
    master, slave = os.openpty()
    _size(slave)
    proc = subprocess.Popen(_command(), stdin=slave, stdout=slave, stderr=slave, env=_env(db),
                            start_new_session=True, close_fds=True)
    os.close(slave)
    term = Terminal(master)
    try:
        held = _wait_claim(db, me.login, term, proc.pid)
        cpu_before = _cpu_seconds(proc.pid)
        term.close()
        freed = _free_within(db, held, 5.0)
        status, usage = _wait_gone(proc.pid)
        proc.returncode = status
    finally:
        term.close()
    cpu_after = usage.ru_utime + usage.ru_stime - cpu_before
    print(f"no signal: claim free after {freed:.2f} s, {cpu_after:.2f} CPU s on the way out")
    assert cpu_after < CPU_BUDGET  # (Textual spins on end of file until the next check)


def test_a_killed_session_keeps_its_claim_until_the_lease_ends(office):
    db, me = office
    pid, term = _start_with_controlling_terminal(db)
    try:
        held = _wait_claim(db, me.login, term, pid)
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid)
    finally:
        term.close()
    with db.read() as s:
        verif2 = users.get_user(s, "verif2")
        lease_end = s.get(Submission, held).claim_expires_at
    actor = users.Actor(login="verif2", role="verifier", id=verif2.id)
    with pytest.raises(claims.ClaimError), db.write() as s:
        claims.claim(s, actor, submission_id=held, now=utcnow())
    with db.write() as s:
        taken = claims.claim(s, actor, submission_id=held, now=lease_end + timedelta(seconds=1))
    assert taken.submission_id == held


def test_an_app_that_ends_with_an_error_releases_its_claims(office, monkeypatch):
    """Whatever ends the app (here an error inside it), `bakso` gives its claims back."""
    from click.testing import CliRunner

    from bakso_tui.app import BaksoApp
    from bakso_tui.cli import cli

    db, me = office
    taken: list[int] = []

    def run_and_fail(app: BaksoApp) -> None:
        claim = claims.claim_next(app.db, app.actor)
        app.hold(claim)
        taken.append(claim.submission_id)
        raise RuntimeError("a bug")

    monkeypatch.setattr(BaksoApp, "run", run_and_fail)
    result = CliRunner().invoke(cli, ["--db", db.url])
    assert isinstance(result.exception, RuntimeError)
    assert taken and not _claimed(db, me.login)
