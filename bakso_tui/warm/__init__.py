"""Warm start: `bakso tui` handed to a long-lived parent that has the program imported.

Importing what the first screen needs (Textual, SQLAlchemy and the models,
psycopg, pydantic) costs about three times importing Textual alone, before
any of the app runs (issue 16). A *warm parent* of the same user imports all
of it once and forks one child per session, as Emacs's daemon, kitty's
prewarmed zygote or Rails' spring do:

- the launcher (:mod:`bakso_tui.warm.launch`, run by ``bakso`` before anything
  else is imported, stdlib only) connects to the parent's Unix socket, checks
  the parent is its own user (``SO_PEERCRED``), and sends its terminal (file
  descriptors 0, 1, 2 with ``SCM_RIGHTS``), argv, environment, umask and
  working directory; it then forwards SIGWINCH, SIGHUP, SIGTERM and SIGINT to
  the session and exits with its exit code;
- the parent (:mod:`bakso_tui.warm.parent`) checks the peer's user and the
  code's stamp, forks; the child takes the terminal, the environment and the
  folder, starts its own session and runs ``bakso`` exactly as the command
  would: settings read and the database opened in the child. The parent
  holds no connection, no thread, no settings and no secret (its own
  environment is only the variables below);
- no parent (or one refused): ``bakso`` starts in-process as before, and once
  its first frame is on screen spawns a parent for the next sessions
  (``[tui] warm``, ``BAKSO_WARM=0`` or ``bakso tui --cold`` turn that off).
  The parent ends after ``[tui] warm_idle_minutes`` without a session and as
  soon as the installed code changes.

Only the same user's sessions reach a parent: the socket is in a 0700 folder
of that user (``$XDG_RUNTIME_DIR/bakso``, else ``/tmp/bakso-<uid>``), both
ends check the other's uid, and each user has their own parent.

This package imports the standard library only, at module level.
"""

from __future__ import annotations

import json
import os
import stat
import sys

try:
    from _blake2 import blake2b  # the hash without OpenSSL's import (~5 ms)
except ImportError:  # pragma: no cover - an interpreter without the builtin
    from hashlib import blake2b

#: True in a session a warm parent forked (it does not spawn another parent).
serving = False

#: Bumped when the launcher and the parent stop understanding each other.
PROTOCOL = 1

#: Variables that modules read while being imported (textual.constants reads
#: TEXTUAL_* and ESCDELAY; Textual's input parser TERM_PROGRAM and LC_TERMINAL;
#: psycopg PSYCOPG_*; pydantic its plugins; gettext and the standard streams'
#: encoding the locale; the interpreter PYTHON*; sysconfig HOME), so a parent serves only sessions that agree on them: they
#: name its socket. tests/test_warm.py records what the parent's imports read
#: and checks every name is covered here.
KEY_NAMES = ("LANG", "LANGUAGE", "ESCDELAY", "HOME", "ANDROID_DATA",
             "TERM_PROGRAM")  # Textual's input parser decides at import whether it is iTerm2
KEY_PREFIXES = ("TEXTUAL_", "PYTHON", "_PYTHON", "LC_", "PSYCOPG_", "PYDANTIC_",
                "OPENSSL_")  # (OpenSSL reads its configuration when first loaded)

#: Read by an import yet different for every user, and harmless to share: sysconfig
#: reads HOME for the user's site folder, which the office's parent (run with
#: ``python -s``) never puts on its path. The office's parent (one socket for every
#: user, :func:`bakso_tui.warm.parent.serve_office`) does not compare it; each
#: session has its own.
PER_USER = ("HOME",)
#: Where the office's parent listens (``docs/bakso-warm.service``);
#: ``BAKSO_WARM_SOCKET`` names another.
OFFICE_SOCKET = "/run/bakso/warm.sock"

#: Resource limits a session of the office's parent takes from its launcher, the
#: login's (sshd's and PAM's): lowered to them, never raised.
LIMITS = ("RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE",
          "RLIMIT_MEMLOCK", "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_STACK")

#: What the package folder holds that is not code.
_SKIP_DIRS = ("__pycache__",)


def package_dir() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def keyed(environ) -> dict[str, str]:
    """The variables of `environ` that the parent's imports depend on."""
    return {k: v for k, v in environ.items()
            if k in KEY_NAMES or k.startswith(KEY_PREFIXES)}


def key(environ) -> dict:
    """What a parent and a session must share: the interpreter, the code's place, the variables."""
    return {"protocol": PROTOCOL, "python": sys.executable, "version": sys.version,
            "flags": [sys.flags.optimize, sys.flags.dont_write_bytecode, sys.flags.utf8_mode],
            "package": package_dir(), "env": keyed(environ)}


def key_name(environ) -> str:
    """The socket's name for this key (the same key, the same parent)."""
    text = json.dumps(key(environ), sort_keys=True).encode()
    return blake2b(text, digest_size=10).hexdigest()


def code_stamp() -> str:
    """What changes when the installed code does: every file of the package (its
    name, size and time) and the distributions installed beside its libraries.

    About 200 `stat` calls and one folder listing per site-packages, ~1 ms."""
    digest = blake2b(digest_size=16)
    root = package_dir()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in _SKIP_DIRS:
                    stack.append(entry.path)
                continue
            try:
                info = entry.stat()
            except OSError:
                continue
            digest.update(f"{entry.path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    for folder in sys.path:
        if folder.endswith("-packages") and os.path.isdir(folder):
            try:
                names = sorted(n for n in os.listdir(folder) if n.endswith((".dist-info", ".pth")))
            except OSError:
                continue
            digest.update(f"{folder}\0{','.join(names)}\n".encode())
    return digest.hexdigest()


def runtime_dir(environ=None, *, create: bool = False) -> str | None:
    """The user's private folder for the parents' sockets, or None when it is not
    safe: it must be a real folder (no link) owned by this user, mode 0700."""
    environ = os.environ if environ is None else environ
    uid = os.getuid()
    base = environ.get("XDG_RUNTIME_DIR")
    if base and _private(base, uid):
        path = os.path.join(base, "bakso")
    else:
        path = os.path.join("/tmp", f"bakso-{uid}")
    if create:
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        except OSError:
            return None
    return path if _private(path, uid) else None


def _private(path: str, uid: int) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == uid
            and stat.S_IMODE(info.st_mode) & 0o077 == 0)


def socket_path(folder: str, name: str) -> str:
    return os.path.join(folder, f"{name}.sock")


def pid_path(folder: str, name: str) -> str:
    return os.path.join(folder, f"{name}.pid")


def wanted(environ=None) -> bool:
    """Whether warm starts are allowed by the environment (``BAKSO_WARM=0`` says no)."""
    environ = os.environ if environ is None else environ
    return environ.get("BAKSO_WARM", "1").strip().lower() not in ("0", "no", "false", "off")


def peer_uid(sock) -> int:
    """The user id of the process at the other end of a Unix socket."""
    import socket
    import struct

    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def send_line(sock, message: dict) -> None:
    sock.sendall(json.dumps(message).encode() + b"\n")


class LineReader:
    """JSON messages, one a line, from a socket."""

    def __init__(self, sock) -> None:
        self.sock = sock
        self.buffer = b""

    def read(self) -> dict | None:
        """The next message; None at end of file."""
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)
