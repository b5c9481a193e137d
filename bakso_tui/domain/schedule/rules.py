"""Recurrence rules of mobile-service plans, and which of their dates are served.

A rule is a comma-separated list of tokens, in English or Indonesian:

- a weekday, every week: ``wed``, ``fri`` (``rab``, ``jum``; full names too:
  ``rabu``, ``wednesday``);
- a weekday of the month: ``1tue`` (the first Tuesday), ``3tue``, up to ``5tue``,
  and ``lasttue`` (``akhirsel``) for the last one.

``wed,fri`` is Nagekeo's "every Wednesday and Friday"; ``1tue,3tue`` is "the
first and third Tuesday". The dates come from dateutil's RFC 5545 ``rrule``
(the same rules a calendar program uses); national holidays and cuti bersama
(the `holidays` package, see :mod:`bakso_tui.domain.calendar`) and the office's
own closed days are skipped, each with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil import rrule

from bakso_tui.domain.calendar import holiday_name
from bakso_tui.locale import t

CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_NAMES: dict[str, int] = {}
for _i, _names in enumerate((
    ("mon", "monday", "sen", "senin"),
    ("tue", "tuesday", "sel", "selasa"),
    ("wed", "wednesday", "rab", "rabu"),
    ("thu", "thursday", "kam", "kamis"),
    ("fri", "friday", "jum", "jumat", "jum'at"),
    ("sat", "saturday", "sab", "sabtu"),
    ("sun", "sunday", "min", "minggu", "ahad"),
)):
    for _name in _names:
        _NAMES[_name] = _i

_TOKEN = re.compile(r"^(?:(?P<nth>\d+)|(?P<last>last|akhir|terakhir))?(?P<day>[a-z']+)$")

#: The longest range one plan may cover: two years is a long-range plan; more is a typo.
MAX_YEARS = 2


class RuleError(ValueError):
    """A rule or range the schedule refuses, in one line (a usage error)."""


@dataclass(frozen=True)
class Token:
    weekday: int  # 0 = Monday
    nth: int | None = None  # None: every week; 1..5: that week of the month; -1: the last

    def code(self) -> str:
        if self.nth is None:
            return CODES[self.weekday]
        return ("last" if self.nth == -1 else str(self.nth)) + CODES[self.weekday]

    def said(self) -> str:
        """The token as the user's language writes it: ``rab``, ``1sel``, ``akhirjum``."""
        day = t(f"schedule.weekday_short.{self.weekday}").lower()
        if self.nth is None:
            return day
        return (t("schedule.rule_last") if self.nth == -1 else str(self.nth)) + day

    def matches(self, day: date) -> bool:
        """The plain reading of the token for one calendar day."""
        if day.weekday() != self.weekday:
            return False
        if self.nth is None:
            return True
        if self.nth == -1:
            return (day + timedelta(days=7)).month != day.month
        return (day.day - 1) // 7 + 1 == self.nth


@dataclass(frozen=True)
class Rule:
    tokens: tuple[Token, ...]

    @property
    def text(self) -> str:
        """The rule written in canonical English tokens (what a plan stores)."""
        return ",".join(token.code() for token in self.tokens)

    @property
    def said(self) -> str:
        """The rule in the user's language, in tokens `parse_rule` reads back."""
        return ",".join(token.said() for token in self.tokens)

    def matches(self, day: date) -> bool:
        return any(token.matches(day) for token in self.tokens)

    def dates(self, start: date, until: date) -> list[date]:
        """Every date from `start` to `until` (inclusive) the rule names, in order."""
        if until < start:
            return []
        found = rrule.rruleset()
        begin = datetime.combine(start, datetime.min.time())
        end = datetime.combine(until, datetime.min.time())
        weekly = [rrule.weekday(tok.weekday) for tok in self.tokens if tok.nth is None]
        monthly = [rrule.weekday(tok.weekday, tok.nth) for tok in self.tokens if tok.nth]
        if weekly:
            found.rrule(rrule.rrule(rrule.WEEKLY, dtstart=begin, until=end, byweekday=weekly))
        if monthly:
            found.rrule(rrule.rrule(rrule.MONTHLY, dtstart=begin, until=end, byweekday=monthly))
        return [moment.date() for moment in found]


def parse_rule(text: str) -> Rule:
    """``"wed,fri"`` → a Rule; a bad token is named: ``hari tidak dikenal: frii``."""
    tokens: list[Token] = []
    for raw in (text or "").split(","):
        word = raw.strip().lower()
        if not word:
            continue
        match = _TOKEN.match(word)
        if match is None or match["day"] not in _NAMES:
            raise RuleError(t("schedule.bad_day", token=raw.strip()))
        nth: int | None = None
        if match["nth"] is not None:
            nth = int(match["nth"])
            if not 1 <= nth <= 5:
                raise RuleError(t("schedule.bad_week", token=raw.strip()))
        elif match["last"]:
            nth = -1
        token = Token(_NAMES[match["day"]], nth)
        if token not in tokens:
            tokens.append(token)
    if not tokens:
        raise RuleError(t("schedule.rule_empty"))
    return Rule(tuple(tokens))


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def check_range(start: date, until: date) -> None:
    """`until` not before `start`, and less than two years after it."""
    if until < start:
        raise RuleError(t("schedule.until_before_from", start=start.isoformat(),
                          until=until.isoformat()))
    if until >= add_years(start, MAX_YEARS):
        raise RuleError(t("schedule.range_too_long", start=start.isoformat(),
                          until=until.isoformat(), years=MAX_YEARS))


@dataclass(frozen=True)
class Skipped:
    day: date
    reason: str  # the holiday's name, or the office's reason


def served_dates(
    rule: Rule, start: date, until: date, closed: Mapping[date, str]
) -> tuple[list[date], list[Skipped]]:
    """The rule's dates in the range, less holidays, cuti bersama and closed days."""
    served: list[date] = []
    skipped: list[Skipped] = []
    for day in rule.dates(start, until):
        reason = holiday_name(day) or closed.get(day)
        if reason:
            skipped.append(Skipped(day, reason))
        else:
            served.append(day)
    return served, skipped
