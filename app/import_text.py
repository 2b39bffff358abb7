"""Import reports in the reader's language, for the console and the bot alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from app.messages import N_, TRANSFER_PROBLEMS
from core.import_apply import ImportReport
from core.tabular import Problem
from locales import terms

Gettext = Callable[[str], str]

PROBLEMS: dict[str, str] = {
    # reading the file
    "bad_encoding": N_("the text is not in UTF-8 or Windows-1251 (wrong encoding)"),
    "duplicate_column": N_("the column {column} appears twice in the header"),
    "too_many_values": N_("{count} values in a line of {columns} columns"),
    "bad_csv": N_("the CSV is broken here (an unclosed quote?)"),
    "bad_xlsx": N_("this is not an Excel (XLSX) workbook, or it is damaged"),
    "no_file": N_("there is no such file"),
    "file_too_big": N_("the file is too big"),
    "bad_file_type": N_("only CSV and XLSX files can be imported"),
    "bad_zip": N_("this is not a zip archive, or it is damaged"),
    "missing_file": N_("the file is missing from the bundle"),
    # the school's formats
    "missing_column": N_("the column {column} is missing"),
    "empty_value": N_("{column} is empty"),
    "too_long": N_("{column} is too long"),
    "bad_date": N_("{column}: {value} is not a date (use 2026-09-01 or 01.09.2026)"),
    "bad_class": N_("{value} is not a class name such as 7А"),
    "bad_number": N_("{column}: {value} is not an allowed number"),
    "duplicate_id": N_("the id {id} is already on line {first_line}"),
    "empty_table": N_("there are no rows"),
    "unknown_table": N_("cannot tell what this table holds (columns: {columns})"),
    "table_twice": N_("the same table is already in {other}"),
    "bad_period_kind": N_("{value} is not a kind of period (quarter, trimester, half_year)"),
    "ends_before_start": N_("ends before it starts"),
    "bad_year": N_("{value} is not a school year such as 2026/2027"),
    "bad_role": N_("{value} is not a role (admin, director, deputy, teacher)"),
    "bad_time": N_("{column}: {value} is not a time such as 08:30"),
    "bad_weekday": N_("{value} is not a day of the week (1-7 or Пн-Вс)"),
    "unknown_class": N_("there is no class {value}"),
    "unknown_subgroup": N_("class {cls} has no subgroup {value}"),
    "several_years": N_("a second school year, {value}, in one file"),
    "no_school_year": N_("no school year contains {day}: import a calendar first"),
    "period_overlap": N_("overlaps period {other} (line {other_line})"),
    "date_outside_year": N_("{value} is outside the school year {year}"),
    "period_closed": N_("period {number} is closed and cannot be changed"),
    "bad_birth_date": N_("the birth date {value} is not plausible"),
    "unknown_student": N_("there is no student with the id {id}"),
    "unknown_teacher": N_("there is no staff member {value}"),
    "ambiguous_teacher": N_("several staff members are called {value}: use the staff id"),
    "first_grade_marks": N_("first grade is not given marks"),
    "duplicate_slot": N_("this class already has a lesson at this time (line {first_line})"),
    "class_clash": N_("a whole-class lesson and a subgroup lesson at once (line {first_line})"),
    "teacher_clash": N_("{value} already teaches another class at this time (line {first_line})"),
    # OneRoster
    "bad_manifest_value": N_("{name} must be bulk, delta or absent, not «{value}»"),
    "bad_version": N_("OneRoster version «{value}» is not supported (1.1 or 1.2)"),
    "file_ignored": N_("the manifest says absent: the file is ignored"),
    "bad_status": N_("status «{value}» is not active or tobedeleted"),
    "bad_date_ignored": N_("{column}: {value} is not an ISO date; ignored"),
    "unknown_school": N_("there is no org {value}"),
    "several_schools": N_("several schools ({value}): choose one"),
    "org_not_school": N_("the only org is a {value}, taken as the school"),
    "no_school": N_("there is no school among the orgs"),
    "unknown_reference": N_("{column}: {id} is not in the bundle"),
    "role_ignored": N_("the role {value} has no place in the journal; ignored"),
    "class_without_grade": N_("the homeroom class {id} has no grade"),
    "duplicate_class": N_("the class {value} is already on line {first_line}"),
    "enrollment_skipped": N_("enrollment {id} is of a deleted class or user; skipped"),
    "role_mismatch": N_("user {id} is a {value} but enrolled as a {role}"),
    "several_homerooms": N_("student {id} is in several homeroom classes"),
    "student_without_class": N_("student {id} has neither a homeroom class nor a grade"),
    "class_without_students": N_("class {id} has no students; its teachers are not imported"),
    "agent_not_guardian": N_("agent {id} is a {value}, not a parent or guardian"),
    "agent_not_student": N_("agent {id} is a {value}, not a student"),
    "guardian_without_students": N_("guardian {id} has no children in the bundle; skipped"),
    "result_skipped": N_("result {id} is of a deleted student; skipped"),
    "class_without_teacher": N_("class {id} has no teacher to give its marks"),
    "bad_score": N_("the score {value} cannot be made a mark"),
    # calendar, work types, timetable
    "bad_weight": N_(
        "the weight {value} is not a number above 0 and at most 10 (such as 1 or 1,5)"
    ),
    "bad_flag": N_("{column}: {value} is not yes or no"),
    "week_differs": N_("the calendar's rows give different working weeks (5 or 6 days)"),
    "slot_not_a_bell": N_("lesson {value} has no bell: add it to the bells"),
    "weekday_off": N_(
        "the school works {week} days a week: there are no lessons on {value} "
        "(a six-day week: week 6 in the calendar)"
    ),
    "category_unknown": N_(
        "«{value}» is not one of the school's work types: its marks are taken as oral answers"
    ),
    "lesson_kept": N_(
        "{cls}, {day}, lesson {slot} ({subject}) stays as it is, because {why}; the timetable "
        "now has another lesson there"
    ),
    "lesson_kept_gone": N_(
        "{cls}, {day}, lesson {slot} ({subject}) stays, because {why}; the timetable no longer "
        "has a lesson there: cancel or move it in /admin"
    ),
}
PROBLEMS.update(
    {
        "other_year": N_("the calendar is for {value}, not for {year}"),
        "no_calendar": N_("the file has no calendar of {year}: a calendar table is needed"),
        "year_exists": N_("the school year {value} exists already"),
        "year_overlaps": N_("the school year {value} overlaps a year the school has"),
    }
)
PROBLEMS.update({f"transfer_{why}": text for why, text in TRANSFER_PROBLEMS.items()})

KEPT_WHY: dict[str, str] = {
    "records": N_("marks, absences, remarks or homework are in it"),
    "topic": N_("its topic is planned"),
    "changed": N_("the administration changed it (a substitute, a cancellation)"),
}

ENTITIES: dict[str, str] = {
    "year": N_("school years"),
    "period": N_("periods"),
    "subject": N_("subjects"),
    "staff": N_("staff"),
    "class": N_("classes"),
    "subgroup": N_("subgroups"),
    "student": N_("students"),
    "guardian": N_("guardians"),
    "guardian_link": N_("guardian links"),
    "teaching": N_("teaching assignments"),
    "bell": N_("bells"),
    "timetable": N_("timetable lines"),
    "work_type": N_("work types"),
    "holiday": N_("holidays and days off"),
    "lesson": N_("lessons"),
    "mark": N_("marks"),
}


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def describe_problem(problem: Problem, gettext: Gettext, locale: str = "ru") -> str:
    template = PROBLEMS.get(problem.code, problem.code)
    facts = {k: _plain(v) for k, v in problem.facts.items()}
    if "kind" in facts and isinstance(facts.get("number"), int):  # a period: «II четверть»
        facts["period"] = terms.period(gettext, locale, str(facts["kind"]), facts["number"])
    if "why" in facts:
        facts["why"] = gettext(KEPT_WHY.get(str(facts["why"]), str(facts["why"])))
    try:
        text = gettext(template).format(**facts)
    except (KeyError, IndexError):
        text = problem.code
    where = problem.file or "—"
    if problem.line:
        where = f"{where}:{problem.line}"
    return f"{where}: {text}"


ADDED = N_("added {n}")
CHANGED = N_("changed {n}")
UNCHANGED = N_("unchanged {n}")
MOVED = N_("moved to another class {n}")
# What "left" means for each kind of row: students leave, lessons and holidays are removed,
# the rest (links, teaching, timetable lines) end.
LEFT = {
    "student": N_("left {n}"),
    "lesson": N_("removed {n}"),
    "holiday": N_("removed {n}"),
}
ENDED = N_("ended {n}")


def tally_lines(report: ImportReport, gettext: Gettext) -> list[str]:
    lines = []
    for entity, t in report.rows():
        parts = [gettext(ADDED).format(n=t.added), gettext(CHANGED).format(n=t.changed)]
        parts.append(gettext(UNCHANGED).format(n=t.unchanged))
        if t.moved:
            parts.append(gettext(MOVED).format(n=t.moved))
        if t.left:
            parts.append(gettext(LEFT.get(entity, ENDED)).format(n=t.left))
        lines.append(f"{gettext(ENTITIES.get(entity, entity))}: " + ", ".join(parts))
    return lines
