"""The administration's reading in the bot: reports and exports as documents, class charts as
pictures, the audit log per student or teacher. Chosen with buttons; the core checks each."""

from __future__ import annotations

import asyncio
from html import escape

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, CallbackQuery
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.keyboards import inline
from core.access import Viewer
from core.access_admin import AccessAdminService
from core.admin import AdminService
from core.clock import Clock
from core.errors import NotFound
from core.reports import ReportService
from handlers.admin import AdminCb

router = Router(name=__name__)
router.callback_query.filter(F.message.chat.type == "private")

AUDIT_PAGE = 10
REPORTS = {  # code: (needs a class, needs a period)
    "jr": (True, True),
    "ms": (True, True),
    "at": (True, True),
    "rs": (True, True),
    "ql": (False, True),
    "gd": (True, False),
    "mv": (False, True),
}


def N_(message: str) -> str:
    return message


LABELS = {
    "jr": N_("Class journal (XLSX)"),
    "ms": N_("Summary sheet of marks"),
    "at": N_("Attendance"),
    "rs": N_("Class results"),
    "ql": N_("Journal quality"),
    "gd": N_("Guardians' activity"),
    "mv": N_("Student movement"),
}


class ReportCb(CallbackData, prefix="rp1"):
    kind: str
    cls: int = 0
    period: int = 0  # a period's number; 0: not chosen yet


class ChartCb(CallbackData, prefix="cg1"):
    cls: int = 0
    kind: str = ""  # r results, a attendance


class AuditCb(CallbackData, prefix="au1"):
    who: str = ""  # s student, t teacher
    cls: int = 0
    person: int = 0
    page: int = 0
    turn: bool = False  # a page turn edits the message in place


async def _class_rows(viewer: Viewer, access_admin: AccessAdminService, make) -> list:
    classes = await access_admin.classes(viewer)
    buttons = [(c.name, make(c.id)) for c in classes]
    return [buttons[i : i + 4] for i in range(0, len(buttons), 4)]


async def _class_name(viewer: Viewer, access_admin: AccessAdminService, class_id: int) -> str:
    for c in await access_admin.classes(viewer):
        if c.id == class_id:
            return c.name
    raise NotFound("class", class_id)


# -- reports -------------------------------------------------------------------------------------


@router.callback_query(AdminCb.filter(F.menu == "rep"))
async def on_reports(
    query: CallbackQuery, viewer: Viewer, access_admin: AccessAdminService
) -> None:
    await access_admin.year_periods(viewer)  # the administration only
    rows = [[(_(LABELS[k]), ReportCb(kind=k))] for k in LABELS]
    await query.answer()
    await query.message.answer(_("Which report?"), reply_markup=inline(rows))  # type: ignore[union-attr]


@router.callback_query(ReportCb.filter())
async def on_report(
    query: CallbackQuery,
    callback_data: ReportCb,
    viewer: Viewer,
    access_admin: AccessAdminService,
    reports: ReportService,
    clock: Clock,
    i18n: I18n,
) -> None:
    cb = callback_data
    if cb.kind not in REPORTS:
        await query.answer(_("This button is out of date."), show_alert=True)
        return
    needs_class, needs_period = REPORTS[cb.kind]
    message = query.message
    if needs_class and not cb.cls:
        rows = await _class_rows(viewer, access_admin, lambda c: ReportCb(kind=cb.kind, cls=c))
        await query.answer()
        await message.answer(_("Which class?"), reply_markup=inline(rows))  # type: ignore[union-attr]
        return
    periods = await access_admin.year_periods(viewer)
    if needs_period and not cb.period:
        today = clock.today()
        rows = [
            [
                (
                    _("Period {n}").format(n=p.number),
                    ReportCb(kind=cb.kind, cls=cb.cls, period=p.number),
                )
            ]
            for p in periods
            if p.starts_on <= today
        ]
        await query.answer()
        await message.answer(_("Which period?"), reply_markup=inline(rows))  # type: ignore[union-attr]
        return
    class_name = await _class_name(viewer, access_admin, cb.cls) if needs_class else ""
    period = next((p for p in periods if p.number == cb.period), None)
    if needs_period and period is None:
        raise NotFound("period", cb.period)
    await query.answer(_("Preparing the file…"))
    data, name = await _build(cb.kind, viewer, reports, clock, class_name, period, i18n)
    await message.answer_document(BufferedInputFile(data, filename=name))  # type: ignore[union-attr]


