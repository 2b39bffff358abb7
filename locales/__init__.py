"""gettext catalogues (``ru``, ``en``), compiled from the ``.po`` files in memory with Babel,
so a fresh checkout needs no build step and a stale ``.mo`` can never be served."""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent
DOMAIN = "messages"
LANGUAGES = ("ru", "en")


def po_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(locale: str) -> gettext.GNUTranslations:
    """The compiled catalogue of ``locale``; an unknown locale falls back to Russian."""
    path = po_path(locale if locale in LANGUAGES else LANGUAGES[0])
    with path.open("rb") as fp:
        catalog = read_po(fp, locale=path.parts[-3])
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def all_translations() -> dict[str, gettext.GNUTranslations]:
    return {name: translations(name) for name in LANGUAGES}
