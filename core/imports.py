"""The school's own import formats: tables of rows -> typed rows, with every problem found.

A roster is a set of tables (CSV files or XLSX sheets): ``students``, ``guardians``, ``staff``,
``subjects``, ``subgroups``, ``calendar``, ``holidays`` and ``work_types``; a timetable is
``timetable`` and ``bells``. Each table is recognised by its name or its columns. Nothing here
reads a file or the database: ``core.import_apply`` turns the typed rows into changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from core.model import MarkValue, PeriodKind, StaffRoleKind
from core.tabular import (
    Problems,
    SourceRow,
    SourceTable,
    parse_class,
    parse_date,
    parse_time,
    split_list,
)
from core.work_types import parse_flag, parse_weight, standard, standard_code

ClassKey = tuple[int, str]  # (grade, letter)


@dataclass(frozen=True, slots=True)
class Where:
    file: str
    line: int | None


@dataclass(frozen=True, slots=True)
class CalendarRow:
    where: Where
    year_name: str  # "2026/2027"
    kind: PeriodKind
    number: int
    starts_on: date
    ends_on: date


@dataclass(frozen=True, slots=True)
class HolidayRow:
    where: Where
    name: str
    starts_on: date
    ends_on: date


@dataclass(frozen=True, slots=True)
class WorkTypeRow:
    where: Where
    name: str
    short: str
    weight: str  # an exact decimal
    written: bool
    code: str  # the standard kind's, or one made from the row


@dataclass(frozen=True, slots=True)
class SubjectRow:
    where: Where
    name: str
    short: str = ""


@dataclass(frozen=True, slots=True)
class StaffRow:
    where: Where
    source_id: str
    last_name: str
    first_name: str
    middle_name: str = ""
    roles: frozenset[StaffRoleKind] = frozenset()
    leads: ClassKey | None = None  # the class this person is class teacher of


@dataclass(frozen=True, slots=True)
class StudentRow:
    where: Where
    source_id: str
    cls: ClassKey
    last_name: str
    first_name: str
    middle_name: str = ""
    birth_date: date | None = None
    arrived_on: date | None = None
    subgroups: tuple[str, ...] = ()
    moved_on: date | None = None  # a new class from this day (default: the import's)


@dataclass(frozen=True, slots=True)
class GuardianRow:
    where: Where
    source_id: str
    last_name: str
    first_name: str
    middle_name: str = ""
    phone: str = ""
    email: str = ""
    students: tuple[tuple[str, Where], ...] = ()  # student source ids, where each was named
    relation: str = "parent"
    # On paper (rule 8): from a day, True «да» (kept, else from the import's day), False not;
    # None when the file has no such column (the database keeps what it has).
    paper: date | bool | None = None


@dataclass(frozen=True, slots=True)
class SubgroupRow:
    where: Where
    cls: ClassKey
    name: str
    subject: str = ""


@dataclass(frozen=True, slots=True)
class TeachingRow:
    where: Where
    staff_source: str
    subject: str
    cls: ClassKey
    subgroup: str = ""


@dataclass(frozen=True, slots=True)
class MarkRow:
    """A mark from a gradebook (OneRoster results): dated by its lesson day."""

    where: Where
    student_source: str
    staff_source: str
    subject: str
    cls: ClassKey
    subgroup: str
    day: date
    value: MarkValue
    work_type: str
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class BellRow:
    where: Where
    slot: int
    starts_at: time
    ends_at: time


@dataclass(frozen=True, slots=True)
class TimetableRow:
    where: Where
    cls: ClassKey
    weekday: int  # 0 = Monday
    slot: int
    subject: str
    teacher: str  # staff source id or full name
    subgroup: str = ""
    room: str = ""
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass
class RosterData:
    calendar: list[CalendarRow] = field(default_factory=list)
    week_days: tuple[int, Where] | None = None  # the calendar's working week, 5 or 6
    holidays: list[HolidayRow] | None = None  # the year's whole list, when given
    work_types: list[WorkTypeRow] | None = None
    subjects: list[SubjectRow] = field(default_factory=list)
    staff: list[StaffRow] | None = None
    students: list[StudentRow] | None = None
    guardians: list[GuardianRow] | None = None
    subgroups: list[SubgroupRow] = field(default_factory=list)
    teachings: list[TeachingRow] = field(default_factory=list)
    marks: list[MarkRow] = field(default_factory=list)
    # Students of this year missing from ``students`` have left (a full roster, not a delta).
    complete: bool = True
    removed_students: dict[str, Where] = field(default_factory=dict)  # explicitly deleted
    school_name: str = ""
    year_name: str = ""  # the year a bundle is for, when it names one


@dataclass
class TimetableData:
    bells: list[BellRow] = field(default_factory=list)
    entries: list[TimetableRow] | None = None


# -- table kinds and columns ---------------------------------------------------------------

# Russian headers a school may use, mapped to the documented column names.
ALIASES: dict[str, str] = {
    "класс": "class",
    "фамилия": "last_name",
    "имя": "first_name",
    "отчество": "middle_name",
    "дата рождения": "birth_date",
    "дата прибытия": "arrived_on",
    "прибыл": "arrived_on",
    "подгруппы": "subgroups",
    "подгруппа": "subgroup",
    "id ученика": "student_id",
    "код ученика": "student_id",
    "id родителя": "guardian_id",
    "код родителя": "guardian_id",
    "id сотрудника": "staff_id",
    "код сотрудника": "staff_id",
    "телефон": "phone",
    "e-mail": "email",
    "почта": "email",
    "дети": "students",
    "ученики": "students",
    "кем приходится": "relation",
    "на бумаге": "paper_since",
    "на бумаге с": "paper_since",
    "бумажный дневник": "paper_since",
    "paper": "paper_since",
    "paper diary": "paper_since",
    "роли": "roles",
    "роль": "roles",
    "руководитель класса": "class",
    "предмет": "subject",
    "сокращение": "short",
    "учебный год": "year",
    "период": "period",
    "вид периода": "kind",
    "дата начала": "starts_on",
    "дата окончания": "ends_on",
    "день недели": "weekday",
    "день": "weekday",
    "урок": "slot",
    "номер урока": "slot",
    "учитель": "teacher",
    "кабинет": "room",
    "действует с": "valid_from",
    "действует по": "valid_to",
    "начало": "starts_at",
    "окончание": "ends_at",
    "название": "name",
    "вид работы": "name",
    "вес": "weight",
    "письменная": "written",
    "письменная работа": "written",
    "учебная неделя": "week",
    "дней в неделе": "week",
    "дата перевода": "moved_on",
    "в классе с": "moved_on",
}

NAME_HINTS: dict[str, str] = {
    "students": "students",
    "ученики": "students",
    "guardians": "guardians",
    "parents": "guardians",
    "родители": "guardians",
    "staff": "staff",
    "сотрудники": "staff",
    "subjects": "subjects",
    "предметы": "subjects",
    "subgroups": "subgroups",
    "подгруппы": "subgroups",
    "calendar": "calendar",
    "holidays": "holidays",
    "каникулы": "holidays",
    "праздники": "holidays",
    "выходные": "holidays",
    "work_types": "work_types",
    "worktypes": "work_types",
    "виды работ": "work_types",
    "виды_работ": "work_types",
    "periods": "calendar",
    "периоды": "calendar",
    "календарь": "calendar",
    "timetable": "timetable",
    "расписание": "timetable",
    "bells": "bells",
    "звонки": "bells",
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "students": ("student_id", "class", "last_name", "first_name"),
    "guardians": ("guardian_id", "last_name", "first_name", "students"),
    "staff": ("staff_id", "last_name", "first_name"),
    "subjects": ("subject",),
    "subgroups": ("class", "subgroup"),
    "calendar": ("year", "period", "starts_on", "ends_on"),
    "holidays": ("name", "starts_on", "ends_on"),
    "work_types": ("name", "short"),
    "timetable": ("class", "weekday", "slot", "subject", "teacher"),
    "bells": ("slot", "starts_at", "ends_at"),
}

ROSTER_KINDS = (
    "calendar",
    "holidays",
    "work_types",
    "subjects",
    "staff",
    "subgroups",
    "students",
    "guardians",
)
TIMETABLE_KINDS = ("bells", "timetable")

ROLE_NAMES: dict[str, StaffRoleKind] = {
    "admin": StaffRoleKind.ADMIN,
    "администратор": StaffRoleKind.ADMIN,
    "director": StaffRoleKind.DIRECTOR,
    "директор": StaffRoleKind.DIRECTOR,
    "deputy": StaffRoleKind.DEPUTY,
    "завуч": StaffRoleKind.DEPUTY,
    "teacher": StaffRoleKind.TEACHER,
    "учитель": StaffRoleKind.TEACHER,
    "letters": StaffRoleKind.LETTERS,  # receives the letters to the administration
    "письма": StaffRoleKind.LETTERS,
}

PERIOD_KINDS: dict[str, PeriodKind] = {
    "quarter": PeriodKind.QUARTER,
    "четверть": PeriodKind.QUARTER,
    "trimester": PeriodKind.TRIMESTER,
    "триместр": PeriodKind.TRIMESTER,
    "half_year": PeriodKind.HALF_YEAR,
    "полугодие": PeriodKind.HALF_YEAR,
    "semester": PeriodKind.SEMESTER,
    "семестр": PeriodKind.SEMESTER,
}

WEEKDAYS: dict[str, int] = {
    **{str(i + 1): i for i in range(7)},
    **{name: i for i, name in enumerate(("пн", "вт", "ср", "чт", "пт", "сб", "вс"))},
    **{name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{
        name: i
        for i, name in enumerate(
            ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
        )
    },
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}

MAX_TEXT = 200


def table_kind(table: SourceTable) -> str | None:
    """What a table holds, by its name first, then by its columns."""
    hint = table.hint.replace("-", "_")
    if hint in NAME_HINTS:
        return NAME_HINTS[hint]
    for word in hint.replace(" ", "_").split("_"):
        if word in NAME_HINTS:
            return NAME_HINTS[word]
    cols = set(table.header)
    if "weight" in cols:
        return "work_types"
    if {"name", "starts_on", "ends_on"} <= cols and not cols & {"year", "period"}:
        return "holidays"
    if "guardian_id" in cols:
        return "guardians"
    if "student_id" in cols:
        return "students"
    if "staff_id" in cols:
        return "staff"
    if {"weekday", "slot"} <= cols:
        return "timetable"
    if {"slot", "starts_at"} <= cols:
        return "bells"
    if {"year", "starts_on"} <= cols:
        return "calendar"
    if {"subgroup", "class"} <= cols:
        return "subgroups"
    if "subject" in cols:
        return "subjects"
    return None


class _Reader:
    """Typed values out of one table's rows, with a problem for each bad one."""

    def __init__(self, table: SourceTable, problems: Problems, found: dict) -> None:
        self.table = table
        self.problems = problems
        self.file = table.file
        self.found = found  # what a parser learns beside its rows (the calendar's week)

    def where(self, row: SourceRow) -> Where:
        return Where(self.file, row.line)

    def required(self, row: SourceRow, column: str) -> str | None:
        value = row.get(column)
        if not value:
            self.problems.error(self.file, row.line, "empty_value", column=column)
            return None
        if len(value) > MAX_TEXT:
            self.problems.error(self.file, row.line, "too_long", column=column)
            return None
        return value

    def optional(self, row: SourceRow, column: str) -> str:
        value = row.get(column)
        if len(value) > MAX_TEXT:
            self.problems.error(self.file, row.line, "too_long", column=column)
            return ""
        return value

    def date(self, row: SourceRow, column: str, required: bool = False) -> date | None:
        text = row.get(column)
        if not text:
            if required:
                self.problems.error(self.file, row.line, "empty_value", column=column)
            return None
        value = parse_date(text)
        if value is None:
            self.problems.error(self.file, row.line, "bad_date", column=column, value=text)
        return value

    def cls(self, row: SourceRow, column: str = "class") -> ClassKey | None:
        text = self.required(row, column)
        if text is None:
            return None
        key = parse_class(text)
        if key is None:
            self.problems.error(self.file, row.line, "bad_class", value=text)
        return key

    def number(self, row: SourceRow, column: str, low: int, high: int) -> int | None:
        text = self.required(row, column)
        if text is None:
            return None
        try:
            value = int(float(text))
        except ValueError:
            value = None
        if value is None or not low <= value <= high or float(text) != value:
            self.problems.error(self.file, row.line, "bad_number", column=column, value=text)
            return None
        return value

    def unique(self, rows: Iterable[tuple[str, SourceRow]]) -> None:
        seen: dict[str, int] = {}
        for key, row in rows:
            if key in seen:
                self.problems.error(
                    self.file, row.line, "duplicate_id", id=key, first_line=seen[key]
                )
            else:
                seen[key] = row.line


