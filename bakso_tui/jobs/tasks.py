"""What each scheduled job does, and when (office time, WITA, whatever the host's zone).

Every job is idempotent: run twice, or by hand (`bakso jobs once ID`) beside
the daemon, it does its work once. Each returns an `Outcome` with its counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bakso_tui.config import Settings, batch_dir, lists_dir
from bakso_tui.db.engine import Database
from bakso_tui.db.types import utcnow
from bakso_tui.domain import audit, batches
from bakso_tui.domain.batches.output import PdfPipeline, print_batch
from bakso_tui.domain.calendar import OFFICE_TZ, office_today
from bakso_tui.domain.users import Actor
from bakso_tui.files import private_dir, write_private
from bakso_tui.jobs.runs import Outcome
from bakso_tui.locale import t

SYSTEM = Actor(login="system:jobs", role="system")


@dataclass
class JobContext:
    db: Database
    settings: Settings
    clock: Callable[[], datetime] = utcnow


@dataclass(frozen=True)
class JobSpec:
    id: str
    run: Callable[[JobContext], Outcome]
    trigger: Callable[[Settings], BaseTrigger]
    daily: bool  # a fixed time of day (caught up once when missed), else every few minutes

    @property
    def name(self) -> str:
        return t(f"jobs.name.{self.id.replace('-', '_')}")


def _at(hhmm: str) -> CronTrigger:
    """Every day at HH:MM[:SS], office time: the zone is given here, never the host's."""
    parts = [int(p) for p in hhmm.split(":")]
    return CronTrigger(hour=parts[0], minute=parts[1], second=parts[2] if len(parts) > 2 else 0,
                       timezone=OFFICE_TZ)


def _every(minutes: int) -> IntervalTrigger:
    return IntervalTrigger(minutes=minutes, timezone=OFFICE_TZ)


def close_batches(ctx: JobContext) -> Outcome:
    """The day's batches: close, write their PDFs, print what is not printed yet."""
    now = ctx.clock()
    today = office_today(now)
    settings = ctx.settings
    folder = batch_dir(settings)
    with PdfPipeline(ctx.db, folder, settings) as pdfs:  # drawn while the next closes
        closed = batches.close_batches(ctx.db, SYSTEM, day=today, now=now,
                                       handover_days=settings.batches.handover_days,
                                       on_closed=lambda c: pdfs.add(c.number))
        pdfs.finish()
    counts = {"batches": len(closed), "documents": sum(c.added for c in closed),
              "printed": 0, "print_failed": 0}
    errors: list[str] = []
    if settings.printer:
        with ctx.db.read() as session:
            waiting = [b.number for b in batches.iter_batches(
                session, batches.BatchFilter(state=batches.BatchState.CLOSED.value))]
        for number in waiting:
            try:
                print_batch(ctx.db, SYSTEM, number, settings.printer, folder, settings)
                counts["printed"] += 1
            except batches.BatchError as exc:
                counts["print_failed"] += 1
                errors.append(str(exc))
    if errors:
        return Outcome("error", counts, errors[0])
    return Outcome("ok" if closed else "nothing", counts)


def inbox_poll(ctx: JobContext) -> Outcome:
    from bakso_tui.domain.intake import Intake
    from bakso_tui.jobs.inbox import process_inbox

    run = process_inbox(Intake(ctx.db, ctx.settings), ctx.settings.jobs.inbox)
    counts = run.counts
    return Outcome("ok" if run.results else "nothing", counts)


def expire_leases(ctx: JobContext) -> Outcome:
    from bakso_tui.domain.claims import expire_leases as expire

    with ctx.db.write() as session:
        n = expire(session, now=ctx.clock())
    return Outcome("ok" if n else "nothing", {"returned": n})


def flag_sla(ctx: JobContext) -> Outcome:
    from bakso_tui.domain.sla import flag_past_sla

    with ctx.db.write() as session:
        n = flag_past_sla(session, now=ctx.clock())
    return Outcome("ok" if n else "nothing", {"flagged": n})


