"""Callback data factories and keyboards.

Prefixes are short and versioned (``d1``) so buttons sent before a deploy keep working, and
every packed value stays far below Telegram's 64 bytes. Ids in callbacks are only hints: the
core re-checks every one of them against the viewer.
"""

from __future__ import annotations

from enum import Enum, StrEnum
from functools import lru_cache

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from core.access import Viewer
from core.model import StaffRoleKind

MAX_CALLBACK_BYTES = 64  # Telegram's limit for callback_data


class View(StrEnum):
    MARKS = "m"
    SUBJECT = "s"
    FINALS = "f"
    ATTENDANCE = "a"
    HOMEWORK = "h"
    TIMETABLE = "t"
    PROGRESS = "p"


class DiaryCb(CallbackData, prefix="d1"):
    view: View
    student: int
    period: int = 0  # a period id; 0 = the current one
    item: int = 0  # subject id for SUBJECT; day offset for HOMEWORK / TIMETABLE; year for FINALS
    span: int = 1  # days shown from ``item``: 1 or 7


class ChildCb(CallbackData, prefix="c1"):
    student: int


class ConsentCb(CallbackData, prefix="cs1"):
    agree: bool


class LogoutCb(CallbackData, prefix="lo1"):
    confirm: bool


class SettingCb(CallbackData, prefix="st1"):
    field: str
    value: str


# Reply-keyboard labels. Filters compare with the lazy string in the user's language.
MARKS = __("📘 Marks")
HOMEWORK = __("📚 Homework")
TIMETABLE = __("🗓 Timetable")
ATTENDANCE = __("🚫 Absences")
FINALS = __("🏁 Final marks")
PROGRESS = __("📈 Progress")
CHILDREN = __("👨‍👩‍👧 Children")
SETTINGS = __("⚙️ Settings")
HELP = __("❓ Help")
TODAY = __("📋 Today")
CLASS_ABSENCES = __("🚫 Class absences")
INVITES = __("🔑 Invite codes")
ADMIN = __("🛠 Administration")
BROADCAST = __("📣 Message the class")
WRITE = __("✉️ Write")
LETTERS = __("✉️ Letters")


# What a person can do today decides what help, the keyboard and the command menu offer.


def reads_diary(viewer: Viewer) -> bool:
    """A student, or a parent with a child (consented or not yet)."""
    return bool(viewer.student_id or viewer.children or viewer.children_pending_consent)


def has_lessons(viewer: Viewer) -> bool:
    """A teacher: subjects to teach, or the teacher's role (a substitute's lessons)."""
    return bool(viewer.teaches) or StaffRoleKind.TEACHER in viewer.staff_roles


def broadcasts(viewer: Viewer) -> bool:
    """/broadcast: a class teacher, the journal admin or the deputy (as the core allows)."""
    return viewer.is_staff and bool(
        viewer.class_teacher_of or viewer.is_admin or viewer.corrects_any
    )


def hands_out_codes(viewer: Viewer) -> bool:
    """/invites: a class teacher or the journal admin."""
    return viewer.is_staff and bool(viewer.class_teacher_of or viewer.is_admin)


def main_menu(viewer: Viewer, children: int) -> ReplyKeyboardMarkup | None:
    """The menu for what this account may do; None for someone with no rights yet."""
    rows: list[list[str]] = []
    if viewer.student_id or viewer.children:
        rows += [[str(MARKS), str(HOMEWORK)], [str(TIMETABLE), str(ATTENDANCE)]]
        rows += [[str(FINALS), str(PROGRESS)]]
        family = [str(CHILDREN)] if children > 1 else []
        family.append(str(WRITE))  # a parent or the student writes to the child's teachers
        rows.append(family)
    if viewer.is_staff:
        rows.append([str(TODAY)] if has_lessons(viewer) else [])
        if viewer.class_teacher_of:
            rows[-1].append(str(CLASS_ABSENCES))
        rows.append([str(LETTERS)])
        rows.append([str(BROADCAST)] if broadcasts(viewer) else [])
        if hands_out_codes(viewer):
            rows[-1].append(str(INVITES))
        if viewer.administers:
            rows.append([str(ADMIN)])
    rows = [row for row in rows if row]
    if not rows and not viewer.is_staff:
        return None
    rows.append([str(SETTINGS), str(HELP)])
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=t) for t in row] for row in rows],
        resize_keyboard=True,
        is_persistent=True,
    )


