"""Reading import files into tables: CSV (UTF-8 or Windows-1251, comma, semicolon or tab,
detected), XLSX (every sheet a table) and OneRoster bundles (a folder or a zip of CSVs)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Mapping
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from core.tabular import Problem, SourceRow, SourceTable, normalize_header

MAX_FILE_BYTES = 20 * 1024 * 1024
# Characters a school's file may hold besides printable ASCII and Cyrillic.
_TYPOGRAPHY = set("№«»—–“”„’‘…·•°€\xa0\t\r\n")


class ImportFileError(Exception):
    """The file cannot be read at all; ``problems`` say where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.file}:{p.line}: {p.code}" for p in problems))
        self.problems = problems


def _fail(file: str, line: int | None, code: str, **facts: object) -> ImportFileError:
    return ImportFileError([Problem(file, line, code, facts)])


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else Windows-1251; anything else is refused."""
    if b"\x00" in data:
        return _bad_encoding(name, data[: data.index(b"\x00")].count(b"\n") + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1251")
        except UnicodeDecodeError as exc:
            return _bad_encoding(name, data[: exc.start].count(b"\n") + 1)
    for i, ch in enumerate(text):
        if not (" " <= ch <= "~" or "\u0400" <= ch <= "\u04ff" or ch in _TYPOGRAPHY):
            return _bad_encoding(name, _line_of(text, i))
    return text


def _bad_encoding(name: str, line: int) -> str:
    raise _fail(name, line, "bad_encoding")


def sniff_delimiter(first_line: str) -> str:
    counts = {d: 0 for d in ",;\t"}
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _table(
    file: str,
    hint: str,
    rows: list[tuple[int, list[str]]],
    aliases: Mapping[str, str] | None,
) -> SourceTable | None:
    rows = [(n, r) for n, r in rows if any(c.strip() for c in r)]
    if not rows:
        return None
    header_line, raw = rows[0]
    header = [
        normalize_header(h, aliases) if aliases is not None else h.replace("\ufeff", "").strip()
        for h in raw
    ]
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if name and name in seen:
            raise _fail(file, header_line, "duplicate_column", column=name)
        seen[name] = i
    body = []
    for line, values in rows[1:]:
        extra = [v for v in values[len(header) :] if v.strip()]
        if extra:
            raise _fail(file, line, "too_many_values", count=len(values), columns=len(header))
        body.append(
            SourceRow(
                line,
                {h: v.strip() for h, v in zip(header, values, strict=False) if h},
            )
        )
    return SourceTable(file, tuple(h for h in header if h), tuple(body), hint.lower(), header_line)


def read_csv_bytes(
    data: bytes, name: str, aliases: Mapping[str, str] | None = None
) -> SourceTable | None:
    text = decode(data, name)
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first))
    rows = []
    start = 1
    try:
        for values in reader:
            rows.append((start, values))
            start = reader.line_num + 1
    except csv.Error:
        raise _fail(name, start, "bad_csv") from None
    return _table(name, Path(name).stem, rows, aliases)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.date() == date(1899, 12, 30):  # a time of day stored as a date-time
            return value.strftime("%H:%M")
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx_bytes(
    data: bytes, name: str, aliases: Mapping[str, str] | None = None
) -> list[SourceTable]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise _fail(name, None, "bad_xlsx") from None
    tables = []
    try:
        for sheet in book.worksheets:
            rows = [
                (n, [_cell(v) for v in values])
                for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
            table = _table(f"{name}:{sheet.title}", sheet.title, rows, aliases)
            if table is not None:
                tables.append(table)
    finally:
        book.close()
    return tables


def read_table_file(
    path: Path, aliases: Mapping[str, str] | None = None, data: bytes | None = None
) -> list[SourceTable]:
    """One CSV or XLSX file (given by path, or its bytes with its name) as tables."""
    name = path.name
    if data is None:
        if not path.is_file():
            raise _fail(name, None, "no_file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise _fail(name, None, "file_too_big")
        data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx_bytes(data, name, aliases)
    if suffix in (".csv", ".txt", ".tsv"):
        table = read_csv_bytes(data, name, aliases)
        return [table] if table is not None else []
    raise _fail(name, None, "bad_file_type")


def read_tables(paths: list[Path], aliases: Mapping[str, str]) -> list[SourceTable]:
    tables: list[SourceTable] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            tables += read_table_file(path, aliases)
        except ImportFileError as exc:
            problems += exc.problems
    if problems:
        raise ImportFileError(problems)
    return tables


def read_oneroster(path: Path, data: bytes | None = None) -> list[SourceTable]:
    """A OneRoster bundle: a folder of CSV files or a zip of them (at its root or in one
    folder). Column names are kept as the standard spells them."""
    files: dict[str, bytes] = {}
    if data is None and path.is_dir():
        for item in sorted(path.iterdir()):
            if item.suffix.lower() == ".csv" and item.is_file():
                files[item.name] = item.read_bytes()
    else:
        if data is None:
            if not path.is_file():
                raise _fail(path.name, None, "no_file")
            data = path.read_bytes()
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as bundle:
                for info in bundle.infolist():
                    base = info.filename.rsplit("/", 1)[-1]
                    if base.lower().endswith(".csv") and not info.is_dir():
                        if info.file_size > MAX_FILE_BYTES:
                            raise _fail(base, None, "file_too_big")
                        files[base] = bundle.read(info)
        except zipfile.BadZipFile:
            raise _fail(path.name, None, "bad_zip") from None
    if not files:
        raise _fail(path.name, None, "missing_file")
    tables = []
    problems: list[Problem] = []
    for name, content in files.items():
        try:
            table = read_csv_bytes(content, name, None)
        except ImportFileError as exc:
            problems += exc.problems
            continue
        if table is not None:
            tables.append(table)
        else:
            tables.append(SourceTable(name, (), (), Path(name).stem.lower()))
    if problems:
        raise ImportFileError(problems)
    return tables
