"""The journal administrator in the bot: the /admin menu, roster and timetable imports with a
checked report and a confirmation, closing and reopening periods, staff invites.

Every action is checked again in the core; buttons only carry hints. An uploaded file is kept
by Telegram: the FSM holds its file_id and a random token the confirm button must match, and
the file is downloaded again when the import is confirmed.
"""

from __future__ import annotations

import io
import secrets
from html import escape
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import keyboards as kb
from bot.config import Settings
from bot.import_text import describe_problem, tally_lines
from bot.keyboards import inline
from core.access import Viewer
from core.access_admin import AccessAdminService
from core.clock import Clock
from core.import_apply import ImportReport, ImportService
from core.imports import TIMETABLE_KINDS, table_kind
from core.school_admin import SchoolAdminService
from handlers.invites import code_text

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")

MAX_UPLOAD = 20 * 1024 * 1024  # what a bot may download from Telegram
MAX_PROBLEMS = 25  # shown in one message; the rest are counted
IMPORT_TYPES = (".csv", ".xlsx", ".xlsm", ".txt", ".tsv", ".zip")


class AdminCb(CallbackData, prefix="ad1"):
    menu: str  # imp, per, rep, aud, inv, ch


class ImportCb(CallbackData, prefix="im1"):
    go: bool
    token: str


class PeriodCb(CallbackData, prefix="pe1"):
    period: int
    action: str  # ask, close, reopen


class StaffInviteCb(CallbackData, prefix="si1"):
    staff: int


class AdminForm(StatesGroup):
    import_pending = State()
    reopen_reason = State()


def menu_keyboard(viewer: Viewer):
    rows: list[list[tuple[str, CallbackData]]] = []
    if viewer.is_admin:
        rows.append([(_("📥 Import a file"), AdminCb(menu="imp"))])
        rows.append([(_("🔒 Periods"), AdminCb(menu="per"))])
    rows.append([(_("📊 Reports and exports"), AdminCb(menu="rep"))])
    rows.append([(_("📈 Charts"), AdminCb(menu="ch"))])
    rows.append([(_("🕵 Audit log"), AdminCb(menu="aud"))])
    if viewer.is_admin:
        rows.append([(_("🔑 Staff invite"), AdminCb(menu="inv"))])
    return inline(rows)


@router.message(Command("admin"))
@router.message(F.text == kb.ADMIN)
async def cmd_admin(message: Message, viewer: Viewer, access_admin: AccessAdminService) -> None:
    await access_admin.year_periods(viewer)  # the administration only; refuses the rest
    await message.answer(
        _("Administration. What would you like to do?"), reply_markup=menu_keyboard(viewer)
    )


@router.callback_query(AdminCb.filter(F.menu == "imp"))
async def on_import_menu(query: CallbackQuery, viewer: Viewer) -> None:
    await query.answer()
    await query.message.answer(  # type: ignore[union-attr]
        _(
            "Send the file as a document: a roster or timetable (CSV or XLSX) or a OneRoster "
            "bundle (zip). I will check it and show what would change; nothing is imported "
            "until you confirm."
        )
    )


# -- imports -------------------------------------------------------------------------------------


def _kind(name: str, tables: list) -> str:
    if name.lower().endswith(".zip"):
        return "oneroster"
    kinds = {table_kind(t) for t in tables}
    return "timetable" if kinds and kinds <= set(TIMETABLE_KINDS) else "roster"


async def _check(
    bot: Bot, imports: ImportService, viewer: Viewer, file_id: str, name: str, apply: bool
) -> tuple[str, ImportReport | None, list[str]]:
    """Download, read and run the import; the kind and the report, or read problems."""
    from bot.admin_files import read_upload

    buffer = io.BytesIO()
    await bot.download(file_id, destination=buffer)
    tables, problems = read_upload(name, buffer.getvalue())
    if problems:
        return "", None, [describe_problem(p, _) for p in problems]
    kind = _kind(name, tables)
    if kind == "oneroster":
        report = await imports.oneroster(viewer, tables, apply=apply)
    elif kind == "timetable":
        report = await imports.timetable(viewer, tables, apply=apply)
    else:
        report = await imports.roster(viewer, tables, apply=apply)
    return kind, report, []


