"""`bakso schedule …`: teams, mobile-service days, the recording lists, outcomes, iCalendar.

Changes act as ``cli:<system login>`` and are audited. Dates are office days,
written ``29-11-2026`` or ``2026-11-29``; "today" is the office's today (WITA).
Help texts are in ``locale/<lang>/help.toml``. Bad input is one line:
exit 2 for input that is malformed (a date, a capacity, a day rule, a range),
exit 1 for input the rules refuse (an unknown village or team, a clash, a day
in the past); a refused command writes nothing.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import click

from bakso_tui.cli.context import (
    CliEnv,
    EXIT_REFUSED,
    EXIT_USAGE,
    OFFICE_DATE,
    check_range,
    day_text,
    echo,
    env_command,
    fail,
    json_option,
    print_table,
)
from bakso_tui.db.types import utcnow
from bakso_tui.domain import schedule, users
from bakso_tui.domain.calendar import office_today
from bakso_tui.domain.schedule import Move, ScheduleError
from bakso_tui.domain.schedule.rules import parse_rule
from bakso_tui.files import private_dir
from bakso_tui.locale import t
from bakso_tui.locale.plain import dumps


def now() -> datetime:
    """The moment a command acts at (tests fix it)."""
    return utcnow()


@contextmanager
def refusals() -> Iterator[None]:
    """A schedule refusal: exit 2 when the input was malformed, else 1."""
    try:
        yield
    except ScheduleError as exc:
        fail(str(exc), EXIT_USAGE if exc.usage else EXIT_REFUSED)


def _capacity(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ScheduleError(t("schedule.cli.bad_number", option="--capacity", value=value),
                            usage=True) from None
    return schedule.days.check_capacity(number)


def _moves(reflow: schedule.Reflow) -> None:
    for move in reflow.moved + reflow.unplaced:
        echo("  " + _move_line(move))


def _move_line(move: Move) -> str:
    to = day_text(move.to_day) if move.to_day else t("schedule.cli.no_room")
    return t("schedule.cli.moved", name=move.name, number=move.number,
             from_day=day_text(move.from_day) if move.from_day else "-", to_day=to)


@click.group("schedule")
def schedule_group() -> None:
    """Mobile-service days per village (hari layanan keliling) and the recording queue."""


# ------------------------------------------------------------------ teams


@schedule_group.group("team")
def team_group() -> None:
    """The mobile-service teams."""


@env_command("add", team_group)
@click.argument("code")
@click.option("--name", required=True)
@click.option("--capacity", "capacity", metavar="N")
def team_add(env: CliEnv, code: str, name: str, capacity: str | None) -> None:
    """Add a team: its code, name and usual capacity (recordings a day)."""
    env.settings
    with refusals():
        cap = _capacity(capacity) or 30
        with env.database().write() as session:
            info = schedule.add_team(session, users.cli_actor(), code, name, cap, at=now())
    echo(t("schedule.cli.team_added", code=info.code, name=info.name,
                 capacity=info.capacity))


@env_command("list", team_group)
@json_option
def team_list(env: CliEnv, as_json: bool) -> None:
    """List the teams."""
    with env.database().read() as session:
        teams = schedule.list_teams(session)
    if as_json:
        echo(dumps([{"code": x.code, "name": x.name, "capacity": x.capacity,
                                "active": x.active} for x in teams], ensure_ascii=False,
                              indent=2))
        return
    print_table((t("schedule.cli.col_team"), t("schedule.cli.col_name"),
                 t("schedule.cli.col_capacity")),
                [(x.code, x.name, str(x.capacity)) for x in teams])


# ------------------------------------------------------------------ plans and days


@env_command("plan", schedule_group)
@click.option("--village", required=True)
@click.option("--every", "rule", required=True)
@click.option("--from", "since", type=OFFICE_DATE, required=True)
@click.option("--until", type=OFFICE_DATE, required=True)
@click.option("--team")
@click.option("--capacity", metavar="N")
def plan_cmd(env: CliEnv, village, rule, since, until, team, capacity) -> None:
    """Plan a village's service days; holidays, cuti bersama and closed days are skipped."""
    env.settings
    with refusals():
        args = dict(village_code=village, rule=rule, start=since, until=until,
                    team_code=team, capacity=_capacity(capacity))
        at = now()
        with env.database().write() as session:
            result = schedule.create_plan(session, users.cli_actor(), today=office_today(at),
                                          at=at, **args)
    echo(t("schedule.cli.planned", village=result.village_name, code=result.village_code,
                 days=len(result.days), rule=parse_rule(result.rule).said, team=result.team_code,
                 capacity=result.capacity, first=day_text(result.days[0]),
                 last=day_text(result.days[-1])))
    for skipped in result.skipped:
        echo("  " + t("schedule.cli.skipped", day=day_text(skipped.day),
                            reason=skipped.reason))
    if result.past:
        echo("  " + t("schedule.cli.past", count=result.past))
    echo(t("schedule.cli.booked", booked=len(result.reflow.booked),
                 moved=len(result.reflow.moved), waiting=len(result.reflow.unplaced)))
    _moves(result.reflow)


