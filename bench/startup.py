"""Start-up as a person meets it: from the command typed to the first frame with rows.

Each program is started under a pseudo-terminal (100x30, TERM=xterm-256color,
nobody answering the terminal's queries), and the clock stops when a string
that only a row of its table contains comes out of the terminal. `bakso tui`
against a bare Textual app showing a 50-row DataTable (bench/bare_table.py),
alternated in one run, medians. Both are ended with SIGTERM once seen.

`bakso tui` is measured twice: cold (in-process, ``BAKSO_WARM=0``, as
before) and warm (handed to a warm parent started beforehand, bakso_tui/warm),
the three alternated. And twice over: with the pseudo-terminal answering the
Device Attributes question as every terminal does (xterm's answer; the
attachment viewer's probe, bakso_tui/terminal_probe.py, waits for it), and
silent (the probe then waits its whole 0.25 s).

Also measured: the CPU seconds each had used when its rows came (steadier
than the wall clock on a busy machine; warm: the launcher's and the
session's); the resident memory of a session
once its rows are on screen; thirty sessions open at once, as one office's
server holds them (memory, and the CPU they use idle); and the start-up
through a real OpenSSH server on loopback set up as docs/ssh.md says, when
Debian's openssh-server is there (tests/ssh_rig.py), with the bytes the
first screen costs the link in 24-bit and in 256 colours.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import sys
import termios
import time
from pathlib import Path

from bench.common import Timer, pg_database, save

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BARE = [sys.executable, "-m", "bench.bare_table"]
#: `bakso tui` as typed (the virtualenv's script), else the module.
BAKSO = ([str(Path(sys.executable).with_name("bakso")), "tui"]
         if Path(sys.executable).with_name("bakso").exists()
         else [sys.executable, "-m", "bakso_tui", "tui"])
#: What only a row of each table shows: a cell of the bare table's first row, the
#: registration numbers' prefix (the header has neither).
BARE_ROW = b"r0c5"
BAKSO_ROW = b"BKS-"
#: The supervisor's first screen, the dashboard: a row of its first table once the figures are in.
DASHBOARD_ROW = "Lewat batas waktu".encode()
#: What each first screen's frame shows before its rows or figures (bakso_tui/opening.py
#: draws it before the sign-in): the queue's column heading, the dashboard's first
#: section title. The bare app's frame is its rows.
QUEUE_FRAME = "No. pengajuan".encode()
DASHBOARD_FRAME = "Antrean menurut umur".encode()
FRAMES = {BAKSO_ROW: QUEUE_FRAME, DASHBOARD_ROW: DASHBOARD_FRAME}
#: What a terminal answers to Primary Device Attributes (xterm's: VT220 with Sixel absent).
DA1_QUESTION, DA1_ANSWER = b"\x1b[c", b"\x1b[?62;22c"


def _env(db_url: str | None, warm_dir: str | None = None,
         office_socket: str | None = None) -> dict[str, str]:
    """The programs' environment: cold unless `warm_dir` (a private XDG_RUNTIME_DIR) is
    given; with `office_socket`, the office's parent there first."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR")}
    env.update(TERM="xterm-256color", LANG="C.UTF-8", BAKSO_WARM="0")
    if warm_dir:
        env.update(BAKSO_WARM="1", XDG_RUNTIME_DIR=warm_dir)
    if office_socket:
        env["BAKSO_WARM_SOCKET"] = office_socket
    if db_url:
        env["BAKSO_DATABASE_URL"] = db_url
    return env