def _check_columns(table: SourceTable, kind: str, problems: Problems) -> bool:
    missing = [c for c in REQUIRED[kind] if c not in table.header]
    for column in missing:
        problems.error(table.file, table.header_line, "missing_column", column=column)
    if not table.rows:
        problems.error(table.file, table.header_line, "empty_table")
    return not missing


def _calendar(r: _Reader) -> list[CalendarRow]:
    out = []
    weeks: dict[int, Where] = {}
    for row in r.table.rows:
        if row.get("week"):
            week = r.number(row, "week", 5, 6)
            if week is not None:
                weeks.setdefault(week, r.where(row))
        name = r.required(row, "year")
        number = r.number(row, "period", 1, 6)
        kind_text = row.get("kind").lower() or "quarter"
        kind = PERIOD_KINDS.get(kind_text)
        if kind is None:
            r.problems.error(r.file, row.line, "bad_period_kind", value=row.get("kind"))
        starts, ends = r.date(row, "starts_on", True), r.date(row, "ends_on", True)
        if starts and ends and starts > ends:
            r.problems.error(r.file, row.line, "ends_before_start")
        if name and not _year_bounds(name):
            r.problems.error(r.file, row.line, "bad_year", value=name)
        if name and number and kind and starts and ends:
            out.append(CalendarRow(r.where(row), name, kind, number, starts, ends))
    if len(weeks) > 1:
        other = list(weeks.values())[1]
        r.problems.error(r.file, other.line, "week_differs")
    r.found["week"] = next(iter(weeks.items()), None)
    return out


