"""aiogram routers: one module per audience or task, included in one place."""

from __future__ import annotations

from aiogram import Router


def _detached(routers: list[Router]) -> list[Router]:
    # Routers live at module level (one per module, as aiogram's multi-file examples do); a
    # process builds one dispatcher, but tests build one per test, so let go of the old one.
    for router in routers:
        router._parent_router = None
    return routers


def routers() -> list[Router]:
    """In order: the groups guard, linking, the diary, settings, help; the fallback last."""
    from handlers import (
        admin,
        admin_lessons,
        admin_periods,
        admin_reports,
        admin_year,
        broadcast,
        class_teacher,
        common,
        corrections,
        diary,
        finals_ack,
        invites,
        journal_control,
        lesson_notes,
        letters,
        marks,
        membership,
        messages,
        period_marks,
        printouts,
        settings,
        start,
        teacher,
    )

    journal = [
        teacher.router,
        marks.router,
        corrections.router,
        lesson_notes.router,
        period_marks.router,
    ]
    return _detached(
        [
            common.groups,
            start.router,
            journal_control.router,  # its form's typed answers before the journal's commands
            diary.router,
            settings.router,
            *journal,
            class_teacher.router,
            finals_ack.router,
            invites.router,
            printouts.router,
            common.router,
            broadcast.router,
            messages.router,
            letters.router,
            membership.router,
            admin.router,
            admin_periods.router,
            admin_lessons.router,
            admin_year.router,
            admin_reports.router,
            common.fallback,
        ]
    )


def error_router() -> Router:
    from handlers import common

    return _detached([common.errors])[0]
