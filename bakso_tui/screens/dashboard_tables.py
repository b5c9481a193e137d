"""What each table of the dashboard shows: its columns and its rows.

A row is (row key, cells, what Enter does on it); the screen
(``screens/dashboard.py``) puts them in its tables and keeps the Enter
targets. Cells are plain `Text` (names of villages and people are shown as
they are, never as markup).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from itertools import islice
from math import ceil
from typing import Protocol

from rich.text import Text

from bakso_tui.domain.calendar import OFFICE_TZ, office_today
from bakso_tui.domain.dashboard_model import Area, Dashboard, local_midnight, working_days_before
from bakso_tui.domain.queue_model import QueueFilter
from bakso_tui.domain.workflow import Flag
from bakso_tui.locale import t
from bakso_tui.widgets import format_count


class DashboardScreen(Protocol):
    """What a row's Enter calls on the screen (``screens/dashboard.py``)."""

    def _open_queue(self, filters: QueueFilter) -> None: ...
    def _open_audit(self, **filters: str) -> None: ...
    def _open_day(self, day_id: int) -> None: ...

NAME_WIDTH = 22  # the longest village name of Lombok Timur
AREA_COLUMNS = ("submissions", "approval", "returns", "recording", "printing", "handover")
VILLAGE_ROWS = 60  # the busiest; the 254 are in the queue's filter and the schedule

Row = tuple[str, list, Callable[[], None] | None]


def columns(key: str, width: int) -> list[tuple[str, int | None]]:
    """The columns of the table `key` (locale key under ``dashboard.column``, width)."""
    return {
        "bands": [("band", None), ("diajukan", None), ("diverifikasi", None), ("total", None)],
        "verifiers": [("verifier", NAME_WIDTH + 8), ("today", None), ("week", None)],
        "reasons": [("action", None), ("count", None), ("reason", max((width or 80) - 26, 20))],
        "kecamatan": [("area", NAME_WIDTH)] + [(c, None) for c in AREA_COLUMNS],
        "villages": [("area", NAME_WIDTH)] + [(c, None) for c in AREA_COLUMNS],
        "days": [("day", None), ("village", NAME_WIDTH), ("team", None), ("booked", None)],
        "jobs": [("job", None), ("started", None), ("outcome", None)],
    }[key]


def _num(n: int) -> Text:
    return Text(format_count(n), justify="right")


def _nothing() -> Row:
    return ("-", [Text(t("dashboard.none"), style="dim")], None)


def rows(screen: DashboardScreen, key: str, board: Dashboard) -> list[Row]:
    """The rows of the table `key`; Enter opens the screen's matching list."""
    if key == "bands":
        return _bands(screen, board)
    if key == "verifiers":
        return [(v.login, [Text(f"{v.name} ({v.login})", no_wrap=True, overflow="ellipsis"),
                           _num(v.today), _num(v.week)],
                 (lambda login=v.login: screen._open_audit(user=login)))
                for v in board.verifiers] or [_nothing()]
    if key == "reasons":
        return [(f"{r.action}:{r.code}", [Text(t(f"dashboard.action.{r.action}")), _num(r.count),
                                          Text(r.name or r.code, overflow="fold")],
                 (lambda action=r.action: screen._open_audit(action=f"submission.{action}")))
                for r in board.reasons] or [_nothing()]
    if key == "kecamatan":
        return [_area_row(screen, a, QueueFilter(kecamatan_code=a.code))
                for a in board.kecamatan if a.submissions]
    if key == "villages":
        return [_area_row(screen, a, QueueFilter(village_code=a.code))
                for a in islice((a for a in board.villages if a.submissions), VILLAGE_ROWS)]
    if key == "days":
        return [(str(d.id), [Text(d.day.strftime("%d-%m-%Y")),
                             Text(d.village_name, no_wrap=True, overflow="ellipsis"),
                             Text(d.team_code), Text(f"{d.booked}/{d.capacity}", justify="right")],
                 (lambda day_id=d.id: screen._open_day(day_id)))
                for d in board.service_days] or [_nothing()]
    return [(j.job_id, [Text(j.job_id),
                        Text(j.started_at.astimezone(OFFICE_TZ).strftime("%d-%m %H:%M")),
                        Text(t(f"dashboard.outcome.{j.outcome}") if j.outcome else "",
                             style="bold red" if j.outcome == "error" else "")], None)
            for j in board.jobs] or [_nothing()]


def _bands(screen: DashboardScreen, board: Dashboard) -> list[Row]:
    queued, claimed = board.bands
    today = office_today(board.now)
    older_days = ceil((board.now - local_midnight(working_days_before(today, 3)))
                      / timedelta(days=1))
    out = []
    for band, target in (("today", QueueFilter()), ("recent", QueueFilter()),
                         ("older", QueueFilter(min_age_days=older_days)),
                         ("past_limit", QueueFilter(flag=Flag.PAST_SLA.value)),
                         ("total", QueueFilter())):
        a = queued.total if band == "total" else getattr(queued, band)
        b = claimed.total if band == "total" else getattr(claimed, band)
        style = "bold red" if band == "past_limit" and a + b else ""
        out.append((band, [Text(t(f"dashboard.band.{band}")), _num(a), _num(b),
                           Text(format_count(a + b), justify="right", style=style)],
                    (lambda f=target: screen._open_queue(f))))
    return out


def _area_row(screen: DashboardScreen, area: Area, target: QueueFilter) -> Row:
    rate = area.approval_rate
    cells = [Text(area.name, no_wrap=True, overflow="ellipsis"), _num(area.submissions),
             Text("-" if rate is None else f"{rate:.0%}", justify="right"),
             _num(area.returns), _num(area.waiting_recording), _num(area.waiting_printing),
             _num(area.waiting_handover)]
    return (area.code, cells, (lambda: screen._open_queue(target)))
