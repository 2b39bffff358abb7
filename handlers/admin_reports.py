"""The administration's reading in the bot: reports and exports as documents, class charts as
pictures, the audit log per student or teacher. Chosen with buttons in one message that is
edited in place, each step with «« Back» to the one before; the core checks each."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from html import escape

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, CallbackQuery
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from app import audit_text
from app.keyboards import inline
from app.messages import N_
from core.access import Viewer
from core.access_admin import AccessAdminService
from core.admin import AdminService
from core.clock import Clock
from core.control import ControlReports
from core.errors import NotFound
from core.journal_remarks import JournalRemarkService
from core.model import AuditEntry, MarkValue, Period, Student
from core.reports import ReportService
from handlers import render
from handlers.admin import AdminCb, back_to_menu
from handlers.finals_ack import AckClassesCb
from handlers.journal_ui import show
from locales import terms

router = Router(name=__name__)
router.callback_query.filter(F.message.chat.type == "private")

AUDIT_PAGE = 10
FIELD_LIMIT = 100  # characters of a value or a reason on an audit line
REPORTS = {  # code: (needs a class, needs a period)
    "jr": (True, True),
    "ms": (True, True),
    "at": (True, True),
    "rs": (True, True),
    "ql": (False, True),
    "gd": (True, False),
    "mv": (False, True),
    "cr": (False, True),  # mark corrections (rule 4)
    "pr": (False, True),  # every class: the deputy's copy of what class teachers get
    "sb": (False, True),
    "jm": (False, True),  # the deputy's remarks on the journals
}

LABELS = {
    "jr": N_("Class journal (XLSX)"),
    "ms": N_("Summary sheet of marks"),
    "at": N_("Attendance"),
    "rs": N_("Class results"),
    "ql": N_("Journal quality"),
    "gd": N_("Guardians' activity"),
    "mv": N_("Student movement"),
    "cr": N_("Mark corrections"),
    "pr": N_("Preliminary results"),
    "sb": N_("Substitutions"),
    "jm": N_("Remarks on keeping the journals"),
}

# The audit log's values in words (the log itself keeps codes; actions: app.audit_text).
VALUES = {
    "present": N_("present"),
    "absent": N_("absent"),
    "late": N_("late"),
    "open": N_("open"),
    "closed": N_("closed"),
    "on": N_("on"),
    "off": N_("off"),
}


class ReportCb(CallbackData, prefix="rr1"):
    kind: str
    cls: int = 0
    period: int = 0  # a period's number; 0: not chosen yet


class ChartCb(CallbackData, prefix="cg1"):
    cls: int = 0
    kind: str = ""  # r results, a attendance


class AuditCb(CallbackData, prefix="au1"):
    who: str = ""  # s student, t teacher, r who looked at the student
    cls: int = 0
    person: int = 0
    page: int = 0
    turn: bool = False  # kept for buttons sent before: every step edits in place now


def _back(data: CallbackData) -> list[tuple[str, CallbackData]]:
    return [(_("« Back"), data)]


async def _class_rows(viewer: Viewer, access_admin: AccessAdminService, make) -> list:
    classes = await access_admin.classes(viewer)
    buttons = [(c.name, make(c.id)) for c in classes]
    return [buttons[i : i + 4] for i in range(0, len(buttons), 4)]


async def _class_name(viewer: Viewer, access_admin: AccessAdminService, class_id: int) -> str:
    for c in await access_admin.classes(viewer):
        if c.id == class_id:
            return c.name
    raise NotFound("class", class_id)


def period_name(p: Period) -> str:
    return render.period(p.kind, p.number)


# -- reports -------------------------------------------------------------------------------------


@router.callback_query(AdminCb.filter(F.menu == "rep"))
async def on_reports(
    query: CallbackQuery, viewer: Viewer, access_admin: AccessAdminService
) -> None:
    await access_admin.year_periods(viewer)  # the administration only
    rows = [[(_(LABELS[k]), ReportCb(kind=k))] for k in LABELS]
    rows.append([(_("🏁 Period marks seen by parents"), AckClassesCb())])
    rows.append(back_to_menu())
    await show(query, _("Which report?"), inline(rows))


@router.callback_query(ReportCb.filter())
async def on_report(
    query: CallbackQuery,
    callback_data: ReportCb,
    viewer: Viewer,
    access_admin: AccessAdminService,
    reports: ReportService,
    journal_remarks: JournalRemarkService,
    clock: Clock,
    i18n: I18n,
) -> None:
    cb = callback_data
    if cb.kind not in REPORTS:
        await query.answer(_("This button is out of date."), show_alert=True)
        return
    needs_class, needs_period = REPORTS[cb.kind]
    label = _(LABELS[cb.kind])
    if needs_class and not cb.cls:
        rows = await _class_rows(viewer, access_admin, lambda c: ReportCb(kind=cb.kind, cls=c))
        rows.append(_back(AdminCb(menu="rep")))
        await show(query, _("{report}: which class?").format(report=label), inline(rows))
        return
    periods = await access_admin.year_periods(viewer)
    class_name = await _class_name(viewer, access_admin, cb.cls) if needs_class else ""
    if needs_period and not cb.period:
        today = clock.today()
        rows = [
            [(period_name(p), ReportCb(kind=cb.kind, cls=cb.cls, period=p.number))]
            for p in periods
            if p.starts_on <= today
        ]
        rows.append(_back(ReportCb(kind=cb.kind) if needs_class else AdminCb(menu="rep")))
        what = ", ".join(x for x in (label, escape(class_name)) if x)
        await show(query, _("{report}: which period?").format(report=what), inline(rows))
        return
    period = next((p for p in periods if p.number == cb.period), None)
    if needs_period and period is None:
        raise NotFound("period", cb.period)
    await query.answer(_("Preparing the file…"))
    data, name, caption = await _build(
        cb.kind, viewer, reports, journal_remarks, clock, class_name, period, i18n.current_locale
    )
    await query.message.answer_document(  # type: ignore[union-attr]
        BufferedInputFile(data, filename=name), caption=caption
    )


async def _build(
    kind: str,
    viewer: Viewer,
    reports: ReportService,
    journal_remarks: JournalRemarkService,
    clock: Clock,
    class_name: str,
    period: Period | None,
    locale: str,
) -> tuple[bytes, str, str]:
    """The workbook, its file name and the caption that says what it is."""
    from app.admin_files import report_file_name, report_note, report_xlsx

    label = _(LABELS[kind])
    number = period.number if period else None
    named = period_name(period) if period else ""
    if kind == "jr":
        export = await reports.journal(viewer, class_name, number)
        data = await asyncio.to_thread(report_xlsx, export, locale)
        # The archive copy keeps the name the regulation gives it: year, period, class.
        caption = _("Class journal: {class_name}, {period}, {year}").format(
            class_name=escape(class_name), period=named, year=escape(export.year)
        )
        return data, export.file_name, caption
    dates = ""
    if kind == "ms":
        table = await reports.marks_summary(viewer, class_name, number)
    elif kind == "rs":
        table = await reports.class_results(viewer, class_name, number)
    elif kind == "at":
        end = min(period.ends_on, clock.today())  # type: ignore[union-attr]
        table = await reports.attendance_summary(viewer, class_name, period.starts_on, end)  # type: ignore[union-attr]
        dates = f"{period.starts_on:%d.%m.%Y} – {end:%d.%m.%Y}"  # type: ignore[union-attr]
    elif kind == "ql":
        table = await reports.journal_quality(viewer, number)
    elif kind == "pr":
        table = await ControlReports(reports).preliminary(viewer, None, number)
    elif kind == "sb":
        start, end = period.starts_on, period.ends_on  # type: ignore[union-attr]
        table = await ControlReports(reports).substitutions(viewer, start, end)
    elif kind == "jm":
        table = await journal_remarks.report(viewer, number)
    elif kind == "gd":
        table = await reports.guardians_activity(viewer, class_name)
    elif kind == "cr":
        table = await reports.corrections(viewer, number)
    else:
        table = await reports.movement(viewer, period.starts_on, period.ends_on)  # type: ignore[union-attr]
    # A workbook takes up to a second to write: off the loop, so the diary keeps answering.
    data = await asyncio.to_thread(report_xlsx, table, locale)
    details = [x for x in (escape(class_name), named, dates) if x]
    caption = label + (": " + ", ".join(details) if details else "")
    note = report_note(table, locale)
    if note:
        caption += "\n" + escape(note)
    return data, report_file_name(label, class_name, named), caption


# -- charts --------------------------------------------------------------------------------------

CHARTS = {
    "r": N_("Results by period"),
    "a": N_("Absences by month"),
}


@router.callback_query(AdminCb.filter(F.menu == "ch"))
@router.callback_query(ChartCb.filter())
async def on_chart(
    query: CallbackQuery,
    viewer: Viewer,
    access_admin: AccessAdminService,
    i18n: I18n,
    callback_data: CallbackData,
) -> None:
    cb = callback_data if isinstance(callback_data, ChartCb) else ChartCb()
    if not cb.cls:
        rows = await _class_rows(viewer, access_admin, lambda c: ChartCb(cls=c))
        rows.append(back_to_menu())
        await show(query, _("A chart for which class?"), inline(rows))
        return
    class_name = await _class_name(viewer, access_admin, cb.cls)
    if cb.kind not in CHARTS:
        rows = [[(_(label), ChartCb(cls=cb.cls, kind=k))] for k, label in CHARTS.items()]
        rows.append(_back(ChartCb()))
        text = _("Charts: {class_name}. Which one?").format(class_name=escape(class_name))
        await show(query, text, inline(rows))
        return
    from app.admin_charts import attendance_png, results_png

    data = await access_admin.class_year(viewer, class_name)
    draw = results_png if cb.kind == "r" else attendance_png
    # Drawing takes a fair part of a second: off the loop, so the diary keeps answering.
    picture = await asyncio.to_thread(draw, data, i18n.current_locale)
    await query.answer()
    caption = f"{escape(class_name)}: {_(CHARTS[cb.kind])}"
    await query.message.answer_photo(  # type: ignore[union-attr]
        BufferedInputFile(picture, filename=f"{cb.kind}_{class_name}.png"), caption=caption
    )


# -- the audit log -------------------------------------------------------------------------------


def _cut(text: str) -> str:
    return text if len(text) <= FIELD_LIMIT else text[: FIELD_LIMIT - 1] + "…"


def _value(raw: str, clock: Clock) -> str:
    """A logged value in words where it is a known one: «absent/sick» → «отсутствует, по
    болезни», «5» → «5», a time → «03.12.2026 09:00»; anything else as the code it is."""
    if not raw:
        return "—"
    if raw in VALUES:
        return _(VALUES[raw])
    state, _sep, reason = raw.partition("/")
    kind, _sep, minutes = state.partition(":")
    if kind in ("absent", "late", "present"):
        words = [_(VALUES[kind])]
        if minutes.isdigit():
            words.append(_("{n} min").format(n=minutes))
        if reason in terms.REASONS:
            words.append(terms.reason(_, reason))
        return ", ".join(words)
    if raw in terms.REASONS:
        return terms.reason(_, raw)
    try:
        return render.mark(MarkValue(raw))
    except ValueError:
        pass
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        return f"<code>{escape(_cut(raw))}</code>"
    if at.tzinfo is None:  # a day
        return at.strftime("%d.%m.%Y")
    return at.astimezone(clock.tz).strftime("%d.%m.%Y %H:%M")


def _entry(e: AuditEntry, clock: Clock, actors: dict[int, str] | None) -> str:
    """One line: when, what, who (``actors``: staff names; None in a teacher's own log) and
    from where, the old and the new value, the reason."""
    at = e.at.astimezone(clock.tz).strftime("%d.%m.%Y %H:%M")
    what = audit_text.action(_, e.action)
    line = f"{at} " + (what or f"<code>{escape(e.action)}</code>")
    by = [name for name in [audit_text.who(_, e, actors or {})] if name and actors is not None]
    if e.channel:
        by.append(audit_text.channel(_, e.channel))
    if by:
        line += f" ({escape(', '.join(by))})"
    if e.is_read:
        return line
    if e.before or e.after:
        line += f": {_value(e.before, clock)} → {_value(e.after, clock)}"
    if e.reason and not e.reason.startswith("account:"):  # the consent's account: no reading
        line += f" — {escape(_cut(e.reason))}"
    return line


def student_label(s: Student, today: date) -> str:
    """A student in a list of the administration: one who left is marked so, with the day."""
    return render.named(s.full_name, s.left_on, today)


@router.callback_query(AdminCb.filter(F.menu == "aud"))
@router.callback_query(AuditCb.filter())
async def on_audit(
    query: CallbackQuery,
    viewer: Viewer,
    access_admin: AccessAdminService,
    audit_log: AdminService,
    clock: Clock,
    callback_data: CallbackData,
) -> None:
    cb = callback_data if isinstance(callback_data, AuditCb) else AuditCb()
    if cb.who not in ("s", "t", "r"):
        await access_admin.year_periods(viewer)  # the administration only
        rows = [
            [(_("A student's log"), AuditCb(who="s"))],
            [(_("A teacher's log"), AuditCb(who="t"))],
            back_to_menu(),
        ]
        await show(query, _("Whose audit log?"), inline(rows))
        return
    if cb.who == "t" and not cb.person:
        staff = await access_admin.staff_list(viewer)
        rows = [[(s.name, AuditCb(who="t", person=s.staff_id))] for s in staff[:60]]
        rows.append(_back(AuditCb()))
        await show(query, _("Which teacher?"), inline(rows))
        return
    if cb.who in ("s", "r") and not cb.cls:
        rows = await _class_rows(viewer, access_admin, lambda c: AuditCb(who="s", cls=c))
        rows.append(_back(AuditCb()))
        await show(query, _("Which class?"), inline(rows))
        return
    if cb.who in ("s", "r") and not cb.person:
        students = await access_admin.class_students(viewer, cb.cls)
        today = clock.today()
        rows = [
            [(student_label(s, today), AuditCb(who="s", cls=cb.cls, person=s.id))]  # type: ignore[arg-type]
            for s in students
        ]
        rows.append(_back(AuditCb(who="s")))
        await show(query, _("Which student?"), inline(rows))
        return
    if cb.who == "s":
        entries = await audit_log.audit(viewer, student_id=cb.person)
    elif cb.who == "r":
        entries = await audit_log.looked(viewer, cb.person)
    else:
        entries = await audit_log.audit(viewer, staff_id=cb.person)
    actors: dict[int, str] | None = {
        s.staff_id: s.name for s in await access_admin.staff_list(viewer)
    }
    if cb.who == "t":
        actors = None  # the teacher's own log: their name is the heading's
    pages = max(1, -(-len(entries) // AUDIT_PAGE))
    page = min(max(cb.page, 0), pages - 1)
    shown = entries[page * AUDIT_PAGE : (page + 1) * AUDIT_PAGE]
    if cb.who == "r":
        head = _("<b>👀 Who looked</b>, page {page} of {pages}").format(page=page + 1, pages=pages)
        empty = _("Nobody on the staff has looked at this student's data yet.")
    else:
        head = _("<b>Audit log</b>, page {page} of {pages}").format(page=page + 1, pages=pages)
        empty = _("The audit log has no entries here.")
    body = "\n".join(_entry(e, clock, actors) for e in shown) or empty
    nav = []
    here = {"who": cb.who, "cls": cb.cls, "person": cb.person}
    if page > 0:
        nav.append(("◀", AuditCb(**here, page=page - 1)))
    if page < pages - 1:
        nav.append(("▶", AuditCb(**here, page=page + 1)))
    rows = [nav]
    if cb.who == "s":
        rows.append([(_("👀 Who looked"), AuditCb(who="r", cls=cb.cls, person=cb.person))])
    if cb.who == "t":
        back = AuditCb(who="t")
    elif cb.who == "r":
        back = AuditCb(who="s", cls=cb.cls, person=cb.person)
    else:
        back = AuditCb(who="s", cls=cb.cls)
    rows.append(_back(back))
    await show(query, f"{head}\n{body}", inline(rows))