def flag_overdue(ctx: JobContext) -> Outcome:
    with ctx.db.write() as session:
        late = batches.flag_overdue(session, now=ctx.clock())
    return Outcome("ok" if late else "nothing", {"flagged": len(late)})


def verify_audit(ctx: JobContext) -> Outcome:
    """Check the chain against itself and the anchor file, then anchor today's head there."""
    path = ctx.settings.resolved_anchor_file()
    anchors = audit.read_anchors(path) if path.exists() else []
    with ctx.db.read() as session:
        result = audit.verify(session, anchors)
        anchor = audit.current_anchor(session, ctx.clock().astimezone(OFFICE_TZ))
    counts = {"rows": result.count, "last_hash": result.last_hash, "anchors": len(anchors)}
    if not result.ok:
        held = result.anchor
        return Outcome("error", counts, t(
            f"cli.audit_broken_{result.problem}", id=result.first_bad_id, count=result.count,
            anchor_count=held.count if held else 0,
            anchor_at=held.at.isoformat(timespec="seconds") if held else ""))
    path.parent.mkdir(parents=True, exist_ok=True)
    audit.append_anchor(path, anchor)
    counts["anchored"] = str(path)
    return Outcome("ok", counts)


def recording_lists(ctx: JobContext) -> Outcome:
    """Tomorrow's recording list for each village with a service day: the PDF and the
    WhatsApp announcement written (the days marked listed), printed when a printer is set."""
    from bakso_tui.domain import schedule
    from bakso_tui.printing.cups import PrintError, print_file
    from bakso_tui.printing.manifest import announcement, filename, render_pdf

    settings, now = ctx.settings, ctx.clock()
    tomorrow = office_today(now) + timedelta(days=1)
    folder = lists_dir(settings)
    private_dir(folder)
    with ctx.db.write() as session:  # a file that cannot be written marks no day listed
        sheets = schedule.manifest_sheets(
            session, SYSTEM, day=tomorrow, office_name=settings.office_name,
            office_short=settings.office_short, lang=settings.lang, at=now)
        pdfs = []
        for sheet in sheets:
            pdf = folder / filename(sheet, "pdf")
            _write_whole(pdf, render_pdf(sheet, nik_display=settings.nik_display))
            _write_whole(folder / filename(sheet, "txt"), announcement(sheet).encode("utf-8"))
            pdfs.append(pdf)
    counts = {"day": tomorrow.isoformat(), "villages": len(sheets), "printed": 0}
    errors = []
    for pdf in pdfs if settings.printer else []:
        try:
            print_file(pdf, settings.printer, title=pdf.stem)
            counts["printed"] += 1
        except PrintError as exc:
            errors.append(str(exc))
    if errors:
        return Outcome("error", counts, errors[0])
    return Outcome("ok" if sheets else "nothing", counts)


def _write_whole(path: Path, data: bytes) -> None:
    write_private(path, data)


def job_specs(settings: Settings) -> list[JobSpec]:
    """The daemon's jobs, in the order `bakso jobs list` shows them."""
    j = settings.jobs
    specs = [
        JobSpec("batch-close", close_batches, lambda s: _at(s.batches.close_at), True),
        JobSpec("batch-overdue", flag_overdue, lambda s: _at(s.jobs.overdue_at), True),
        JobSpec("recording-lists", recording_lists, lambda s: _at(s.jobs.lists_at), True),
        JobSpec("lease-expiry", expire_leases, lambda s: _every(s.jobs.lease_minutes), False),
        JobSpec("sla-flag", flag_sla, lambda s: _every(s.jobs.sla_minutes), False),
        JobSpec("audit-verify", verify_audit, lambda s: _at(s.jobs.audit_verify_at), True),
    ]
    if j.inbox is not None:
        specs.insert(1, JobSpec("inbox", inbox_poll, lambda s: _every(s.jobs.inbox_minutes),
                                False))
    return specs
