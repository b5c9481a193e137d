"""Running intake: one package at a time or many side by side, never stopped by one.

:meth:`Intake.intake` reads a package, then answers with exactly one result:

- ``accepted`` / ``duplicate`` / ``quarantined`` (see the package docstring);
- ``failed`` only when nothing could be stored: the path cannot be read (it
  does not exist, or permissions) or the database stayed unreachable after a
  few tries. The package is left where it is, and the next run takes it again.

Whatever goes wrong while reading or checking one package (a RecursionError, an
OverflowError, a bug of ours tripped by strange input) quarantines that package
with a reason instead of ending the run. Transient database errors (a
deadlock, a serialisation failure, a dropped connection) are retried.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import DBAPIError, OperationalError

from bakso_tui.attachments.package import (
    MANIFEST,
    PackageError,
    PackageLimits,
    read_package,
    salvage,
)
from bakso_tui.attachments.store import BlobStore
from bakso_tui.config import Settings
from bakso_tui.db.engine import Database
from bakso_tui.db.types import utcnow
from bakso_tui.domain.intake import checks, store
from bakso_tui.domain.intake.manifest import ManifestRefused, identity, read_manifest
from bakso_tui.domain.intake.reasons import Reason, reason
from bakso_tui.domain.intake.store import IntakeResult
from bakso_tui.locale.plain import visible

log = logging.getLogger(__name__)

# Transient database troubles are tried this many times, waiting a little longer each time.
WRITE_TRIES = 4
RETRY_WAIT_S = 0.2


class _Quarantine(Exception):
    """The package is refused: keep it with `reasons`."""

    def __init__(self, reasons: list[Reason], raw_manifest: dict | None = None) -> None:
        super().__init__(reasons[0].code)
        self.reasons = reasons
        self.raw_manifest = raw_manifest


def _transient(exc: BaseException) -> bool:
    """A database error worth trying again: lost connection, deadlock, serialisation."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    if code is not None:
        return code in ("40001", "40P01", "55P03", "57P01", "57P02", "57P03") or code.startswith("08")
    return isinstance(exc, OperationalError)  # SQLite busy, or a connection that went away


class Intake:
    """Intake with one office's settings; safe to use from several threads.

    The reference data (villages, catalogue) is read once, when first needed:
    an Intake lives for one run of ``bakso intake`` or of the inbox job.
    """

    def __init__(self, db: Database, settings: Settings | None = None, *, actor: str = "intake"):
        self.db = db
        self.settings = settings or Settings()
        att = self.settings.attachments
        self.package_limits = PackageLimits(
            max_package_bytes=att.max_package_bytes, max_file_bytes=att.max_file_bytes
        )
        self.file_limits = att.file_limits()
        self.store = BlobStore(att)
        self.actor = actor
        self._ref: checks.Reference | None = None

    def _reference(self) -> checks.Reference:
        if self._ref is None:
            self._ref = checks.load_reference(self.db)
        return self._ref

    # -- the one entry point

    def intake(self, path: Path, *, now: datetime | None = None) -> IntakeResult:
        """One package's result; never raises for anything the package holds."""
        now = now or utcnow()
        name = str(path)
        try:
            return self._retrying(lambda: self._intake(path, name, now))
        except _Quarantine as refused:
            return self._keep(path, name, refused.reasons, refused.raw_manifest, now)
        except OSError as exc:
            return IntakeResult(name, "failed", reasons=[
                reason("intake.unreadable_path", path=name, detail=exc.strerror or str(exc))])
        except Exception as exc:  # noqa: BLE001 - one package must never stop the run
            if _transient(exc):
                return self._not_stored(name, exc)
            # One line, no traceback or message (either may quote the package's data);
            # the whole story at debug level.
            log.warning("intake of %s: unexpected %s", visible(name), type(exc).__name__)
            log.debug("intake of %s failed", visible(name), exc_info=True)
            return self._keep(path, name, [reason(
                "intake.unexpected", path.name, error=type(exc).__name__)], None, now)

    def _intake(self, path: Path, name: str, now: datetime) -> IntakeResult:
        try:
            package = read_package(path, self.package_limits)
        except PackageError as exc:
            if exc.code == "not_found":
                return IntakeResult(name, "failed", reasons=[reason("package.not_found", **exc.params)])
            # The place is the package, unless the message already names it.
            names_it = exc.params.get("path") in (visible(path.name), visible(str(path)))
            where = "" if names_it else path.name
            raise _Quarantine([reason(f"package.{exc.code}", where, **exc.params)]) from None

        manifest_bytes = package.get(MANIFEST)
        if manifest_bytes is None:
            raise _Quarantine([reason("intake.no_manifest")])
        try:
            raw, manifest = read_manifest(manifest_bytes)
        except ManifestRefused as refused:
            village, external = identity(refused.raw)
            if village is not None:
                known = store.existing(self.db, village, external)
                if known is not None:  # a package already accepted: a re-send changes nothing
                    return IntakeResult(name, "duplicate", submission=known)
            raise _Quarantine(refused.reasons, refused.raw) from None

        # Idempotency first: a package already accepted changes nothing.
        known = store.existing(self.db, manifest.village_code, manifest.external_id)
        if known is not None:
            return IntakeResult(name, "duplicate", submission=known)

        reasons, checked = checks.check(self.db, self._reference(), package, manifest, raw, now,
                                        self.file_limits)
        if reasons:
            raise _Quarantine(reasons, raw)
        return store.accept(self.db, self.store, name, checked, now, self.actor)

    def _keep(self, path: Path, name: str, reasons: list[Reason], raw_manifest: dict | None,
              now: datetime) -> IntakeResult:
        """Quarantine the package by its sha256; "failed" if it cannot be read or stored."""
        try:
            raw, sha = salvage(path, self.package_limits)
            if sha is None:
                return IntakeResult(name, "failed", reasons=reasons)
            village, external = identity(raw_manifest)
            return self._retrying(lambda: store.quarantine(
                self.db, self.store, name, raw=raw, package_sha256=sha, village=village,
                external=external, reasons=reasons, now=now, actor=self.actor))
        except Exception as exc:  # noqa: BLE001 - report, never stop the run
            if not _transient(exc):
                log.warning("quarantine of %s: unexpected %s", visible(name), type(exc).__name__)
                log.debug("quarantine of %s failed", visible(name), exc_info=True)
            return self._not_stored(name, exc, reasons)

    @staticmethod
    def _not_stored(name: str, exc: BaseException, reasons: list[Reason] | None = None
                    ) -> IntakeResult:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0:1]
        return IntakeResult(name, "failed", reasons=[
            *(reasons or []),
            reason("intake.not_stored", error=type(exc).__name__, detail=" ".join(detail)),
        ])

    def _retrying(self, step):
        """Run `step`, again after a short wait when the database failed in passing."""
        for attempt in range(1, WRITE_TRIES + 1):
            try:
                return step()
            except Exception as exc:
                if attempt == WRITE_TRIES or not _transient(exc):
                    raise
                time.sleep(RETRY_WAIT_S * attempt)
        raise AssertionError("unreachable")

    def intake_many(self, paths: Iterable[Path], *, workers: int = 4,
                    now: datetime | None = None) -> Iterator[IntakeResult]:
        """Intake of many packages, several at a time; results in the order given.

        At most ``2 × workers`` packages are in flight, so memory stays flat
        however many are given. Every package gets exactly one result.
        """
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="intake") as pool:
            window: deque = deque()
            for path in paths:
                window.append(pool.submit(self.intake, path, now=now))
                if len(window) >= 2 * workers:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
