"""The warm parent: the program imported once, one forked child per session.

Started detached by :func:`bakso_tui.warm.launch.spawn` (``python -P -m
bakso_tui.warm serve``) with only the variables the imports read. It takes a
lock (one parent per user and key), imports what a session's first screen
needs, freezes those objects out of the garbage collector (their pages stay
shared with every child), and listens on its socket. Per request it checks the
peer's uid and the code's stamp; a stamp that differs means the installed
code changed: it refuses (the launcher starts in-process and spawns a new
parent) and ends. It also ends after `idle` seconds without a session, when
its socket is taken away, and on SIGTERM.

The parent holds no database connection, no thread and no settings; it never
reads the sessions' environment beyond comparing the variables its imports
read. A child is the session: see :func:`_child`.
"""

from __future__ import annotations

import array
import fcntl
import gc
import importlib
import json
import os
import pwd
import select
import signal
import socket
import struct
import sys
import time

from bakso_tui import warm

#: What a session's first screen needs (either role), imported once here.
WARM_MODULES = (
    "bakso_tui.cli", "bakso_tui.cli.context", "bakso_tui.cli.i18n", "bakso_tui.cli.tui",
    "bakso_tui.app", "bakso_tui.db.migrate", "bakso_tui.terminal_probe",
    "sqlalchemy.dialects.postgresql.psycopg", "sqlalchemy.dialects.sqlite.pysqlite",
    "psycopg",
    # Loaded by Textual as the app runs (found by profiling a warm session's start).
    "textual.drivers.linux_driver", "textual.drivers._writer_thread", "textual._xterm_parser",
    "textual._keyboard_protocol", "textual.scrollbar", "textual.layouts.factory",
    "textual.layouts.horizontal", "textual.layouts.stream", "textual.pilot",
    "tty", "concurrent.futures.thread",
)
#: Seconds between looks at the installed code.
STAMP_EVERY = 30.0
MAX_REQUEST = 4 * 1024 * 1024


class _Recorder(os._Environ):  # type: ignore[name-defined]
    """``os.environ`` that notes the names read while the parent imports."""

    def __init__(self, environ) -> None:
        super().__init__(environ._data, environ.encodekey, environ.decodekey,
                         environ.encodevalue, environ.decodevalue)
        self.names: set[str] = set()
        self.recording = True

    def _note(self, name) -> None:
        if self.recording:
            self.names.add(name)

    def __getitem__(self, name):
        self._note(name)
        return super().__getitem__(name)

    def __contains__(self, name):
        self._note(name)
        return super().__contains__(name)

    def get(self, name, default=None):
        self._note(name)
        return super().get(name, default)

    def __iter__(self):
        self._note("*")  # everything read
        return super().__iter__()


def warm_imports() -> set[str]:
    """Import :data:`WARM_MODULES`; the names of the variables read meanwhile."""
    original = os.environ
    recorder = os.environ = _Recorder(original)
    try:
        for module in WARM_MODULES:
            importlib.import_module(module)
        importlib.import_module("bakso_tui.db.models")
        # The models' mappers, configured once here rather than by each session's first query.
        importlib.import_module("sqlalchemy.orm").configure_mappers()
        catalog = importlib.import_module("bakso_tui.locale").catalog
        for lang in ("id", "en"):  # both languages' messages read once, shared
            catalog(lang)
    finally:
        recorder.recording = False
        os.environ = original  # the same variables underneath: both objects stay in step
    return recorder.names


