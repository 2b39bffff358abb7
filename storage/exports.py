"""XLSX files of the journal and the reports. Headers are message ids, translated by the
``gettext`` the caller passes (Russian by default: the paper journal's words)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Sequence
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.model import MarkValue
from core.reports import JournalExport, StudentName, Table

Gettext = Callable[[str], str]
# Names a study period by its kind and number («II четверть»); the caller passes the one
# every screen uses (``locales.terms.period``), in the file's language.
PeriodName = Callable[[str, int], str]


def _number_only(kind: str, number: int) -> str:
    return str(number)


def N_(message: str) -> str:
    return message


MARKS = {
    "pass": N_("mark.pass"),
    "fail": N_("mark.fail"),
    "na": N_("mark.na"),
    "exempt": N_("mark.exempt"),
}
ABSENCES = {
    "absent": N_("absence.absent"),
    "unexcused": N_("absence.absent"),
    "sick": N_("absence.sick"),
    "excused": N_("absence.excused"),
    "late": N_("absence.late"),
}
WORDS = {
    "arrived": N_("movement.arrived"),
    "left": N_("movement.left"),
    "transferred": N_("movement.transferred"),
    "student": N_("relation.student"),
    # core.corrections: who corrected, and what
    "by_author": N_("the mark's author"),
    "by_teacher": N_("teacher"),
    "by_deputy": N_("deputy head"),
    "by_admin": N_("journal administrator"),
    "by_director": N_("head of school"),
    "by_console": N_("console"),
    "mark_corrected": N_("mark corrected"),
    # core.journal_remarks: what a remark is about, and how it stands
    "remark.class_journal": N_("the class journal"),
    "remark.overdue": N_("overdue"),
    "remark.fixed": N_("fixed"),
    "mark_removed": N_("mark removed"),
    "period_mark_changed": N_("period mark changed"),
    # core.control: a preliminary line's risk, a lesson's change
    "risk_two": N_("At risk of a 2"),
    "risk_na": N_("Too few marks to be assessed"),
    "near_better": N_("Near a better mark"),
    "substituted": N_("Substituted"),
    "cancelled": N_("Cancelled"),
}
# Who a guardian is to the child, as rosters write it in English; the school's own words
# («мать», «бабушка») are shown as they are.
RELATIONS = {
    "parent": N_("relation.parent"),
    "mother": N_("relation.mother"),
    "father": N_("relation.father"),
    "guardian": N_("relation.guardian"),
    "grandmother": N_("relation.grandmother"),
    "grandfather": N_("relation.grandfather"),
    "student": N_("relation.student"),
}
HEADERS = [
    N_("No."),
    N_("Student"),
    N_("Period mark"),
    N_("Work"),
    N_("Date"),
    N_("Lesson topic"),
    N_("Homework"),
    N_("Teacher"),
    N_("Lessons missed"),
    N_("Sick"),
    N_("Excused"),
    N_("Unexcused"),
    N_("No reason given yet"),
    N_("Late"),
    N_("Total"),
    N_("Students"),
    N_("Excellent"),
    N_("Good"),
    N_("With one 3"),
    N_("Failing"),
    N_("Not assessed"),
    N_("Quality, %"),
    N_("Success, %"),
    N_("Class"),
    N_("Subject"),
    N_("Lessons"),
    N_("No marks"),
    N_("One mark"),
    N_("No topic"),
    N_("No homework"),
    N_("Marks entered late"),
    N_("Guardian"),
    N_("Relation"),
    N_("Linked on"),
    N_("Consent on"),
    N_("Last seen"),
    N_("Movement"),
    N_("Year mark"),
    N_("excellent"),
    N_("good"),
    N_("one_three"),
    N_("failing"),
    N_("not_assessed"),
    # the corrections report (core.corrections)
    N_("Changed at"),
    N_("Changed by"),
    N_("Acting as"),
    N_("Lesson date"),
    N_("Change"),
    N_("Was"),
    N_("Now"),
    N_("Reason"),
    # the deputy's control (core.control)
    N_("Class teacher"),
    N_("Absences without a reason"),
    N_("Forecast"),
    N_("Average"),
    N_("Marks"),
    N_("Risk"),
    N_("Lesson"),
    N_("Substitute"),
    N_("Status"),
    N_("Note"),
    # the remarks on keeping the journals (core.journal_remarks)
    N_("Written on"),
    N_("Author"),
    N_("Lesson no."),
    N_("Remark"),
    N_("Fix by"),
    N_("Fixed on"),
    # the year's summary sheet in the archive (core.archive)
    N_("Exam mark"),
    N_("Final mark"),
]
MARKS_OF_PERIOD = N_("Marks, {period}")
MARK_FOR_PERIOD = N_("Mark for {period}")
JOURNAL_TITLE = N_("Class journal {class}: {subject}, {period}, {year}")
TITLES = {
    "journal": JOURNAL_TITLE,
    "marks_summary": N_("Summary sheet of marks: class {class}, {period}, {year}"),
    "class_results": N_("Class results: {class}, {period}, {year}"),
    "attendance": N_("Attendance: class {class}, {start} - {end}"),
    "monthly_attendance": N_("Monthly attendance: class {class}, {month}"),
    "journal_quality": N_("Journal quality by teacher: {period}, {year}"),
    "guardians_activity": N_("Guardians' access: class {class}"),
    "movement": N_("Student movement: {start} - {end}"),
    "statement": N_("Marks statement: {student}, class {class}, {year}"),
    "corrections": N_("Mark corrections: {period}, {year}"),
    "quality_teachers": N_("Journal quality by teacher: {start} - {end}"),
    "quality_classes": N_("Journal quality by class: {start} - {end}"),
    "preliminary": N_("Preliminary results: class {class}, {period}, {year}"),
    "preliminary_all": N_("Preliminary results: {period}, {year}"),
    "substitutions": N_("Substitutions and cancellations: {start} - {end}"),
    "year_summary": N_("Summary sheet of final marks: class {class}, {year}"),
    "journal_remarks": N_("Remarks on keeping the journals: {period}, {year}"),
}
# A report's sheet is named by what it is, in the file's language.
SHEETS = {
    "marks_summary": N_("Summary sheet"),
    "class_results": N_("Class results"),
    "attendance": N_("Attendance"),
    "monthly_attendance": N_("Attendance"),
    "journal_quality": N_("Journal quality"),
    "guardians_activity": N_("Guardians' access"),
    "movement": N_("Student movement"),
    "statement": N_("Marks statement"),
    "corrections": N_("Corrections"),
    "quality_teachers": N_("By teacher"),
    "quality_classes": N_("By class"),
    "preliminary": N_("Preliminary results"),
    "preliminary_all": N_("Preliminary results"),
    "substitutions": N_("Substitutions"),
    "year_summary": N_("Summary sheet"),
    "journal_remarks": N_("Remarks"),
}
# Why a summary sheet has no period marks (``ReportService._why_empty``).
EMPTY = {
    "not_yet": N_(
        "No period marks yet: teachers give them from {opens} to {closes}, at the end of "
        "the period."
    ),
    "none": N_("No period marks have been given for this period."),
}

BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


def mark_text(value: MarkValue | None, _: Gettext) -> str:
    if value is None:
        return ""
    return value.value if value.points is not None else _(MARKS[value.value])


def _day(value: date) -> str:
    return value.strftime("%d.%m")


def _sheet_title(text: str, used: set[str]) -> str:
    base = "".join(c for c in text if c not in "[]:*?/\\")[:31] or "Sheet"
    title, n = base, 1
    while title in used:
        n += 1
        title = f"{base[:28]} {n}"
    used.add(title)
    return title


def journal_xlsx(
    export: JournalExport, _: Gettext, period_name: PeriodName = _number_only
) -> bytes:
    """One sheet per subject (and subgroup), in the shape of the paper journal: students x
    lesson dates with marks and absences, the period mark; then the dates' topics and
    homework."""
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    period = period_name(export.period_kind, export.period)
    for page in export.pages:
        name = f"{page.subject} ({page.group})" if page.group else page.subject
        sheet = book.create_sheet(_sheet_title(name, used))
        sheet.append(
            [
                _(JOURNAL_TITLE).format(
                    **{
                        "class": export.class_name,
                        "subject": name,
                        "period": period,
                        "year": export.year,
                    }
                )
            ]
        )
        sheet["A1"].font = BOLD
        sheet.append([_("Teacher"), page.teacher])
        sheet.append(
            [_("No."), _("Student"), *(_day(c.day) for c in page.columns), _("Period mark")]
        )
        sheet.append(["", _("Work"), *(c.work_types for c in page.columns), ""])
        for cell in sheet[3]:
            cell.font = BOLD
        for n, line in enumerate(page.lines, start=1):
            cells = []
            for marks, absence in line.cells:
                parts = [mark_text(m, _) for m in marks]
                if absence:
                    parts.insert(0, _(ABSENCES[absence]))
                cells.append(" ".join(parts))
            sheet.append([n, _value(line.student, _), *cells, mark_text(line.final, _)])
        sheet.append([])
        sheet.append([_("Date"), _("Lesson topic"), _("Homework")])
        for cell in sheet[sheet.max_row]:
            cell.font = BOLD
        for column in page.columns:
            sheet.append([column.day.strftime("%d.%m.%Y"), column.topic, column.homework])
        sheet.column_dimensions["B"].width = 32
        for i in range(3, 3 + len(page.columns)):
            sheet.column_dimensions[get_column_letter(i)].width = 6
        sheet.freeze_panes = "C5"
    if not export.pages:
        book.create_sheet("—").append(
            [
                _(JOURNAL_TITLE).format(
                    **{
                        "class": export.class_name,
                        "subject": "—",
                        "period": period,
                        "year": export.year,
                    }
                )
            ]
        )
    return _bytes(book)


# A student who left, on a list of the administration (the bot's lists say the same).
LEFT = N_("{name} — left on {day}")


def _value(value: object, _: Gettext) -> object:
    if isinstance(value, StudentName):
        return _(LEFT).format(name=value.name, day=value.left_on.strftime("%d.%m"))
    if isinstance(value, MarkValue):
        return mark_text(value, _)
    if isinstance(value, str) and value in WORDS:
        return _(WORDS[value])
    if isinstance(value, date):
        return value
    return value


def _header(text: str, _: Gettext, period_name: PeriodName) -> str:
    """A header's message id; «marks:quarter:2» and «final:quarter:2» name their period."""
    what, _sep, rest = text.partition(":")
    if what in ("marks", "final") and rest:
        kind, _sep, n = rest.rpartition(":")
        period = period_name(kind or "quarter", int(n))
        return _(MARKS_OF_PERIOD if what == "marks" else MARK_FOR_PERIOD).format(period=period)
    return _(text)