@env_command("list", schedule_group)
@click.option("--village")
@click.option("--team")
@click.option("--from", "since", type=OFFICE_DATE)
@click.option("--until", type=OFFICE_DATE)
@json_option
def list_cmd(env: CliEnv, village, team, since, until, as_json: bool) -> None:
    """The service days: date, village, team, capacity and how many are booked."""
    env.settings
    check_range(since, until, "--from/--until")
    with refusals():
        first = since or office_today(now())
        last = until
        with env.database().read() as session:
            if village:
                schedule.model.village(session, village)
            if team:
                schedule.model.team(session, team)
            days = schedule.iter_days(session, village=village,
                                      team=team.upper() if team else None,
                                      since=first, until=last)
            if as_json:
                _json_days(days)
            else:
                _text_days(days)


#: Column widths of the text list, fixed so that it is written as it is read.
WIDTHS = (10, 13, 24, 16, 9)


def _text_days(days) -> None:
    header = (t("schedule.cli.col_date"), t("schedule.cli.col_code"),
              t("schedule.cli.col_village"), t("schedule.cli.col_team"),
              t("schedule.cli.col_booked"))

    def line(cells) -> str:
        fitted = [c if len(c) <= w else c[:w - 1] + "…" for c, w in zip(cells, WIDTHS,
                                                                        strict=True)]
        return "  ".join(c.ljust(w) for c, w in zip(fitted, WIDTHS, strict=True)).rstrip()

    echo(line(header))
    for d in days:
        echo(line((day_text(d.day), d.village_code, d.village_name, d.team_code,
                         f"{d.booked}/{d.capacity}")))


def _json_days(days) -> None:
    """A JSON array written as the pages are read (the list is never held whole)."""
    out = sys.stdout
    out.write("[")
    count = 0
    for count, d in enumerate(days, 1):
        out.write(",\n  " if count > 1 else "\n  ")
        out.write(dumps({"date": d.day.isoformat(), "village": d.village_code,
                              "village_name": d.village_name, "team": d.team_code,
                              "capacity": d.capacity, "booked": d.booked},
                             ensure_ascii=False))
    out.write("\n]\n" if count else "]\n")


@env_command("close-day", schedule_group)
@click.argument("day", type=OFFICE_DATE)
@click.option("--reason", required=True)
def close_day_cmd(env: CliEnv, day: date, reason: str) -> None:
    """Close a day for the whole office: its service days close, their bookings move."""
    change = _change_days(env, lambda session, actor, **now_: schedule.close_office_day(
        session, actor, day, reason, **now_))
    _say_moves(change, "schedule.cli.closed", day=day_text(day), villages=len(change.villages))


@env_command("cancel-day", schedule_group)
@click.option("--date", "day", type=OFFICE_DATE, required=True)
@click.option("--village", required=True)
@click.option("--reason", default="")
def cancel_day_cmd(env: CliEnv, day: date, village: str, reason: str) -> None:
    """Cancel one village's day; its bookings move to the village's next day with room."""
    change = _change_days(env, lambda session, actor, **now_: schedule.cancel_day(
        session, actor, village, day, reason, **now_))
    _say_moves(change, "schedule.cli.cancelled", day=day_text(day), village=village)


@env_command("change-day", schedule_group)
@click.option("--date", "day", type=OFFICE_DATE, required=True)
@click.option("--village", required=True)
@click.option("--capacity", metavar="N")
@click.option("--team")
def change_day_cmd(env: CliEnv, day: date, village: str, capacity, team) -> None:
    """Change one day's capacity or team; residents beyond a lower capacity move."""
    change = _change_days(env, lambda session, actor, **now_: schedule.change_day(
        session, actor, village, day, capacity=_capacity(capacity), team_code=team, **now_))
    _say_moves(change, "schedule.cli.changed", day=day_text(day), village=village)


def _change_days(env: CliEnv, write):
    """One change to the service days, written as the command line at the office's
    time (`write(session, actor, today=…, at=…)`); refused in one line."""
    env.settings
    with refusals():
        at = now()
        with env.database().write() as session:
            return write(session, users.cli_actor(), today=office_today(at), at=at)


def _say_moves(change, message: str, **fields) -> None:
    """What a change to the days did: how many bookings moved or wait, then each move."""
    echo(t(message, **fields, moved=len(change.reflow.moved), waiting=len(change.reflow.unplaced)))
    _moves(change.reflow)


