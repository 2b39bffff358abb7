"""The teachers' text commands, parsed: ``/att 7А Иванов Петрова`` and
``/mark 7А КР Иванов 5 Петрова 4``.

Pure and total: any input gives either exactly what was meant or a typed ``Refusal`` naming
the token at fault; nothing here raises. Surnames are matched against a lesson's list later
(``match_names``), and that never guesses either: an unknown or ambiguous name is asked back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from core.model import MarkValue

MAX_INPUT = 2000  # characters of arguments
MAX_ITEMS = 60  # names in one command: more than any class
MAX_NAME = 60
MAX_WORK_TYPE = 12

# A Latin letter typed for a Cyrillic class letter is read only where it looks alike and
# transliterates alike; B (Б or В), C (Ц or С), H (Х or Н), P (П or Р), Y (У or Ы) are refused.
_CLASS_LATIN = {"A": "А", "E": "Е", "K": "К", "M": "М", "O": "О", "T": "Т", "X": "Х"}
# In a word that mixes scripts, Latin look-alikes are Cyrillic typed on the wrong layout.
_HOMOGLYPHS = str.maketrans("aeopcxyABEKMHOPCTXY", "аеорсхуАВЕКМНОРСТХУ")
_CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
_LATIN = re.compile(r"[a-zA-Z]")
_LETTER = r"[^\W\d_]"
_SURNAME = re.compile(rf"{_LETTER}+(?:['’-]{_LETTER}+)*")
_INITIALS = re.compile(rf"({_LETTER})(?:\.|\.({_LETTER})\.?)?")
_CLASS = re.compile(rf"(\d{{1,2}})(?:[-–]?({_LETTER}))?")
_WORK_TYPE = re.compile(rf"{_LETTER}[\w/.-]*")
_SEPARATORS = re.compile(r"[\s,;:=]+")

_VALUES: dict[str, MarkValue] = {
    **{str(n): MarkValue(str(n)) for n in range(1, 6)},
    **dict.fromkeys(("зач", "зачет", "зачтено", "pass"), MarkValue.PASS),
    **dict.fromkeys(("незач", "незачет", "незачтено", "нз", "fail"), MarkValue.FAIL),
    **dict.fromkeys(("н/а", "н\\а", "на", "неатт", "n/a", "na"), MarkValue.NOT_ASSESSED),
    **dict.fromkeys(
        ("осв", "осв.", "освоб", "освобожден", "освобождена", "exempt", "ex"), MarkValue.EXEMPT
    ),
}


def fold(text: str) -> str:
    """The key names are compared by: case- and ё/е-insensitive; a word that mixes scripts is
    read as Cyrillic."""
    if _CYRILLIC.search(text) and _LATIN.search(text):
        text = text.translate(_HOMOGLYPHS)
    return text.casefold().replace("ё", "е")


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a command was not understood; ``token`` is the part at fault, as written."""

    code: str  # empty, class, class_letter, class_spacing, names_missing, name, value,
    # value_missing, work_type, work_type_missing, too_long, twice
    token: str = ""
    after: str = ""  # the surname a mark was expected after


@dataclass(frozen=True, slots=True)
class ClassRef:
    grade: int
    letter: str | None  # a Cyrillic capital; None when only the grade was given

    def __str__(self) -> str:
        return f"{self.grade}{self.letter or ''}"


@dataclass(frozen=True, slots=True)
class NameQuery:
    surname: str  # as written
    initial: str | None = None  # the first name's first letter, as written

    @property
    def key(self) -> tuple[str, str | None]:
        return fold(self.surname), fold(self.initial) if self.initial else None

    def __str__(self) -> str:
        return f"{self.surname} {self.initial}." if self.initial else self.surname

    def matches(self, last_name: str, first_name: str) -> bool:
        surname, initial = self.key
        if fold(last_name) != surname:
            return False
        return initial is None or fold(first_name).startswith(initial)


@dataclass(frozen=True, slots=True)
class AttCommand:
    """``/att 7А Иванов Петрова``: these are absent."""

    class_ref: ClassRef
    names: tuple[NameQuery, ...]


@dataclass(frozen=True, slots=True)
class MarkEntry:
    name: NameQuery
    value: MarkValue


@dataclass(frozen=True, slots=True)
class MarkCommand:
    """``/mark 7А КР Иванов 5 Петрова 4``: marks of one work type."""

    class_ref: ClassRef
    work_type: str  # as written; matched against the school's work types later
    entries: tuple[MarkEntry, ...]


def tokens(text: str) -> list[str]:
    return [t for t in _SEPARATORS.split(text) if t]


def parse_value(token: str) -> MarkValue | None:
    return _VALUES.get(fold(token.strip()))


def parse_class(token: str) -> ClassRef | Refusal:
    """7А, 7а, 7-А, 7a (a Latin A), 7: a grade of 1 to 11 and maybe a letter."""
    found = _CLASS.fullmatch(token)
    if found is None:
        return Refusal("class", token)
    grade = int(found.group(1))
    if not 1 <= grade <= 11:
        return Refusal("class", token)
    letter = found.group(2)
    if letter is None:
        return ClassRef(grade, None)
    letter = _class_letter(letter)
    if letter is None:
        return Refusal("class_letter", token)
    return ClassRef(grade, letter)


def _class_letter(letter: str) -> str | None:
    upper = letter.upper()
    if _CYRILLIC.fullmatch(upper):
        return upper
    return _CLASS_LATIN.get(upper)


