"""Lessons and substitutions in /admin, for the deputy and the journal admin: a day, a class,
its lessons, then one lesson to give a substitute, cancel (with a reason), restore or move; an
extra lesson for the class's day. Every press edits the same message and is answered once.

The buttons carry ids only as hints: every screen and every change asks the core, which checks
the viewer (``access.require_timetable_changes``) and rule 1, and refuses with a domain error
the error router words. A cancellation's reason is typed, so it waits in the FSM.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date, timedelta

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from core.access import Viewer
from core.access_admin import AccessAdminService
from core.clock import Clock
from core.rules import MAX_REASON
from core.school_admin import SchoolAdminService
from handlers import admin_lessons_ui as ui
from handlers.admin import AdminCb, end_form
from handlers.admin_lessons_ui import (
    ClassDayCb,
    DayCb,
    ExtraCb,
    ExtraTeacherCb,
    LessonAdminCb,
    MoveCb,
    SubstituteCb,
)
from handlers.journal_ui import show

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")

DAYS_AHEAD = 8  # the first screen: today and the school days of about a week
MOVE_DAYS_AHEAD = 14  # where a lesson can be moved to
KEY = "lesson_cancel_"  # the FSM keys of a cancellation waiting for its reason


class LessonForm(StatesGroup):
    reason = State()
    confirm = State()


def _day(ordinal: int) -> date | None:
    try:
        return date.fromordinal(ordinal)
    except (ValueError, OverflowError):
        return None


async def _out_of_date(query: CallbackQuery) -> None:
    await query.answer(_("This button is out of date."), show_alert=True)


async def _lesson_screen(
    viewer: Viewer, school_admin: SchoolAdminService, lesson_id: int
) -> ui.Screen:
    x = await school_admin.day_lesson(viewer, lesson_id)
    return ui.lesson_screen(x, await school_admin.class_choices(viewer, x.lesson.class_id))


async def _class_day(
    viewer: Viewer, school_admin: SchoolAdminService, class_id: int, day: date, today: date
) -> ui.Screen:
    choices = await school_admin.class_choices(viewer, class_id)
    lessons = await school_admin.class_day(viewer, class_id, day)
    return ui.class_day_screen(choices, day, today, lessons)


# --- a day, a class, its lessons ---------------------------------------------------------------


@router.callback_query(AdminCb.filter(F.menu == "les"))
async def on_lessons(
    query: CallbackQuery, viewer: Viewer, school_admin: SchoolAdminService, clock: Clock
) -> None:
    today = clock.today()
    days = await school_admin.school_days(viewer, today, today + timedelta(days=DAYS_AHEAD))
    await show(query, *ui.days_screen(days, today))


@router.callback_query(DayCb.filter())
async def on_day(
    query: CallbackQuery,
    callback_data: DayCb,
    viewer: Viewer,
    school_admin: SchoolAdminService,
    access_admin: AccessAdminService,
    clock: Clock,
) -> None:
    day = _day(callback_data.day)
    if day is None:
        await _out_of_date(query)
        return
    await school_admin.school_days(viewer, day, day)  # the deputy and the admin only
    classes = [(c.id or 0, c.name) for c in await access_admin.classes(viewer)]
    await show(query, *ui.classes_screen(day, clock.today(), classes))


@router.callback_query(ClassDayCb.filter())
async def on_class_day(
    query: CallbackQuery,
    callback_data: ClassDayCb,
    viewer: Viewer,
    school_admin: SchoolAdminService,
    clock: Clock,
) -> None:
    day = _day(callback_data.day)
    if day is None:
        await _out_of_date(query)
        return
    await show(
        query, *await _class_day(viewer, school_admin, callback_data.cls, day, clock.today())
    )


# --- one lesson: its screen, a substitute, a cancellation, a restore ------------------------------


@router.callback_query(LessonAdminCb.filter())
async def on_lesson(
    query: CallbackQuery,
    callback_data: LessonAdminCb,
    viewer: Viewer,
    school_admin: SchoolAdminService,
    access_admin: AccessAdminService,
    state: FSMContext,
) -> None:
    cb = callback_data
    x = await school_admin.day_lesson(viewer, cb.lesson)  # refuses anyone but the deputy/admin
    choices = await school_admin.class_choices(viewer, x.lesson.class_id)
    waiting = await state.get_state()
    if cb.act == "sub":
        staff = await access_admin.staff_list(viewer)
        await show(query, *ui.substitute_screen(x, choices, staff, cb.page))
    elif cb.act == "cx":
        await end_form(state, KEY)
        await state.set_state(LessonForm.reason)
        await state.update_data(
            {
                KEY + "lesson": cb.lesson,
                KEY + "account": viewer.account_id,
                KEY + "message": query.message.message_id if query.message else None,
                KEY + "reason": "",
            }
        )
        await show(query, *ui.reason_screen(x, choices))
    elif cb.act in ("nr", "go"):
        data = await state.get_data()
        expected = LessonForm.reason if cb.act == "nr" else LessonForm.confirm
        if not (
            waiting == expected.state
            and data.get(KEY + "lesson") == cb.lesson
            and data.get(KEY + "account") == viewer.account_id
        ):
            await query.answer(
                _("This question is no longer waiting; please open the lesson again."),
                show_alert=True,
            )
            return
        reason = str(data.get(KEY + "reason") or "")
        if cb.act == "nr":
            await state.set_state(LessonForm.confirm)
            await show(query, *ui.cancel_screen(x, choices, ""))
            return
        await end_form(state, KEY)
        await school_admin.cancel_lesson(viewer, cb.lesson, reason)
        text, markup = await _lesson_screen(viewer, school_admin, cb.lesson)
        await show(query, text, markup, _("The lesson is cancelled."))
    elif cb.act == "rs":
        await school_admin.restore_lesson(viewer, cb.lesson)
        text, markup = await _lesson_screen(viewer, school_admin, cb.lesson)
        await show(query, text, markup, _("The lesson is restored."))
    else:
        if waiting in LessonForm.__all_states_names__:
            await end_form(state, KEY)  # back from the reason: the cancellation is dropped
        await show(query, *ui.lesson_screen(x, choices))


@router.message(StateFilter(LessonForm), Command("cancel"))
async def cmd_cancel_cancellation(message: Message, state: FSMContext) -> None:
    await end_form(state, KEY)
    await message.answer(_("Cancelled; nothing was changed."))


@router.message(LessonForm.reason, F.text)
async def got_cancel_reason(
    message: Message,
    bot: Bot,
    viewer: Viewer,
    school_admin: SchoolAdminService,
    state: FSMContext,
) -> None:
    reason = (message.text or "").strip()
    if len(reason) > MAX_REASON:
        await message.answer(
            _("Please make the reason shorter: at most {n} characters.").format(n=MAX_REASON)
        )
        return
    data = await state.get_data()
    if data.get(KEY + "account") != viewer.account_id:
        await end_form(state, KEY)
        return
    lesson_id = int(data[KEY + "lesson"])
    x = await school_admin.day_lesson(viewer, lesson_id)
    choices = await school_admin.class_choices(viewer, x.lesson.class_id)
    await state.update_data({KEY + "reason": reason})
    await state.set_state(LessonForm.confirm)
    asked = data.get(KEY + "message")
    if asked:  # the question's buttons go: the confirmation below takes over
        with suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=int(asked), reply_markup=None
            )
    text, markup = ui.cancel_screen(x, choices, reason)
    await message.answer(text, reply_markup=markup)


@router.callback_query(SubstituteCb.filter())
async def on_substitute(
    query: CallbackQuery,
    callback_data: SubstituteCb,
    viewer: Viewer,
    school_admin: SchoolAdminService,
) -> None:
    cb = callback_data
    await school_admin.substitute(viewer, cb.lesson, cb.staff or None)
    text, markup = await _lesson_screen(viewer, school_admin, cb.lesson)
    await show(query, text, markup, _("Saved."))


# --- moving a lesson ---------------------------------------------------------------------------


@router.callback_query(MoveCb.filter())
async def on_move(
    query: CallbackQuery,
    callback_data: MoveCb,
    viewer: Viewer,
    school_admin: SchoolAdminService,
    clock: Clock,
) -> None:
    cb = callback_data
    today, day = clock.today(), _day(cb.day)
    if cb.day and day is None:
        await _out_of_date(query)
        return
    if cb.go and day is not None and cb.slot:
        moved = await school_admin.move_lesson(viewer, cb.lesson, day, cb.slot)
        text, markup = await _lesson_screen(viewer, school_admin, moved.id or 0)
        await show(query, text, markup, _("The lesson is moved."))
        return
    x = await school_admin.day_lesson(viewer, cb.lesson)
    choices = await school_admin.class_choices(viewer, x.lesson.class_id)
    if day is None:
        end = today + timedelta(days=MOVE_DAYS_AHEAD)
        days = await school_admin.school_days(viewer, today, end)
        await show(query, *ui.move_days_screen(x, choices, days, today))
        return
    if not cb.slot:
        lessons = await school_admin.class_day(viewer, x.lesson.class_id, day)
        await show(query, *ui.move_slot_screen(x, choices, day, today, lessons))
        return
    await show(query, *ui.move_confirm_screen(x, choices, day, cb.slot))


# --- an extra lesson ---------------------------------------------------------------------------


@router.callback_query(ExtraCb.filter())
async def on_extra(
    query: CallbackQuery,
    callback_data: ExtraCb,
    viewer: Viewer,
    school_admin: SchoolAdminService,
    access_admin: AccessAdminService,
) -> None:
    cb = callback_data
    day = _day(cb.day)
    if day is None:
        await _out_of_date(query)
        return
    choices = await school_admin.class_choices(viewer, cb.cls)
    if not cb.slot:
        lessons = await school_admin.class_day(viewer, cb.cls, day)
        await show(query, *ui.extra_slot_screen(choices, day, lessons))
    elif not cb.subject:
        await show(query, *ui.extra_subject_screen(choices, cb, day))
    else:
        staff = await access_admin.staff_list(viewer)
        await show(query, *ui.extra_teacher_screen(choices, cb, day, staff))


@router.callback_query(ExtraTeacherCb.filter())
async def on_extra_teacher(
    query: CallbackQuery,
    callback_data: ExtraTeacherCb,
    viewer: Viewer,
    school_admin: SchoolAdminService,
    access_admin: AccessAdminService,
    clock: Clock,
) -> None:
    cb = callback_data
    today, day = clock.today(), _day(cb.day)
    if day is None:
        await _out_of_date(query)
        return
    if cb.go:
        await school_admin.add_lesson(viewer, cb.cls, day, cb.slot, cb.subject, cb.teacher)
        text, markup = await _class_day(viewer, school_admin, cb.cls, day, today)
        await show(query, text, markup, _("The lesson is added."))
        return
    choices = await school_admin.class_choices(viewer, cb.cls)
    staff = await access_admin.staff_list(viewer)
    name = next((s.name for s in staff if s.staff_id == cb.teacher), "?")
    await show(query, *ui.extra_confirm_screen(choices, cb, day, name))