def _problems(lines: list[str]) -> str:
    shown = [escape(x) for x in lines[:MAX_PROBLEMS]]
    if len(lines) > MAX_PROBLEMS:
        shown.append(_("… and {n} more").format(n=len(lines) - MAX_PROBLEMS))
    return "\n".join(shown)


def report_text(name: str, report: ImportReport) -> str:
    parts = [_("<b>{name}</b>: check of the import").format(name=escape(name))]
    parts += [escape(x) for x in tally_lines(report, _)]
    if report.warnings:
        parts.append(_("Warnings:"))
        parts.append(_problems([describe_problem(p, _) for p in report.warnings]))
    if report.errors:
        parts.append(_("Errors — nothing can be imported until they are fixed:"))
        parts.append(_problems([describe_problem(p, _) for p in report.errors]))
    return "\n".join(parts)[:4000]


@router.message(StateFilter(None, AdminForm.import_pending), F.document)
async def got_import_file(
    message: Message, bot: Bot, viewer: Viewer, imports: ImportService, state: FSMContext
) -> None:
    if not viewer.is_admin:
        await message.answer(_("Only the journal administrator can import files."))
        return
    doc = message.document
    name = Path(doc.file_name or "file").name  # type: ignore[union-attr]
    if not name.lower().endswith(IMPORT_TYPES):
        await message.answer(_("Please send a CSV or XLSX table or a OneRoster zip."))
        return
    if (doc.file_size or 0) > MAX_UPLOAD:  # type: ignore[union-attr]
        await message.answer(_("The file is too big: at most 20 MB."))
        return
    await state.clear()
    _kind_name, report, read_problems = await _check(
        bot,
        imports,
        viewer,
        doc.file_id,
        name,
        apply=False,  # type: ignore[union-attr]
    )
    if report is None:
        await message.answer(
            _("The file cannot be read; nothing was imported.") + "\n" + _problems(read_problems)
        )
        return
    text = report_text(name, report)
    if report.errors:
        await message.answer(text)
        return
    token = secrets.token_urlsafe(12)
    await state.set_state(AdminForm.import_pending)
    await state.update_data(
        import_token=token,
        import_file=doc.file_id,  # type: ignore[union-attr]
        import_name=name,
        import_account=viewer.account_id,
    )
    buttons = [
        [(_("✅ Confirm import"), ImportCb(go=True, token=token))],
        [(_("Cancel"), ImportCb(go=False, token=token))],
    ]
    await message.answer(text, reply_markup=inline(buttons))


