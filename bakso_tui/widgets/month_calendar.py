"""A month as a grid of days (Monday first), two or three lines a day, one cursor day.

The widget draws what it is given: for each date a short top line (the day's
number and who serves it) and a bottom line (booked/capacity, "libur",
"tutup"), with a kind that picks the colour. It reads nothing itself; the
screen fills it from a worker and moves its cursor. Texts from villages are
drawn as plain text.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from bakso_tui.locale import t
from bakso_tui.locale.plain import visible


@dataclass(frozen=True)
class CalendarCell:
    top: str  # after the day's number: a village or a team
    bottom: str  # booked/capacity, or why nobody comes
    kind: str  # service | full | holiday | closed | cancelled


class MonthCalendar(Widget, can_focus=True):
    COMPONENT_CLASSES = {
        "month-calendar--weekday",
        "month-calendar--cursor",
        "month-calendar--today",
        "month-calendar--service",
        "month-calendar--full",
        "month-calendar--holiday",
        "month-calendar--closed",
        "month-calendar--cancelled",
        "month-calendar--outside",
    }
    DEFAULT_CSS = """
    MonthCalendar {
        height: auto;
        width: 1fr;
        background: $background;
        .month-calendar--weekday { text-style: bold; color: $text-muted; }
        .month-calendar--cursor { background: $accent; color: $text; text-style: bold; }
        .month-calendar--today { text-style: bold underline; }
        .month-calendar--service { color: $text-success; }
        .month-calendar--full { color: $text-warning; text-style: bold; }
        .month-calendar--holiday { color: $text-error; }
        .month-calendar--closed { color: $text-warning; }
        .month-calendar--cancelled { color: $text-muted; }
        .month-calendar--outside { color: $text-disabled; }
    }
    MonthCalendar:focus .month-calendar--cursor { background: $accent; }
    App:nocolor MonthCalendar .month-calendar--cursor { text-style: reverse bold; }
    """

    cursor: reactive[date] = reactive(date(2000, 1, 1), layout=False)

    def __init__(self, *, today: date, id: str | None = None) -> None:
        super().__init__(id=id)
        self.today = today
        self.cells: dict[date, CalendarCell] = {}
        self.set_reactive(MonthCalendar.cursor, today)

    @property
    def first(self) -> date:
        return self.cursor.replace(day=1)

    def show(self, cells: dict[date, CalendarCell]) -> None:
        """Draw these cells (for the cursor's month)."""
        self.cells = cells
        self.refresh()

    def watch_cursor(self, old: date, new: date) -> None:
        self.refresh()

    @property
    def tall(self) -> bool:
        """Three lines a day from 30 rows of terminal on; two below."""
        return self.app.size.height >= 30

    def get_content_height(self, container, viewport, width: int) -> int:
        return 1 + 6 * (3 if self.tall else 2)

    def on_resize(self) -> None:
        self.refresh(layout=True)

    def weeks(self) -> list[list[date]]:
        """Six weeks from the Monday on or before the 1st (the grid never changes height)."""
        start = self.first - timedelta(days=self.first.weekday())
        return [[start + timedelta(days=w * 7 + d) for d in range(7)] for w in range(6)]

    def render(self) -> Text:
        width = max(7 * 6, self.size.width or 77)
        cell = width // 7
        styles = {name: self.get_component_rich_style(name) for name in self.COMPONENT_CLASSES}
        style = styles.__getitem__
        text = Text(no_wrap=True, overflow="crop")
        for d in range(7):
            text.append(t(f"schedule.weekday_short.{d}").ljust(cell)[:cell],
                        style("month-calendar--weekday"))
        month = self.cursor.month
        # Two lines a day at 80x24 (number and place, then the count); three
        # where there is room, so a village's name gets the whole cell.
        tall = self.tall
        for week in self.weeks():
            for line in range(3 if tall else 2):
                text.append("\n")
                for day in week:
                    found = self.cells.get(day) if day.month == month else None
                    if line == 0:
                        body = f"{day.day:>2} " + ("" if tall or not found else visible(found.top))
                    elif tall and line == 1:
                        body = visible(found.top) if found else ""
                    else:
                        body = found.bottom if found else ""
                    body = (" " + body).ljust(cell)[:cell - 1] + " "
                    part = Style()
                    if day.month != month:
                        part = style("month-calendar--outside")
                    elif found is not None:
                        part = style(f"month-calendar--{found.kind}")
                    if day == self.today and line == 0:
                        part += style("month-calendar--today")
                    if day == self.cursor:
                        part += style("month-calendar--cursor")
                    text.append(body, part)
        return text

    def move(self, days: int = 0, months: int = 0) -> None:
        """Move the cursor by days, or by months (keeping the day where it can)."""
        if months:
            year, month = divmod(self.cursor.year * 12 + self.cursor.month - 1 + months, 12)
            last = calendar.monthrange(year, month + 1)[1]
            self.cursor = date(year, month + 1, min(self.cursor.day, last))
        if days:
            self.cursor = self.cursor + timedelta(days=days)


class InfoLine(Widget):
    """One line of text that redraws only itself when it changes.

    A ``Label`` asks the whole screen to lay out again at every update; on the
    calendar, where a key changes the month, the day and two lines of text,
    that relayout cost more than the month itself.
    """

    DEFAULT_CSS = """
    InfoLine { height: 1; width: 1fr; padding: 0 1; }
    InfoLine.-status { background: $panel; color: $foreground; }
    InfoLine.-error { color: $text-error; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.text = ""

    def show(self, text: str, *, error: bool = False) -> None:
        if text != self.text:
            self.text = text
            self.refresh()
        self.set_class(error, "-error")

    def render(self) -> Text:
        return Text(self.text, no_wrap=True, overflow="ellipsis", end="")
