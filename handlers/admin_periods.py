"""Study periods in /admin: closing one whose last day has come, reopening one with a reason,
and moving an open period's dates (a quarantine): the dates and the reason typed, then
confirmed; the lessons follow the new dates (``SchoolAdminService.move_period``).

Only the journal admin changes periods; the core checks every press again. A confirmation
carries a random token kept in the FSM, so a stale or another account's press changes nothing.
"""

from __future__ import annotations

import re
import secrets
from datetime import date
from html import escape

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from app.archive import Archiver
from app.config import Settings
from app.keyboards import inline
from app.school_text import plan_lines
from core.access import Viewer
from core.access_admin import AccessAdminService
from core.clock import Clock
from core.limits import MESSAGE_LIMIT
from core.model import Period
from core.rules import MAX_REASON
from core.school_admin import SchoolAdminService
from handlers import render
from handlers.admin import AdminCb, AdminForm, PeriodCb, end_form
from handlers.journal_ui import show
from handlers.render import locale

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")

DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
BETWEEN = re.compile(r"[\s\-–—]*")  # what may stand between and around the two dates


class PeriodMoveCb(CallbackData, prefix="pm1"):
    go: bool
    token: str


class PeriodForm(StatesGroup):
    dates = State()
    reason = State()
    confirm = State()