def serve(folder: str, name: str, idle: float, delay: float = 0.0) -> int:
    if os.fork():
        os._exit(0)  # the spawner waits for this one; the parent is nobody's child
    if not warm._private(folder, os.getuid()) or warm.key_name(os.environ) != name:
        return 2
    lock = os.open(os.path.join(folder, f"{name}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                   0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0  # another parent of this key is starting or serving
    time.sleep(delay)  # the session that spawned us draws its first rows first
    stamp, key, read = _imported()
    unkeyed = sorted(n for n in read if n not in warm.KEY_NAMES
                     and not n.startswith(warm.KEY_PREFIXES))
    path = warm.socket_path(folder, name)
    listener, inode = _listen(path, 0o600)
    # Whole or not at all (beside, then renamed): a pid file seen is never empty.
    importlib.import_module("bakso_tui.files").write_private(
        warm.pid_path(folder, name), f"{os.getpid()}\n".encode())
    parent = _Parent(listener, lock, stamp, key, unkeyed)
    _log(f"serving {path} (imports read {', '.join(sorted(read)) or 'nothing'})")
    try:
        parent.loop(path, inode, idle)
        _log("stale code: ending" if parent.stale else "ending")
    finally:
        _unlisten(listener, path, inode)
        try:
            os.unlink(warm.pid_path(folder, name))
        except OSError:
            pass
    return 0


def serve_office(path: str, group: str) -> int:
    """The office's parent: one for every member of `group`, run by root at boot
    (``docs/bakso-warm.service``), so that every session starts warm, the first of
    the day too, and every session shares this one process's pages.

    It runs in the foreground (systemd keeps it), never ends for idleness, ends
    when the installed code changes (systemd starts it again, on the new code).
    Its socket (`path`, in a folder only root may write) is root's, mode 0660,
    of `group`: only the group's members can connect, and each request is
    checked again by the peer's credentials (``SO_PEERCRED``), never by what it
    says. A child gives up root before it reads anything of the request but
    the terminal's descriptors: see :func:`_become`.
    """
    import grp

    if os.geteuid() != 0:
        _log("refused: the office parent runs as root (it becomes each session's user)")
        return 2
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        _log(f"refused: no group {group}")
        return 2
    lock = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        _log("another office parent is serving")
        return 0
    stamp, key, read = _imported()
    listener, inode = _listen(path, 0o660, gid)
    compared = sorted(n for n in read if n not in warm.PER_USER)
    parent = _Parent(listener, lock, stamp, key, compared, office_gid=gid)
    _log(f"serving {path} for group {group} (imports read {', '.join(sorted(read)) or 'nothing'})")
    try:
        parent.loop(path, inode, idle=None)
        _log("stale code: ending" if parent.stale else "ending")
    finally:
        _unlisten(listener, path, inode)
    return 0  # systemd (Restart=always) starts it again: on the new code, if that was why


def _imported() -> tuple[str, dict, set[str]]:
    """The code's stamp and key, then :data:`WARM_MODULES` imported and frozen out of
    the collector (the children's collections never touch these pages); the names
    of the variables the imports read."""
    stamp, key = warm.code_stamp(), warm.key(os.environ)
    gc.disable()
    read = warm_imports()
    gc.collect()
    gc.freeze()
    gc.enable()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    return stamp, key, read


def _listen(path: str, mode: int, gid: int = -1):
    """A listening socket at `path` with `mode` (and group), appearing whole; its inode."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    temporary = f"{path}.{os.getpid()}"
    listener.bind(temporary)
    os.chmod(temporary, mode)
    if gid >= 0:
        os.chown(temporary, 0, gid)
    listener.listen(16)
    os.rename(temporary, path)  # ready: appears at once, never half there
    return listener, os.stat(path).st_ino


def _unlisten(listener, path: str, inode: int) -> None:
    listener.close()
    try:
        if os.stat(path).st_ino == inode:
            os.unlink(path)
    except OSError:
        pass


class _Parent:
    """A user's parent, or (`office_gid` given) the office's: see :func:`serve_office`.

    `unkeyed`: the variables the imports read that a session's must equal: for a
    user's parent those outside the key (the key, which names its socket, covers the
    rest); for the office's all of them but :data:`warm.PER_USER`, since its one
    socket serves every key's sessions."""

    def __init__(self, listener, lock: int, stamp: str, key: dict, unkeyed: list[str], *,
                 office_gid: int | None = None) -> None:
        self.listener = listener
        self.lock = lock
        self.stamp = stamp
        self.key = key
        self.unkeyed = unkeyed
        self.office_gid = office_gid
        self.children: set[int] = set()
        self.stale = False

    def loop(self, path: str, inode: int, idle: float | None) -> None:
        last = time.monotonic()
        next_look = last + STAMP_EVERY
        while not self.stale:
            ready, _, _ = select.select([self.listener], [], [], 1.0)
            self._reap()
            now = time.monotonic()
            if self.children:
                last = now
            if idle is not None and now - last > idle:
                return
            if now >= next_look:
                next_look = now + STAMP_EVERY
                if warm.code_stamp() != self.stamp:
                    return
            try:
                if os.stat(path).st_ino != inode:
                    return  # the socket was taken away or replaced
            except OSError:
                return
            if ready:
                last = now
                try:
                    conn, _ = self.listener.accept()
                except OSError:
                    continue
                self._serve_one(conn)

    def _reap(self) -> None:
        for pid in list(self.children):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self.children.discard(pid)

    def _serve_one(self, conn) -> None:
        fds: list[int] = []
        try:
            conn.settimeout(5.0)
            admitted, user = self._admitted(warm.peer_uid(conn))
            if not admitted:
                return  # not a word to them
            fds, request = _receive(conn)
            refusal = self._refusal(fds, request)
            if refusal:
                _log(f"refused: {refusal}")
                warm.send_line(conn, {"refused": refusal})
                return
            pid = os.fork()
            if pid == 0:
                _child(conn, self.listener, self.lock, fds, request, user)  # never returns
            self.children.add(pid)
            _log(f"session {pid}" + (f" for {user.pw_name}" if user else ""))
        except (OSError, ValueError, KeyError):
            return
        finally:
            for fd in fds:
                os.close(fd)
            conn.close()

    def _admitted(self, uid: int) -> tuple[bool, pwd.struct_passwd | None]:
        """Whether `uid` may have a session here: this parent's own user; or, at the
        office's, a member of its group, whose password entry comes along."""
        if self.office_gid is None:
            if uid != os.getuid():
                _log("refused: another user")
                return False, None
            return True, None
        try:
            user = pwd.getpwuid(uid)
        except KeyError:
            _log(f"refused: uid {uid} has no account")
            return False, None
        if self.office_gid not in os.getgrouplist(user.pw_name, user.pw_gid):
            _log(f"refused: {user.pw_name} is not in the group")
            return False, None
        return True, user

    def _refusal(self, fds: list[int], request: dict) -> str | None:
        if len(fds) != 3:
            return "fds"
        if request.get("stamp") != self.stamp:
            self.stale = True  # the code changed under us: end after this answer
            return "stamp"
        theirs = request.get("key")
        if self.office_gid is not None and isinstance(theirs, dict):
            theirs = {**theirs, "env": self.key["env"]}  # compared below, name by name
        if theirs != self.key:
            return "key"
        env = request.get("env", {})
        for name in self.unkeyed:  # read by an import yet not in the key: must agree
            if name == "*" or env.get(name) != os.environ.get(name):
                return f"env:{name}"
        return None


def _log(line: str) -> None:
    """One line in the parent's log (its standard output, ``<folder>/<name>.log``)."""
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {line}", flush=True)


def _receive(conn) -> tuple[list[int], dict]:
    """The launcher's file descriptors and request."""
    data, ancillary, _, _ = conn.recvmsg(4, socket.CMSG_SPACE(3 * 4), socket.MSG_CMSG_CLOEXEC)
    fds: list[int] = []
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += array.array("i", payload[:len(payload) - len(payload) % 4])
    while len(data) < 4:
        chunk = conn.recv(4 - len(data))
        if not chunk:
            raise ValueError("short header")
        data += chunk
    (length,) = struct.unpack("!I", data)
    if length > MAX_REQUEST:
        raise ValueError("request too large")
    body = bytearray()
    while len(body) < length:
        chunk = conn.recv(min(65536, length - len(body)))
        if not chunk:
            raise ValueError("short request")
        body += chunk
    return fds, json.loads(body)


def _child(conn, listener, lock: int, fds: list[int], request: dict,
           user: pwd.struct_passwd | None) -> None:
    """The session: the launcher's terminal, environment and folder; then `bakso` as typed.
    At the office's parent, `user` is whose session it is: the child becomes them first."""
    code = 1
    try:
        warm.serving = True
        listener.close()
        os.close(lock)  # the lock is the parent's alone (a new parent may start once it ends)
        if user is not None:
            _become(user, request.get("limits"))
        os.setsid()  # its own session, as a process the shell started would be
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        fds.clear()
        if user is not None:  # nothing of the office parent's stays open but the socket
            os.closerange(3, conn.fileno())
            os.closerange(conn.fileno() + 1, os.sysconf("SC_OPEN_MAX"))
        os.environ.clear()
        os.environ.update(request["env"])
        if user is not None:  # who they are comes from the system, not the request
            os.environ.update(HOME=user.pw_dir, USER=user.pw_name, LOGNAME=user.pw_name,
                              SHELL=user.pw_shell)
        time.tzset()
        os.chdir(request["cwd"])
        os.umask(int(request["umask"]))
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGWINCH):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.argv = list(request["argv"])
        _reopen_stdio()
        if request.get("probe"):  # the launcher asked the terminal already: its answers wait
            probe = importlib.import_module("bakso_tui.terminal_probe")
            probe.adopt(request["probe"]["saved"], float(request["probe"]["sent_at"]))
        conn.settimeout(None)
        warm.send_line(conn, {"pid": os.getpid()})
        _watch_launcher(conn)
        code = _run()
    except BaseException:  # noqa: BLE001 - whatever happens, the launcher hears an exit code
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        try:
            warm.send_line(conn, {"exit": code})
        except OSError:
            pass
        os._exit(code)