class WarmParent:
    """A warm parent for the benchmark's sessions, in a private runtime folder."""

    def __init__(self) -> None:
        import tempfile

        self.base = tempfile.mkdtemp(prefix="bw-bench-")
        self.pid = 0

    def start(self) -> WarmParent:
        from bakso_tui import warm
        from bakso_tui.warm import launch

        saved = dict(os.environ)
        os.environ.update(_env(None, self.base))
        try:
            launch.spawn(15, delay=0.0)
            folder = os.path.join(self.base, "bakso")
            name = warm.key_name(os.environ)
            pidfile = Path(warm.pid_path(folder, name))
            deadline = time.monotonic() + 120
            while not (pidfile.exists() and Path(warm.socket_path(folder, name)).exists()):
                if time.monotonic() > deadline:
                    raise TimeoutError("the warm parent never served")
                time.sleep(0.05)
            self.pid = int(pidfile.read_text())
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return self

    def sessions(self) -> set[int]:
        try:
            with open(f"/proc/{self.pid}/task/{self.pid}/children") as fh:
                return {int(p) for p in fh.read().split()}
        except OSError:
            return set()

    def stop(self) -> None:
        import shutil

        from bakso_tui.warm import parent

        parent.stop_all(os.path.join(self.base, "bakso"))
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{self.pid}") and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.rmtree(self.base, ignore_errors=True)


class OfficeParent(WarmParent):
    """The office's parent (root's, docs/bakso-warm.service) for the group of this
    user, on a socket in a private folder: every session through it is warm, the
    first one too. Needs root."""

    def start(self) -> OfficeParent:
        import grp
        import subprocess

        from bakso_tui import warm

        self.socket = os.path.join(self.base, "warm.sock")
        env = {**warm.keyed(_env(None)), "PATH": os.environ.get("PATH", os.defpath)}
        self.process = subprocess.Popen(
            [sys.executable, "-s", "-P", "-m", "bakso_tui.warm", "office", "--socket", self.socket,
             "--group", grp.getgrgid(os.getgid()).gr_name], env=env, cwd="/",
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.pid = self.process.pid
        deadline = time.monotonic() + 120
        while not os.path.exists(self.socket):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the office's parent never served (it needs root)")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        import shutil

        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.base, ignore_errors=True)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_to_rows(command: list[str], marker: bytes, env: dict[str, str],
                 timeout: float = 60.0, cwd: Path = ROOT, *, answer: bool = False,
                 parent: WarmParent | None = None,
                 frame: bytes | None = None) -> tuple[float, float, int, float, float]:
    """Seconds from exec to `marker` on the terminal, the RSS (MB) a second
    later, the bytes the terminal received until then, the CPU seconds
    the program had used when `marker` came (less swayed by a busy machine),
    and the seconds until `frame` was first on the terminal (at the latest
    with `marker`).
    `answer`: the terminal answers Device Attributes. With a warm `parent`
    the session is its new child: its memory and CPU seconds are added to
    the launcher's."""
    before = parent.sessions() if parent else set()
    started = time.perf_counter()
    pid, master = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        try:
            os.chdir(cwd)
            os.execvpe(command[0], command, env)
        finally:
            os._exit(127)
    seen = bytearray()
    answered = not answer
    framed = None
    try:
        while marker not in seen:
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"{command} never showed {marker!r}: {bytes(seen[-500:])!r}")
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    raise RuntimeError(f"{command} ended: {bytes(seen[-500:])!r}") from None
                if not answered and DA1_QUESTION in seen:
                    os.write(master, DA1_ANSWER)
                    answered = True
                if framed is None and frame is not None and frame in seen:
                    framed = time.perf_counter() - started
        shown = time.perf_counter() - started
        session = (parent.sessions() - before) if parent else set()
        if parent and len(session) != 1:
            raise RuntimeError(f"not one warm session: {session}")
        cpu = cpu_seconds(pid) + sum(cpu_seconds(p) for p in session)
        # Let the frame settle before reading the memory it holds.
        deadline = time.perf_counter() + 1.0
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:  # it ended
                    break
        return (shown, rss_mb(pid) + sum(rss_mb(p) for p in session), len(seen), cpu,
                shown if framed is None else min(framed, shown))
    finally:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    os.read(master, 65536)
                except OSError:
                    pass
            if os.waitpid(pid, os.WNOHANG)[0]:
                break
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(master)


