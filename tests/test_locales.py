"""Every message in the code is in every catalogue, translated, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from locales import LANGUAGES, po_path, translations
from locales.update import KEYWORDS, ROOT, SOURCES

PLACEHOLDER = re.compile(r"\{(\w+)(?:[:!][^}]*)?\}")


def _keywords() -> dict[str, tuple | None]:
    spec: dict[str, tuple | None] = {}
    for k in KEYWORDS:
        name, _, args = k.partition(":")
        spec[name] = tuple(int(a) for a in args.split(",")) if args else None
    return spec


def extracted() -> set[str]:
    found: set[str] = set()
    for source in SOURCES:
        folder = ROOT / source
        if not folder.is_dir():
            continue
        for _, _, message, _, _ in extract_from_dir(
            folder, method_map=[("**.py", "python")], keywords=_keywords()
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def catalog(lang: str):
    with po_path(lang).open("rb") as fp:
        return read_po(fp, locale=lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_in_the_catalogue(lang: str) -> None:
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(lang) if m.id}
    missing = extracted() - ids
    assert not missing, f"run `python -m locales.update`; missing in {lang}: {sorted(missing)[:5]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_with_its_placeholders(lang: str) -> None:
    problems = []
    for message in catalog(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strs = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strs):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for s in strs:
            if set(PLACEHOLDER.findall(s)) != wanted:
                problems.append(f"placeholders differ: {ids[0]!r} -> {s!r}")
    assert not problems, "\n".join(problems[:10])


def test_russian_plural_forms_are_three() -> None:
    ru = translations("ru")
    assert "nplurals=3" in ru.info().get("plural-forms", "")


def test_catalogues_compile_without_a_build_step() -> None:
    for lang in LANGUAGES:
        assert translations(lang).gettext("") != ""  # the header is there
    assert Path(po_path("ru")).is_file()