def _become(user: pwd.struct_passwd, limits) -> None:
    """Root no more: `user`'s groups, group and user id, for good (real, effective and
    saved), and the launcher's resource limits where they are lower than root's (as
    sshd and PAM gave them to the login). Ends the process if any of it fails."""
    import resource

    try:
        for name, (soft, hard) in (limits or {}).items():
            if name not in warm.LIMITS:
                continue
            which = getattr(resource, name)
            now_soft, now_hard = resource.getrlimit(which)
            hard = _lower(hard, now_hard)
            resource.setrlimit(which, (min(_lower(soft, now_soft), hard, key=_size), hard))
        os.setgroups(os.getgrouplist(user.pw_name, user.pw_gid))
        os.setresgid(user.pw_gid, user.pw_gid, user.pw_gid)
        os.setresuid(user.pw_uid, user.pw_uid, user.pw_uid)
        became = (os.getresuid() == (user.pw_uid,) * 3 and os.getresgid() == (user.pw_gid,) * 3)
        if user.pw_uid != 0:
            try:
                os.setuid(0)
                became = False  # it could go back: never run a session like that
            except PermissionError:
                pass
    except Exception:  # noqa: BLE001 - whatever it was, the session does not run as root
        became = False
    if not became:
        os._exit(1)


def _size(limit: int) -> float:
    import resource

    return float("inf") if limit == resource.RLIM_INFINITY else limit