def side_by_side(db_url: str, runs: int = 5, *, answer: bool = True,
                 marker: bytes = BAKSO_ROW) -> dict:
    """The bare app, `bakso tui` cold, warm (the user's parent) and through the
    office's parent (root only), alternated, medians. On PostgreSQL also the
    floors under a cold start: the bare app filling its table by psycopg
    alone, and with SQLAlchemy's ORM imported too (bench/bare_table.py).
    For each, the first frame as well (``frame_ratio``): `bakso tui` draws its
    screen before its rows when it knows the account (bakso_tui/opening.py)."""
    parent = WarmParent().start()
    office = OfficeParent().start() if os.getuid() == 0 else None
    try:
        programs = {"bare": (BARE, BARE_ROW, _env(db_url), None),
                    "cold": (BAKSO, marker, _env(db_url), None),
                    "warm": (BAKSO, marker, _env(db_url, parent.base), parent)}
        if office is not None:  # (a runtime folder without a parent: the office's or cold)
            programs["office"] = (BAKSO, marker, _env(db_url, office.base, office.socket), office)
        if db_url.startswith("postgresql"):  # the floors under a cold start (bench/bare_table.py)
            programs["floor_psycopg"] = (BARE + ["--read", db_url], BARE_ROW, _env(db_url), None)
            programs["floor_orm"] = (BARE + ["--orm", "--read", db_url], BARE_ROW, _env(db_url),
                                     None)
        for command, marker, env, warm in programs.values():  # the disk cache warm for all
            time_to_rows(command, marker, env, answer=answer, parent=warm)
        seen: dict[str, list[tuple]] = {name: [] for name in programs}
        for _ in range(runs):
            for name, (command, marker, env, warm) in programs.items():
                seen[name].append(time_to_rows(command, marker, env, answer=answer, parent=warm,
                                               frame=FRAMES.get(marker)))
    finally:
        parent.stop()
        if office is not None:
            office.stop()

    def median(name: str, i: int) -> float:
        return statistics.median(run[i] for run in seen[name])

    figures = {"terminal_answers": answer, "runs": runs,
               "bare_50_row_table_s": round(median("bare", 0), 3),
               "bare_cpu_s": round(median("bare", 3), 2), "bare_rss_mb": round(median("bare", 1), 1)}
    for name in (n for n in programs if n != "bare"):
        figures[name] = {
            "first_frame_s": round(median(name, 4), 3),
            "frame_ratio": round(median(name, 4) / median("bare", 0), 2),
            "first_rows_s": round(median(name, 0), 3),
            "ratio": round(median(name, 0) / median("bare", 0), 2),
            "ratio_per_run": [round(o[0] / b[0], 2) for o, b in zip(seen[name], seen["bare"],
                                                                     strict=True)],
            "cpu_s": round(median(name, 3), 2),
            "cpu_ratio": round(median(name, 3) / median("bare", 3), 2),
            "rss_mb": round(median(name, 1), 1)}
    return figures


def _spawn(command: list[str], env: dict[str, str]) -> tuple[int, int]:
    pid, master = pty.fork()
    if pid == 0:
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
            os.chdir(ROOT)
            os.execvpe(command[0], command, env)
        finally:
            os._exit(127)
    return pid, master


def _pss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    return 0.0