@router.callback_query(ImportCb.filter())
async def on_import_confirm(
    query: CallbackQuery,
    callback_data: ImportCb,
    bot: Bot,
    viewer: Viewer,
    imports: ImportService,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    pending = (
        await state.get_state() == AdminForm.import_pending.state
        and data.get("import_token")
        and secrets.compare_digest(str(data["import_token"]), callback_data.token)
        and data.get("import_account") == viewer.account_id
    )
    if not pending:
        await query.answer(
            _("This import is no longer waiting; please send the file again."), show_alert=True
        )
        return
    await state.clear()
    if not callback_data.go:
        await query.answer()
        await query.message.edit_text(_("Import cancelled; nothing was changed."))  # type: ignore[union-attr]
        return
    await query.answer(_("Importing…"))
    name = str(data["import_name"])
    _kind_name, report, read_problems = await _check(
        bot, imports, viewer, str(data["import_file"]), name, apply=True
    )
    if report is None or not report.applied:
        text = _("Nothing was imported.")
        if report is not None:
            text += "\n" + report_text(name, report)
        else:
            text += "\n" + _problems(read_problems)
        await query.message.edit_text(text[:4000])  # type: ignore[union-attr]
        return
    done = _("Imported: {name}").format(name=escape(name))
    lines = "\n".join(escape(x) for x in tally_lines(report, _))
    await query.message.edit_text(done + "\n" + lines)  # type: ignore[union-attr]


# -- periods -------------------------------------------------------------------------------------


async def _periods_view(viewer: Viewer, access_admin: AccessAdminService):
    periods = await access_admin.year_periods(viewer)
    lines = [_("<b>Study periods</b>")]
    rows = []
    for p in periods:
        state = _("closed") if p.closed else _("open")
        lines.append(f"{p.number}: {p.starts_on:%d.%m.%Y} – {p.ends_on:%d.%m.%Y}, {state}")
        if p.closed:
            rows.append(
                [
                    (
                        _("Reopen period {n}").format(n=p.number),
                        PeriodCb(period=p.id, action="reopen"),
                    )
                ]
            )  # type: ignore[arg-type]
        else:
            rows.append(
                [(_("Close period {n}").format(n=p.number), PeriodCb(period=p.id, action="ask"))]
            )  # type: ignore[arg-type]
    return "\n".join(lines), inline(rows)


@router.callback_query(AdminCb.filter(F.menu == "per"))
async def on_periods(
    query: CallbackQuery, viewer: Viewer, access_admin: AccessAdminService
) -> None:
    text, markup = await _periods_view(viewer, access_admin)
    await query.answer()
    await query.message.answer(text, reply_markup=markup)  # type: ignore[union-attr]


@router.callback_query(PeriodCb.filter())
async def on_period(
    query: CallbackQuery,
    callback_data: PeriodCb,
    viewer: Viewer,
    school_admin: SchoolAdminService,
    access_admin: AccessAdminService,
    state: FSMContext,
) -> None:
    periods = {p.id: p for p in await access_admin.year_periods(viewer)}
    period = periods.get(callback_data.period)
    if period is None or not viewer.is_admin:
        await query.answer(_("You do not have access to this."), show_alert=True)
        return
    if callback_data.action == "ask":
        await query.answer()
        await query.message.edit_text(  # type: ignore[union-attr]
            _("Close period {n}? Nothing in it can be changed afterwards.").format(n=period.number),
            reply_markup=inline(
                [
                    [(_("🔒 Close"), PeriodCb(period=period.id, action="close"))],  # type: ignore[arg-type]
                    [(_("Cancel"), AdminCb(menu="per"))],
                ]
            ),
        )
    elif callback_data.action == "close":
        await school_admin.close_period(viewer, period.id)  # type: ignore[arg-type]
        await query.answer(_("Period {n} is closed.").format(n=period.number))
        text, markup = await _periods_view(viewer, access_admin)
        await query.message.edit_text(text, reply_markup=markup)  # type: ignore[union-attr]
    else:
        await state.set_state(AdminForm.reopen_reason)
        await state.update_data(reopen_period=period.id, reopen_number=period.number)
        await query.answer()
        await query.message.answer(  # type: ignore[union-attr]
            _(
                "Why is period {n} reopened? Please write the reason (it is kept in the "
                "audit log), or /cancel."
            ).format(n=period.number)
        )


@router.message(AdminForm.reopen_reason, Command("cancel"))
async def cmd_cancel_reopen(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Cancelled; nothing was changed."))


@router.message(AdminForm.reopen_reason, F.text)
async def got_reopen_reason(
    message: Message, viewer: Viewer, school_admin: SchoolAdminService, state: FSMContext
) -> None:
    data = await state.get_data()
    await state.clear()
    await school_admin.reopen_period(viewer, int(data["reopen_period"]), message.text or "")
    await message.answer(_("Period {n} is open again.").format(n=data["reopen_number"]))


# -- staff invites -------------------------------------------------------------------------------


@router.callback_query(AdminCb.filter(F.menu == "inv"))
async def on_staff_list(
    query: CallbackQuery, viewer: Viewer, access_admin: AccessAdminService
) -> None:
    staff = await access_admin.staff_list(viewer)
    rows = [[(s.name, StaffInviteCb(staff=s.staff_id))] for s in staff[:60]]
    await query.answer()
    await query.message.answer(_("Whom is the invite for?"), reply_markup=inline(rows))  # type: ignore[union-attr]


@router.callback_query(StaffInviteCb.filter())
async def on_staff_invite(
    query: CallbackQuery,
    callback_data: StaffInviteCb,
    viewer: Viewer,
    access_admin: AccessAdminService,
    settings: Settings,
    clock: Clock,
) -> None:
    issued = await access_admin.staff_invite(viewer, callback_data.staff)
    lines = code_text(issued, settings, clock.tz)
    await query.answer()
    await query.message.answer("\n".join(lines))  # type: ignore[union-attr]
