"""A new school year from /admin, for the journal admin: the new year's calendar file is read
and the turnover shown as it would be (``core.year``, nothing written); then «Continue» and
«Yes, start» — only the second press starts the year, in one transaction.

As with an import, Telegram keeps the file: the FSM holds its file_id, the year and a random
token each button must match, with the account that sent it; a stale, forged or another
account's press changes nothing.
"""

from __future__ import annotations

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

from app.archive import Archiver
from app.config import Settings
from app.import_text import describe_problem
from app.keyboards import inline
from app.school_text import turnover_lines
from core.access import Viewer
from core.clock import Clock
from core.import_apply import ImportService
from core.imports import parse_roster
from core.limits import MESSAGE_LIMIT
from core.tabular import SourceTable
from core.year import Turnover, YearService
from handlers.admin import (
    MAX_UPLOAD,
    AdminCb,
    back_to_menu,
    end_form,
    problems_text,
    read_file,
)
from handlers.admin_periods import archive_after_close
from handlers.journal_ui import show
from handlers.render import locale

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")

CALENDAR_TYPES = (".csv", ".xlsx", ".xlsm", ".txt", ".tsv")
KEY = "year_"  # the FSM keys of a year waiting for its confirmations


class YearCb(CallbackData, prefix="ny1"):
    step: int  # 0 cancel, 1 continue, 2 start the year
    token: str


class YearForm(StatesGroup):
    calendar = State()  # waiting for the file
    confirm = State()  # checked; waiting for «Continue», then «Yes, start»


def _years(tables: list[SourceTable]) -> list[str]:
    data, _problems = parse_roster(tables)
    return sorted({row.year_name for row in data.calendar if row.year_name})


def _report(done: Turnover) -> str:
    parts = [escape(x) for x in turnover_lines(done, _)]
    if done.report.warnings:
        parts.append(_("Warnings:"))
        parts.append(
            problems_text([describe_problem(p, _, locale()) for p in done.report.warnings])
        )
    if done.report.errors:
        parts.append(_("Errors — the year cannot be started until they are fixed:"))
        parts.append(problems_text([describe_problem(p, _, locale()) for p in done.report.errors]))
    return "\n".join(parts)


@router.callback_query(AdminCb.filter(F.menu == "yr"))
async def on_new_year(query: CallbackQuery, viewer: Viewer, state: FSMContext) -> None:
    if not viewer.is_admin:
        await query.answer(_("You do not have access to this."), show_alert=True)
        return
    await end_form(state, KEY)
    await state.set_state(YearForm.calendar)
    await state.update_data({KEY + "account": viewer.account_id})
    text = _(
        "Please send the new school year's calendar as a document: a CSV or XLSX file with "
        "the calendar table (year, period, kind, starts_on, ends_on) and, if the school "
        "has them, the holidays. I will show what would happen; nothing changes until you "
        "confirm twice. /cancel to stop."
    )
    await show(query, text, inline([back_to_menu()]))


@router.message(StateFilter(YearForm), Command("cancel"))
async def cmd_cancel_year(message: Message, state: FSMContext) -> None:
    await end_form(state, KEY)
    await message.answer(_("Cancelled; nothing was changed."))