def concurrent_sessions(db_url: str, n: int = 30, *, warm: bool = False) -> dict:
    """`n` sessions open at once on one machine (80x24 each), as an office's
    server holds them: each started after the one before shows its rows; then
    their memory (resident, and proportional: shared pages split among them)
    and the CPU all of them use in 5 idle seconds. `warm`: through one warm
    parent; the launchers, the sessions and the parent are all counted."""
    parent = WarmParent().start() if warm else None
    env = _env(db_url, parent.base if parent else None)
    sessions: dict[int, int] = {}  # master -> pid
    outputs: dict[int, bytearray] = {}
    starts = []

    def drain(wait: float) -> None:
        ready, _, _ = select.select(list(sessions), [], [], wait)
        for master in ready:
            try:
                outputs[master] += os.read(master, 65536)
            except OSError:
                raise RuntimeError(f"a session ended: {bytes(outputs[master][-300:])!r}") from None

    try:
        for _ in range(n):
            started = time.perf_counter()
            pid, master = _spawn(BAKSO, env)
            sessions[master], outputs[master] = pid, bytearray()
            while BAKSO_ROW not in outputs[master]:
                if time.perf_counter() - started > 120:
                    raise TimeoutError("a session never showed its rows")
                drain(0.05)
            starts.append(time.perf_counter() - started)
        settle = time.perf_counter() + 2
        while time.perf_counter() < settle:
            drain(0.05)
        pids = list(sessions.values())
        if parent:
            pids += sorted(parent.sessions())
        cpu_before = sum(cpu_seconds(p) for p in pids)
        idle = time.perf_counter() + 5
        while time.perf_counter() < idle:
            drain(0.05)
        cpu_idle = sum(cpu_seconds(p) for p in pids) - cpu_before
        rss = sorted(rss_mb(p) for p in pids[-n:])  # a session's own (warm: the child)
        pss = [_pss_mb(p) for p in pids] + ([_pss_mb(parent.pid)] if parent else [])
        launchers_pss = sum(_pss_mb(p) for p in list(sessions.values())) if parent else None
    finally:
        for master, pid in sessions.items():
            os.kill(pid, signal.SIGTERM)
        for master, pid in sessions.items():
            deadline = time.monotonic() + 20
            while not os.waitpid(pid, os.WNOHANG)[0]:
                if time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    break
                try:
                    if select.select([master], [], [], 0.05)[0]:
                        os.read(master, 65536)
                except OSError:
                    pass
            os.close(master)
        if parent:
            parent.stop()
    return {"sessions": n, "warm": warm,
            "launchers_pss_mb_total": round(launchers_pss) if launchers_pss is not None else None,
            "first_started_s": round(starts[0], 2),
            "last_started_s_with_the_others_open": round(starts[-1], 2),
            "rss_mb_median_max": [round(statistics.median(rss), 1), round(rss[-1], 1)],
            "pss_mb_total": round(sum(pss)),
            "cpu_s_all_sessions_in_5_idle_s": round(cpu_idle, 2)}