def _relation(value: object, _: Gettext) -> object:
    if isinstance(value, str) and value.strip().lower() in RELATIONS:
        return _(RELATIONS[value.strip().lower()])
    return value


def table_xlsx(table: Table, _: Gettext, period_name: PeriodName = _number_only) -> bytes:
    return tables_xlsx((table,), _, period_name)


def tables_xlsx(
    tables: Sequence[Table], _: Gettext, period_name: PeriodName = _number_only
) -> bytes:
    """Reports as the sheets of one workbook (the deputy's analysis: by teacher, by class)."""
    book = Workbook()
    used: set[str] = set()
    for n, table in enumerate(tables):
        sheet = book.active if n == 0 else book.create_sheet()
        sheet.title = _sheet_title(_(SHEETS.get(table.kind, TITLES[table.kind])), used)
        _fill(sheet, table, _, period_name)
    return _bytes(book)


def _fill(sheet: Worksheet, table: Table, _: Gettext, period_name: PeriodName) -> None:
    facts = {
        k: (v.strftime("%d.%m.%Y") if isinstance(v, date) else v) for k, v in table.facts.items()
    }
    if "period" in facts:
        kind = str(facts.get("period_kind", "quarter"))
        facts["period"] = period_name(kind, int(facts["period"]))  # type: ignore[call-overload]
    sheet.append([_(TITLES[table.kind]).format(**facts)])
    sheet["A1"].font = BOLD
    why = EMPTY.get(str(facts.get("empty")))
    sheet.append([_(why).format(**facts)] if why else [])
    sheet.append([_header(h, _, period_name) for h in table.headers])
    header = sheet.max_row
    for cell in sheet[header]:
        cell.font = BOLD
        cell.alignment = WRAP
    for row in table.rows:
        values = [_value(v, _) for v in row]
        if table.kind == "guardians_activity":
            values[2] = _relation(row[2], _)
        sheet.append(values)
    if table.kind == "class_results":
        sheet.append([])
        sheet.append([_("Student"), ""])
        for name, kind in table.facts.get("students", []):  # type: ignore[union-attr]
            sheet.append([_value(name, _), _(kind) if kind else ""])
    for column, cells in enumerate(sheet.iter_cols(min_row=header, max_row=header), start=1):
        sheet.column_dimensions[get_column_letter(column)].width = max(
            6, min(40, max(len(str(c.value or "")) for c in cells) + 2)
        )
    for row in sheet.iter_rows(min_row=header + 1):
        for cell in row:
            if isinstance(cell.value, datetime):  # a correction's time: the minute matters
                cell.number_format = "DD.MM.YYYY HH:MM"
            elif isinstance(cell.value, date):
                cell.number_format = "DD.MM.YYYY"


