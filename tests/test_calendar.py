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
    ours = {str(d): n for y in years for d, n in _holidays(y).items()}
    assert len(ours) > 16 * 15
    assert ours == package


def test_a_session_loads_one_country():
    """The dashboard's working days bring Indonesia's rules, not the other countries'."""
    import subprocess
    import sys

    code = ("import sys; from datetime import date; from bakso_tui.domain import calendar; "
            "calendar.is_working_day(date(2026, 8, 17)); "
            "print(sum(m.startswith('holidays.countries.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"
