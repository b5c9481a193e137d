"""`bakso tui` through a real OpenSSH server on loopback, set up as docs/ssh.md says.

The rig (tests/ssh_rig.py) starts its own sshd with a throwaway host key; the
client is `ssh -tt` under a pseudo-terminal of 80x24, as a supervisor's laptop.
Over that connection: the queue opens and a claim is taken (`n`); the ssh
client is then killed, as when a laptop's link drops, and the session's
claim is free within seconds and its process on the server is gone without
spinning a core. The app draws in 256 colours when COLORTERM does not reach
it, and in shades of grey only under NO_COLOR.

Without Debian's openssh-server these tests are skipped, and fail with CI=true.
"""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest
from test_hangup import CPU_BUDGET, Terminal, _claimed, _cpu_seconds, _free_within, _size, _wait_claim

from bakso_tui.demo.bulk import bulk_seed
from bakso_tui.domain import users

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
STARTUP = 60.0


@pytest.fixture
def office(pg_db):
    bulk_seed(pg_db, 5)
    with pg_db.write() as s:
        me = users.add_user(s, users.cli_actor(), login=users.os_login(), name="Kepala Seksi",
                            role="verifier")
    return pg_db, me


@pytest.fixture
def ssh_rig(office):
    """Starts a private sshd for the office's database: ``ssh_rig(**options)``."""
    from ssh_rig import SshRig, SshUnavailable

    rigs = []

    def start(**options) -> SshRig:
        root = Path(tempfile.mkdtemp(prefix="bakso-ssh-"))
        rig = SshRig(root, db_url=office[0].url, **options)
        rigs.append(rig)
        try:
            return rig.start()
        except SshUnavailable as exc:
            if IN_CI:
                pytest.fail(f"CI=true and no OpenSSH server for the SSH tests: {exc}", pytrace=False)
            pytest.skip(str(exc))

    yield start
    for rig in rigs:
        rig.stop()
        shutil.rmtree(rig.root, ignore_errors=True)


def _connect(rig, **client_env: str) -> tuple[int, Terminal]:
    """`ssh -tt` under a pseudo-terminal of 80x24 with TERM=xterm-256color."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTEST") and k not in ("COLORTERM", "NO_COLOR")}
    env.update(TERM="xterm-256color", LANG="C.UTF-8", **client_env)
    command = rig.client_command()
    pid, master = pty.fork()
    if pid == 0:
        try:
            _size(0, rows=24, columns=80)
            os.execvpe(command[0], command, env)
        finally:
            os._exit(127)
    return pid, Terminal(master)


def _wait_for(term: Terminal, marker: bytes, pid: int, rig) -> None:
    deadline = time.monotonic() + STARTUP
    while marker not in term.output:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"never saw {marker!r}: {bytes(term.output[-1500:])!r}\n"
                                 f"sshd: {rig.log()[-1500:]}")
        time.sleep(0.05)


def _hang_up(pid: int, term: Terminal) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    term.close()


def _gone_within(pid: int, seconds: float, cpu: float) -> tuple[float, float]:
    """Wait for a process that is not our child to end: the seconds it took, and
    the CPU seconds it had used when last seen (`cpu`, the caller's last reading,
    if it is gone already)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            if state in ("Z", "X"):  # ended, not yet reaped by sshd
                return time.monotonic() - started, cpu
            cpu = _cpu_seconds(pid)
        except (FileNotFoundError, ProcessLookupError):
            return time.monotonic() - started, cpu
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    raise AssertionError(f"the session's process was still there {seconds} s after the cut")


def _wait_idle(pid: int, seconds: float = 30.0) -> float:
    """Wait until the process has used under 20 ms of CPU in half a second (the
    submission it claimed is on screen); its CPU seconds then."""
    deadline = time.monotonic() + seconds
    last = _cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = _cpu_seconds(pid)
        if now - last < 0.02:
            return now
        last = now
    raise AssertionError(f"the session never went idle ({last:.2f} CPU s)")


def _session(rig) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [pid for pid in rig.sessions()
                 if b"bakso" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no bakso under sshd: {rig.log()[-1500:]}")


def test_a_cut_ssh_connection_frees_the_claim_and_ends_the_session(office, ssh_rig):
    db, me = office
    rig = ssh_rig()
    pid, term = _connect(rig)
    try:
        held = _wait_claim(db, me.login, term, pid)  # presses `n` until the claim is taken
        server_side = _session(rig)
        cpu_before = _wait_idle(server_side)
        os.kill(pid, signal.SIGKILL)  # the laptop's link drops: the client is gone at once
        freed = _free_within(db, held, 5.0)
        gone, cpu_at_end = _gone_within(server_side, 15.0, cpu_before)
    finally:
        _hang_up(pid, term)
    print(f"over ssh: claim free {freed:.2f} s after the cut, session gone after {gone:.2f} s, "
          f"{cpu_at_end - cpu_before:.2f} CPU s on the way out")
    assert cpu_at_end - cpu_before < CPU_BUDGET
    assert not _claimed(db, me.login)
    assert "forced-command" in rig.log()  # it was the ForceCommand that ran bakso


SGR = re.compile(rb"\x1b\[([0-9;]*)m")


def _colours(output: bytes) -> tuple[set[int], set[tuple[int, int, int]]]:
    """The 256-palette indices and the 24-bit colours that `output` selects."""
    palette, rgb = set(), set()
    for params in SGR.findall(output):
        codes = [int(p) if p else 0 for p in params.split(b";")]
        i = 0
        while i < len(codes):
            if codes[i] in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                palette.add(codes[i + 2])
                i += 3
            elif codes[i] in (38, 48) and i + 4 < len(codes) and codes[i + 1] == 2:
                rgb.add(tuple(codes[i + 2:i + 5]))
                i += 5
            else:
                i += 1
    return palette, rgb


def _first_screen(rig, **client_env: str) -> bytes:
    pid, term = _connect(rig, **client_env)
    try:
        _wait_for(term, b"BKS-", pid, rig)
        time.sleep(0.5)  # the rest of the frame
        return bytes(term.output)
    finally:
        _hang_up(pid, term)


def test_without_colorterm_the_app_draws_in_256_colours(ssh_rig):
    """sshd passes TERM but not COLORTERM: Textual falls back to the 256-colour palette."""
    output = _first_screen(ssh_rig(colorterm=None))
    palette, rgb = _colours(output)
    assert rgb == set(), "24-bit colours sent to a terminal that did not say it has them"
    assert len(palette) >= 5  # the theme's colours, mapped to the palette
    assert b"BKS-" in output


def test_no_color_draws_in_shades_of_grey(ssh_rig):
    """NO_COLOR (no-color.org), sent by the laptop's ssh (`SendEnv`, accepted by the
    documented `AcceptEnv NO_COLOR`): no hue anywhere, the rows and the cursor still apart."""
    output = _first_screen(ssh_rig(), NO_COLOR="1")
    palette, rgb = _colours(output)
    assert palette == set()
    assert rgb and all(r == g == b for r, g, b in rgb), sorted(rgb)[:10]
    assert len(rgb) >= 3  # greys enough to tell the header, the rows and the cursor apart
    assert b"BKS-" in output
