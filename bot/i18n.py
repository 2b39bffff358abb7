"""aiogram's i18n, fed from our catalogues, with the locale taken from the viewer."""

from __future__ import annotations

import gettext
from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from core.access import Viewer
from locales import LANGUAGES, LOCALES_DIR, all_translations


class SchoolI18n(I18n):
    """Catalogues compiled in memory from the ``.po`` files (no ``.mo`` build step)."""

    def __init__(self, default_locale: str = "ru") -> None:
        super().__init__(path=LOCALES_DIR, default_locale=default_locale, domain="messages")

    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        return all_translations()


# aiogram's gettext helpers look up the current ``I18n`` by class; a subclass would get a
# context of its own and ``_()`` would not find it. Share the base class's context.
SchoolI18n._ContextInstanceMixin__context_instance = I18n._ContextInstanceMixin__context_instance  # type: ignore[attr-defined]


def locale_of(viewer: Viewer | None, user: User | None, default: str) -> str:
    """The account's chosen language; before linking, the one Telegram reports if we have it."""
    if viewer is not None and viewer.account_id is not None:
        return viewer.locale if viewer.locale in LANGUAGES else default
    code = (user.language_code or "")[:2] if user else ""
    return code if code in LANGUAGES else default


class ViewerI18nMiddleware(I18nMiddleware):
    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        return locale_of(data.get("viewer"), data.get("event_from_user"), self.i18n.default_locale)
