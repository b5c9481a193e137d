"""Mobile-service days per village (hari layanan keliling) and the recording queue.

- :mod:`.rules`: recurrence rules (``wed,fri``, ``1tue,3tue``) and the dates they serve;
- :mod:`.days`: teams, plans, closing, cancelling and changing days;
- :mod:`.booking`: residents booked onto days (at approval, and when days change);
- :mod:`.outcomes`: recorded or absent after a visit;
- :mod:`.views`: lists of days, a month, :func:`next_service_day`;
- :mod:`.lists`: a day's residents, the printed manifest's sheets, iCalendar.
"""

from bakso_tui.domain.schedule.booking import book_after_approval, book_waiting, reflow
from bakso_tui.domain.schedule.days import (
    DayChange,
    PlanResult,
    add_team,
    cancel_day,
    change_day,
    close_office_day,
    create_plan,
    find_day,
    list_teams,
)
from bakso_tui.domain.schedule.lists import DayEntry, DayList, day_list, ics, manifest_sheets
from bakso_tui.domain.schedule.model import (
    ABSENT,
    BOOKED,
    DAY_ACTIVE,
    DAY_CANCELLED,
    DAY_CLOSED,
    RECORDED,
    Move,
    Reflow,
    ScheduleError,
    ServiceDayInfo,
    TeamInfo,
)
from bakso_tui.domain.schedule.outcomes import Outcome, mark_booking, record_outcomes
from bakso_tui.domain.schedule.rules import Rule, RuleError, parse_rule
from bakso_tui.domain.schedule.views import (
    BookingHit,
    MonthView,
    booking_of,
    default_subject,
    find_bookings,
    day_info,
    iter_days,
    list_days,
    month_days,
    month_view,
    next_service_day,
    waiting_count,
)

__all__ = [
    "ABSENT", "BOOKED", "DAY_ACTIVE", "DAY_CANCELLED", "DAY_CLOSED", "RECORDED",
    "DayChange", "DayEntry", "DayList", "Move", "Outcome", "PlanResult", "Reflow", "Rule",
    "RuleError", "ScheduleError", "ServiceDayInfo", "TeamInfo",
    "add_team", "book_after_approval", "book_waiting", "booking_of", "cancel_day",
    "change_day", "close_office_day", "create_plan", "day_info", "day_list", "find_day",
    "ics", "iter_days", "list_days", "list_teams", "manifest_sheets", "mark_booking",
    "BookingHit", "MonthView", "default_subject", "find_bookings", "month_days", "month_view", "next_service_day", "parse_rule", "record_outcomes", "reflow",
    "waiting_count",
]
