"""Warm start (bakso_tui/warm): `bakso tui` handed to a warm parent, under a real pseudo-terminal.

Each test has its own runtime folder (XDG_RUNTIME_DIR) and turns warm starts
on (conftest turns them off for every other test). A parent is started as a
cold session would start it (:func:`launch.spawn`); the tests then check that
a session through it shows the first screen, follows a resize, quits with the
right exit code, releases its claims when its terminal hangs up; that a
parent of other code is refused (and ends), that a socket served by another
user gets nothing, and that a parent answers nobody of another user. Every
process of the test's folder is gone at the end (the parent is stopped).
"""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from test_hangup import (CPU_BUDGET, Terminal, _claimed, _cpu_seconds, _env, _free_within, _size,
                         _wait_claim, _wait_gone)
from test_ssh import _hang_up

from bakso_tui import warm
from bakso_tui.demo.bulk import bulk_seed
from bakso_tui.domain import users
from bakso_tui.warm import launch, parent

STARTUP = 60.0
NOBODY = 65534

# One worker runs this file's tests one after another: one of them makes the package
# look newly installed (it moves a module's time), which would make every other
# parent running at that moment refuse its sessions. (`make test` uses --dist loadgroup.)
pytestmark = pytest.mark.xdist_group("warm")


@pytest.fixture
def runtime(monkeypatch):
    """A private runtime folder, warm starts on; at the end no process of it is left."""
    base = Path(tempfile.mkdtemp(prefix="bw-"))  # short: a socket's path has 108 bytes
    os.chmod(base, 0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(base))
    monkeypatch.setenv("BAKSO_WARM", "1")
    yield base
    folder = base / "bakso"
    deadline = time.monotonic() + 15
    while _processes_of(folder) and time.monotonic() < deadline:
        if folder.is_dir():
            parent.stop_all(str(folder))
        time.sleep(0.2)
    left = _processes_of(folder)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(base, ignore_errors=True)
    assert not left, f"processes left behind: {left}"


