"""Shared set-up for the TUI tests: a small office with a known queue, a fixed clock."""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from textual.pilot import Pilot
from textual.worker import WorkerFailed

from bakso_tui.app import BaksoApp, make_app
from bakso_tui.config import settings_from
from bakso_tui.db.engine import Database
from bakso_tui.db.models import Village
from bakso_tui.domain import claims, users
from bakso_tui.domain.submissions import NewSubmission, register

# Wednesday 11 March 2026, 11:00 WITA: a working week, far from Nyepi and Lebaran.
FIXED_NOW = datetime(2026, 3, 11, 3, 0, tzinfo=UTC)

NAMES = (
    "Siti Aminah", "Muhammad Rizki", "Baiq Nurul Hidayati", "Lalu Ahmad Zaini",
    "Inaq Sinah", "Amaq Sahli", "Nurul Hasanah", "Saparudin", "Rabiatul Adawiyah",
    "Hendra Saputra",
)
SERVICES = (
    "akta_kelahiran", "kk_perubahan", "ktp_el_baru", "kia", "akta_kematian", "kk_baru",
)


def fixed_clock() -> datetime:
    return FIXED_NOW


@dataclass
class Office:
    db: Database
    verifier: users.UserInfo
    supervisor: users.UserInfo
    #: Submission numbers in work order: priority first, then the oldest.
    work_order: list[str]
    #: Applicant name of each submission number.
    names: dict[str, str]


def _nik(kecamatan: str, birth: date, sex: str, serial: int) -> str:
    day = birth.day + (40 if sex == "P" else 0)
    return f"{kecamatan.replace('.', '')}{day:02d}{birth:%m%y}{serial:04d}"


def seed_office(db: Database, count: int = 30) -> Office:
    """`count` submissions through `register`: every 7th a priority (lansia), some past SLA.

    Number 9 repeats number 3's NIK and service (a possible duplicate), number
    10 states the wrong sex for its NIK (a mismatch), and spv1 holds a claim
    on number 13.
    """
    actor = users.cli_actor()
    with db.write() as session:
        verifier = users.add_user(
            session, actor, login="verif1", name="Baiq Nurul Aini", role="verifier"
        )
        supervisor = users.add_user(
            session, actor, login="spv1", name="Hj. Siti Rohani, S.Sos.", role="supervisor"
        )
        villages = session.scalars(
            select(Village.code).where(Village.code.like("52.03.%")).order_by(Village.code)
        ).all()[:12]
        keyed: list[tuple[int, datetime, int, str]] = []
        names: dict[str, str] = {}
        niks: list[str] = []
        for i in range(count):
            village = villages[i % len(villages)]
            sex = "P" if i % 2 else "L"
            birth = date(1950 + i, (i % 12) + 1, (i % 27) + 1)
            nik = _nik(village[:8], birth, sex, 100 + i)
            if i == 8:  # number 9: the same resident and service as number 3
                village, nik, sex, birth = villages[2], niks[2], "L", date(1952, 3, 3)
            niks.append(nik)
            # Ages from minutes to two days; every fifth is a week old, past its SLA.
            minutes = 7 + (i * 7919) % (2 * 24 * 60)
            if i % 5 == 0:
                minutes = 7 * 24 * 60 + i * 97
            submitted = FIXED_NOW - timedelta(minutes=minutes)
            priority = ["lansia"] if i % 7 == 3 else []
            name = NAMES[i % len(NAMES)]
            sub = register(
                session,
                NewSubmission(
                    external_id=f"TUI-{i:03d}",
                    village_code=village,
                    service_id=SERVICES[i % len(SERVICES)],
                    submitted_at=submitted,
                    operator_name="Operator Desa",
                    applicant_nik=nik,
                    applicant_kk=f"{village[:8].replace('.', '')}{date(2015, 1, 2):%d%m%y}{200 + i:04d}",
                    applicant_name=name,
                    applicant_birth_date=birth,
                    applicant_sex=("L" if sex == "P" else "P") if i == 9 else sex,
                    priority_reasons=priority,
                ),
                actor="test",
                received=submitted + timedelta(minutes=3),
            )
            keyed.append((0 if priority else 1, submitted, sub.id, sub.number))
            names[sub.number] = name
            if i == 12:
                claimed = sub.id
        claims.claim(
            session, supervisor.actor(), submission_id=claimed, now=FIXED_NOW - timedelta(minutes=5)
        )
    order = [number for *_, number in sorted(keyed)]
    return Office(db, verifier, supervisor, order, names)


def app_for(
    office: Office,
    *,
    role: str = "verifier",
    demo: bool = False,
    first_screen: str | None = "queue",
    **settings: object,
) -> BaksoApp:
    """The app for the office's verifier or supervisor; on the queue first unless
    `first_screen` says otherwise (None: the role's own first screen)."""
    user = office.verifier if role == "verifier" else office.supervisor
    # The open queue follows other sessions' changes in a thread of its own
    # (bakso_tui/live.py), at moments no test chooses: off unless a test is about it.
    settings.setdefault("live_queue", False)
    return make_app(
        settings=settings_from(settings), db=office.db, user=user, demo=demo, clock=fixed_clock,
        first_screen=first_screen,
    )


async def settle(pilot: Pilot, rounds: int = 4) -> None:
    """Wait until the workers are done and their messages handled (a page may ask for more).

    A failed worker is the app's business (it tells the user); the tests look
    at what the app shows, so the failure is not raised here.
    """
    for _ in range(rounds + 1):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerFailed:
            pass
        await pilot.pause()


def run_async(test):
    """Run an ``async def`` test on its own event loop (no asyncio plugin needed)."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return wrapper


#: The characters of the named keys a burst may hold.
_KEY_CHARACTERS = {"tab": "\t", "enter": "\r", "space": " ", "slash": "/", "escape": "\x1b"}


async def burst(pilot: Pilot, *keys: str) -> None:
    """Keys that arrive together, as a fast typist or a slow SSH link delivers
    them: all in the app's queue before the first is handled (Pilot's `press`
    waits after each). Returns once the app has dealt with them."""
    from textual import events

    app = pilot.app
    for key in keys:
        app._driver.send_message(events.Key(key, _KEY_CHARACTERS.get(key, key if len(key) == 1 else None)))
    await pilot.pause()
    while app._typed or (app._feeder is not None and not app._feeder.done()):
        await pilot.pause(0.01)
    await settle(pilot)
