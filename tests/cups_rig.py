"""A private CUPS print service for the tests: its own cupsd, its own folders, a PDF queue.

`PrivateCups` starts ``cupsd -f`` on a Unix socket inside a temporary folder
(ServerRoot, spool, cache, state and logs all there), and adds the queue
``BAKSO_PDF`` on the cups-pdf backend, whose output folder is set by
``/etc/cups/cups-pdf-<instance>.conf`` (cups-pdf reads its instance's file
from there and nowhere else; the file is removed again at the end). Clients
are pointed at it with ``CUPS_SERVER=<socket>``. Needs root (cupsd runs the
cups-pdf backend as root) and Debian's ``cups`` and ``printer-driver-cups-pdf``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

PPD = "lsb/usr/cups-pdf/CUPS-PDF_opt.ppd"
CUPS_PDF_CONF = Path("/etc/cups")


class CupsUnavailable(RuntimeError):
    pass


def why_not() -> str | None:
    """Why a private cupsd cannot run here (None when it can)."""
    if os.geteuid() != 0:
        return "the private cupsd needs root (cups-pdf's backend runs as root)"
    for tool in ("cupsd", "lpadmin", "lp", "lpstat"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            return f"{tool} is not installed (apt-get install cups printer-driver-cups-pdf)"
    if not Path("/usr/lib/cups/backend/cups-pdf").exists():
        return "the cups-pdf backend is not installed (apt-get install printer-driver-cups-pdf)"
    return None


def _tool(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


class PrivateCups:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.instance = f"bakso_{uuid.uuid4().hex[:10]}"
        self.socket = root / "cups.sock"
        self.out = root / "out"
        self.printer = "BAKSO_PDF"
        self.process: subprocess.Popen | None = None
        self.conf = CUPS_PDF_CONF / f"cups-pdf-{self.instance}.conf"
        self._extra: list[Path] = []

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "CUPS_SERVER": str(self.socket)}

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([_tool(args[0]), *args[1:]], env=self.env, capture_output=True,
                              text=True, check=check, timeout=60)

    def start(self) -> PrivateCups:
        reason = why_not()
        if reason:
            raise CupsUnavailable(reason)
        root = self.root
        for sub in ("spool", "cache", "state", "log", "out", "ppd"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        (root / "tmp").mkdir(exist_ok=True)
        os.chmod(root / "tmp", 0o1777)  # the filters run as lp and write here
        os.chmod(root, 0o755)
        (root / "cupsd.conf").write_text(
            f"Listen {self.socket}\nLogLevel info\nWebInterface No\nBrowsing No\n"
            "DefaultAuthType None\nErrorPolicy stop-printer\n"
            "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Policy default>\n  <Limit All>\n    Order allow,deny\n    Allow all\n"
            "  </Limit>\n</Policy>\n")
        (root / "cups-files.conf").write_text(
            f"ServerRoot {root}\nRequestRoot {root}/spool\nCacheDir {root}/cache\n"
            f"StateDir {root}/state\nTempDir {root}/tmp\nServerBin /usr/lib/cups\n"
            f"DataDir /usr/share/cups\nAccessLog {root}/log/access_log\n"
            f"ErrorLog {root}/log/error_log\nPageLog {root}/log/page_log\n"
            "SystemGroup root\nSandboxing Relaxed\nFileDevice Yes\n")
        self.conf.write_text(f"Out {self.out}\nAnonDirName {self.out}\nLabel 2\n"
                             f"Log {root}/log\n")
        self.process = subprocess.Popen(
            [_tool("cupsd"), "-f", "-c", str(root / "cupsd.conf"), "-s",
             str(root / "cups-files.conf")],
            stdout=subprocess.DEVNULL, stderr=(root / "log" / "stderr").open("wb"),
        )
        # Ready when its socket takes a connection. (``lpstat -r`` is no probe: it
        # exits 0 with "scheduler is not running".)
        deadline = time.monotonic() + 20
        while not self._listening():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise CupsUnavailable("cupsd did not start: "
                                      + (root / "log" / "stderr").read_text()[-300:])
            time.sleep(0.1)
        self.run("lpadmin", "-p", self.printer, "-v", f"cups-pdf:/{self.instance}", "-m", PPD,
                 "-E")
        return self

    def _listening(self) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(self.socket))
            except OSError:
                return False
            return True

    def add_failing_queue(self, name: str = "BROKEN") -> str:
        """A cups-pdf queue whose backend fails on every job: its output folder
        is one nobody can create (inside /proc)."""
        conf = CUPS_PDF_CONF / f"cups-pdf-{self.instance}_broken.conf"
        conf.write_text(f"Out /proc/bakso-no-such-dir\nLog {self.root}/log\n")
        self._extra.append(conf)
        self.run("lpadmin", "-p", name, "-v", f"cups-pdf:/{self.instance}_broken", "-m", PPD,
                 "-E", "-o", "printer-error-policy=stop-printer")
        return name

    def printed(self) -> list[Path]:
        return sorted(self.out.glob("*.pdf"), key=lambda p: p.stat().st_mtime)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for conf in [self.conf, *self._extra]:
            conf.unlink(missing_ok=True)