def _processes_of(folder: Path) -> list[int]:
    """Parents and sessions forked from them: their command line names the folder."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if str(folder).encode() in cmdline and state != "Z":
                found.append(int(entry.name))
    return found


@pytest.fixture
def office(pg_db):
    bulk_seed(pg_db, 5)
    with pg_db.write() as s:
        me = users.add_user(s, users.cli_actor(), login=users.os_login(), name="Petugas Uji",
                            role="verifier")
    return pg_db, me


def _start_parent(runtime: Path) -> tuple[int, Path]:
    """A parent, as a cold session spawns it (no delay); its pid and socket once it serves."""
    assert launch.spawn(15, delay=0.0)
    folder = runtime / "bakso"
    name = warm.key_name(os.environ)
    sock, pidfile = Path(warm.socket_path(str(folder), name)), Path(warm.pid_path(str(folder), name))
    deadline = time.monotonic() + STARTUP
    while not (sock.exists() and pidfile.exists()):
        assert time.monotonic() < deadline, (folder / f"{name}.log").read_text()
        time.sleep(0.05)
    return int(pidfile.read_text()), folder / f"{name}.log"


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _launch(db, **env) -> tuple[int, Terminal]:
    # Without COLUMNS and LINES, which Textual would take for the size at every resize.
    env = {**{k: v for k, v in _env(db).items() if k not in ("COLUMNS", "LINES")}, **env}
    pid, master = pty.fork()
    if pid == 0:  # the pty is its controlling terminal, as under sshd
        _size(0)
        os.execve(sys.executable, [sys.executable, "-m", "bakso_tui"], env)
    return pid, Terminal(master)


def _cut(launcher: int, db, held: int, parent_pid: int, session: int) -> float:
    """Kill the launcher (the link drops): seconds until the claim is free; the
    session gone within 15 s."""
    os.kill(launcher, signal.SIGKILL)
    freed = _free_within(db, held, 5.0)
    deadline = time.monotonic() + 15
    while session in _children(parent_pid):
        assert time.monotonic() < deadline, "the session outlived its launcher"
        time.sleep(0.05)
    return freed


def _wait_output(term: Terminal, pattern: bytes | re.Pattern, start: int = 0) -> None:
    deadline = time.monotonic() + STARTUP
    while True:
        out = bytes(term.output[start:])
        if (pattern.search(out) if isinstance(pattern, re.Pattern) else pattern in out):
            return
        assert time.monotonic() < deadline, f"never saw {pattern!r}: {out[-1500:]!r}"
        time.sleep(0.05)


def _exit_status(pid: int) -> int:
    status, _ = _wait_gone(pid, 30)
    return os.waitstatus_to_exitcode(status)


def test_a_session_through_a_warm_parent_shows_resizes_and_quits(office, runtime):
    db, _ = office
    parent_pid, log = _start_parent(runtime)
    pid, term = _launch(db)
    try:
        _wait_output(term, b"BKS-")
        sessions = _children(parent_pid)
        assert len(sessions) == 1, log.read_text()  # the session is the parent's child...
        with open(f"/proc/{pid}/status") as fh:  # ...and the launcher stayed small
            rss = next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
        assert rss < 40_000, rss
        mark = len(term.output)
        _size(term.master, rows=30, columns=120)  # SIGWINCH to the launcher, passed on
        _wait_output(term, re.compile(rb"\x1b\[\d+;1[01]\dH"), mark)  # drawn past column 100
        term.send(b"\x11")  # Ctrl+Q
        assert _exit_status(pid) == 0
    finally:
        term.close()
    assert f"session {sessions[0]}" in log.read_text()


def test_the_exit_code_comes_back(office, runtime, tmp_path):
    """A session that ends in a set-up error (no such database file) exits 2 through the parent."""
    db, _ = office
    parent_pid, log = _start_parent(runtime)
    pid, term = _launch(db, BAKSO_DATABASE_URL=f"sqlite:///{tmp_path}/none.sqlite3")
    try:
        assert _exit_status(pid) == 2
        _wait_output(term, b"bakso db upgrade")
    finally:
        term.close()
    assert re.search(r"session \d+", log.read_text())


def test_a_warm_session_that_hangs_up_releases_its_claim(office, runtime):
    db, me = office
    parent_pid, _ = _start_parent(runtime)
    pid, term = _launch(db)
    try:
        held = _wait_claim(db, me.login, term, pid)
        (session,) = _children(parent_pid)
        cpu_before = _cpu_seconds(session)
        term.close()  # the terminal is gone: the kernel hangs up the launcher, which passes it on
        freed = _free_within(db, held, 5.0)
        _wait_gone(pid)
        deadline = time.monotonic() + 15
        cpu = cpu_before
        while session in _children(parent_pid):
            assert time.monotonic() < deadline, "the session outlived its terminal"
            try:
                cpu = _cpu_seconds(session)
            except FileNotFoundError:
                break  # it ended, and its parent reaped it, between the two looks
            time.sleep(0.02)
    finally:
        term.close()
    print(f"warm hang-up: claim free after {freed:.2f} s, {cpu - cpu_before:.2f} CPU s")
    assert cpu - cpu_before < CPU_BUDGET
    assert not _claimed(db, me.login)


def test_a_parent_of_other_code_is_refused_and_ends(office, runtime):
    db, _ = office
    parent_pid, log = _start_parent(runtime)
    source = Path(warm.__file__)
    before = source.stat()
    os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))  # "installed" anew
    try:
        pid, term = _launch(db)
        deadline = time.monotonic() + 15
        while Path(f"/proc/{parent_pid}").exists():
            assert time.monotonic() < deadline, "the stale parent goes on"
            time.sleep(0.05)
    finally:
        os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert "refused: stamp" in log.read_text()
    try:
        _wait_output(term, b"BKS-")  # started in-process instead
        # ...and it spawns a parent of the code as it is now for the next session.
        name = warm.key_name(os.environ)
        deadline = time.monotonic() + STARTUP
        while not Path(warm.socket_path(str(runtime / "bakso"), name)).exists():
            assert time.monotonic() < deadline, "no new parent"
            time.sleep(0.1)
        term.send(b"\x11")
        assert _exit_status(pid) == 0
    finally:
        term.close()


def test_a_socket_served_by_another_user_gets_nothing(office, runtime):
    """Our socket's path served by another uid: the launcher sends nothing and starts here."""
    if os.getuid() != 0:
        pytest.skip("needs root to serve as another user")
    db, _ = office
    folder = Path(warm.runtime_dir(create=True))
    path = warm.socket_path(str(folder), warm.key_name(os.environ))
    theirs = Path(tempfile.mkdtemp(prefix="bw-nobody-"))
    os.chmod(theirs, 0o777)
    read, write = os.pipe()
    impostor = os.fork()
    if impostor == 0:  # the impostor, `nobody`: listens, reports what it was sent
        try:
            os.close(read)
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(str(theirs / "s"))
            listener.listen(1)
            os.write(write, b"listening\n")
            conn, _ = listener.accept()
            conn.settimeout(20)
            data, ancillary, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(12))
            os.write(write, json.dumps({"bytes": len(data), "fds": len(ancillary)}).encode())
        finally:
            os._exit(0)
    os.close(write)
    assert os.read(read, 10) == b"listening\n"
    os.rename(theirs / "s", path)  # planted where our parent's socket would be
    pid, term = _launch(db, BAKSO_WARM="1")
    try:
        _wait_output(term, b"BKS-")
        got = json.loads(os.read(read, 1000) or b"{}")
        term.send(b"\x11")
        assert _exit_status(pid) == 0
    finally:
        term.close()
        os.close(read)
        os.waitpid(impostor, 0)
        shutil.rmtree(theirs, ignore_errors=True)
    assert got == {"bytes": 0, "fds": 0}  # the launcher hung up on it at once


