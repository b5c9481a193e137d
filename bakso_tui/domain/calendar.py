"""Working days of the office: weekends, national holidays and cuti bersama.

Holidays come from the `holidays` package (``country_holidays("ID",
categories=("public", "government"))``: "government" holds the cuti bersama
days), and each year's answer is kept in the user's cache folder for the
next sessions (:func:`_holidays`). Times are the office's local time, WITA
(Asia/Makassar) for Lombok.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import holidays

OFFICE_TZ = ZoneInfo("Asia/Makassar")
#: The office's time zone as the screens name it.
OFFICE_TZ_NAME = "WITA"
#: When the office's counter closes on a working day (office time). A limit
#: stored as "the end of a day" (midnight after it) is shown as this time on
#: that day: the last moment a resident or a village can still be served.
OFFICE_CLOSES = time(16, 0)


#: What is asked of the package: the categories and the language of the names.
CATEGORIES = ("public", "government")
NAMES_IN = "id"


@lru_cache(maxsize=32)
def _holidays(year: int) -> dict[date, str]:
    """Indonesia's national holidays and cuti bersama in `year`, by date.

    The package's answer for a year, kept in the user's cache folder
    (``~/.cache/bakso/holidays``) under a name that holds the installed
    package's own stamp (:func:`_package_stamp`): a session that finds it
    reads a small JSON file instead of importing the package, whose rules
    and calendars cost a dashboard session 5 MB and 60 modules (issue 16: a
    session under 90 MB). Upgrading `holidays` changes the stamp, so the days
    are asked again. A file that cannot be read or written is only a miss.
    """
    path = _cache_file(year)
    if path is not None:
        try:
            return {date.fromisoformat(day): name
                    for day, name in json.loads(path.read_bytes())["days"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # not there yet, or not ours: asked again and written whole
    days = dict(_indonesia()(categories=CATEGORIES, years=year, language=NAMES_IN))
    if path is not None:
        from bakso_tui.files import write_private

        data = {"year": year, "days": {day.isoformat(): name for day, name in sorted(days.items())}}
        try:
            write_private(path, json.dumps(data, ensure_ascii=False, indent=0).encode())
        except OSError:
            pass  # a read-only home: every session asks the package
    return days


def _cache_file(year: int) -> Path | None:
    stamp = _package_stamp()
    if stamp is None:
        return None
    import platformdirs

    return (Path(platformdirs.user_cache_dir("bakso")) / "holidays"
            / f"ID-{'+'.join(CATEGORIES)}-{NAMES_IN}-{stamp}-{year}.json")


@lru_cache(maxsize=1)
def _package_stamp() -> str | None:
    """A digest of the installed package's version file and Indonesia's rules,
    read without importing the package; None when they cannot be found."""
    import hashlib
    import importlib.util

    spec = importlib.util.find_spec("holidays")  # a top-level name: nothing is imported
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0])
    digest = hashlib.sha256()
    try:
        for name in ("version.py", "countries/indonesia.py"):
            digest.update((folder / name).read_bytes())
    except OSError:
        return None
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def _indonesia() -> type[holidays.HolidayBase]:
    """The package's Indonesia class, loaded on first use (the TUI's first screen
    does not need it) and alone.

    ``holidays.country_holidays("ID")`` imports ``holidays.countries``, whose
    ``__init__`` imports all 250 countries' modules: 17 MB and 300 modules in
    every dashboard session (issue 16: a session under 90 MB). Indonesia's module
    imports nothing from that package, so it is loaded from its own file; the
    days are the package's own (a test compares them with ``country_holidays``
    over a span of years, in a process of its own).
    """
    import importlib.util
    import os
    import sys

    loaded = sys.modules.get("holidays.countries.indonesia")
    if loaded is None:
        countries = importlib.util.find_spec("holidays.countries")  # imports `holidays` only
        if countries is None or not countries.submodule_search_locations:
            raise ImportError("holidays.countries")
        path = os.path.join(list(countries.submodule_search_locations)[0], "indonesia.py")
        spec = importlib.util.spec_from_file_location("holidays.countries.indonesia", path)
        if spec is None or spec.loader is None:
            raise ImportError(path)
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = loaded  # one Indonesia, should the whole package come later
        try:
            spec.loader.exec_module(loaded)
        except BaseException:
            del sys.modules[spec.name]
            raise
    return loaded.Indonesia


def holiday_name(day: date) -> str | None:
    return _holidays(day.year).get(day)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, n: int) -> date:
    """The n-th working day after `day` (n >= 0; 0 is `day` itself if it is one)."""
    if n == 0:
        return day if is_working_day(day) else next_working_day(day)
    for _ in range(n):
        day = next_working_day(day)
    return day


def due_at(received: datetime, service_days: int) -> datetime:
    """When the service time of a submission received at `received` runs out.

    The limit is the end of the `service_days`-th working day after the day of
    receipt (office time): a file received on Friday with one service day is due
    by the end of Monday, or of Tuesday if Monday is a holiday.
    """
    local_day = received.astimezone(OFFICE_TZ).date()
    last_day = add_working_days(local_day, service_days)
    end = datetime.combine(last_day + timedelta(days=1), time(0, 0), tzinfo=OFFICE_TZ)
    return end.astimezone(UTC)


def last_service_day(due: datetime) -> date:
    """The working day a limit from `due_at` (midnight after it) belongs to."""
    return (due.astimezone(OFFICE_TZ) - timedelta(microseconds=1)).date()


def office_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(OFFICE_TZ).date()
