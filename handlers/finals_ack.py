"""Period marks acknowledged (003 reg.3 §6): the guardian's «Ознакомлен(а)» under the push of
period marks, and the class teacher's screen of who has and has not acknowledged, with a
reminder to those who have not. The core re-checks every press."""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from app.keyboards import AbsCb, inline
from app.push_buttons import FinalAckCb
from core.access import Viewer
from core.access_admin import AccessAdminService
from core.clock import Clock
from core.finals_ack import AckLine, AckSheet, FinalAckService
from handlers import journal_ui as ui
from handlers import render as r
from handlers.admin import AdminCb

router = Router(name=__name__)
router.callback_query.filter(F.message.chat.type == "private")


class AckSheetCb(CallbackData, prefix="fa2"):
    cls: int
    period: int = 0  # a period's id; 0: the latest with period marks


class AckRemindCb(CallbackData, prefix="fa3"):
    cls: int
    period: int


class AckClassesCb(CallbackData, prefix="fa4"):
    """The administration's way in: every class (from the reports menu)."""


# -- the guardian's press -------------------------------------------------------------------------


def without(markup: InlineKeyboardMarkup | None, data: str) -> InlineKeyboardMarkup | None:
    """The push's keyboard without the pressed button (an «explain» beside it stays)."""
    if markup is None:
        return None
    rows = [[b for b in row if b.callback_data != data] for row in markup.inline_keyboard]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


@router.callback_query(FinalAckCb.filter())
async def on_final_ack(
    query: CallbackQuery, callback_data: FinalAckCb, viewer: Viewer, final_acks: FinalAckService
) -> None:
    new = await final_acks.acknowledge(viewer, callback_data.student, callback_data.period)
    await query.answer(_("Thank you, noted.") if new else _("Already noted, thank you."))
    if isinstance(query.message, Message):
        try:
            await query.message.edit_reply_markup(
                reply_markup=without(query.message.reply_markup, query.data or "")
            )
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                raise


# -- the class teacher's screen -------------------------------------------------------------------


def _when(line: AckLine) -> str:
    return "; ".join(
        _("{name}, {day}").format(name=escape(g.name), day=r.day(g.acked_at.date(), False))  # type: ignore[union-attr]
        for g in line.acked
    )


def _line(line: AckLine) -> str:
    name = escape(line.student.full_name)
    if not line.has_finals:
        return _("{name}: no period marks yet").format(name=name)
    if line.acked:
        return "✅ " + _("{name}: seen by {who}").format(name=name, who=_when(line))
    notes = []
    if any(g.paper for g in line.guardians):
        notes.append(_("informed on paper"))
    if not any(g.reachable for g in line.guardians):
        notes.append(_("no guardian signed in to the bot"))
    text = "⏳ " + _("{name}: not yet").format(name=name)
    return text + (f" ({', '.join(notes)})" if notes else "")


def sheet_text(sheet: AckSheet) -> str:
    period = r.period(sheet.period.kind, sheet.period.number)
    lines = [
        "<b>"
        + _("Period marks seen by the family: {class_name}, {period}").format(
            class_name=escape(sheet.class_name), period=period
        )
        + "</b>",
        "",
        *(_line(line) for line in sheet.lines),
    ]
    graded = [line for line in sheet.lines if line.has_finals]
    seen = sum(1 for line in graded if line.acked)
    lines += ["", _("Seen: {seen} of {total}.").format(seen=seen, total=len(graded))]
    if sheet.reminded_today:
        lines.append(_("A reminder was sent today; the next one can go tomorrow."))
    return "\n".join(lines)


def sheet_keyboard(sheet: AckSheet, viewer: Viewer, today_ordinal: int) -> InlineKeyboardMarkup:
    rows: list[list[tuple[str, Any]]] = []
    if sheet.to_remind and not sheet.reminded_today:
        rows.append([(_("🔔 Remind"), AckRemindCb(cls=sheet.class_id, period=sheet.period.id))])  # type: ignore[arg-type]
    others = [
        (r.period_short(p.kind, p.number), AckSheetCb(cls=sheet.class_id, period=p.id))  # type: ignore[arg-type]
        for p in sheet.periods
        if p.id != sheet.period.id
    ]
    if others:
        rows.append(others)
    if sheet.class_id in viewer.class_teacher_of:
        rows.append([(_("« Absences"), AbsCb(cls=sheet.class_id, day=today_ordinal))])
    else:
        rows.append([(_("« Back"), AckClassesCb())])
    return inline(rows)


@router.callback_query(AckSheetCb.filter())
async def on_ack_sheet(
    query: CallbackQuery,
    callback_data: AckSheetCb,
    viewer: Viewer,
    final_acks: FinalAckService,
    clock: Clock,
) -> None:
    sheet = await final_acks.sheet(viewer, callback_data.cls, callback_data.period)
    keyboard = sheet_keyboard(sheet, viewer, clock.today().toordinal())
    await ui.show(query, sheet_text(sheet), keyboard)


@router.callback_query(AckRemindCb.filter())
async def on_ack_remind(
    query: CallbackQuery,
    callback_data: AckRemindCb,
    viewer: Viewer,
    final_acks: FinalAckService,
    clock: Clock,
) -> None:
    cb = callback_data
    count = await final_acks.remind(viewer, cb.cls, cb.period)
    if count is None:
        note = _("A reminder was already sent today.")
    else:
        note = ngettext(
            "Reminded {n} parent.", "Reminded {n} parents.", count
        ).format(n=count)  # fmt: skip
    sheet = await final_acks.sheet(viewer, cb.cls, cb.period)
    keyboard = sheet_keyboard(sheet, viewer, clock.today().toordinal())
    await ui.show(query, sheet_text(sheet), keyboard, note)


@router.callback_query(AckClassesCb.filter())
async def on_ack_classes(
    query: CallbackQuery, viewer: Viewer, access_admin: AccessAdminService
) -> None:
    classes = await access_admin.classes(viewer)  # the administration only
    buttons = [(c.name, AckSheetCb(cls=c.id)) for c in classes]  # type: ignore[arg-type]
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    rows.append([(_("« Back"), AdminCb(menu="rep"))])
    await ui.show(query, _("Period marks seen by parents: which class?"), inline(rows))