@router.message(StateFilter(YearForm), F.document)
async def got_calendar(
    message: Message,
    bot: Bot,
    viewer: Viewer,
    imports: ImportService,
    clock: Clock,
    state: FSMContext,
) -> None:
    if not viewer.is_admin:
        await end_form(state, KEY)
        await message.answer(_("You do not have access to this."))
        return
    doc = message.document
    name = Path(doc.file_name or "file").name  # type: ignore[union-attr]
    if not name.lower().endswith(CALENDAR_TYPES):
        await message.answer(_("Please send the calendar as a CSV or XLSX file, or /cancel."))
        return
    if (doc.file_size or 0) > MAX_UPLOAD:  # type: ignore[union-attr]
        await message.answer(_("The file is too big: at most 20 MB."))
        return
    await state.set_state(YearForm.calendar)  # a new file replaces one waiting to be confirmed
    tables, problems = await read_file(bot, doc.file_id, name)  # type: ignore[union-attr]
    if problems:
        await message.answer(
            _("The file cannot be read; nothing was changed.")
            + "\n"
            + problems_text([describe_problem(p, _, locale()) for p in problems])
        )
        return
    years = _years(tables)
    if len(years) != 1:
        text = (
            _("The calendar names several school years ({years}): please send one year's.")
            if years
            else _(
                "The file has no calendar table with the year in its year column "
                "(such as 2027/2028)."
            )
        )
        await message.answer(text.format(years=", ".join(years)))
        return
    done = await YearService(imports.uow, clock).new_year(viewer, years[0], tables, apply=False)
    head = _("<b>New school year {year}</b>: what would happen").format(year=escape(years[0]))
    text = (head + "\n" + _report(done))[:MESSAGE_LIMIT]
    if done.report.errors:
        await message.answer(text)
        return
    token = secrets.token_urlsafe(12)
    await state.set_state(YearForm.confirm)
    await state.update_data(
        {
            KEY + "token": token,
            KEY + "step": 0,
            KEY + "file": doc.file_id,  # type: ignore[union-attr]
            KEY + "name": name,
            KEY + "year": years[0],
            KEY + "account": viewer.account_id,
        }
    )
    rows = [
        [(_("Continue"), YearCb(step=1, token=token))],
        [(_("Cancel"), YearCb(step=0, token=token))],
    ]
    await message.answer(text, reply_markup=inline(rows))


@router.callback_query(YearCb.filter())
async def on_year_confirm(
    query: CallbackQuery,
    callback_data: YearCb,
    bot: Bot,
    viewer: Viewer,
    imports: ImportService,
    clock: Clock,
    state: FSMContext,
    archive: Archiver,
    settings: Settings,
) -> None:
    cb = callback_data
    data = await state.get_data()
    pending = (
        viewer.is_admin
        and await state.get_state() == YearForm.confirm.state
        and data.get(KEY + "token")
        and secrets.compare_digest(str(data[KEY + "token"]), cb.token)
        and data.get(KEY + "account") == viewer.account_id
        and (cb.step == 0 or data.get(KEY + "step") == cb.step - 1)
    )
    if not pending:
        await query.answer(
            _("The new year is no longer waiting; please send the calendar again."),
            show_alert=True,
        )
        return
    year = str(data[KEY + "year"])
    if cb.step == 0:
        await end_form(state, KEY)
        await show(query, _("Cancelled; nothing was changed."))
        return
    if cb.step == 1:
        token = secrets.token_urlsafe(12)
        await state.update_data({KEY + "token": token, KEY + "step": 1})
        rows = [
            [(_("Yes, start"), YearCb(step=2, token=token))],
            [(_("Cancel"), YearCb(step=0, token=token))],
        ]
        question = _("This cannot be undone. Start the school year {year}?")
        await show(query, question.format(year=escape(year)), inline(rows))
        return
    await end_form(state, KEY)
    tables, problems = await read_file(bot, str(data[KEY + "file"]), str(data[KEY + "name"]))
    if problems:
        text = (
            _("Nothing was changed.")
            + "\n"
            + problems_text([describe_problem(p, _, locale()) for p in problems])
        )
        await show(query, text[:MESSAGE_LIMIT])
        return
    done = await YearService(imports.uow, clock).new_year(viewer, year, tables, apply=True)
    if not done.report.applied:
        await show(query, (_("Nothing was changed.") + "\n" + _report(done))[:MESSAGE_LIMIT])
        return
    head = _("The school year {year} has started.").format(year=escape(year))
    await show(query, (head + "\n" + _report(done))[:MESSAGE_LIMIT], note=_("Done."))
    await archive_after_close(query, archive, settings)  # the finished year's summary sheets