def over_ssh(db_url: str, runs: int = 3) -> dict:
    """The same through a real sshd on loopback, set up as docs/ssh.md says
    (the client's pseudo-terminal is watched, and answers Device Attributes as
    every terminal does), cold. Also the bytes a session's first screen costs
    the link, with and without COLORTERM=truecolor; and, as root, the start-up
    through the office's parent (:func:`_over_ssh_warm`)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import shutil
    import tempfile

    from ssh_rig import SshRig, SshUnavailable, bakso_command

    bare = f"cd {ROOT} && exec {sys.executable} -m bench.bare_table"
    ours = f"exec {bakso_command()} tui"
    figures: dict = {}
    env = _env(None)
    for colorterm in ("truecolor", None):
        root = Path(tempfile.mkdtemp(prefix="bakso-ssh-"))
        try:
            rig = SshRig(root, db_url=db_url, colorterm=colorterm, force_command=False,
                         extra_env={"BAKSO_WARM": "0"}).start()
        except SshUnavailable as exc:
            return {"skipped": str(exc)}
        try:
            if colorterm:
                times_bare = [time_to_rows(rig.client_command(bare), BARE_ROW, env, answer=True)[0]
                              for _ in range(runs)]
                shown = [time_to_rows(rig.client_command(ours), BAKSO_ROW, env, answer=True)
                         for _ in range(runs)]
                times = [s[0] for s in shown]
                figures.update({
                    "bare_50_row_table_s": round(statistics.median(times_bare), 3),
                    "bakso_tui_first_rows_s": round(statistics.median(times), 3),
                    "ratio": round(statistics.median(times) / statistics.median(times_bare), 2),
                    "first_screen_kb_truecolor": round(statistics.median(s[2] for s in shown) / 1024, 1)})
            else:
                shown = [time_to_rows(rig.client_command(ours), BAKSO_ROW, env, answer=True)
                         for _ in range(runs)]
                figures["first_screen_kb_256_colours"] = round(
                    statistics.median(s[2] for s in shown) / 1024, 1)
        finally:
            rig.stop()
            shutil.rmtree(root, ignore_errors=True)
    if os.getuid() == 0:
        figures["through_the_office_parent"] = _over_ssh_warm(db_url, runs, bare, ours, env)
    return figures


def _over_ssh_warm(db_url: str, runs: int, bare: str, ours: str, env: dict) -> dict:
    """The same in 256 colours with the office's parent serving (root only), as a
    server set up by docs/bakso-warm.service does, the bare app alternated with it,
    the client's terminal answering Device Attributes as every terminal does."""
    import shutil
    import tempfile

    from ssh_rig import SshRig

    from bakso_tui import warm

    office = OfficeParent().start()
    root = Path(tempfile.mkdtemp(prefix="bakso-ssh-"))
    try:
        # sshd's SetEnv gives the sessions the parent's own variables (docs/ssh.md: keep the
        # unit's Environment= equal to SetEnv), PYTHONDONTWRITEBYTECODE among them if set here.
        rig = SshRig(root, db_url=db_url, colorterm=None, force_command=False,
                     extra_env={**warm.keyed(_env(None)), "BAKSO_WARM": "1",
                                "BAKSO_WARM_SOCKET": office.socket,
                                "XDG_RUNTIME_DIR": office.base}).start()
        try:
            time_to_rows(rig.client_command(ours), BAKSO_ROW, env, parent=office, answer=True)
            bare_times, ours_times = [], []
            for _ in range(runs):
                bare_times.append(time_to_rows(rig.client_command(bare), BARE_ROW, env,
                                               answer=True)[0])
                ours_times.append(time_to_rows(rig.client_command(ours), BAKSO_ROW, env,
                                               parent=office, answer=True)[0])
        finally:
            rig.stop()
    finally:
        office.stop()
        shutil.rmtree(root, ignore_errors=True)
    return {"bare_50_row_table_s": round(statistics.median(bare_times), 3),
            "bakso_tui_first_rows_s": round(statistics.median(ours_times), 3),
            "ratio": round(statistics.median(ours_times) / statistics.median(bare_times), 2)}


def measure(db, *, ssh: bool = True) -> dict:
    """Both measurements on `db` (a seeded database), with a user of this
    system login (`bakso tui` signs in as it)."""
    from bakso_tui.domain import users

    def role(name: str) -> None:
        with db.write() as s:
            if users.get_user(s, users.os_login()) is None:
                users.add_user(s, users.cli_actor(), login=users.os_login(), name="Petugas Uji",
                               role=name)
            else:  # (the rules refuse changing one's own role; this is the bench's own account)
                from sqlalchemy import update

                from bakso_tui.db.models import User

                s.execute(update(User).where(User.login == users.os_login()).values(role=name))

    role("verifier")  # the queue
    figures = {"from_the_shell": side_by_side(db.url),
               "from_the_shell_silent_terminal": side_by_side(db.url, answer=False),
               "thirty_sessions_cold": concurrent_sessions(db.url),
               "thirty_sessions_warm": concurrent_sessions(db.url, warm=True)}
    if ssh:
        figures["over_ssh"] = over_ssh(db.url)
    role("supervisor")  # the dashboard
    figures["dashboard_from_the_shell"] = side_by_side(db.url, marker=DASHBOARD_ROW)
    save("startup", figures)
    return figures


def run(n: int = 1_000_000, *, ssh: bool = True) -> dict:
    from bakso_tui.demo.bulk import bulk_seed

    with pg_database() as db:
        with Timer() as seeding:
            bulk_seed(db, n)
        figures = {"submissions": n, "seed_seconds": round(seeding.seconds, 1),
                   **measure(db, ssh=ssh)}
    save("startup", figures)
    return figures


if __name__ == "__main__":  # python -m bench.startup [N] [--no-ssh]
    numbers = [a for a in sys.argv[1:] if a.isdigit()]
    run(int(numbers[0]) if numbers else 1_000_000, ssh="--no-ssh" not in sys.argv)
