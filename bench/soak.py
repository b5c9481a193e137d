"""`make soak`: 32 verifiers, intake beside them, connections cut every few seconds.

On a fresh PostgreSQL database, for ``--seconds`` (300 by default):

- 32 verifier processes claim the next submission and decide it (approve,
  return or reject), as the TUI does (`claims.claim_next`, `claims.decide_once`);
  a decision not stored is decided again under the same token, as a verifier
  whose screen stayed open would; leases last one minute, so a claim whose
  answer was lost comes back soon;
- one intake process takes in zip packages of three PDFs all the while,
  sending a package again when its connection was cut;
- one fault process ends every backend the program has on that database
  (``pg_terminate_backend``) every 1-5 seconds.

The server is a private one made for the run in a temporary folder (initdb,
pg_ctl; as root it runs as the ``postgres`` user), unless ``--server`` names
one: 32 verifiers and the faults should not share a server with other work.

Then intake and faults stop, the verifiers empty the queue, and the run is
checked: every submission decided exactly once; every decision a verifier was
told is stored is in the database and nothing else is (rows lost = 0); one
audit row per decision and per package; the audit chain verifies; no
deadlock reported by PostgreSQL; every process ended by itself.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import shutil
import socket
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from bench.common import pg_database, save

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

VERIFIERS = 32
SEEDED = 2_000
LEASE_MINUTES = 1
DRAIN_SECONDS = 240  # the queue must be empty this long after the faults stop
ACTIONS = (("approve", 0.7), ("return", 0.2), ("reject", 0.1))


def _transient(exc: BaseException) -> bool:
    from bakso_tui.db.engine import transient

    return transient(exc)


def _verifier(url: str, user_id: int, login: str, stop_at: float, out) -> None:
    from sqlalchemy import func, select

    from bakso_tui.db.engine import Database
    from bakso_tui.db.models import Submission
    from bakso_tui.domain import claims
    from bakso_tui.domain.once import NotStored
    from bakso_tui.domain.users import Actor
    from bakso_tui.domain.workflow import Action

    rng = random.Random(user_id)
    db = Database(url, pool_size=1)
    actor = Actor(login=login, role="verifier", id=user_id)
    told: list[tuple[int, str]] = []  # (submission, action) the verifier was told are stored
    counts: Counter[str] = Counter()
    while True:
        try:
            claim = claims.claim_next(db, actor, lease_minutes=LEASE_MINUTES)
        except Exception as exc:  # noqa: BLE001
            if not _transient(exc):
                raise
            counts["claim_cut"] += 1
            time.sleep(0.05)
            continue
        if claim is None:
            if time.time() < stop_at:
                time.sleep(0.2)  # intake is still filling the queue
                continue
            try:
                with db.read() as s:
                    open_left = s.scalar(select(func.count()).select_from(Submission).where(
                        Submission.state.in_(["diajukan", "diverifikasi"])))
            except Exception as exc:  # noqa: BLE001
                if not _transient(exc):
                    raise
                continue
            if not open_left:
                break
            time.sleep(1.0)  # claims lost to a cut come back when their lease ends
            continue
        counts["claims"] += 1
        pick = rng.random()
        action = "approve" if pick < 0.7 else "return" if pick < 0.9 else "reject"
        reasons = {"approve": {"override_reason": "uji ketahanan"},
                   "return": {"reason_code": "scan_tidak_terbaca"},
                   "reject": {"reason_code": "duplikat"}}[action]
        while True:  # the screen stays open until the decision is stored or the claim gone
            try:
                stored = claims.decide_once(db, actor, claim.submission_id, claim.token,
                                            Action(action), now=_now(), patience=20,
                                            **reasons)
            except claims.LeaseLost:
                counts["lease_lost"] += 1
                break
            except NotStored:
                counts["not_stored_then_again"] += 1
                continue
            told.append((claim.submission_id, action))
            counts["found_after_cut" if stored.found else "stored"] += 1
            if stored.attempts > 1:
                counts["retried"] += 1
            break
    db.dispose()
    out.put((login, told, dict(counts)))


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _intake(url: str, stop_at: float, out) -> None:
    from bakso_tui.db.engine import Database
    from bakso_tui.domain.intake import Intake
    from bench.intake import make_packages

    db = Database(url, pool_size=2)
    intake = Intake(db)
    counts: Counter[str] = Counter()
    accepted: list[str] = []
    batch = 0
    with tempfile.TemporaryDirectory() as tmp:
        while time.time() < stop_at:
            folder = Path(tmp) / f"b{batch}"
            folder.mkdir()
            paths = make_packages(folder, 50, seed=batch + 11)
            for k, path in enumerate(paths):
                _rewrite_id(path, f"SOAK-{batch:04d}-{k:03d}")
            for path in paths:
                if time.time() >= stop_at:
                    break
                tries = 0
                while True:
                    tries += 1
                    try:
                        result = intake.intake(path)
                    except Exception as exc:  # noqa: BLE001
                        if not _transient(exc):
                            raise
                        counts["cut_sent_again"] += 1
                        time.sleep(0.05)
                        continue
                    counts[result.status] += 1
                    if result.status == "accepted" or (result.status == "duplicate" and tries > 1):
                        accepted.append(result.submission)
                    break
            batch += 1
    db.dispose()
    out.put(("intake", accepted, dict(counts)))


def _rewrite_id(path: Path, external_id: str) -> None:
    """Give a generated zip package its own external id (each batch starts again at 0)."""
    import json
    import zipfile

    with zipfile.ZipFile(path) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    manifest = json.loads(files["submission.json"])
    manifest["external_id"] = external_id
    files["submission.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)


def _faults(admin_url: str, database: str, stop_at: float, out) -> None:
    from faults import terminate_backends

    rng = random.Random(7)
    rounds = ended = 0
    while True:
        wait = rng.uniform(1.0, 5.0)
        if time.time() + wait >= stop_at:
            break
        time.sleep(wait)
        ended += terminate_backends(admin_url, database)
        rounds += 1
    out.put(("faults", rounds, ended))


@contextmanager
def _server(url: str | None):
    """The PostgreSQL server to soak: `url` (an admin URL), or by default a
    private one in a temporary folder (initdb/pg_ctl, 200 connections), so
    that 32 verifiers and the faults never disturb a shared server."""
    if url:
        yield url
        return
    from faults import PrivateCluster

    root = Path(tempfile.mkdtemp(prefix="bakso-soak-"))
    root.chmod(0o755)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cluster = PrivateCluster(root, port)
    cluster.start()
    try:
        yield cluster.admin_url
    finally:
        cluster.stop("fast")
        shutil.rmtree(root, ignore_errors=True)




def run(seconds: float = 300.0, verifiers: int = VERIFIERS, seeded: int = SEEDED,
        server: str | None = None) -> dict:
    with _server(server) as admin_url:
        return _run(admin_url, seconds, verifiers, seeded)


def _run(admin_url: str, seconds: float, verifiers: int, seeded: int) -> dict:
    from sqlalchemy import func, select, text

    from bakso_tui.db.models import AuditEntry, AuditHead, Decision, Submission
    from bakso_tui.demo.bulk import bulk_seed
    from bakso_tui.domain import audit, users

    ctx = mp.get_context("fork")
    with pg_database(admin_url=admin_url, prefix="bakso_soak", pool_size=5) as db:
        bulk_seed(db, seeded)
        with db.write() as s:
            people = [(users.add_user(s, users.cli_actor(), login=f"v{k}", name=f"V{k}",
                                      role="verifier").id, f"v{k}") for k in range(verifiers)]
        database = db.engine.url.database
        with db.read() as s:
            audit_before = s.scalar(select(AuditHead.count))
        out = ctx.Queue()
        started = time.time()
        stop_at = started + seconds
        procs = [ctx.Process(target=_verifier, args=(db.url, uid, login, stop_at, out))
                 for uid, login in people]
        procs.append(ctx.Process(target=_intake, args=(db.url, stop_at, out)))
        procs.append(ctx.Process(target=_faults, args=(admin_url, database, stop_at, out)))
        for p in procs:
            p.start()
        results = []
        deadline = stop_at + DRAIN_SECONDS
        while len(results) < len(procs) and time.time() < deadline:
            try:
                results.append(out.get(timeout=5))
            except Exception:  # noqa: BLE001 - queue.Empty: still working
                pass
        for p in procs:
            p.join(max(1.0, deadline + 10 - time.time()))
        stuck = [p.pid for p in procs if p.is_alive()]  # a process that never ended by itself
        for p in procs:
            if p.is_alive():
                p.kill()
        elapsed = time.time() - started

        told: Counter[int] = Counter()
        told_actions: dict[int, str] = {}
        counts: Counter[str] = Counter()
        accepted: list[str] = []
        rounds = ended = 0
        for item in results:
            if item[0] == "faults":
                rounds, ended = item[1], item[2]
            elif item[0] == "intake":
                accepted = item[1]
                counts.update({f"intake_{k}": v for k, v in item[2].items()})
            else:
                for sid, action in item[1]:
                    told[sid] += 1
                    told_actions[sid] = action
                counts.update(item[2])

        with db.read() as s:
            subs = Counter(s.scalars(select(Submission.state)))
            per_submission = Counter(s.scalars(select(Decision.submission_id)))
            stored_actions = dict(s.execute(select(Decision.submission_id, Decision.action)).all())
            audit_decisions = Counter(s.execute(
                select(AuditEntry.target_id).where(AuditEntry.action.in_(
                    ["submission.approve", "submission.return", "submission.reject"]))).scalars())
            received = s.scalar(select(func.count()).select_from(AuditEntry)
                                .where(AuditEntry.action == "submission.receive"))
            total = sum(subs.values())
            verified = audit.verify(s)
            deadlocks = s.execute(text("SELECT deadlocks FROM pg_stat_database WHERE datname = :d"),
                                  {"d": database}).scalar()
        told_set, stored_set = set(told), set(per_submission)
        figures = {
            "seconds": round(seconds),
            "elapsed_s": round(elapsed),
            "verifiers": verifiers,
            "submissions": total,
            "seeded": seeded,
            "intake_accepted": len(accepted),
            "decisions": sum(per_submission.values()),
            "decisions_per_s": round(sum(per_submission.values()) / elapsed, 1),
            "fault_rounds": rounds,
            "backends_ended": ended,
            "states": dict(subs),
            "decided_twice": sum(1 for n in per_submission.values() if n > 1),
            "undecided": total - len(stored_set),
            "told_stored_but_missing (rows lost)": len(told_set - stored_set),
            "stored_but_never_told": len(stored_set - told_set),
            "told_twice": sum(1 for n in told.values() if n > 1),
            "action_mismatch": sum(1 for sid in told_set & stored_set
                                   if told_actions[sid] != stored_actions[sid]),
            "audit_rows_per_decision": sorted(set(audit_decisions.values())),
            "audit_decision_rows_missing": len(stored_set - {int(t) for t in audit_decisions}),
            "audit_receive_rows": received,
            "audit_rows": verified.count,
            "audit_rows_before": audit_before,
            "chain_verifies": verified.ok,
            "deadlocks": deadlocks,
            "stuck_processes": len(stuck),
            "counts": dict(counts),
        }
        ok = (figures["decided_twice"] == 0 and figures["undecided"] == 0
              and figures["told_stored_but_missing (rows lost)"] == 0
              and figures["stored_but_never_told"] == 0 and figures["told_twice"] == 0
              and figures["action_mismatch"] == 0
              and figures["audit_rows_per_decision"] in ([1], [])
              and figures["audit_decision_rows_missing"] == 0
              and received == total - seeded and total == seeded + len(accepted)
              and verified.ok and not stuck and deadlocks == 0)
        figures["ok"] = ok
    save("soak", figures)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="make soak", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="how long faults run (300)")
    parser.add_argument("--verifiers", type=int, default=VERIFIERS)
    parser.add_argument("--seeded", type=int, default=SEEDED,
                        help="submissions in the queue at the start")
    parser.add_argument("--server", metavar="ADMIN_URL",
                        help="soak this PostgreSQL server (default: a private one made for the run)")
    args = parser.parse_args(argv)
    figures = run(args.seconds, args.verifiers, args.seeded, args.server)
    for key, value in figures.items():
        print(f"{key:38} {value}")
    sys.exit(0 if figures["ok"] else 1)


if __name__ == "__main__":
    main()