def test_a_parent_answers_nobody_of_another_user(office, runtime):
    if os.getuid() != 0:
        pytest.skip("needs root to connect as another user")
    parent_pid, log = _start_parent(runtime)
    folder = runtime / "bakso"
    path = warm.socket_path(str(folder), warm.key_name(os.environ))
    for place in (runtime, folder):  # let `nobody` reach the socket, only for this test
        os.chmod(place, 0o711)
    os.chmod(path, 0o666)
    try:
        code = subprocess.run(
            [sys.executable, "-c", _AS_NOBODY, path, str(NOBODY)], capture_output=True,
            text=True, timeout=60)
    finally:
        for place in (runtime, folder):
            os.chmod(place, 0o700)
        os.chmod(path, 0o600)
    assert code.returncode == 0, code.stderr
    assert code.stdout.strip() == "nothing"
    assert "refused: another user" in log.read_text()
    assert _children(parent_pid) == []


_AS_NOBODY = """
import array, json, os, socket, struct, sys
os.setgid(int(sys.argv[2])); os.setuid(int(sys.argv[2]))
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(20)
body = json.dumps({"stamp": "", "argv": ["bakso"], "env": {}, "cwd": "/", "umask": 63}).encode()
try:
    s.sendmsg([struct.pack("!I", len(body))],
              [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [0, 1, 2]))])
    s.sendall(body)
    print(s.recv(1000).decode() or "nothing")
except OSError:
    print("nothing")
"""


def test_the_parent_holds_no_thread_and_no_session_environment(runtime, monkeypatch):
    monkeypatch.setenv("BAKSO_DATABASE_URL", "postgresql+psycopg://bakso:secret@db/bakso")
    parent_pid, _ = _start_parent(runtime)
    assert len(os.listdir(f"/proc/{parent_pid}/task")) == 1
    environ = Path(f"/proc/{parent_pid}/environ").read_bytes()
    assert b"secret" not in environ and b"BAKSO_DATABASE_URL" not in environ
    sockets = [fd for fd in os.listdir(f"/proc/{parent_pid}/fd")
               if os.readlink(f"/proc/{parent_pid}/fd/{fd}").startswith("socket:")]
    assert len(sockets) == 1  # its listener: no database connection