def _lower(wanted, now: int) -> int:
    """The lower of a requested limit and the present one (never raised)."""
    return min(int(wanted), now, key=_size)


def _run() -> int:
    """`bakso` as the command runs it, to its exit code (threads joined, atexit run)."""
    import atexit
    import threading

    # By name, as the `bakso` script names it: the parent is the program's entry
    # point, above every layer (this package itself imports only the standard library).
    run = importlib.import_module("bakso_tui.__main__").run
    try:
        run()
        code = 0
    except SystemExit as end:
        code = _exit_code(end.code)
    except KeyboardInterrupt:
        code = 130
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()  # as the interpreter does at exit: wait for non-daemon threads
    atexit._run_exitfuncs()
    return code


def _exit_code(code) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _reopen_stdio() -> None:
    """Standard streams on the terminal just received, buffered as the interpreter would."""
    import io

    for name, fd, mode in (("stdin", 0, "rb"), ("stdout", 1, "wb"), ("stderr", 2, "wb")):
        old = getattr(sys, f"__{name}__")
        interactive = mode == "wb" and (fd == 2 or os.isatty(fd))
        stream = io.TextIOWrapper(open(fd, mode, closefd=False), encoding=old.encoding,  # noqa: SIM115
                                  errors=old.errors, line_buffering=interactive)
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _watch_launcher(conn) -> None:
    """The launcher gone (killed, its terminal too) is a hang-up: claims released, exit."""
    import threading

    def watch() -> None:
        try:
            while conn.recv(4096):
                pass
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGHUP)

    threading.Thread(target=watch, name="warm-launcher", daemon=True).start()


def stop_all(folder: str | None = None) -> list[int]:
    """SIGTERM every warm parent of this user; their process ids (sessions go on)."""
    folder = folder or warm.runtime_dir()
    stopped: list[int] = []
    if folder is None:
        return stopped
    for entry in os.scandir(folder):
        if not entry.name.endswith(".pid"):
            continue
        try:
            with open(entry.path) as fh:
                pid = int(fh.read().strip())
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if b"bakso_tui.warm" not in fh.read():
                    continue
            os.kill(pid, signal.SIGTERM)
            stopped.append(pid)
        except (OSError, ValueError):
            continue
    return stopped
