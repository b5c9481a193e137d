"""Numbers and ages as an office reads them, in the current language."""

from __future__ import annotations

from datetime import timedelta

from bakso_tui.locale import language, t


def format_count(n: int) -> str:
    """1234 → "1.234" in Indonesian, "1,234" in English."""
    text = f"{n:,}"
    return text.replace(",", ".") if language() == "id" else text


def format_age(age: timedelta) -> str:
    """Age of a submission in the largest whole unit: "3 hr", "5 jam", "12 mnt"."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return t("tui.age.now")
    if minutes < 60:
        return t("tui.age.minutes", n=minutes)
    if minutes < 24 * 60:
        return t("tui.age.hours", n=minutes // 60)
    return t("tui.age.days", n=minutes // (24 * 60))
