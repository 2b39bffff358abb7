"""The text forms of /att and /mark: any input parses to exactly what was meant or is refused
with a reason; nothing raises (property-tested with hypothesis)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.commands import (
    AttCommand,
    ClassRef,
    MarkCommand,
    NameQuery,
    Refusal,
    fold,
    match_names,
    match_work_type,
    parse_att,
    parse_class,
    parse_mark,
    parse_value,
)
from core.model import MarkValue

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Building a well-formed command costs more; fewer of them cover the forms as well.
BUILT = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
CLASS_LETTERS = "АБВГДЕЖЗИКЛМНОПРСТУФХЭЮЯ"
SAFE_LATIN = {"А": "A", "Е": "E", "К": "K", "М": "M", "О": "O", "Т": "T", "Х": "X"}
SPELLINGS: dict[MarkValue, list[str]] = {
    MarkValue.FIVE: ["5"],
    MarkValue.FOUR: ["4"],
    MarkValue.THREE: ["3"],
    MarkValue.TWO: ["2"],
    MarkValue.ONE: ["1"],
    MarkValue.PASS: ["зач", "зачёт", "Зачет", "зачтено", "pass"],
    MarkValue.FAIL: ["незач", "незачёт", "НЕЗАЧЕТ", "нз", "fail"],
    MarkValue.NOT_ASSESSED: ["н/а", "Н/А", "на", "n/a", "NA"],
    MarkValue.EXEMPT: ["осв", "осв.", "освобождён", "освобождена", "exempt"],
}
VALUE_WORDS = {fold(w) for words in SPELLINGS.values() for w in words}


@st.composite
def surnames(draw) -> str:
    part = st.text(alphabet=CYRILLIC, min_size=2, max_size=12)
    parts = draw(st.lists(part, min_size=1, max_size=2))
    name = "-".join(p.capitalize() for p in parts)
    if fold(name) in VALUE_WORDS:  # «На» is a mark, not a surname, in a mark's place
        name += "ов"
    return name


@st.composite
def written(draw, word: str) -> str:
    """The word as a hurried teacher may type it: any case, ё as е."""
    out = []
    for ch in word:
        if ch in "ёЁ" and draw(st.booleans()):
            ch = "е" if ch == "ё" else "Е"
        out.append(ch.upper() if draw(st.booleans()) else ch.lower())
    return "".join(out)


@st.composite
def class_refs(draw) -> tuple[ClassRef, str]:
    grade = draw(st.integers(1, 11))
    letter = draw(st.none() | st.sampled_from(CLASS_LETTERS))
    if letter is None:
        return ClassRef(grade, None), str(grade)
    shown = letter
    if letter in SAFE_LATIN and draw(st.booleans()):
        shown = SAFE_LATIN[letter]
    shown = shown.lower() if draw(st.booleans()) else shown
    glue = draw(st.sampled_from(["", " ", "-"]))
    return ClassRef(grade, letter), f"{grade}{glue}{shown}"


@dataclass(frozen=True)
class Name:
    surname: str
    initial: str | None


@st.composite
def names(draw) -> tuple[Name, str]:
    surname = draw(surnames())
    initial = draw(st.none() | st.sampled_from("АБВГДЕЁИКЛМНОПРСТЮЯ"))
    text = draw(written(surname))
    if initial is not None:
        form = draw(st.sampled_from([" {}", " {}.", ".{}", ".{}.", " {}.А."]))
        text += form.format(draw(written(initial)))
    return Name(surname, initial), text


SEPARATORS = st.sampled_from([" ", "  ", ", ", ",", "; ", "\n", " \t"])


def same(query: NameQuery, name: Name) -> bool:
    return query.key == (fold(name.surname), fold(name.initial) if name.initial else None)


@FAST
@given(st.text(max_size=200))
def test_any_text_is_parsed_or_refused_and_never_raises(text: str) -> None:
    for parse in (parse_att, parse_mark):
        result = parse(text)
        assert isinstance(result, AttCommand | MarkCommand | Refusal)
        prefixed = parse("7А " + text)
        assert isinstance(prefixed, AttCommand | MarkCommand | Refusal)


@FAST
@given(
    st.lists(
        st.sampled_from(["7А", "7", "А", "Иванов", "П.", "5", "н/а", "КР", ",", "Ли"]), max_size=12
    )
)
def test_any_sequence_of_plausible_words_is_parsed_or_refused(words: list[str]) -> None:
    text = " ".join(words)
    for parse in (parse_att, parse_mark):
        assert isinstance(parse(text), AttCommand | MarkCommand | Refusal)


@BUILT
@given(class_refs(), st.lists(names(), min_size=1, max_size=8), st.data())
def test_att_gives_exactly_the_class_and_names_written(cls, people, data) -> None:
    ref, class_text = cls
    parts = [class_text]
    for _, text in people:
        parts.append(data.draw(SEPARATORS))
        parts.append(text)
    parsed = parse_att(" " + "".join(parts) + data.draw(st.sampled_from(["", " ", ","])))
    assert isinstance(parsed, AttCommand), (parts, parsed)
    assert parsed.class_ref == ref
    assert len(parsed.names) == len(people)
    assert all(same(q, n) for q, (n, _) in zip(parsed.names, people, strict=True))


WORK_TYPES = st.sampled_from(["КР", "кр", "У", "у", "СР", "ЛР", "Д", "Соч", "test", "ПР"])
VALUES = st.sampled_from([(v, w) for v, words in SPELLINGS.items() for w in words])


@BUILT
@given(
    class_refs(),
    WORK_TYPES,
    st.lists(st.tuples(names(), VALUES), min_size=1, max_size=8),
    st.data(),
)
def test_mark_gives_exactly_the_work_type_names_and_values(cls, work_type, entries, data) -> None:
    ref, class_text = cls
    parts = [class_text, " ", work_type]
    for (_, text), (_, value_text) in entries:
        parts.append(data.draw(SEPARATORS))
        parts.append(text)
        parts.append(data.draw(st.sampled_from([" ", ": ", "=", ":"])))
        parts.append(value_text)
    parsed = parse_mark("".join(parts))
    assert isinstance(parsed, MarkCommand), (parts, parsed)
    assert parsed.class_ref == ref and parsed.work_type == work_type
    assert len(parsed.entries) == len(entries)
    for entry, ((name, _), (value, _)) in zip(parsed.entries, entries, strict=True):
        assert same(entry.name, name) and entry.value == value


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("", Refusal("empty")),
        ("   ", Refusal("empty")),
        ("Иванов", Refusal("class", "Иванов")),
        ("12А Иванов", Refusal("class", "12А")),
        ("0 Иванов", Refusal("class", "0")),
        ("7B Иванов", Refusal("class_letter", "7B")),  # Б or В?
        ("7 b Иванов", Refusal("class_letter", "7b")),
        ("7А", Refusal("names_missing")),
        ("7А И", Refusal("name", "И")),
        ("7А Ив@нов", Refusal("name", "Ив@нов")),
        ("7А Иванов 5", Refusal("name", "5")),
        ("7А " + "Иванов " * 61, Refusal("too_long")),
        ("7А " + "x" * 2000, Refusal("too_long")),
    ],
)
def test_att_refusals_name_the_problem(text: str, refusal: Refusal) -> None:
    assert parse_att(text) == refusal


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("7А", Refusal("work_type_missing")),
        ("7А Иванов 5", Refusal("work_type_missing")),
        ("7А КР", Refusal("names_missing")),
        ("7А КР Иванов", Refusal("value_missing", "", "Иванов")),
        ("7А КР Иванов П.", Refusal("value_missing", "", "Иванов П.")),
        ("7А КР Иванов 6", Refusal("value", "6", "Иванов")),
        ("7А КР Иванов Петрова 4", Refusal("value", "Петрова", "Иванов")),
        ("7А КР Иванов 4+", Refusal("value", "4+", "Иванов")),
        ("7А 5 Иванов 4", Refusal("work_type", "5")),
    ],
)
def test_mark_refusals_name_the_problem(text: str, refusal: Refusal) -> None:
    assert parse_mark(text) == refusal


def test_a_spaced_class_letter_is_read_the_one_way_that_makes_sense() -> None:
    # «7 У Иванов 5»: class 7 with work type У, not class 7У with work type «Иванов»
    parsed = parse_mark("7 У Иванов 5")
    assert isinstance(parsed, MarkCommand)
    assert (parsed.class_ref, parsed.work_type) == (ClassRef(7, None), "У")
    parsed = parse_mark("7 а КР Иванов 5")
    assert isinstance(parsed, MarkCommand) and parsed.class_ref == ClassRef(7, "А")
    assert parse_att("7 а Иванов").class_ref == ClassRef(7, "А")  # type: ignore[union-attr]


def test_class_names() -> None:
    assert parse_class("7а") == parse_class("7A") == parse_class("7-А") == ClassRef(7, "А")
    assert parse_class("11") == ClassRef(11, None)
    assert parse_class("7Б") == ClassRef(7, "Б")
    assert parse_class("7Y") == Refusal("class_letter", "7Y")
    assert str(ClassRef(7, "А")) == "7А" and str(ClassRef(7, None)) == "7"


def test_every_spelling_of_every_value() -> None:
    for value, words in SPELLINGS.items():
        for word in words:
            assert parse_value(word) == value, word
    assert {parse_value(w) for w in ("0", "6", "5+", "н", "з", "")} == {None}


def test_names_fold_case_yo_and_a_mixed_keyboard_layout() -> None:
    assert fold("Ёлкин") == fold("елкин") == "елкин"
    assert fold("Ивaнов") == fold("Иванов")  # a Latin «a» typed inside a Cyrillic word
    assert fold("Smith") == "smith"
    assert NameQuery("ЕЛКИНА", "а").matches("Ёлкина", "Алёна")
    assert not NameQuery("Елкина", "б").matches("Ёлкина", "Алёна")


@dataclass(frozen=True)
class Person:
    last_name: str
    first_name: str


@dataclass(frozen=True)
class Kind:
    code: str
    short: str


def test_matching_lists_every_candidate() -> None:
    roster = [Person("Иванов", "Пётр"), Person("Иванов", "Алексей"), Person("Ёлкин", "Борис")]
    found = match_names([NameQuery("иванов"), NameQuery("елкин"), NameQuery("Сидоров")], roster)
    assert found == [(roster[0], roster[1]), (roster[2],), ()]
    kinds = [Kind("oral", "У"), Kind("test", "КР"), Kind("essay", "Соч")]
    assert match_work_type("кр", kinds) == kinds[1]
    assert match_work_type("TEST", kinds) == kinds[1]
    assert match_work_type("соч.", kinds) == kinds[2]
    assert match_work_type("ЛР", kinds) is None