def pack(data: CallbackData | str) -> str:
    """``CallbackData.pack()`` without pydantic's ``model_dump``: the same string (a test
    compares them for every factory here), a fifth of the time; a diary answer packs a dozen."""
    if isinstance(data, str):
        return data
    sep = data.__separator__
    parts = [data.__prefix__]
    values = data.__dict__
    for name in type(data).model_fields:
        value = values[name]
        if value is None:
            encoded = ""
        elif isinstance(value, Enum):
            encoded = str(value.value)
        elif isinstance(value, bool):
            encoded = str(int(value))
        elif isinstance(value, int | str):
            encoded = str(value)
        else:
            return data.pack()  # other types: aiogram's own rules and errors
        if sep in encoded:
            return data.pack()  # raises aiogram's error
        parts.append(encoded)
    packed = sep.join(parts)
    if len(packed.encode()) > MAX_CALLBACK_BYTES:
        return data.pack()  # raises aiogram's error
    return packed


def inline(rows: list[list[tuple[str, CallbackData | str]]]) -> InlineKeyboardMarkup:
    """An inline keyboard; empty rows are left out.

    Markups are shared between answers with the same buttons (a guardian opening /marks
    twice gets the same one), so a markup returned here must never be changed in place.
    """
    return _markup(tuple(tuple((text, pack(data)) for text, data in row) for row in rows if row))


@lru_cache(maxsize=4096)
def _markup(rows: tuple[tuple[tuple[str, str], ...], ...]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data) for text, data in row]
            for row in rows
        ]
    )


def consent_keyboard() -> InlineKeyboardMarkup:
    return inline(
        [
            [(_("✅ I agree"), ConsentCb(agree=True))],
            [(_("Not now"), ConsentCb(agree=False))],
        ]
    )


# --- the teacher's journal (rc1 … ao1): ids are hints, the core re-checks every one ------------


class TodayCb(CallbackData, prefix="td1"):
    day: int  # date.toordinal()


class LessonCb(CallbackData, prefix="ls1"):
    lesson: int
    view: str = "c"  # c card, m marks, x corrections, t topic, h homework, r remark, f finals


class RollCb(CallbackData, prefix="rc1"):
    lesson: int
    student: int  # 0: everyone present


class MarkCb(CallbackData, prefix="mk1"):
    lesson: int
    wt: int
    student: int = 0  # 0: the list
    value: str = ""  # a MarkValue; "": ask for it


class FixCb(CallbackData, prefix="fx1"):
    lesson: int
    mark: int
    value: str = ""  # a MarkValue, "del" to remove; "": ask for it


class PickCb(CallbackData, prefix="pk1"):
    lesson: int
    student: int  # the answer to «which Иванов?»


class LessonPickCb(CallbackData, prefix="lp1"):
    lesson: int  # the answer to «which lesson?»


class RemarkCb(CallbackData, prefix="rm1"):
    lesson: int
    student: int = 0
    kind: str = ""  # remark, praise


class HomeworkCb(CallbackData, prefix="hw1"):
    lesson: int
    save: bool


class FinalCb(CallbackData, prefix="fm1"):
    lesson: int
    period: int
    subject: int
    student: int = 0  # 0 with value "all": confirm every proposal
    value: str = ""


class CancelInputCb(CallbackData, prefix="ci1"):
    lesson: int = 0


class LessonAnswerCb(CallbackData, prefix="cf1"):
    """«Yes» to a question the lesson card asked before many changes (the roll, period marks)."""

    lesson: int
    what: str  # the open question it answers: "all" everyone present, "fin" period marks


class AbsCb(CallbackData, prefix="ab1"):
    cls: int
    day: int  # date.toordinal()
    week: bool = False


class AbsStudentCb(CallbackData, prefix="as1"):
    cls: int
    student: int
    day: int


class AbsDayCb(CallbackData, prefix="ar1"):
    cls: int
    student: int
    day: int
    reason: str  # s, e, u: Б, У, Н
    back: str = "d"  # the screen to show again: d the day, s the student


class AbsOneCb(CallbackData, prefix="ao1"):
    record: int
    reason: str
    cls: int
    student: int
    day: int
