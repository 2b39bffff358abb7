"""The journal administrator in the bot: the /admin menu under what the school still lacks
(``core.status``), roster and timetable imports with a checked report and a confirmation,
staff invites. Periods are ``handlers.admin_periods``, lessons and substitutions
``handlers.admin_lessons``, the new school year ``handlers.admin_year``.

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

from app import keyboards as kb
from app.config import Settings
from app.import_text import describe_problem, tally_lines
from app.keyboards import inline
from app.school_text import status_lines
from core.access import Viewer
from core.access_admin import AccessAdminService
from core.clock import Clock
from core.import_apply import ImportReport, ImportService
from core.imports import TIMETABLE_KINDS, table_kind
from core.limits import MESSAGE_LIMIT
from core.status import StatusService
from core.tabular import Problem, SourceTable
from handlers.invites import code_text
from handlers.journal_ui import show
from handlers.printouts import PaperCb
from handlers.render import locale

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")

MAX_UPLOAD = 20 * 1024 * 1024  # what a bot may download from Telegram
MAX_PROBLEMS = 25  # shown in one message; the rest are counted
IMPORT_TYPES = (".csv", ".xlsx", ".xlsm", ".txt", ".tsv", ".zip")


class AdminCb(CallbackData, prefix="ad1"):
    menu: str  # top (the menu again), imp, per, rep, aud, inv, ch, les, yr


class ImportCb(CallbackData, prefix="im1"):
    go: bool
    token: str


class PeriodCb(CallbackData, prefix="pe1"):
    period: int
    action: str  # ask, close, reopen, move (its dates), list (the periods again)


class StaffInviteCb(CallbackData, prefix="si1"):
    staff: int


class AdminForm(StatesGroup):
    import_pending = State()
    reopen_reason = State()


async def end_form(state: FSMContext, *prefixes: str) -> None:
    """Leave a form and forget its keys (``prefix``…); what other screens keep in the FSM,
    such as the diary's chosen child, stays."""
    data = {k: v for k, v in (await state.get_data()).items() if not k.startswith(prefixes)}
    await state.set_state(None)
    await state.set_data(data)


# The /admin forms and their FSM keys: «« Back» to the menu leaves whichever is open.
ADMIN_FORMS = ("AdminForm:", "PeriodForm:", "YearForm:", "LessonForm:", "RemarkForm:")
ADMIN_KEYS = ("import_", "reopen_", "move_", "year_", "lesson_cancel_", "jr_")


def menu_keyboard(viewer: Viewer):
    rows: list[list[tuple[str, CallbackData]]] = []
    if viewer.is_admin:
        rows.append([(_("📥 Import a file"), AdminCb(menu="imp"))])
        rows.append([(_("🔒 Periods"), AdminCb(menu="per"))])
    if viewer.corrects_any:
        rows.append([(_("🗓 Lessons and substitutions"), AdminCb(menu="les"))])
    rows.append([(_("📊 Reports and exports"), AdminCb(menu="rep"))])
    rows.append([(_("📋 Remarks on the journals"), AdminCb(menu="jr"))])
    rows.append([(_("📈 Charts"), AdminCb(menu="ch"))])
    rows.append([(_("🕵 Audit log"), AdminCb(menu="aud"))])
    rows.append([(_("🖨 Paper diaries"), PaperCb(cls=0, action="show"))])
    if viewer.is_admin:
        rows.append([(_("🔑 Staff invite"), AdminCb(menu="inv"))])
        rows.append([(_("🎓 New school year"), AdminCb(menu="yr"))])
    return inline(rows)


async def menu_text(
    viewer: Viewer, imports: ImportService, clock: Clock, settings: Settings
) -> str:
    """What the school still lacks (the administration only: the core refuses the rest),
    then the menu's question."""
    status = await StatusService(imports.uow, clock).status(viewer, settings.backups)
    lines = status_lines(status, _, locale(), html=True)
    return "\n".join(lines) + "\n\n" + _("Administration. What would you like to do?")


@router.message(Command("admin"))
@router.message(F.text == kb.ADMIN)
async def cmd_admin(
    message: Message, viewer: Viewer, imports: ImportService, clock: Clock, settings: Settings
) -> None:
    text = await menu_text(viewer, imports, clock, settings)
    await message.answer(text, reply_markup=menu_keyboard(viewer))


@router.callback_query(AdminCb.filter(F.menu == "top"))
async def on_menu(
    query: CallbackQuery,
    viewer: Viewer,
    imports: ImportService,
    clock: Clock,
    settings: Settings,
    state: FSMContext,
) -> None:
    if (await state.get_state() or "").startswith(ADMIN_FORMS):
        await end_form(state, *ADMIN_KEYS)
    text = await menu_text(viewer, imports, clock, settings)
    await show(query, text, menu_keyboard(viewer))