async def _build(kind, viewer, reports: ReportService, clock: Clock, class_name, period, i18n):
    from bot.admin_files import report_xlsx
    from locales import translations

    gettext = translations(i18n.current_locale).gettext
    number = period.number if period else None
    if kind == "jr":
        export = await reports.journal(viewer, class_name, number)
        return await asyncio.to_thread(report_xlsx, export, gettext), export.file_name
    if kind == "ms":
        table = await reports.marks_summary(viewer, class_name, number)
    elif kind == "rs":
        table = await reports.class_results(viewer, class_name, number)
    elif kind == "at":
        end = min(period.ends_on, clock.today())
        table = await reports.attendance_summary(viewer, class_name, period.starts_on, end)
    elif kind == "ql":
        table = await reports.journal_quality(viewer, number)
    elif kind == "gd":
        table = await reports.guardians_activity(viewer, class_name)
    else:
        table = await reports.movement(viewer, period.starts_on, period.ends_on)
    suffix = "_".join(x for x in (class_name, str(number or "")) if x)
    # A workbook takes up to a second to write: off the loop, so the diary keeps answering.
    data = await asyncio.to_thread(report_xlsx, table, gettext)
    return data, f"{table.kind}{'_' + suffix if suffix else ''}.xlsx"


# -- charts --------------------------------------------------------------------------------------


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
    message = query.message
    if not cb.cls:
        rows = await _class_rows(viewer, access_admin, lambda c: ChartCb(cls=c))
        await query.answer()
        await message.answer(_("A chart for which class?"), reply_markup=inline(rows))  # type: ignore[union-attr]
        return
    class_name = await _class_name(viewer, access_admin, cb.cls)
    if cb.kind not in ("r", "a"):
        rows = [
            [(_("Results by period"), ChartCb(cls=cb.cls, kind="r"))],
            [(_("Absences by month"), ChartCb(cls=cb.cls, kind="a"))],
        ]
        await query.answer()
        await message.answer(class_name, reply_markup=inline(rows))  # type: ignore[union-attr]
        return
    from bot.admin_charts import attendance_png, results_png

    data = await access_admin.class_year(viewer, class_name)
    draw = results_png if cb.kind == "r" else attendance_png
    # Drawing takes a fair part of a second: off the loop, so the diary keeps answering.
    picture = await asyncio.to_thread(draw, data, i18n.current_locale)
    await query.answer()
    await message.answer_photo(  # type: ignore[union-attr]
        BufferedInputFile(picture, filename=f"{cb.kind}_{class_name}.png")
    )


# -- the audit log -------------------------------------------------------------------------------


def _entry(e, clock: Clock) -> str:
    at = e.at.astimezone(clock.tz).strftime("%d.%m.%Y %H:%M")
    line = f"{at} <code>{escape(e.action)}</code> {escape(e.entity)} {e.entity_id or ''}"
    if e.before or e.after:
        line += f": {escape(e.before)} → {escape(e.after)}"
    if e.reason:
        line += f" — {escape(e.reason)}"
    return line


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
    message = query.message
    if cb.who not in ("s", "t"):
        await access_admin.year_periods(viewer)  # the administration only
        rows = [
            [(_("A student's log"), AuditCb(who="s"))],
            [(_("A teacher's log"), AuditCb(who="t"))],
        ]
        await query.answer()
        await message.answer(_("Whose audit log?"), reply_markup=inline(rows))  # type: ignore[union-attr]
        return
    if cb.who == "t" and not cb.person:
        staff = await access_admin.staff_list(viewer)
        rows = [[(s.name, AuditCb(who="t", person=s.staff_id))] for s in staff[:60]]
        await query.answer()
        await message.answer(_("Which teacher?"), reply_markup=inline(rows))  # type: ignore[union-attr]
        return
    if cb.who == "s" and not cb.cls:
        rows = await _class_rows(viewer, access_admin, lambda c: AuditCb(who="s", cls=c))
        await query.answer()
        await message.answer(_("Which class?"), reply_markup=inline(rows))  # type: ignore[union-attr]
        return
    if cb.who == "s" and not cb.person:
        students = await access_admin.class_students(viewer, cb.cls)
        rows = [[(s.full_name, AuditCb(who="s", cls=cb.cls, person=s.id))] for s in students]  # type: ignore[arg-type]
        await query.answer()
        await message.answer(_("Which student?"), reply_markup=inline(rows))  # type: ignore[union-attr]
        return
    if cb.who == "s":
        entries = await audit_log.audit(viewer, student_id=cb.person)
    else:
        entries = await audit_log.audit(viewer, staff_id=cb.person)
    pages = max(1, -(-len(entries) // AUDIT_PAGE))
    page = min(max(cb.page, 0), pages - 1)
    shown = entries[page * AUDIT_PAGE : (page + 1) * AUDIT_PAGE]
    head = _("<b>Audit log</b>, page {page} of {pages}").format(page=page + 1, pages=pages)
    body = "\n".join(_entry(e, clock) for e in shown) or _("The audit log has no entries here.")
    nav = []
    if page > 0:
        nav.append(
            ("◀", AuditCb(who=cb.who, cls=cb.cls, person=cb.person, page=page - 1, turn=True))
        )
    if page < pages - 1:
        nav.append(
            ("▶", AuditCb(who=cb.who, cls=cb.cls, person=cb.person, page=page + 1, turn=True))
        )
    text = f"{head}\n{body}"[:4000]
    markup = inline([nav]) if nav else None
    await query.answer()
    if cb.turn:
        await message.edit_text(text, reply_markup=markup)  # type: ignore[union-attr]
    else:
        await message.answer(text, reply_markup=markup)  # type: ignore[union-attr]
