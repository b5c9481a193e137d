"""Recurrence rules against a plain day-by-day reading of the calendar, holidays included."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bakso_tui.domain.schedule.rules import (
    RuleError,
    check_range,
    parse_rule,
    served_dates,
)
from bakso_tui.locale import set_language

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ID_DAYS = ("sen", "sel", "rab", "kam", "jum", "sab", "min")


def plain_reading(tokens: list[tuple[int | None, int]], start: date, until: date,
                  closed: dict[date, str]) -> list[date]:
    """Walk every day; keep it if a token names it and nobody is off."""
    off = holidays.country_holidays("ID", categories=("public", "government"),
                                    years=range(start.year, until.year + 1))
    kept = []
    day = start
    while day <= until:
        for nth, weekday in tokens:
            if day.weekday() != weekday:
                continue
            if nth is None:
                hit = True
            elif nth == -1:
                hit = (day + timedelta(days=7)).month != day.month
            else:
                # the nth such weekday: count them from the 1st of the month
                count = sum(1 for d in range(1, day.day + 1)
                            if date(day.year, day.month, d).weekday() == weekday)
                hit = count == nth
            if hit and day not in off and day not in closed:
                kept.append(day)
                break
        day += timedelta(days=1)
    return kept


token_strategy = st.tuples(st.sampled_from([None, None, 1, 2, 3, 4, 5, -1]),
                           st.integers(0, 6))


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(date(2025, 1, 1), date(2027, 12, 31)),
    length=st.integers(0, 729),
    tokens=st.lists(token_strategy, min_size=1, max_size=4),
    indonesian=st.booleans(),
    closed_offsets=st.lists(st.integers(0, 729), max_size=5),
)
def test_served_dates_match_a_plain_reading(start, length, tokens, indonesian, closed_offsets):
    names = ID_DAYS if indonesian else DAYS
    text = ",".join(
        ("" if nth is None else "last" if nth == -1 else str(nth)) + names[weekday]
        for nth, weekday in tokens
    )
    until = start + timedelta(days=length)
    closed = {start + timedelta(days=o): "rapat dinas" for o in closed_offsets}
    served, skipped = served_dates(parse_rule(text), start, until, closed)
    assert served == plain_reading(tokens, start, until, closed)
    assert not set(served) & {s.day for s in skipped}
    assert all(s.reason for s in skipped)


def test_christmas_and_eid_are_skipped_with_their_names():
    served, skipped = served_dates(parse_rule("wed,fri"), date(2026, 12, 1), date(2027, 3, 31),
                                   {})
    reasons = {s.day: s.reason for s in skipped}
    assert "Natal" in reasons[date(2026, 12, 25)]
    assert "Idul Fitri" in reasons[date(2027, 3, 10)]
    assert "Cuti Bersama" in reasons[date(2027, 3, 12)]
    assert date(2026, 12, 23) in served and date(2026, 12, 25) not in served


def test_monthly_rule_first_and_third_tuesday():
    rule = parse_rule("1tue,3tue")
    assert rule.text == "1tue,3tue"
    assert rule.dates(date(2026, 6, 1), date(2026, 6, 30)) == [date(2026, 6, 2), date(2026, 6, 16)]
    assert parse_rule("lastfri").dates(date(2026, 7, 1), date(2026, 7, 31)) == [date(2026, 7, 31)]


@pytest.mark.parametrize(("text", "message"), [
    ("wed,frii", "hari tidak dikenal: frii"),
    ("rab,jumat,kamiss", "hari tidak dikenal: kamiss"),
    ("6tue", "minggu ke- tidak ada dalam sebulan: 6tue"),
    ("0wed", "minggu ke- tidak ada dalam sebulan: 0wed"),
    (" , ", "aturan hari kosong"),
])
def test_bad_rules_name_the_token(text, message):
    with pytest.raises(RuleError) as caught:
        parse_rule(text)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_bad_rule_in_english():
    set_language("en")
    with pytest.raises(RuleError, match="^unknown day: frii"):
        parse_rule("wed,frii")


def test_indonesian_names_mean_the_same():
    assert parse_rule("rab,jum").text == parse_rule("wed,fri").text == "wed,fri"
    assert parse_rule("Rabu, Jumat").text == "wed,fri"


def test_range_checks():
    check_range(date(2026, 1, 1), date(2027, 12, 31))
    with pytest.raises(RuleError, match="sebelum"):
        check_range(date(2026, 2, 1), date(2026, 1, 1))
    with pytest.raises(RuleError, match="lebih dari 2 tahun"):
        check_range(date(2026, 1, 1), date(2028, 1, 1))


@pytest.mark.parametrize("lang,said", [("id", "rab,1sel,akhirjum"), ("en", "wed,1tue,lastfri")])
def test_a_rule_is_said_in_the_users_language_and_reads_back(lang, said):
    from bakso_tui.locale import language, set_language

    before = language()
    set_language(lang)
    try:
        rule = parse_rule("wed,1tue,lastfri")
        assert rule.said == said
        assert parse_rule(rule.said).text == rule.text
    finally:
        set_language(before)