def back_to_menu() -> list[tuple[str, CallbackData]]:
    """«« Back» to the /admin menu: every screen of it has one."""
    return [(_("« Back"), AdminCb(menu="top"))]


@router.callback_query(AdminCb.filter(F.menu == "imp"))
async def on_import_menu(query: CallbackQuery, viewer: Viewer) -> None:
    if not viewer.is_admin:
        await query.answer(_("Only the journal administrator can import files."), show_alert=True)
        return
    text = _(
        "Send the file as a document: a roster or timetable (CSV or XLSX) or a OneRoster "
        "bundle (zip). I will check it and show what would change; nothing is imported "
        "until you confirm."
    )
    await show(query, text, inline([back_to_menu()]))


# -- imports -------------------------------------------------------------------------------------


def _kind(name: str, tables: list) -> str:
    if name.lower().endswith(".zip"):
        return "oneroster"
    kinds = {table_kind(t) for t in tables}
    return "timetable" if kinds and kinds <= set(TIMETABLE_KINDS) else "roster"


async def read_file(bot: Bot, file_id: str, name: str) -> tuple[list[SourceTable], list[Problem]]:
    """Download an uploaded file again and read its tables, or the problems that stop it."""
    from app.admin_files import read_upload

    buffer = io.BytesIO()
    await bot.download(file_id, destination=buffer)
    return read_upload(name, buffer.getvalue())


async def _check(
    bot: Bot, imports: ImportService, viewer: Viewer, file_id: str, name: str, apply: bool
) -> tuple[str, ImportReport | None, list[str]]:
    """Download, read and run the import; the kind and the report, or read problems."""
    tables, problems = await read_file(bot, file_id, name)
    if problems:
        return "", None, [describe_problem(p, _, locale()) for p in problems]
    kind = _kind(name, tables)
    if kind == "oneroster":
        report = await imports.oneroster(viewer, tables, apply=apply)
    elif kind == "timetable":
        report = await imports.timetable(viewer, tables, apply=apply)
    else:
        report = await imports.roster(viewer, tables, apply=apply)
    return kind, report, []


def problems_text(lines: list[str]) -> str:
    shown = [escape(x) for x in lines[:MAX_PROBLEMS]]
    if len(lines) > MAX_PROBLEMS:
        shown.append(_("… and {n} more").format(n=len(lines) - MAX_PROBLEMS))
    return "\n".join(shown)


def report_text(name: str, report: ImportReport) -> str:
    parts = [_("<b>{name}</b>: check of the import").format(name=escape(name))]
    parts += [escape(x) for x in tally_lines(report, _)]
    if report.warnings:
        parts.append(_("Warnings:"))
        parts.append(problems_text([describe_problem(p, _, locale()) for p in report.warnings]))
    if report.errors:
        parts.append(_("Errors — nothing can be imported until they are fixed:"))
        parts.append(problems_text([describe_problem(p, _, locale()) for p in report.errors]))
    return "\n".join(parts)[:MESSAGE_LIMIT]


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
            _("The file cannot be read; nothing was imported.")
            + "\n"
            + problems_text(read_problems)
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
            text += "\n" + problems_text(read_problems)
        await query.message.edit_text(text[:MESSAGE_LIMIT])  # type: ignore[union-attr]
        return
    done = _("Imported: {name}").format(name=escape(name))
    lines = "\n".join(escape(x) for x in tally_lines(report, _))
    await query.message.edit_text(done + "\n" + lines)  # type: ignore[union-attr]


# -- staff invites -------------------------------------------------------------------------------


STAFF_PAGE = 60  # staff on one screen


async def staff_screen(viewer: Viewer, access_admin: AccessAdminService):
    """Staff with who has signed in (✅) and who not yet (⏳): whom a code is for."""
    staff = await access_admin.staff_list(viewer)
    linked = sum(s.linked for s in staff)
    lines = [
        "<b>" + _("Staff invite codes") + "</b>",
        _("Signed in: {n} of {total}.").format(n=linked, total=len(staff)),
        _("✅ — signed in, ⏳ — not yet. Whom is the new code for?"),
    ]
    rows = [
        [(("✅ " if s.linked else "⏳ ") + s.name, StaffInviteCb(staff=s.staff_id))]
        for s in staff[:STAFF_PAGE]
    ]
    rows.append(back_to_menu())
    return "\n".join(lines), inline(rows)


@router.callback_query(AdminCb.filter(F.menu == "inv"))
async def on_staff_list(
    query: CallbackQuery, viewer: Viewer, access_admin: AccessAdminService
) -> None:
    await show(query, *await staff_screen(viewer, access_admin))


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
    # The code is a message of its own, to forward to its owner; the list stays above it.
    await query.message.answer("\n".join(lines))  # type: ignore[union-attr]
