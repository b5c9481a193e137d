"""The launcher's side: hand `bakso tui` to a warm parent, or say there is none.

Run by ``bakso`` (``bakso_tui/__main__.py``) before anything but the standard
library is imported. :func:`hand_over` returns the session's exit code when a
parent ran it, None when ``bakso`` must start in-process (no parent, a parent
of another user or of other code, not a TUI session, ``--cold``,
``BAKSO_WARM=0``). :func:`spawn` starts a parent for the next sessions.
"""

from __future__ import annotations

import array
import json
import os
import signal
import socket
import struct
import sys
import time

from bakso_tui import warm

#: Options of `bakso` / `bakso tui` that a warm session may carry (each takes a value).
SESSION_OPTIONS = ("--db", "--lang", "--user")
#: Signals the launcher passes on to the session it handed over.
FORWARDED = (signal.SIGWINCH, signal.SIGHUP, signal.SIGTERM, signal.SIGINT)
#: Seconds to wait for the parent to fork the session before starting in-process.
ANSWER_WAIT = 10.0
#: terminal_probe's questions (KITTY_QUERY, CELL_SIZE, DEVICE_ATTRIBUTES; a test keeps
#: them the same), asked here so that their answers travel while the session forks.
KITTY_QUERY = b"\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
CELL_SIZE = b"\x1b[16t"
DEVICE_ATTRIBUTES = b"\x1b[c"
PROBE_WAIT = 0.25  # terminal_probe.Probe.finish's
#: The parents' log (one line a session) starts again past this size.
LOG_LIMIT = 1024 * 1024


def is_session(args: list[str]) -> bool:
    """Whether `args` (after ``bakso``) open the TUI and nothing else:
    ``[--db URL] [--lang L] [--user LOGIN] [tui]`` in any order of options."""
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in SESSION_OPTIONS:
            if i + 1 >= len(args):
                return False
            i += 2
            continue
        if arg.startswith(tuple(f"{o}=" for o in SESSION_OPTIONS)):
            i += 1
            continue
        if arg.startswith("-"):
            return False  # --cold, --help, --version, anything click should see
        positional.append(arg)
        i += 1
    return positional in ([], ["tui"])


def hand_over(argv: list[str]) -> int | None:
    """Give this session to the user's warm parent; its exit code, or None."""
    if not warm.wanted() or not is_session(argv[1:]):
        return None
    try:
        if not (os.isatty(0) and os.isatty(1)):
            return None
        cwd = os.getcwd()
    except OSError:
        return None
    for path, owner in _parents():
        code = _offer(path, owner, argv, cwd)
        if code is not None:
            return code
    return None


def _parents():
    """Where a parent may listen, and whose it must be: the office's (root's, started
    at boot, ``docs/bakso-warm.service``), then this user's own."""
    yield os.environ.get("BAKSO_WARM_SOCKET") or warm.OFFICE_SOCKET, 0
    folder = warm.runtime_dir()
    if folder is not None:
        yield warm.socket_path(folder, warm.key_name(os.environ)), os.getuid()