# ------------------------------------------------------------------ lists and outcomes


@env_command("manifest", schedule_group)
@click.option("--date", "day", type=OFFICE_DATE, required=True)
@click.option("--village")
@click.option("--out", "out", metavar="DIR", required=True)
@click.option("--format", "fmt", type=click.Choice(["pdf", "text"]), default="pdf",
              show_default=True)
def manifest_cmd(env: CliEnv, day: date, village, out: str, fmt: str) -> None:
    """The day's recording list (one file per village), and marks the day listed."""
    from bakso_tui.printing.manifest import announcement, filename, render_pdf

    settings = env.settings
    with refusals():
        when = day
        folder = Path(out)
        at = now()
        with env.database().write() as session:
            if village:
                schedule.model.village(session, village)
            sheets = schedule.manifest_sheets(
                session, users.cli_actor(), day=when, village=village,
                office_name=settings.office_name, office_short=settings.office_short,
                lang=settings.lang, at=at)
            if not sheets:
                raise ScheduleError(t("schedule.cli.no_days_on", day=day_text(when)))
            files = []
            for sheet in sheets:
                if fmt == "pdf":
                    data = render_pdf(sheet, nik_display=settings.nik_display)
                else:
                    data = announcement(sheet).encode("utf-8")
                files.append((folder / filename(sheet, "pdf" if fmt == "pdf" else "txt"), data))
            # Inside the transaction: if a file cannot be written, no day is marked listed.
            _write_all(files)
    for path, _ in files:
        echo(str(path))


def _write_all(files: list[tuple[Path, bytes]]) -> None:
    """Each file whole or not at all (written beside, then renamed into place)."""
    try:
        for path, data in files:
            private_dir(path.parent)
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".bakso-", suffix=path.suffix)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
    except OSError as exc:
        raise ScheduleError(t("schedule.cli.cannot_write", path=str(exc.filename or path),
                              detail=exc.strerror or str(exc))) from None


@env_command("done", schedule_group, context_settings={"ignore_unknown_options": True})
@click.option("--date", "day", type=OFFICE_DATE, required=True)
@click.option("--village", required=True)
@click.argument("marks", nargs=-1, type=click.UNPROCESSED, metavar="--recorded NIK… --absent NIK…")
def done_cmd(env: CliEnv, day: date, village: str, marks: tuple[str, ...]) -> None:
    """Record the visit: who was recorded (documents ready to print), who was absent (booked again)."""
    env.settings
    with refusals():
        recorded, absent = _marks(marks)
        when = day
        at = now()
        with env.database().write() as session:
            found = schedule.find_day(session, schedule.model.village(session, village).code,
                                      when)
            outcome = schedule.record_outcomes(session, users.cli_actor(), found.id,
                                               recorded=recorded, absent=absent,
                                               today=office_today(at), at=at)
    echo(t("schedule.cli.done", recorded=len(outcome.recorded), absent=len(outcome.absent)))
    for name, next_day in outcome.absent:
        echo("  " + t("schedule.cli.absent_again", name=name,
                            day=day_text(next_day) if next_day else t("schedule.cli.no_room")))


def _marks(marks: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """``--recorded A B --absent C`` (values may also be comma-separated)."""
    recorded: list[str] = []
    absent: list[str] = []
    current: list[str] | None = None
    for token in marks:
        if token in ("--recorded", "--direkam"):
            current = recorded
        elif token in ("--absent", "--tidak-hadir"):
            current = absent
        elif token.startswith("-") or current is None:
            raise ScheduleError(t("schedule.cli.bad_mark", token=token), usage=True)
        else:
            current.extend(n for n in token.replace(",", " ").split() if n)
    if not recorded and not absent:
        raise ScheduleError(t("schedule.cli.missing", option="--recorded/--absent"), usage=True)
    return recorded, absent


@env_command("export", schedule_group)
@click.option("--format", "fmt", type=click.Choice(["ics"]), default="ics", show_default=True)
@click.option("--out", "out", metavar="FILE")
@click.option("--village")
@click.option("--team")
@click.option("--from", "since", type=OFFICE_DATE)
@click.option("--until", type=OFFICE_DATE)
def export_cmd(env: CliEnv, fmt: str, out, village, team, since, until) -> None:
    """The service days as an iCalendar file, one event per village and day."""
    settings = env.settings
    check_range(since, until, "--from/--until")
    with refusals():
        first = since or office_today(now())
        with env.database().read() as session:
            if village:
                schedule.model.village(session, village)
            if team:
                schedule.model.team(session, team)
            data = schedule.ics(session, since=first, until=until,
                                village=village, team=team.upper() if team else None,
                                office_short=settings.office_short, now=now())
        if out:
            _write_all([(Path(out), data)])
    if not out:
        echo(data.decode("utf-8"), nl=False)
