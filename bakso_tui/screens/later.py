"""The screens a role does not land on, made when first opened: their modules
(the schedule's brings the PDF library through its day lists) stay out of a
session's start-up and memory until then (issue 16)."""

from __future__ import annotations


def users_screen():
    from bakso_tui.screens.users import UsersScreen  # (the rules of accounts, with SQLAlchemy)

    return UsersScreen()


def schedule_screen():
    from bakso_tui.screens.schedule import ScheduleScreen

    return ScheduleScreen()


def batches_screen():
    from bakso_tui.screens.batches import BatchesScreen

    return BatchesScreen()


def claims_screen():
    from bakso_tui.screens.claims import ClaimsScreen

    return ClaimsScreen()


def audit_screen():
    from bakso_tui.screens.audit import AuditScreen

    return AuditScreen()