def _holidays(r: _Reader) -> list[HolidayRow]:
    out = []
    for row in r.table.rows:
        name = r.required(row, "name")
        starts, ends = r.date(row, "starts_on", True), r.date(row, "ends_on", True)
        if starts and ends and starts > ends:
            r.problems.error(r.file, row.line, "ends_before_start")
        elif name and starts and ends:
            out.append(HolidayRow(r.where(row), name, starts, ends))
    return out


def _work_types(r: _Reader) -> list[WorkTypeRow]:
    out = []
    r.unique((row.get("short").lower(), row) for row in r.table.rows if row.get("short"))
    for row in r.table.rows:
        name, short = r.required(row, "name"), r.required(row, "short")
        code = standard_code(name or "") or standard_code(short or "")
        known = standard(code) if code else None
        weight = parse_weight(row.get("weight")) if row.get("weight") else None
        if row.get("weight") and weight is None:
            r.problems.error(r.file, row.line, "bad_weight", value=row.get("weight"))
            continue
        written = parse_flag(row.get("written")) if row.get("written") else None
        if row.get("written") and written is None:
            r.problems.error(
                r.file, row.line, "bad_flag", column="written", value=row.get("written")
            )
            continue
        if name and short:
            out.append(
                WorkTypeRow(
                    r.where(row),
                    name,
                    short[:16],
                    weight or (known.weight if known else "1"),
                    written if written is not None else bool(known and known.written),
                    code or "",
                )
            )
    return out


