"""Every message in the code is in every catalogue, translated, with the same placeholders;
none is hidden from extraction by an f-string; the Russian is Russian (no English left in it)
and the English has no Russian the message does not have."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from locales import LANGUAGES, po_path, translations
from locales.update import KEYWORDS, ROOT, SOURCES
from tests.support.latin import latin_words

PLACEHOLDER = re.compile(r"\{(\w+)(?:[:!][^}]*)?\}")
CYRILLIC = re.compile(r"[А-Яа-яЁё]+")
GETTEXT = {"_", "N_", "__", "gettext", "ngettext", "lazy_gettext", "lazy_ngettext"}


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


def _called(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id if func.id in GETTEXT else None
    if isinstance(func, ast.Attribute) and func.attr in GETTEXT:
        return func.attr
    return None


def hidden_messages(source: str, name: str = "<source>") -> list[str]:
    """Messages extraction never sees, or sees wrong: a ``_("…")`` inside an f-string (Babel
    reads the f-string as one string), and a message made at run time from an f-string, a
    concatenation or ``"…".format()`` (the catalogue holds no such id)."""
    found = []
    for node in ast.walk(ast.parse(source, filename=name)):
        if isinstance(node, ast.JoinedStr):
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and _called(inner)
                    and inner.args
                    and isinstance(inner.args[0], ast.Constant)
                ):
                    found.append(f"{name}:{inner.lineno}: {ast.unparse(inner)} in an f-string")
        if isinstance(node, ast.Call) and _called(node) and node.args:
            first = node.args[0]
            made = isinstance(first, ast.JoinedStr | ast.BinOp) or (
                isinstance(first, ast.Call)
                and isinstance(first.func, ast.Attribute)
                and first.func.attr == "format"
            )
            if made:
                found.append(f"{name}:{node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_no_message_is_hidden_from_extraction() -> None:
    found = []
    for source in SOURCES:
        for path in sorted((ROOT / source).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            found += hidden_messages(text, str(path.relative_to(ROOT)))
    assert not found, "\n".join(found)


def test_the_extraction_rule_catches_an_offence() -> None:
    bad = (
        "role = f\"{name}, {_('class')} {cls}\"\n"
        'x = _(f"Period {n}")\n'
        'y = _("a " + b)\n'
        'z = N_("{n} marks".format(n=2))\n'
        'ok = f"{name}: " + _("fine {x}").format(x=_(LABELS[k]))\n'
    )
    assert [line.split(":")[1] for line in hidden_messages(bad)] == ["1", "2", "3", "4"]


def test_russian_is_russian() -> None:
    """No message copied untranslated into Russian; no Latin word in a Russian translation
    that its message does not have (codes and names are kept as the message writes them)."""
    problems = []
    for message in catalog("ru"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strs = message.string if isinstance(message.string, tuple) else (message.string,)
        in_id = set(latin_words(" ".join(ids)))
        for s in strs:
            if s in ids and latin_words(s):
                problems.append(f"copied, not translated: {s!r}")
            elif extra := set(latin_words(s)) - in_id:
                problems.append(f"English in Russian: {ids[0]!r} -> {s!r}: {sorted(extra)}")
    assert not problems, "\n".join(problems[:20])


def test_english_has_no_russian_of_its_own() -> None:
    """Russian words in an English translation only where the message has them (examples such
    as «/att 7А Иванов»)."""
    problems = []
    for message in catalog("en"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strs = message.string if isinstance(message.string, tuple) else (message.string,)
        in_id = set(CYRILLIC.findall(" ".join(ids)))
        for s in strs:
            if extra := set(CYRILLIC.findall(s)) - in_id:
                problems.append(f"{ids[0]!r} -> {s!r}: {sorted(extra)}")
    assert not problems, "\n".join(problems[:20])