def test_what_the_imports_read_is_in_the_key():
    """The variables modules read while the parent imports them name its socket (or are
    compared per request): recorded in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c",
                          "from bakso_tui.warm import parent; print(sorted(parent.warm_imports()))"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    read = eval(out.stdout)  # noqa: S307 - our own output, a list of names
    assert "TEXTUAL_COLOR_SYSTEM" in read  # the recorder works
    unkeyed = [n for n in read if n not in warm.KEY_NAMES and not n.startswith(warm.KEY_PREFIXES)]
    assert unkeyed == []


@pytest.mark.parametrize("args, session", [
    ([], True), (["tui"], True), (["--db", "x", "tui"], True), (["--lang=en"], True),
    (["tui", "--user", "a"], True), (["tui", "--cold"], False), (["--help"], False),
    (["users", "list"], False), (["--db"], False), (["tui", "x"], False),
])
def test_which_commands_are_sessions(args, session):
    assert launch.is_session(args) is session


def test_over_ssh_the_second_session_is_warm_and_a_cut_link_frees_its_claim(office, runtime):
    """Through the rig's sshd (docs/ssh.md): the first session starts cold and spawns the
    user's parent; the second is forked by it; killing the ssh client frees its claim."""
    from ssh_rig import SshRig, SshUnavailable
    from test_ssh import IN_CI, _connect

    db, me = office
    root = Path(tempfile.mkdtemp(prefix="bakso-ssh-"))
    rig = SshRig(root, db_url=db.url)  # passes BAKSO_WARM and XDG_RUNTIME_DIR on (SetEnv)
    try:
        rig.start()
    except SshUnavailable as exc:
        shutil.rmtree(root, ignore_errors=True)
        if IN_CI:
            pytest.fail(f"CI=true and no OpenSSH server: {exc}", pytrace=False)
        pytest.skip(str(exc))
    folder = runtime / "bakso"
    try:
        pid, term = _connect(rig)
        try:
            _wait_output(term, b"BKS-")
            deadline = time.monotonic() + STARTUP
            while not list(folder.glob("*.pid")):  # the cold session spawned the parent
                assert time.monotonic() < deadline, "no warm parent spawned"
                time.sleep(0.1)
        finally:
            _hang_up(pid, term)
        (pidfile,) = folder.glob("*.pid")
        parent_pid = int(pidfile.read_text())
        pid, term = _connect(rig)
        try:
            held = _wait_claim(db, me.login, term, pid)
            (session,) = _children(parent_pid)
            freed = _cut(pid, db, held, parent_pid, session)  # the laptop's link drops
        finally:
            _hang_up(pid, term)
        print(f"warm over ssh: claim free {freed:.2f} s after the cut")
        assert f"session {session}" in pidfile.with_suffix(".log").read_text()
        assert not _claimed(db, me.login)
    finally:
        rig.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_the_launcher_asks_what_terminal_probe_asks():
    from bakso_tui import terminal_probe

    assert (launch.KITTY_QUERY, launch.CELL_SIZE, launch.DEVICE_ATTRIBUTES) == (
        terminal_probe.KITTY_QUERY, terminal_probe.CELL_SIZE, terminal_probe.DEVICE_ATTRIBUTES)


# ---------------------------------------------------------------- the office's parent
#
# Root's parent for every member of a group (docs/bakso-warm.service). Its sessions
# run as other users, who must be able to read the interpreter: this machine's
# Python (pyenv's, under /root) is not theirs to read, so the office's parent and
# its launchers here run Debian's /usr/bin/python3.11 on this checkout and the
# virtualenv's libraries (the same 3.11 ABI).

SYSTEM_PYTHON = "/usr/bin/python3.11"
NOGROUP = 65534


def _office_env(**more: str) -> dict[str, str]:
    import site

    libraries = [p for p in site.getsitepackages() if p.startswith(sys.prefix)]
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
            "PYTHONPATH": ":".join([str(Path(warm.package_dir()).parent), *libraries]), **more}