def _year_bounds(name: str) -> tuple[date, date] | None:
    """``2026/2027`` (or ``2026-2027``) -> 1 September 2026 .. 31 August 2027."""
    parts = name.replace("-", "/").split("/")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        return None
    first, second = (int(p) for p in parts)
    if second != first + 1 or not 2000 <= first <= 2100:
        return None
    return date(first, 9, 1), date(second, 8, 31)


year_bounds = _year_bounds


def _subjects(r: _Reader) -> list[SubjectRow]:
    out = []
    for row in r.table.rows:
        name = r.required(row, "subject")
        if name:
            out.append(SubjectRow(r.where(row), name, r.optional(row, "short")))
    return out


def _roles(r: _Reader, row: SourceRow) -> frozenset[StaffRoleKind]:
    roles = set()
    for word in split_list(row.get("roles").lower()):
        role = ROLE_NAMES.get(word)
        if role is None:
            r.problems.error(r.file, row.line, "bad_role", value=word)
        else:
            roles.add(role)
    return frozenset(roles)


def _staff(r: _Reader) -> list[StaffRow]:
    out = []
    r.unique((row.get("staff_id"), row) for row in r.table.rows if row.get("staff_id"))
    for row in r.table.rows:
        sid, last, first = (r.required(row, c) for c in ("staff_id", "last_name", "first_name"))
        roles = _roles(r, row)
        leads = r.cls(row) if row.get("class") else None
        if sid and last and first:
            out.append(
                StaffRow(
                    r.where(row),
                    sid,
                    last,
                    first,
                    r.optional(row, "middle_name"),
                    roles or frozenset({StaffRoleKind.TEACHER}),
                    leads,
                )
            )
    return out


