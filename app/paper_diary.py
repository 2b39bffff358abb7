"""The paper diary as a PDF (rule 8; 000 §7.2; 003 reg.2 §2.2.2): one page set per student, in
the layout of a paper diary — the fortnight's marks by subject with the work and the date, the
forecast of the period mark, absences with reasons, remarks and praise, the coming week's
homework and a line for the parent's signature.

A student's content that does not fit flows to the next page, headed with the same student's
name, so the pages counted for the log are the pages printed. The font is the invite sheet's
DejaVu Sans (Cyrillic).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal
from fpdf import FPDF
from fpdf.fonts import FontFace

from app.invite_sheet import font_path
from core.grading import Forecast
from core.printouts import ClassPrintout, PaperAbsence, PaperMark, PaperSubject, StudentPage
from locales import terms

Gettext = Callable[[str], str]

_GREY = (235, 235, 235)


class _Diary(FPDF):
    """A4 pages; a student's second page is headed with their name (``continued``)."""

    continued = ""

    def header(self) -> None:
        if self.continued:
            self.set_font("DejaVu", size=8)
            self.set_text_color(110, 110, 110)
            self.cell(0, 5, self.continued, new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)
            self.ln(1)


def printout_pdf(printout: ClassPrintout, _: Gettext, locale: str) -> tuple[bytes, dict[int, int]]:
    """The class's PDF and the pages each student took, by student id."""
    pdf = _Diary(format="A4")
    pdf.set_margins(15, 12, 15)
    pdf.set_auto_page_break(True, margin=14)
    pdf.add_font("DejaVu", "", str(font_path()))
    bold = font_path().with_name("DejaVuSans-Bold.ttf")
    pdf.add_font("DejaVu", "B", str(bold if bold.is_file() else font_path()))
    pdf.set_title(_("Paper diaries, {class_name}").format(class_name=printout.class_name))
    pages: dict[int, int] = {}
    for page in printout.students:
        pdf.continued = ""
        pdf.add_page()
        first = pdf.page_no()
        pdf.continued = _("{name}, {class_name} (continued)").format(
            name=page.name, class_name=printout.class_name
        )
        _student(pdf, printout, page, _, locale)
        pages[page.student_id] = pdf.page_no() - first + 1
    return bytes(pdf.output()), pages


def _day(day: date, locale: str) -> str:
    return format_date(day, "d MMMM", locale=locale)


def _short(day: date) -> str:
    return day.strftime("%d.%m")


def _title(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=9.5)


def _student(
    pdf: FPDF, printout: ClassPrintout, page: StudentPage, _: Gettext, locale: str
) -> None:
    pdf.set_font("DejaVu", size=8.5)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(0, 4.5, printout.school, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 8, _("Diary: {name}").format(name=page.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=10)
    lines = [_("Class {class_name}").format(class_name=printout.class_name)]
    if printout.period is not None:
        p = printout.period
        lines[0] += ", " + terms.period(_, locale, p.kind, p.number)
    lines.append(
        _("Two weeks from {start} to {end}").format(
            start=_day(printout.starts_on, locale), end=_day(printout.ends_on, locale)
        )
    )
    if page.guardians:
        lines.append(_("For: {names}").format(names=", ".join(page.guardians)))
    pdf.multi_cell(0, 5.5, "\n".join(lines), new_x="LMARGIN", new_y="NEXT")

    _title(pdf, _("Marks"))
    if page.subjects:
        _marks(pdf, page.subjects, _, locale)
    else:
        pdf.multi_cell(0, 5, _("No marks in these two weeks."), new_x="LMARGIN", new_y="NEXT")

    _title(pdf, _("Absences and lateness"))
    text = "\n".join(_absence(a, _) for a in page.absences) or _("No absences.")
    pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")

    _title(pdf, _("Remarks and praise"))
    remarks = [
        _("{day}, {subject} — {kind}: {text}").format(
            day=_short(x.day),
            subject=x.subject,
            kind=terms.remark_kind(_, x.kind.value),
            text=x.text,
        )
        for x in page.remarks
    ]
    pdf.multi_cell(0, 5, "\n".join(remarks) or _("None."), new_x="LMARGIN", new_y="NEXT")

    _title(pdf, _("Homework for the coming week"))
    homework = [
        _("{day}, {subject}: {text}").format(day=_short(h.due_on), subject=h.subject, text=h.text)
        for h in page.homework
    ]
    pdf.multi_cell(0, 5, "\n".join(homework) or _("None set yet."), new_x="LMARGIN", new_y="NEXT")

    pdf.ln(8)
    pdf.set_font("DejaVu", size=10)
    pdf.multi_cell(
        0,
        6,
        _("Parent's signature ____________________    Date ____________"),
        new_x="LMARGIN",
        new_y="NEXT",
    )


def _marks(pdf: FPDF, subjects: tuple[PaperSubject, ...], _: Gettext, locale: str) -> None:
    head = FontFace(emphasis="BOLD", fill_color=_GREY)
    with pdf.table(
        col_widths=(40, 100, 40),
        headings_style=head,
        line_height=5,
        text_align=("LEFT", "LEFT", "LEFT"),
    ) as table:
        table.row([_("Subject"), _("Marks (work, date)"), _("Forecast for the period")])
        for s in subjects:
            marks = "; ".join(_mark(m, _, locale) for m in s.marks) or "—"
            table.row([s.subject, marks, _forecast(s.forecast, _, locale)])


def _mark(m: PaperMark, _: Gettext, locale: str) -> str:
    value = terms.mark(_, m.value.value)
    work = terms.work_type(_, locale, m.work_code, m.work_short, m.work_name)
    return f"{value} ({work}, {_short(m.day)})" if work else f"{value} ({_short(m.day)})"


def _forecast(f: Forecast, _: Gettext, locale: str) -> str:
    if f.mark is None:
        return _("not enough marks yet")
    average = format_decimal(float(f.average), "0.00", locale=locale) if f.average else ""
    return _("{mark} (average {average})").format(mark=f.mark, average=average)


def _absence(a: PaperAbsence, _: Gettext) -> str:
    where = f"{a.slot}. {a.subject}" if a.slot else a.subject
    if a.late:
        what = _("late")
        if a.minutes_late:
            what += " " + _("{n} min").format(n=a.minutes_late)
    else:
        what = _("absent, {reason}").format(
            reason=terms.reason(_, a.reason.value if a.reason else None)
        )
    return f"{_short(a.day)}, {where} — {what}"