@pytest.fixture
def office_parent():
    """The office's parent for the group nogroup (`nobody`'s), on a socket of its own;
    (its pid, socket, log). Stopped at the end, its socket gone."""
    from test_ssh import IN_CI

    if os.getuid() != 0 or not os.access(SYSTEM_PYTHON, os.X_OK):
        if IN_CI:
            pytest.fail("CI=true: the office's parent needs root and Debian's python3.11",
                        pytrace=False)
        pytest.skip("needs root and /usr/bin/python3.11")
    folder = Path(tempfile.mkdtemp(prefix="bo-"))
    os.chmod(folder, 0o755)  # as /run/bakso: root's, others may open what is inside
    sock, log = folder / "warm.sock", folder / "office.log"
    with open(log, "wb") as out:
        started = subprocess.Popen(
            [SYSTEM_PYTHON, "-s", "-P", "-m", "bakso_tui.warm", "office", "--socket", str(sock),
             "--group", "nogroup"], env=_office_env(), cwd="/", stdin=subprocess.DEVNULL,
            stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP
        while not sock.exists():
            assert started.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield started.pid, sock, log
    finally:
        started.terminate()
        started.wait(30)
        assert not sock.exists()
        shutil.rmtree(folder, ignore_errors=True)


def _launch_as_nobody(db, sock: Path, open_files: int) -> tuple[int, Terminal]:
    """`bakso tui` as `nobody` in a new pseudo-terminal, its open files limited."""
    import resource

    env = _office_env(TERM="xterm-256color", HOME="/nonexistent", USER="root",
                      BAKSO_WARM_SOCKET=str(sock), BAKSO_DATABASE_URL=db.url)
    pid, master = pty.fork()
    if pid == 0:
        try:
            _size(0)
            resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))
            os.setgroups([])
            os.setgid(NOGROUP)
            os.setuid(NOBODY)
            os.chdir("/")
            os.execve(SYSTEM_PYTHON, [SYSTEM_PYTHON, "-m", "bakso_tui", "tui"], env)
        finally:
            os._exit(127)
    return pid, Terminal(master)


def _status(pid: int, field: str) -> list[str]:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return line.split()[1:]
    return []


def test_the_office_parent_runs_each_session_as_its_member(pg_db, office_parent):
    """A member's session is forked by root's parent and is that member, for good:
    user and group ids (real, effective, saved), groups, the launcher's lower limit;
    the claim is the member's (the login comes from the uid: the launcher's USER=root
    is not believed), and free at once when the link is cut."""
    office_pid, sock, log = office_parent
    bulk_seed(pg_db, 5)
    with pg_db.write() as s:
        users.add_user(s, users.cli_actor(), login="nobody", name="Petugas Malam", role="verifier")
    pid, term = _launch_as_nobody(pg_db, sock, open_files=200)
    try:
        held = _wait_claim(pg_db, "nobody", term, pid)
        (session,) = _children(office_pid)
        assert _status(session, "Uid") == [str(NOBODY)] * 4
        assert _status(session, "Gid") == [str(NOGROUP)] * 4
        assert _status(session, "Groups") == [str(NOGROUP)]
        limits = Path(f"/proc/{session}/limits").read_text()
        assert re.search(r"Max open files\s+200\s+200", limits), limits
        freed = _cut(pid, pg_db, held, office_pid, session)
    finally:
        _hang_up(pid, term)
    print(f"office parent: claim free {freed:.2f} s after the cut")
    assert f"session {session} for nobody" in log.read_text()


@pytest.mark.parametrize("uid, says", [(1, "daemon is not in the group"),
                                       (4242, "uid 4242 has no account")])
def test_the_office_parent_answers_nobody_outside_its_group(office_parent, uid, says):
    """Its socket is the group's (0660); should it be opened to all, the credentials
    still decide: a user outside the group, or without an account, gets nothing."""
    office_pid, sock, log = office_parent
    os.chmod(sock, 0o666)
    out = subprocess.run([sys.executable, "-c", _AS_NOBODY, str(sock), str(uid)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "nothing"
    assert f"refused: {says}" in log.read_text()
    assert _children(office_pid) == []
