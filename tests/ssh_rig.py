"""A private OpenSSH server for the tests: its own sshd on loopback, as docs/ssh.md sets it up.

`SshRig` starts Debian's ``sshd -D`` on a free port of 127.0.0.1 with a
throwaway host key, a throwaway client key and its own configuration, all in
a temporary folder. The configuration is the one docs/ssh.md gives an office
(``Match Group`` with ``ForceCommand exec bakso tui``, ``SetEnv`` for LANG
and COLORTERM, ClientAlive settings), with this checkout's ``bakso`` and the
test's database. The group matched is the test user's own (the tests do not
add groups to the machine). :meth:`SshRig.client_command` is the ``ssh -tt``
command that logs in; run it under a pseudo-terminal.

Needs Debian's ``openssh-server`` and ``openssh-client``. As root, sshd
separates privileges as usual (it makes ``/run/sshd`` if missing) and the
test logs in as root (``PermitRootLogin prohibit-password``, a key only); as
another user it runs unprivileged and logs that user in.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

SSHD = "/usr/sbin/sshd"
ROOT = Path(__file__).resolve().parent.parent


class SshUnavailable(RuntimeError):
    pass


def why_not() -> str | None:
    """Why a private sshd cannot run here (None when it can)."""
    if not Path(SSHD).exists():
        return "sshd is not installed (apt-get install openssh-server)"
    for tool in ("ssh", "ssh-keygen"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install openssh-client)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bakso_command() -> str:
    """This checkout's `bakso` (the virtualenv's script), as the office's ForceCommand."""
    script = Path(sys.executable).with_name("bakso")
    return str(script) if script.exists() else f"{sys.executable} -m bakso_tui"


class SshRig:
    def __init__(self, root: Path, *, db_url: str, colorterm: str | None = "truecolor",
                 extra_env: dict[str, str] | None = None, force_command: bool = True) -> None:
        self.root = root
        self.force_command = force_command
        self.db_url = db_url
        self.colorterm = colorterm
        self.extra_env = extra_env or {}
        self.port = 0
        self.user = pwd.getpwuid(os.getuid()).pw_name
        self.group = grp.getgrgid(os.getgid()).gr_name
        self.process: subprocess.Popen | None = None

    def _config(self) -> str:
        env = {"LANG": "C.UTF-8", "BAKSO_DATABASE_URL": self.db_url,
               # The test's choice of warm start (off unless a test turns it on) and its folder.
               **{k: os.environ[k] for k in ("BAKSO_WARM", "XDG_RUNTIME_DIR") if k in os.environ},
               **self.extra_env}
        if self.colorterm:
            env["COLORTERM"] = self.colorterm
        set_env = " ".join(f'"{k}={v}"' for k, v in env.items())
        root = self.root
        return "\n".join([
            f"ListenAddress 127.0.0.1:{self.port}",
            f"HostKey {root}/host_ed25519",
            f"PidFile {root}/sshd.pid",
            f"AuthorizedKeysFile {root}/authorized_keys",
            "StrictModes no",  # the temporary folder's modes are not ~/.ssh's
            "UsePAM no",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes",
            "PermitRootLogin prohibit-password",
            "PrintMotd no",
            "PrintLastLog no",
            "LogLevel VERBOSE",
            # From here as docs/ssh.md gives it (with this checkout's bakso and database).
            f"Match Group {self.group}",
            f"    ForceCommand exec {bakso_command()} tui" if self.force_command else "",
            f"    SetEnv {set_env}",
            "    AcceptEnv NO_COLOR",
            "    ClientAliveInterval 15",
            "    ClientAliveCountMax 4",
            "    PermitTTY yes",
            "    AllowTcpForwarding no",
            "    AllowAgentForwarding no",
            "    X11Forwarding no",
            "    PermitTunnel no",
            "",
        ])

    def start(self) -> SshRig:
        reason = why_not()
        if reason:
            raise SshUnavailable(reason)
        root = self.root
        root.mkdir(parents=True, exist_ok=True)
        for key in ("host_ed25519", "client_ed25519"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bakso-test",
                            "-f", str(root / key)], check=True, capture_output=True)
        shutil.copy(root / "client_ed25519.pub", root / "authorized_keys")
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation
        for _ in range(5):  # a port taken between choosing and binding: another one
            self.port = _free_port()
            (root / "sshd_config").write_text(self._config())
            host_key = (root / "host_ed25519.pub").read_text().split()
            (root / "known_hosts").write_text(f"[127.0.0.1]:{self.port} {host_key[0]} {host_key[1]}\n")
            self.process = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(root / "sshd_config")],
                stdout=subprocess.DEVNULL, stderr=(root / "sshd.log").open("wb"))
            if self._wait_listening():
                return self
            self.stop()
        raise SshUnavailable("sshd did not start: " + self.log()[-500:])

    def _wait_listening(self) -> bool:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(64).startswith(b"SSH-"):
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def client_command(self, remote: str | None = None) -> list[str]:
        """`ssh -tt` to the rig; `remote` runs only on a rig made without ForceCommand
        (the benchmark's bare Textual app), which otherwise ignores it."""
        root = self.root
        command = ["ssh", "-tt", "-F", "none", "-p", str(self.port),
                   "-i", str(root / "client_ed25519"), "-o", "IdentitiesOnly=yes",
                   "-o", f"UserKnownHostsFile={root}/known_hosts",
                   "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                   "-o", "LogLevel=ERROR", "-o", "SendEnv=NO_COLOR",  # sent only if set
                   f"{self.user}@127.0.0.1"]
        if remote:
            command.append(remote)
        return command

    def sessions(self) -> list[int]:
        """Process ids of the programs the sessions run (sshd's descendants that are not sshd)."""
        if self.process is None:
            return []
        children: dict[int, list[int]] = {}
        names: dict[int, str] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
            names[int(entry.name)] = name
        found, todo = [], [self.process.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                todo.append(child)
                if not names.get(child, "").startswith("sshd"):
                    found.append(child)
        return found

    def log(self) -> str:
        try:
            return (self.root / "sshd.log").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
