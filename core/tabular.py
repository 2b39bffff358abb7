"""Rows read from import files, problems found in them, and the small parsers both the
school's own formats and OneRoster use. No file I/O: storage reads the files into tables."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any


@dataclass(frozen=True, slots=True)
class SourceRow:
    line: int  # 1-based line (CSV) or row number (XLSX) in its file
    values: Mapping[str, str]  # normalized column name -> stripped text

    def get(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass(frozen=True, slots=True)
class SourceTable:
    """One CSV file or one XLSX sheet, its header already normalized."""

    file: str  # as shown in reports: "students.csv", "roster.xlsx:Ученики"
    header: tuple[str, ...]
    rows: tuple[SourceRow, ...]
    hint: str = ""  # the file's stem or the sheet's name, lower case
    header_line: int = 1


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a file (or one line of it) cannot be imported; ``code`` picks the message."""

    file: str
    line: int | None
    code: str
    facts: Mapping[str, Any] = field(default_factory=dict)

    def sort_key(self) -> tuple[str, int, str]:
        return (self.file, self.line or 0, self.code)


class Problems:
    """Errors refuse the whole import; warnings say what was left out and why."""

    def __init__(self) -> None:
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, file: str, line: int | None, code: str, **facts: Any) -> None:
        self.errors.append(Problem(file, line, code, facts))

    def warn(self, file: str, line: int | None, code: str, **facts: Any) -> None:
        self.warnings.append(Problem(file, line, code, facts))

    def extend(self, other: Problems) -> None:
        self.errors += other.errors
        self.warnings += other.warnings


# -- parsers -----------------------------------------------------------------------------------

# Latin letters that look like Cyrillic ones: "7A" typed on an English keyboard is "7А".
_LOOKALIKE = str.maketrans("ABEKMHOPCTXaekmhopctx", "АВЕКМНОРСТХаекмнорстх")
_CLASS = re.compile(r"^\s*(\d{1,2})\s*[-\s]?\s*([A-Za-zА-Яа-яЁё]{0,3})\s*$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_RU = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(?::\d{2})?$")
LIST_SEPARATORS = re.compile(r"\s*[,;|]\s*")


def parse_class(text: str) -> tuple[int, str] | None:
    """``7А``, ``7 а``, ``7-A`` -> (7, "А"); None when it is not a class name."""
    found = _CLASS.match(text)
    if not found:
        return None
    grade = int(found.group(1))
    if not 1 <= grade <= 12:
        return None
    return grade, found.group(2).translate(_LOOKALIKE).upper()


def parse_date(text: str) -> date | None:
    """ISO ``2026-09-01`` (a time part is ignored) or Russian ``01.09.2026``."""
    text = text.strip()
    found = _ISO.match(text)
    try:
        if found:
            return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
        found = _RU.match(text)
        if found:
            return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
    except ValueError:
        return None
    return None


def parse_time(text: str) -> time | None:
    found = _TIME.match(text.strip())
    if not found:
        return None
    hour, minute = int(found.group(1)), int(found.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def split_list(text: str) -> list[str]:
    return [x for x in LIST_SEPARATORS.split(text.strip()) if x]


def norm_name(text: str) -> str:
    """For matching names: case, ё and runs of spaces do not matter."""
    return " ".join(text.lower().replace("ё", "е").split())


def normalize_header(name: str, aliases: Mapping[str, str]) -> str:
    key = " ".join(name.replace("\ufeff", "").strip().lower().replace("_", " ").split())
    return aliases.get(key, key.replace(" ", "_"))


def first_lines(tables: Iterable[SourceTable]) -> dict[str, int]:
    return {t.file: t.header_line for t in tables}