def table_text(
    table: Table, _: Gettext, period_name: PeriodName = _number_only
) -> tuple[str, list[str], list[list[str]]]:
    """A report without periods in its title (the year's summary sheet) as the workbook words
    it: title, headers, cells; for its PDF copy in the archive (``bot.archive_files``)."""
    title = _(TITLES[table.kind]).format(**table.facts)
    headers = [_header(h, _, period_name) for h in table.headers]
    cells = [["" if v is None else str(_value(v, _)) for v in row] for row in table.rows]
    return title, headers, cells


# A workbook's bytes depend on its data only: the same journal exported twice is the same
# file (an archive's checksum stays valid, a closed period's copy can be compared).
_STAMP = datetime(2000, 1, 1)
_ZIP_STAMP = (1980, 1, 1, 0, 0, 0)
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
_STAMPED = rb"\g<1>2000-01-01T00:00:00Z\g<2>"


def _bytes(book: Workbook) -> bytes:
    book.properties.created = book.properties.modified = _STAMP
    buffer = io.BytesIO()
    book.save(buffer)
    fixed = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as made,
        zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for item in made.infolist():
            data = made.read(item.filename)
            if item.filename == "docProps/core.xml":  # openpyxl stamps the saving time
                data = _MODIFIED.sub(_STAMPED, data)
            entry = zipfile.ZipInfo(item.filename, _ZIP_STAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(entry, data)
    return fixed.getvalue()