def _students(r: _Reader) -> list[StudentRow]:
    out = []
    r.unique((row.get("student_id"), row) for row in r.table.rows if row.get("student_id"))
    for row in r.table.rows:
        sid, last, first = (r.required(row, c) for c in ("student_id", "last_name", "first_name"))
        cls = r.cls(row)
        birth = r.date(row, "birth_date")
        arrived = r.date(row, "arrived_on")
        moved = r.date(row, "moved_on")
        if sid and last and first and cls:
            out.append(
                StudentRow(
                    r.where(row),
                    sid,
                    cls,
                    last,
                    first,
                    r.optional(row, "middle_name"),
                    birth,
                    arrived,
                    tuple(split_list(row.get("subgroups"))),
                    moved,
                )
            )
    return out


def _guardians(r: _Reader) -> list[GuardianRow]:
    out = []
    r.unique((row.get("guardian_id"), row) for row in r.table.rows if row.get("guardian_id"))
    for row in r.table.rows:
        gid, last, first = (r.required(row, c) for c in ("guardian_id", "last_name", "first_name"))
        children = split_list(r.required(row, "students") or "")
        if gid and last and first and children:
            where = r.where(row)
            out.append(
                GuardianRow(
                    where,
                    gid,
                    last,
                    first,
                    r.optional(row, "middle_name"),
                    r.optional(row, "phone"),
                    r.optional(row, "email"),
                    tuple((c, where) for c in children),
                    (r.optional(row, "relation") or "parent")[:32],
                    _paper(r, row) if "paper_since" in r.table.header else None,
                )
            )
    return out


_YES = frozenset({"да", "yes", "+", "true", "1", "д", "y"})
_NO = frozenset({"", "нет", "no", "-", "false", "0", "н", "n"})


def _paper(r: _Reader, row: SourceRow) -> date | bool:
    """The guardians' «на бумаге» column: a day, «да» (from the import's day) or empty."""
    text = row.get("paper_since").strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    return r.date(row, "paper_since") or False


