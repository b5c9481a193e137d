"""Mobile-service days per village (hari layanan keliling) and the recording queue.

- :mod:`.rules`: recurrence rules (``wed,fri``, ``1tue,3tue``) and the dates they serve;
- :mod:`.days`: teams, plans, closing, cancelling and changing days;
- :mod:`.booking`: residents booked onto days (at approval, and when days change);
- :mod:`.outcomes`: recorded or absent after a visit;
- :mod:`.views`: lists of days, a month, :func:`next_service_day`;
- :mod:`.lists`: a day's residents, the printed manifest's sheets, iCalendar.

Each name below is loaded from its module when first asked for
(``schedule.list_days``, ``from bakso_tui.domain.schedule import Move``): the
supervisor's dashboard needs only :mod:`.views` and :mod:`.model`, not the
rules, dateutil's recurrences and the booking (issue 16: a session under 90 MB).
"""

from __future__ import annotations

import importlib

#: The package's names, by the module that defines them.
EXPORTS = {
    "booking": ("book_after_approval", "book_waiting", "reflow"),
    "days": ("DayChange", "PlanResult", "add_team", "cancel_day", "change_day",
             "close_office_day", "create_plan", "find_day", "list_teams"),
    "lists": ("DayEntry", "DayList", "day_list", "ics", "manifest_sheets"),
    "model": ("ABSENT", "BOOKED", "DAY_ACTIVE", "DAY_CANCELLED", "DAY_CLOSED", "RECORDED",
              "Move", "Reflow", "ScheduleError", "ServiceDayInfo", "TeamInfo"),
    "outcomes": ("Outcome", "mark_booking", "record_outcomes"),
    "rules": ("Rule", "RuleError", "parse_rule"),
    "views": ("BookingHit", "MonthView", "booking_of", "day_info", "default_subject",
              "find_bookings", "iter_days", "list_days", "month_days", "month_view",
              "next_service_day", "waiting_count"),
}
_HOME = {name: module for module, names in EXPORTS.items() for name in names}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name in EXPORTS:  # one of the package's modules (``schedule.days.check_capacity``)
        return importlib.import_module(f"{__name__}.{name}")  # (the import sets the attribute)
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # asked once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))
