"""aiogram routers: one module per audience or task, included in one place."""

from __future__ import annotations

from aiogram import Router


def routers() -> list[Router]:
    """In order: the groups guard, linking, the diary, settings, help; the fallback last."""
    from handlers import common, diary, settings, start

    return [
        common.groups,
        start.router,
        diary.router,
        settings.router,
        common.router,
        common.fallback,
    ]


def error_router() -> Router:
    from handlers import common

    return common.errors
