"""Pushes about the deputy's remarks on a journal (``core.journal_remarks``): the teacher is told
of a new remark, with a button to open it; the author is told when it is fixed.

The fan-out handlers write the rows (``notifications.fanout.HANDLERS``); the renderer turns
them into text in the recipient's language (``notifications.render``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.events import JournalRemarkFixed, JournalRemarkWritten
from core.model import JournalRemark, PersonRole
from locales import terms
from notifications import buttons as b
from notifications.render import Rendered, _clip, _Ctx, _e
from notifications.sender import Button

if TYPE_CHECKING:
    from notifications.fanout import _Plan

WRITTEN, FIXED = "journal_remark", "journal_remark_fixed"
KINDS = frozenset({WRITTEN, FIXED})


async def _facts(plan: _Plan, remark: JournalRemark) -> dict[str, Any]:
    """What the text needs, names included: rendering reads no database."""
    lesson = await plan.uow.lessons.get(remark.lesson_id) if remark.lesson_id else None
    period = await plan.uow.periods.get(remark.period_id) if remark.period_id else None
    return {
        "remark_id": remark.id,
        "class": await plan.name("classes", remark.class_id),
        "subject": await plan.name("subjects", remark.subject_id),
        "lesson_day": lesson.day.isoformat() if lesson else None,
        "lesson_slot": lesson.slot if lesson else None,
        "period_kind": period.kind.value if period else None,
        "period_number": period.number if period else None,
        "text": remark.text,
        "due_on": remark.due_on.isoformat(),
    }


async def _tell(plan: _Plan, remark_id: int, kind: str, staff_id: int, who: str) -> None:
    """One push to each account of ``staff_id``; ``who`` (the other side) named in it."""
    remark = await plan.uow.journal_remarks.get(remark_id)
    if remark is None:
        return
    other = remark.author_id if kind == WRITTEN else remark.teacher_id
    data = {**await _facts(plan, remark), who: await plan.name("staff", other)}
    for account, person in await plan.linked(PersonRole.STAFF, [staff_id]):
        plan.add(account, kind, data, role=PersonRole.STAFF, person_id=person)


async def written(plan: _Plan, e: JournalRemarkWritten) -> None:
    await _tell(plan, e.remark_id, WRITTEN, e.teacher_id, "author")


async def fixed(plan: _Plan, e: JournalRemarkFixed) -> None:
    await _tell(plan, e.remark_id, FIXED, e.author_id, "teacher")


HANDLERS = {JournalRemarkWritten: written, JournalRemarkFixed: fixed}


def about(c: _Ctx, d: dict[str, Any]) -> str:
    """«7А, Математика, урок 3, чт, 3 декабря» / «7А, Математика, II четверть» / «7А: журнал
    класса, II четверть»."""
    parts = [_e(d.get("class"))]
    if d.get("subject"):
        parts.append(_e(d["subject"]))
    else:
        parts.append(c._("the class journal"))
    if d.get("lesson_day"):
        parts.append(c._("lesson {slot}").format(slot=d.get("lesson_slot")))
        parts.append(c.day(d["lesson_day"]))
    elif d.get("period_number"):
        parts.append(
            terms.period(c._, c.locale, str(d.get("period_kind")), int(d["period_number"]))
        )
    return ", ".join(p for p in parts if p)


def render(c: _Ctx, kind: str, d: dict[str, Any]) -> Rendered:
    if kind == FIXED:
        return Rendered(
            c._("✅ The remark is fixed: {teacher}, {about}").format(
                teacher=_e(d.get("teacher")), about=about(c, d)
            )
            + "\n"
            + _e(_clip(d.get("text", "")))
        )
    text = (
        c._("📋 A remark on your journal from {author}").format(author=_e(d.get("author")))
        + "\n"
        + about(c, d)
        + "\n\n"
        + _e(_clip(d.get("text", ""), 1500))
        + "\n\n"
        + c._("Please fix it by {due}.").format(due=c.day(d.get("due_on")))
    )
    button = Button(c._("📋 Open"), b.journal_remark(int(d.get("remark_id") or 0)))
    return Rendered(text, ((button,),))
