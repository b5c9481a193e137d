"""Real faults for the tests: a TCP path to PostgreSQL that can be cut, and
`pg_terminate_backend` aimed at the program's own connections.

`FaultProxy` forwards 127.0.0.1:<port> to the PostgreSQL server. A test points
the program at it (`proxied_url`) and then:

- `cut()` closes every connection through it (the server sees the client
  vanish; the client sees "server closed the connection unexpectedly");
- `down()` cuts and refuses new connections until `up()` (an outage: a
  server restarting, a network that is gone);
- `lose_next_commit_ack()` forwards the next COMMIT to the server, lets it
  commit, and closes the connection before the answer reaches the client:
  the one fault where a write is stored but the program is told it failed.

`terminate_backends(admin_url, database)` is what an administrator (or a
failover) does: every backend of the program's database is ended by the
server itself.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import threading
import time

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

COMMIT = b"COMMIT\x00"


class _Pair:
    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.client = client
        self.server = server
        self.muted = False  # drop what the server says (its answer to COMMIT)
        self.closed = False

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for sock in (self.client, self.server):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()


class FaultProxy:
    def __init__(self, host: str | None = None, port: int | None = None) -> None:
        server = make_url(os.environ.get("BAKSO_TEST_PG_URL", "postgresql://127.0.0.1:5432/"))
        self.target = (host or server.host or "127.0.0.1", port or server.port or 5432)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.accepting = True
        self.pairs: set[_Pair] = set()
        self.lock = threading.Lock()
        self.cuts = 0
        self.acks_lost = 0
        self._lose_ack = False
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    # ---------------------------------------------------------- the test's controls

    def proxied_url(self, url: str) -> str:
        return make_url(url).set(host="127.0.0.1", port=self.port).render_as_string(
            hide_password=False)

    def cut(self) -> int:
        """Close every connection now; returns how many were cut."""
        with self.lock:
            pairs = list(self.pairs)
            self.pairs.clear()
        for pair in pairs:
            pair.close()
        self.cuts += len(pairs)
        return len(pairs)

    def down(self) -> None:
        self.accepting = False
        self.cut()

    def up(self) -> None:
        self.accepting = True

    def lose_next_commit_ack(self) -> None:
        self._lose_ack = True

    def close(self) -> None:
        self._stop = True
        self.down()
        with contextlib.suppress(OSError):
            self.listener.close()

    # ---------------------------------------------------------- forwarding

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.accepting:
                client.close()  # refused: the server is "down"
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            pair = _Pair(client, server)
            with self.lock:
                self.pairs.add(pair)
            threading.Thread(target=self._pump, args=(pair,), daemon=True).start()

    def _pump(self, pair: _Pair) -> None:
        tail = b""
        try:
            while not pair.closed:
                ready, _, _ = select.select([pair.client, pair.server], [], [], 0.5)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        pair.close()
                        return
                    if sock is pair.client:
                        pair.server.sendall(data)
                        seen = tail + data
                        tail = seen[-len(COMMIT):]
                        if self._lose_ack and COMMIT in seen:
                            self._lose_ack = False
                            pair.muted = True
                            threading.Thread(target=self._drop_after_commit, args=(pair,),
                                             daemon=True).start()
                    elif not pair.muted:
                        pair.client.sendall(data)
        except OSError:
            pair.close()
        finally:
            with self.lock:
                self.pairs.discard(pair)

    def _drop_after_commit(self, pair: _Pair) -> None:
        time.sleep(0.3)  # the server has committed (and answered into the void)
        self.acks_lost += 1
        pair.close()


def terminate_backends(admin_url: str, database: str, *, application: str = "bakso") -> int:
    """End every backend of `database` opened by the program; returns how many."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :db AND application_name = :app AND pid <> pg_backend_pid()"
            ), {"db": database, "app": application}).all())
    finally:
        engine.dispose()


class PrivateCluster:
    """A PostgreSQL server of the test's own (initdb + pg_ctl in a temporary
    folder), so that a test may stop, restart or crash it. initdb refuses to
    run as root: as root the server runs as the ``postgres`` system user."""

    def __init__(self, root, port: int) -> None:
        """`root`: an empty folder the server's user can reach (not under a
        private temporary folder of root's)."""
        import glob
        import os
        import shutil

        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found and not shutil.which("pg_ctl"):
            raise RuntimeError("no pg_ctl on this machine")
        self.bin = os.path.dirname(found[-1]) if found else os.path.dirname(shutil.which("pg_ctl"))
        self.root = root
        self.port = port
        self.data = root / "data"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            import pwd

            pwd.getpwnam("postgres")  # KeyError: no such user, the caller skips
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(root, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8")

    def _run(self, tool: str, *args: str) -> None:
        import subprocess

        done = subprocess.run([*self.as_user, f"{self.bin}/{tool}", *args],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
        if done.returncode:
            raise RuntimeError(f"{tool}: {done.stderr.decode(errors='replace').strip()}")

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _options(self) -> str:
        return (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
                " -c max_connections=200")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-o", self._options(),
                  "-l", str(self.root / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast``: sessions are ended (a restart); ``immediate``: a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()