def _initial(token: str) -> str | None:
    found = _INITIALS.fullmatch(token)
    return found.group(1) if found else None


def _name(token: str) -> tuple[str, str | None] | None:
    """A surname, possibly with an initial glued on by a dot: ``Иванов``, ``Иванов.П``."""
    surname, dot, rest = token.partition(".")
    if dot and rest:
        initial = _initial(rest)
        if initial is None:
            return None
    else:
        initial = None
    if len(surname) > MAX_NAME or _SURNAME.fullmatch(surname) is None:
        return None
    if sum(c.isalpha() for c in surname) < 2:
        return None
    return surname, initial


def _names(
    items: Sequence[str], with_values: bool
) -> list[tuple[NameQuery, MarkValue | None]] | Refusal:
    """Surnames, each maybe followed by an initial and, ``with_values``, by a mark."""
    found: list[tuple[NameQuery, MarkValue | None]] = []
    i = 0
    while i < len(items):
        token = items[i]
        name = _name(token)
        if name is None:
            return Refusal("name", token)
        surname, initial = name
        i += 1
        if initial is None and i < len(items) and _initial(items[i]) is not None:
            initial = _initial(items[i])
            i += 1
        query = NameQuery(surname, initial)
        value = None
        if with_values:
            if i >= len(items):
                return Refusal("value_missing", "", str(query))
            value = parse_value(items[i])
            if value is None:
                return Refusal("value", items[i], str(query))
            i += 1
        found.append((query, value))
        if len(found) > MAX_ITEMS:
            return Refusal("too_long")
    if not found:
        return Refusal("names_missing")
    return found


def _class_readings(items: list[str]) -> list[tuple[ClassRef | Refusal, list[str]]]:
    """How the leading tokens may name a class: ``7А``, or ``7 А`` and ``7`` (then tried
    both ways), the likelier reading first."""
    first = parse_class(items[0])
    readings: list[tuple[ClassRef | Refusal, list[str]]] = [(first, items[1:])]
    if (
        isinstance(first, ClassRef)
        and first.letter is None
        and len(items) > 1
        and len(items[1]) == 1
        and items[1].isalpha()
    ):
        readings.insert(0, (parse_class(items[0] + items[1]), items[2:]))
    return readings


C = TypeVar("C", AttCommand, MarkCommand)


def _parse(text: str | None, rest: Callable[[ClassRef, list[str]], C | Refusal]) -> C | Refusal:
    text = text or ""
    if len(text) > MAX_INPUT:
        return Refusal("too_long")
    items = tokens(text)
    if not items:
        return Refusal("empty")
    results = [
        reading if isinstance(reading, Refusal) else rest(reading, remaining)
        for reading, remaining in _class_readings(items)
    ]
    parsed = [r for r in results if not isinstance(r, Refusal)]
    if len(parsed) > 1:
        return Refusal("class_spacing")
    return parsed[0] if parsed else results[0]


def _att_rest(class_ref: ClassRef, rest: list[str]) -> AttCommand | Refusal:
    names = _names(rest, with_values=False)
    if isinstance(names, Refusal):
        return names
    return AttCommand(class_ref, tuple(q for q, _ in names))


def parse_att(text: str | None) -> AttCommand | Refusal:
    """``7А Иванов Петрова``, ``7 а иванов п., петрова``: a class and the absent."""
    return _parse(text, _att_rest)


def _mark_rest(class_ref: ClassRef, rest: list[str]) -> MarkCommand | Refusal:
    if not rest:
        return Refusal("work_type_missing")
    work_type, items = rest[0], rest[1:]
    entries = _names(items, with_values=True)
    if isinstance(entries, Refusal) and entries.code in {"name", "names_missing"}:
        if not isinstance(_names(rest, with_values=True), Refusal):
            return Refusal("work_type_missing")  # «/mark 7А Иванов 5»
    if len(work_type) > MAX_WORK_TYPE or _WORK_TYPE.fullmatch(work_type) is None:
        return Refusal("work_type", work_type)
    if isinstance(entries, Refusal):
        return entries
    return MarkCommand(
        class_ref, work_type, tuple(MarkEntry(q, v) for q, v in entries if v is not None)
    )


def parse_mark(text: str | None) -> MarkCommand | Refusal:
    """``7А КР Иванов 5 Петрова 4``: a class, a work type, then surnames with their marks."""
    return _parse(text, _mark_rest)


# --- matching against a list ---------------------------------------------------------------


class Named(Protocol):
    @property
    def last_name(self) -> str: ...

    @property
    def first_name(self) -> str: ...


T = TypeVar("T", bound=Named)


def match_names(queries: Iterable[NameQuery], roster: Sequence[T]) -> list[tuple[T, ...]]:
    """For each query, everyone on the list it fits: one is a match, none is unknown, several
    are asked back."""
    return [tuple(s for s in roster if q.matches(s.last_name, s.first_name)) for q in queries]


class WorkTypeLike(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def short(self) -> str: ...


W = TypeVar("W", bound=WorkTypeLike)


def match_work_type(token: str, options: Iterable[W]) -> W | None:
    """The school's work type written as on paper (КР, кр, У) or by its code (test)."""
    key = fold(token.strip().rstrip("."))
    found = [w for w in options if key in {fold(w.short), fold(w.code)}]
    return found[0] if len(found) == 1 else None