def _dmy(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def _span(starts_on: date, ends_on: date) -> str:
    return f"{_dmy(starts_on)} – {_dmy(ends_on)}"


def parse_dates(text: str) -> tuple[date, date] | None:
    """«09.11.2026–30.12.2026» or «09.11.2026 30.12.2026»; None for anything else."""
    found = list(DATE.finditer(text))
    if len(found) != 2:
        return None
    rest = [
        text[: found[0].start()],
        text[found[0].end() : found[1].start()],
        text[found[1].end() :],
    ]
    if not all(BETWEEN.fullmatch(part) for part in rest):
        return None
    try:
        first, last = (date(int(m[3]), int(m[2]), int(m[1])) for m in found)
    except ValueError:  # 31.02.2027
        return None
    return first, last


def _name(p: Period) -> str:
    """«II четверть»: a period's one name (``locales.terms``)."""
    return render.period(p.kind, p.number)


async def _periods_view(viewer: Viewer, access_admin: AccessAdminService, today: date):
    periods = await access_admin.year_periods(viewer)
    lines = [_("<b>Study periods</b>")]
    rows = []
    for p in periods:
        state = _("closed") if p.closed else _("open")
        lines.append(f"{_name(p)}: {_span(p.starts_on, p.ends_on)}, {state}")
        if p.closed:
            rows.append(
                [
                    (
                        _("Reopen {period}").format(period=_name(p)),
                        PeriodCb(period=p.id, action="reopen"),
                    )
                ]  # type: ignore[arg-type]
            )
            continue
        if p.ends_on <= today:  # a period is closed on its last day or later
            rows.append(
                [(_("Close {period}").format(period=_name(p)), PeriodCb(period=p.id, action="ask"))]  # type: ignore[arg-type]
            )
        rows.append(
            [
                (
                    _("📅 Move the dates: {period}").format(period=_name(p)),
                    PeriodCb(period=p.id, action="move"),  # type: ignore[arg-type]
                )
            ]
        )
    rows.append([(_("« Back"), AdminCb(menu="top"))])
    return "\n".join(lines), inline(rows)


@router.callback_query(AdminCb.filter(F.menu == "per"))
async def on_periods(
    query: CallbackQuery, viewer: Viewer, access_admin: AccessAdminService, clock: Clock
) -> None:
    text, markup = await _periods_view(viewer, access_admin, clock.today())
    await show(query, text, markup)


async def _period(
    viewer: Viewer, access_admin: AccessAdminService, period_id: int
) -> Period | None:
    """The current year's period, for the admin only; None for anyone else."""
    periods = {p.id: p for p in await access_admin.year_periods(viewer)}
    return periods.get(period_id) if viewer.is_admin else None


async def archive_after_close(query: CallbackQuery, archive: Archiver, settings: Settings) -> None:
    """Rule 12: what a close (of a period, of a year) puts into the archive is written; the
    close stands either way, and a failure is said (the nightly job tries again)."""
    problem = await archive.after_close(settings)
    if problem is not None and query.message is not None:
        await query.message.answer(
            _(
                "It is closed, but the archive could not be written ({problem}). It will be "
                "tried again tonight, or run: schoolbot archive write"
            ).format(problem=escape(problem))
        )


@router.callback_query(PeriodCb.filter())
async def on_period(
    query: CallbackQuery,
    callback_data: PeriodCb,
    viewer: Viewer,
    school_admin: SchoolAdminService,
    access_admin: AccessAdminService,
    clock: Clock,
    state: FSMContext,
    archive: Archiver,
    settings: Settings,
) -> None:
    period = await _period(viewer, access_admin, callback_data.period)
    if period is None:
        await query.answer(_("You do not have access to this."), show_alert=True)
        return
    action = callback_data.action
    if action == "ask":
        question = _("Close {period}? Once it is closed, nothing in it can be changed.")
        rows = [
            [(_("🔒 Close"), PeriodCb(period=period.id, action="close"))],  # type: ignore[arg-type]
            [(_("Cancel"), PeriodCb(period=period.id, action="list"))],  # type: ignore[arg-type]
        ]
        await show(query, question.format(period=_name(period)), inline(rows))
    elif action == "close":
        await school_admin.close_period(viewer, period.id)  # type: ignore[arg-type]
        text, markup = await _periods_view(viewer, access_admin, clock.today())
        await show(query, text, markup, _("Closed: {period}.").format(period=_name(period)))
        await archive_after_close(query, archive, settings)
    elif action == "reopen":
        await state.set_state(AdminForm.reopen_reason)
        await state.update_data(reopen_period=period.id, reopen_name=_name(period))
        text = _(
            "{period}: why is the period reopened? Please write the reason (it is kept in the "
            "audit log), or /cancel."
        ).format(period=_name(period))
        back = inline([[(_("« Back"), PeriodCb(period=period.id, action="list"))]])  # type: ignore[arg-type]
        await show(query, text, back)
    elif action == "move":
        await end_form(state, "move_")
        await state.set_state(PeriodForm.dates)
        await state.update_data(
            move_period=period.id, move_name=_name(period), move_account=viewer.account_id
        )
        text = _(
            "<b>{period}</b>: {dates}.\nPlease write its new first and last day, for example "
            "{example}, or /cancel. The lessons will follow the new dates."
        ).format(
            period=_name(period),
            dates=_span(period.starts_on, period.ends_on),
            example=f"{_dmy(period.starts_on)}–{_dmy(period.ends_on)}",
        )
        await show(
            query, text, inline([[(_("« Back"), PeriodCb(period=period.id, action="list"))]])
        )  # type: ignore[arg-type]
    else:  # list: the periods again, in the same message (a question's buttons stop working)
        if await state.get_state() in PeriodForm.__all_states_names__:
            await end_form(state, "move_")
        elif await state.get_state() == AdminForm.reopen_reason.state:
            await end_form(state, "reopen_")
        text, markup = await _periods_view(viewer, access_admin, clock.today())
        await show(query, text, markup)


@router.message(StateFilter(AdminForm.reopen_reason, PeriodForm), Command("cancel"))
async def cmd_cancel_period(message: Message, state: FSMContext) -> None:
    await end_form(state, "move_")
    await message.answer(_("Cancelled; nothing was changed."))


@router.message(AdminForm.reopen_reason, F.text)
async def got_reopen_reason(
    message: Message, viewer: Viewer, school_admin: SchoolAdminService, state: FSMContext
) -> None:
    data = await state.get_data()
    await end_form(state, "reopen_")
    await school_admin.reopen_period(viewer, int(data["reopen_period"]), message.text or "")
    await message.answer(_("Open again: {period}.").format(period=data["reopen_name"]))


@router.message(PeriodForm.dates, F.text)
async def got_period_dates(message: Message, state: FSMContext) -> None:
    dates = parse_dates(message.text or "")
    if dates is None:
        await message.answer(
            _(
                "These are not two dates: «{text}». Please write them as 09.11.2026–30.12.2026, "
                "or /cancel."
            ).format(text=escape((message.text or "")[:60]))
        )
        return
    if dates[0] > dates[1]:
        await message.answer(
            _("The last day comes before the first. Please write the dates again, or /cancel.")
        )
        return
    await state.update_data(move_starts=dates[0].isoformat(), move_ends=dates[1].isoformat())
    await state.set_state(PeriodForm.reason)
    data = await state.get_data()
    await message.answer(
        _(
            "{period}: {dates}. Why are the dates moved (a quarantine, an order)? Please write "
            "the reason: it is kept in the audit log. Or /cancel."
        ).format(period=data["move_name"], dates=_span(*dates))
    )


@router.message(PeriodForm.reason, F.text)
async def got_period_reason(message: Message, viewer: Viewer, state: FSMContext) -> None:
    reason = (message.text or "").strip()
    if len(reason) > MAX_REASON:
        await message.answer(
            _("Please make the reason shorter: at most {n} characters.").format(n=MAX_REASON)
        )
        return
    data = await state.get_data()
    token = secrets.token_urlsafe(12)
    await state.update_data(move_reason=reason, move_token=token)
    await state.set_state(PeriodForm.confirm)
    starts, ends = date.fromisoformat(data["move_starts"]), date.fromisoformat(data["move_ends"])
    text = _(
        "Move {period} to {dates}?\nReason: {reason}\nLessons are made on the new school days "
        "and removed from the days the period loses; those with marks or absences stay."
    ).format(period=data["move_name"], dates=_span(starts, ends), reason=escape(reason))
    rows = [
        [(_("✅ Move the dates"), PeriodMoveCb(go=True, token=token))],
        [(_("Cancel"), PeriodMoveCb(go=False, token=token))],
    ]
    await message.answer(text, reply_markup=inline(rows))


@router.callback_query(PeriodMoveCb.filter())
async def on_period_move(
    query: CallbackQuery,
    callback_data: PeriodMoveCb,
    viewer: Viewer,
    school_admin: SchoolAdminService,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    pending = (
        await state.get_state() == PeriodForm.confirm.state
        and data.get("move_token")
        and secrets.compare_digest(str(data["move_token"]), callback_data.token)
        and data.get("move_account") == viewer.account_id
    )
    if not pending:
        await query.answer(
            _("This question is no longer waiting; please start again."), show_alert=True
        )
        return
    await end_form(state, "move_")
    if not callback_data.go:
        await show(query, _("Cancelled; nothing was changed."))
        return
    period, plan = await school_admin.move_period(
        viewer,
        int(data["move_period"]),
        date.fromisoformat(data["move_starts"]),
        date.fromisoformat(data["move_ends"]),
        str(data["move_reason"]),
    )
    lines = [
        _("{period} now runs {dates}.").format(
            period=_name(period), dates=_span(period.starts_on, period.ends_on)
        )
    ]
    lines += [escape(x) for x in plan_lines(plan, _, locale())]
    back = inline([[(_("« Back"), PeriodCb(period=period.id, action="list"))]])  # type: ignore[arg-type]
    await show(query, "\n".join(lines)[:MESSAGE_LIMIT], back, _("The dates are moved."))
