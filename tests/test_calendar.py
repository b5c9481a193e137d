"""Working days, holidays and service-time deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bakso_tui.domain.calendar import OFFICE_TZ, add_working_days, due_at, holiday_name, is_working_day


def test_weekends_and_holidays_are_not_working_days():
    assert not is_working_day(date(2026, 11, 21))  # Saturday
    assert not is_working_day(date(2026, 8, 17))  # Hari Kemerdekaan
    assert not is_working_day(date(2026, 12, 24))  # cuti bersama Natal
    assert holiday_name(date(2026, 8, 17))
    assert is_working_day(date(2026, 11, 23))


def test_add_working_days_skips_weekend():
    assert add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 23)  # Fri -> Mon
    assert add_working_days(date(2026, 11, 21), 0) == date(2026, 11, 23)  # Sat -> Mon


def test_due_at_is_end_of_the_nth_working_day_office_time():
    received = datetime(2026, 11, 20, 9, 0, tzinfo=OFFICE_TZ).astimezone(UTC)  # Friday 09:00 WITA
    due = due_at(received, 1)
    assert due.astimezone(OFFICE_TZ) == datetime(2026, 11, 24, 0, 0, tzinfo=OFFICE_TZ)
    assert due.tzinfo is not None


def test_the_days_are_the_holidays_package_own():
    """calendar loads only Indonesia's module; a process of its own asks the package
    the usual way (every country imported) for the same years: the same days, names."""
    import json
    import subprocess
    import sys

    from bakso_tui.domain.calendar import _holidays

    years = range(2020, 2036)
    ask = ("import holidays, json, sys; print(json.dumps({str(d): n for y in range(2020, 2036) "
           "for d, n in holidays.country_holidays('ID', categories=('public', 'government'), "
           "years=y, language='id').items()}))")
    package = json.loads(subprocess.run([sys.executable, "-c", ask], capture_output=True,
                                        text=True, check=True).stdout)
    _holidays.cache_clear()
    asked = {str(d): n for y in years for d, n in _holidays(y).items()}
    assert len(asked) > 16 * 15
    assert asked == package
    _holidays.cache_clear()  # now from the files the first pass wrote
    assert {str(d): n for y in years for d, n in _holidays(y).items()} == package
    assert len(list(_cache_folder().glob("*.json"))) == len(years)


def _cache_folder():
    import os
    from pathlib import Path

    return Path(os.environ["XDG_CACHE_HOME"]) / "bakso" / "holidays"


def _in_a_process(code: str) -> str:
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip()


ASK_2026 = ("import sys; from datetime import date; from bakso_tui.domain import calendar; "
            "print(calendar.is_working_day(date(2026, 8, 17)), calendar.holiday_name(date(2026, 8, 17)), "
            "calendar.is_working_day(date(2026, 8, 18)), 'holidays' in sys.modules)")


def test_a_cached_year_is_read_without_the_package():
    """The first session asks the package and keeps the year; the next reads the
    file alone: the same answers, and `holidays` is never imported (5 MB)."""
    first = _in_a_process(ASK_2026)
    assert first.startswith("False ") and first.endswith(" True True")
    (kept,) = _cache_folder().glob("*-2026.json")
    assert oct(kept.stat().st_mode & 0o777) == "0o600"
    second = _in_a_process(ASK_2026)
    assert second == first.removesuffix("True") + "False"


def test_a_damaged_or_foreign_cache_file_is_asked_again_and_rewritten():
    import json

    _in_a_process(ASK_2026)
    (kept,) = _cache_folder().glob("*-2026.json")
    good = json.loads(kept.read_bytes())
    for damage in (b"\x00not json", b"[]", b'{"days": {"17-08-2026": "x"}}', b'{"days": [1]}'):
        kept.write_bytes(damage)
        assert _in_a_process(ASK_2026).endswith(" True True")  # the package asked again
        assert json.loads(kept.read_bytes()) == good


def test_another_release_of_the_package_is_asked_again(monkeypatch):
    """The file's name holds a digest of the installed package's files: another
    release (another digest) does not read this one's days."""
    from datetime import date

    from bakso_tui.domain import calendar

    calendar._holidays.cache_clear()
    assert not calendar.is_working_day(date(2026, 8, 17))
    (kept,) = _cache_folder().glob("*-2026.json")
    assert calendar._package_stamp() in kept.name
    kept.write_text('{"year": 2026, "days": {}}')  # this release's file says: no holidays
    calendar._holidays.cache_clear()
    assert calendar.is_working_day(date(2026, 8, 17))  # (the file is believed)
    monkeypatch.setattr(calendar, "_package_stamp", lambda: "another-release")
    calendar._holidays.cache_clear()
    try:
        assert not calendar.is_working_day(date(2026, 8, 17))
        assert len(list(_cache_folder().glob("*another-release-2026.json"))) == 1
    finally:
        calendar._holidays.cache_clear()


def test_an_unwritable_cache_only_costs_the_package_each_time(monkeypatch, tmp_path):
    from datetime import date

    from bakso_tui.domain import calendar

    blocked = tmp_path / "cache"
    blocked.write_text("a file where the folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    calendar._holidays.cache_clear()
    try:
        assert not calendar.is_working_day(date(2026, 8, 17))
        assert calendar.holiday_name(date(2026, 8, 17))
    finally:
        calendar._holidays.cache_clear()


def test_a_session_loads_one_country():
    """The dashboard's working days bring Indonesia's rules, not the other countries'."""
    import subprocess
    import sys

    code = ("import sys; from datetime import date; from bakso_tui.domain import calendar; "
            "calendar.is_working_day(date(2026, 8, 17)); "
            "print(sum(m.startswith('holidays.countries.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"
