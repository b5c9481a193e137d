"""A PostgreSQL server restarted (and crashed) under the program: a private
cluster the test controls (`faults.PrivateCluster`).

Verifiers go on deciding through two restarts, each submission decided
exactly once; the TUI says the database is away while the server is down,
viewing attachments and deciding, and goes on by itself when it is back.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import IN_CI
from faults import PrivateCluster
from sqlalchemy import create_engine, func, select, text

from bakso_tui.db import migrate
from bakso_tui.db.engine import Database, transient
from bakso_tui.db.models import AuditEntry, Decision, Submission
from bakso_tui.domain.reference import sync_reference
from bakso_tui.demo.bulk import bulk_seed
from bakso_tui.domain import audit, claims, users
from bakso_tui.domain.workflow import Action

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster():
    # Not under pytest's temporary folder: root's is closed to the server's user.
    root = Path(tempfile.mkdtemp(prefix="bakso-pg-"))
    root.chmod(0o755)
    try:
        made = PrivateCluster(root, _free_port())
        made.start()
    except Exception as exc:  # noqa: BLE001 - no initdb here: say why
        if IN_CI:
            pytest.fail(f"CI=true and no private PostgreSQL cluster: {exc}", pytrace=False)
        pytest.skip(f"cannot run a private PostgreSQL cluster here: {exc}")
    admin = create_engine(made.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('CREATE DATABASE "template_bakso"'))
    admin.dispose()
    template = Database(made.url("template_bakso"))
    migrate.upgrade(template)
    with template.write() as session:
        sync_reference(session)
    template.dispose()
    yield made
    made.stop("immediate")
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def restart_db(cluster):
    name = f"bakso_{uuid.uuid4().hex[:8]}"
    admin = create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "template_bakso"'))
    admin.dispose()
    db = Database(cluster.url(name))
    yield db
    db.dispose()


def test_decisions_go_on_through_a_restart_and_a_crash(cluster, restart_db):
    db = restart_db
    total = 60
    bulk_seed(db, total, now=NOW - timedelta(hours=1))
    with db.write() as s:
        people = [users.add_user(s, users.cli_actor(), login=f"v{i}", name=f"V{i}",
                                 role="verifier").actor() for i in range(4)]
    decided: Counter[int] = Counter()
    errors: list[BaseException] = []
    lost_claims: list[claims.Claim] = []
    pause = threading.Event()

    def verifier(actor) -> None:
        mine = Database(db.url, pool_size=1)
        try:
            while True:
                try:
                    claim = claims.claim_next(mine, actor, now=NOW)
                except Exception as exc:  # noqa: BLE001
                    if not transient(exc):
                        raise
                    time.sleep(0.2)  # the server is restarting
                    continue
                if claim is None:
                    return
                try:
                    claims.decide_once(mine, actor, claim.submission_id, claim.token,
                                       Action.REJECT, reason_code="duplikat", now=NOW,
                                       patience=60)
                except claims.LeaseLost:
                    # The claim was lost in the crash (claims commit without
                    # waiting for the disk): told, nothing stored; the
                    # submission is back in the queue for whoever is next.
                    lost_claims.append(claim)
                    continue
                decided[claim.submission_id] += 1
                pause.wait(0.02)  # a person reads a little between decisions
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            mine.dispose()

    threads = [threading.Thread(target=verifier, args=(p,)) for p in people]
    for th in threads:
        th.start()
    time.sleep(0.4)
    cluster.restart("fast")  # an administrator's restart
    time.sleep(0.4)
    cluster.restart("immediate")  # a crash, and recovery
    for th in threads:
        th.join(120)
    assert not errors, errors
    assert len(decided) < total or max(decided.values()) == 1
    with db.write() as s:  # claims whose answer was lost in a restart wait for their lease
        claims.expire_leases(s, now=NOW + timedelta(hours=1))
    while (claim := claims.claim_next(db, people[0], now=NOW + timedelta(hours=1))):
        claims.decide_once(db, people[0], claim.submission_id, claim.token, Action.REJECT,
                           reason_code="duplikat", now=NOW + timedelta(hours=1))
        decided[claim.submission_id] += 1
    with db.read() as s:
        per_submission = Counter(s.scalars(select(Decision.submission_id)))
        rejected = s.scalar(select(func.count()).select_from(Submission)
                            .where(Submission.state == "ditolak"))
        audit_rejects = s.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "submission.reject"))
        result = audit.verify(s)
    assert set(per_submission.values()) == {1} and len(per_submission) == total
    assert rejected == total == audit_rejects
    assert max(decided.values()) == 1
    assert result.ok, result
    print(f"restart and crash: {total} decided once each, {len(lost_claims)} claims lost "
          "in the crash and refused by their token")


def test_the_tui_through_two_restarts_while_viewing_and_deciding(cluster, restart_db, monkeypatch):
    import asyncio

    from textual.widgets import Static

    from bakso_tui import resilience
    from bakso_tui.screens.submission import DecisionDialog, SubmissionScreen
    from bakso_tui.screens.viewer import AttachmentViewer
    from test_tui_submission import complete
    from tui_helpers import app_for, seed_office, settle

    monkeypatch.setattr(resilience, "PROBE_BACKOFF", (0.2, 0.5, 1.0))
    office = seed_office(restart_db)
    first = office.work_order[0]
    complete(restart_db, first)

    def away(app) -> str:
        line = app.screen.query_one("#header-db", Static)
        return str(line.render()) if line.display else ""

    async def until(pilot, condition, seconds=20.0):
        for _ in range(int(seconds / 0.1)):
            if condition():
                return
            await pilot.pause(0.1)
        raise AssertionError("waited in vain")

    async def run() -> None:
        app = app_for(replace(office, db=restart_db))
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, SubmissionScreen)
            await pilot.press("v")
            await settle(pilot)
            viewer = app.screen
            assert isinstance(viewer, AttachmentViewer) and viewer.file is not None
            # Restart 1: the server goes down while an attachment is being looked at.
            cluster.stop("fast")
            await pilot.press("right_square_bracket")  # the next attachment: an audited read
            await settle(pilot)
            assert app.is_running and app.screen is viewer
            assert "Basis data tidak terjangkau" in away(app)
            cluster.start()
            await until(pilot, lambda: away(app) == "")
            await until(pilot, lambda: viewer.file is not None)  # fetched again by itself
            assert viewer.index == 1
            await pilot.press("escape")
            await settle(pilot)
            # Restart 2: down while deciding; back within the decision's patience.
            cluster.stop("immediate")
            await pilot.press("a")
            await pilot.pause()
            assert isinstance(app.screen, DecisionDialog)
            await pilot.press("enter")
            await pilot.pause(1.0)
            cluster.start()
            await settle(pilot)
            assert any(str(n.message) == f"{first} disetujui" for n in app._notifications)

    asyncio.run(run())
    with restart_db.read() as s:
        count = s.scalar(select(func.count()).select_from(Decision).join(Submission)
                         .where(Submission.number == first))
        assert count == 1
        assert audit.verify(s).ok