def _subgroups(r: _Reader) -> list[SubgroupRow]:
    out = []
    for row in r.table.rows:
        cls, name = r.cls(row), r.required(row, "subgroup")
        if cls and name:
            out.append(SubgroupRow(r.where(row), cls, name, r.optional(row, "subject")))
    return out


def _bells(r: _Reader) -> list[BellRow]:
    out = []
    r.unique((row.get("slot"), row) for row in r.table.rows if row.get("slot"))
    for row in r.table.rows:
        slot = r.number(row, "slot", 0, 12)
        times = []
        for column in ("starts_at", "ends_at"):
            text = r.required(row, column)
            value = parse_time(text) if text else None
            if text and value is None:
                r.problems.error(r.file, row.line, "bad_time", column=column, value=text)
            times.append(value)
        starts, ends = times
        if starts and ends and starts >= ends:
            r.problems.error(r.file, row.line, "ends_before_start")
        elif slot is not None and starts and ends:
            out.append(BellRow(r.where(row), slot, starts, ends))
    return out


def _timetable(r: _Reader) -> list[TimetableRow]:
    out = []
    for row in r.table.rows:
        cls = r.cls(row)
        day_text = r.required(row, "weekday")
        weekday = WEEKDAYS.get(day_text.lower().rstrip(".")) if day_text else None
        if day_text and weekday is None:
            r.problems.error(r.file, row.line, "bad_weekday", value=day_text)
        slot = r.number(row, "slot", 0, 12)
        subject, teacher = r.required(row, "subject"), r.required(row, "teacher")
        valid_from, valid_to = r.date(row, "valid_from"), r.date(row, "valid_to")
        if valid_from and valid_to and valid_from > valid_to:
            r.problems.error(r.file, row.line, "ends_before_start")
        if cls and weekday is not None and slot is not None and subject and teacher:
            out.append(
                TimetableRow(
                    r.where(row),
                    cls,
                    weekday,
                    slot,
                    subject,
                    teacher,
                    r.optional(row, "subgroup"),
                    r.optional(row, "room"),
                    valid_from,
                    valid_to,
                )
            )
    return out


_PARSERS: dict[str, Callable[[_Reader], list]] = {
    "calendar": _calendar,
    "holidays": _holidays,
    "work_types": _work_types,
    "subjects": _subjects,
    "staff": _staff,
    "students": _students,
    "guardians": _guardians,
    "subgroups": _subgroups,
    "bells": _bells,
    "timetable": _timetable,
}


def _sorted_tables(
    tables: Iterable[SourceTable], kinds: tuple[str, ...], problems: Problems
) -> dict[str, list]:
    found: dict[str, list] = {}
    first_file: dict[str, str] = {}
    any_table = False
    for table in tables:
        any_table = True
        kind = table_kind(table)
        if kind is None or kind not in kinds:
            problems.error(
                table.file, table.header_line, "unknown_table", columns=", ".join(table.header)
            )
            continue
        if kind in first_file:
            problems.error(table.file, table.header_line, "table_twice", other=first_file[kind])
            continue
        first_file[kind] = table.file
        if _check_columns(table, kind, problems):
            found[kind] = _PARSERS[kind](_Reader(table, problems, found))
    if not any_table:
        problems.error("", None, "empty_table")
    return found


def parse_roster(tables: Iterable[SourceTable]) -> tuple[RosterData, Problems]:
    problems = Problems()
    found = _sorted_tables(tables, ROSTER_KINDS, problems)
    data = RosterData(
        calendar=found.get("calendar", []),
        week_days=found.get("week"),
        holidays=found.get("holidays"),
        work_types=found.get("work_types"),
        subjects=found.get("subjects", []),
        staff=found.get("staff"),
        students=found.get("students"),
        guardians=found.get("guardians"),
        subgroups=found.get("subgroups", []),
    )
    return data, problems


def parse_timetable(tables: Iterable[SourceTable]) -> tuple[TimetableData, Problems]:
    problems = Problems()
    found = _sorted_tables(tables, TIMETABLE_KINDS, problems)
    return TimetableData(found.get("bells", []), found.get("timetable")), problems