def _offer(path: str, owner: int, argv: list[str], cwd: str) -> int | None:
    """The session offered to the parent at `path`, which must be `owner`'s; its exit
    code, or None when there is none there or it said no."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(ANSWER_WAIT)
        sock.connect(path)
        ours = warm.peer_uid(sock) == owner
    except OSError:
        ours = False
    if not ours:  # no parent, or not the one expected, whoever it is: nothing is sent
        sock.close()
        return None
    forwarder = _Forwarder()
    # The terminal's answers about pictures (the viewer's, bakso_tui/terminal_probe.py)
    # travel while the session forks; not when a password will be asked for.
    asked = None if any(a.startswith("--user") for a in argv[1:]) else _ask_terminal()
    try:
        umask = os.umask(0o077)
        os.umask(umask)
        payload = json.dumps({"stamp": warm.code_stamp(), "key": warm.key(os.environ),
                              "argv": list(argv), "env": dict(os.environ), "cwd": cwd,
                              "umask": umask, "probe": asked, "limits": _limits()}).encode()
        sock.sendmsg([struct.pack("!I", len(payload))],
                     [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [0, 1, 2]))])
        sock.sendall(payload)
        reader = warm.LineReader(sock)
        answer = reader.read()
        if not answer or "pid" not in answer:
            _take_answers(asked)
            forwarder.restore()
            return None  # refused (another stamp or key) or gone: start here
        forwarder.follow(int(answer["pid"]))
        sock.settimeout(None)
        while True:
            message = reader.read()
            if message is None:
                return 1  # the session ended without saying how
            if "exit" in message:
                return int(message["exit"])
    except (OSError, ValueError):
        if forwarder.pid is None:
            _take_answers(asked)
            forwarder.restore()
            return None
        return 1
    finally:
        sock.close()


def _limits() -> dict[str, list[int]]:
    """This login's resource limits (an office parent's session takes them)."""
    import resource

    return {name: list(resource.getrlimit(getattr(resource, name)))
            for name in warm.LIMITS if hasattr(resource, name)}


def _ask_terminal() -> dict | None:
    """terminal_probe.start's questions, sent now; the terminal's modes before (to give
    back) and when they were sent, for the session; None when not asked."""
    import fcntl
    import termios

    try:
        saved = termios.tcgetattr(0)
        quiet = termios.tcgetattr(0)
        quiet[3] &= ~(termios.ICANON | termios.ECHO)
        quiet[6][termios.VMIN], quiet[6][termios.VTIME] = 1, 0
        termios.tcsetattr(0, termios.TCSANOW, quiet)
    except (termios.error, OSError):
        return None
    try:
        size = struct.unpack("HHHH", fcntl.ioctl(1, termios.TIOCGWINSZ, b"\0" * 8))
    except OSError:
        size = (0, 0, 0, 0)
    try:
        os.write(1, KITTY_QUERY + (b"" if all(size) else CELL_SIZE) + DEVICE_ATTRIBUTES)
    except OSError:
        termios.tcsetattr(0, termios.TCSANOW, saved)
        return None
    cc = [c if isinstance(c, int) else c[0] for c in saved[6]]
    return {"saved": [*saved[:6], cc], "sent_at": time.monotonic()}


def _take_answers(asked: dict | None) -> None:
    """No session after all: read the answers (so that they are not taken for keys
    later) and give the terminal its modes back; this process asks again."""
    import select
    import termios

    if asked is None:
        return
    reply = b""
    try:
        while not (b"\x1b[?" in reply and reply.endswith(b"c")):
            left = asked["sent_at"] + PROBE_WAIT - time.monotonic()
            if left <= 0 or not select.select([0], [], [], left)[0]:
                break
            chunk = os.read(0, 1024)
            if not chunk:
                break
            reply += chunk
    except OSError:
        pass
    try:
        termios.tcsetattr(0, termios.TCSANOW, asked["saved"])
    except (termios.error, OSError):
        pass


class _Forwarder:
    """Passes the terminal's and the system's signals on to the session."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.pending: list[int] = []
        self.previous = {sig: signal.signal(sig, self._forward) for sig in FORWARDED}

    def _forward(self, signum: int, frame) -> None:
        if self.pid is None:
            self.pending.append(signum)
            return
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            pass

    def follow(self, pid: int) -> None:
        self.pid = pid
        for signum in self.pending:
            self._forward(signum, None)
        self.pending.clear()

    def restore(self) -> None:
        """No session after all: the signals as they were, and any that came meanwhile raised."""
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        for signum in self.pending:
            if signum != signal.SIGWINCH:
                signal.raise_signal(signum)


def spawn(idle_minutes: int, *, delay: float = 1.0) -> bool:
    """Start a warm parent for this user and these variables, detached, unless
    one answers already; whether one was started. Blocks ~50 ms (run it in a thread)."""
    import subprocess

    folder = warm.runtime_dir(create=True)
    if folder is None:
        return False
    name = warm.key_name(os.environ)
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(warm.socket_path(folder, name))
        return False  # one is there (a stale one refuses, ends, and the next cold start spawns)
    except OSError:
        pass
    finally:
        probe.close()
    env = warm.keyed(os.environ)  # nothing else of this session: no URL, no password
    env["PATH"] = os.environ.get("PATH", os.defpath)
    command = [sys.executable, "-P", "-m", "bakso_tui.warm", "serve", "--dir", folder,
               "--name", name, "--idle", str(int(idle_minutes * 60)), "--delay", str(delay)]
    log_path = os.path.join(folder, f"{name}.log")
    large = os.path.exists(log_path) and os.path.getsize(log_path) > LOG_LIMIT
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
                  | (os.O_TRUNC if large else 0), 0o600)
    try:
        first = subprocess.Popen(command, cwd="/", env=env, stdin=subprocess.DEVNULL,
                                 stdout=log, stderr=log, start_new_session=True, close_fds=True)
    finally:
        os.close(log)
    first.wait(30)  # it forks the parent and ends at once
    return True
