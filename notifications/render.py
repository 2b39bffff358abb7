"""Push texts in the recipient's language: one delivery, or several as one message.

Everything a text needs travels in the delivery's payload (names included), so rendering
reads no database. Words go through gettext with the recipient's locale, dates through Babel;
names and teachers' texts are escaped for Telegram's HTML mode.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from core.limits import CAPTION_LIMIT, MESSAGE_LIMIT
from core.model import Attachment
from locales import LANGUAGES, terms, translations
from locales.terms import N_
from notifications import buttons as b
from notifications.sender import Button, Buttons

LINE_LIMIT = 160  # a digest line quotes at most this much of a teacher's text
MAX_EXPLAIN_BUTTONS = 3


@dataclass(frozen=True, slots=True)
class Item:
    """One delivery as the renderer sees it."""

    id: int
    kind: str
    data: dict[str, Any]
    student_id: int | None = None
    broadcast_id: int | None = None
    role: str | None = None

    @staticmethod
    def parse(
        id: int,
        kind: str,
        payload: str,
        student_id: int | None = None,
        broadcast_id: int | None = None,
        role: str | None = None,
    ) -> Item:
        try:
            data = json.loads(payload) if payload else {}
        except ValueError:
            data = {}
        return Item(
            id, kind, data if isinstance(data, dict) else {}, student_id, broadcast_id, role
        )


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    buttons: Buttons = ()
    attachment: Attachment | None = None


@dataclass(frozen=True, slots=True)
class _Ctx:
    locale: str
    _: Callable[[str], str] = field(repr=False)
    ngettext: Callable[[str, str, int], str] = field(repr=False)

    def day(self, iso: str | None, weekday: bool = True) -> str:
        if not iso:
            return ""
        try:
            value = date.fromisoformat(iso[:10])
        except ValueError:
            return escape(iso)
        return format_date(value, "EEE, d MMMM" if weekday else "d MMMM", locale=self.locale)

    def number(self, value: float) -> str:
        return format_decimal(value, "0.00", locale=self.locale)


def context(locale: str) -> _Ctx:
    t = translations(locale if locale in LANGUAGES else LANGUAGES[0])
    return _Ctx(locale, t.gettext, t.ngettext)


def _e(value: Any) -> str:
    return escape(str(value or ""))


def _clip(text: str, limit: int = LINE_LIMIT) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _child(d: dict[str, Any]) -> str:
    name = _e(d.get("student"))
    cls = d.get("class")
    return f"{name} ({_e(cls)})" if cls else name


def mark_value(c: _Ctx, value: str | None) -> str:
    """«5», «зач», «н/а»; «—» for none (``locales.terms``)."""
    return _e(terms.mark(c._, value))


def work_type(c: _Ctx, d: dict[str, Any]) -> str:
    """The mark's kind of work by its name (``locales.terms``): «устный ответ», «oral answer»;
    a push written before names travelled in the payload shows the abbreviation."""
    return _e(
        terms.work_type(
            c._, c.locale, d.get("wt_code") or "", d.get("wt_short") or "", d.get("wt_name") or ""
        )
    )


def period_name(c: _Ctx, kind: str | None, number: int | None) -> str:
    """«II четверть» / «Quarter 2» (``locales.terms``)."""
    return terms.period(c._, c.locale, kind or "quarter", number or 0)


def final_what(c: _Ctx, d: dict[str, Any]) -> str:
    """«оценка за II четверть», «годовая оценка» (``locales.terms``)."""
    return terms.final_mark(
        c._, c.locale, d.get("kind"), d.get("period_kind"), d.get("period_number")
    )


def reason_name(c: _Ctx, reason: str | None) -> str:
    return terms.reason(c._, reason)


def change_name(c: _Ctx, d: dict[str, Any]) -> str:
    change = d.get("change")
    if change in (terms.CANCELLATION, terms.RESTORED, terms.ADDED):
        return terms.lesson_change(c._, change)
    if change == "moved":
        return c._("moved to {day}, lesson {slot}").format(
            day=c.day(d.get("to_day")), slot=d.get("to_slot")
        )
    if d.get("substitute"):
        return c._("substitute teacher: {name}").format(name=_e(d.get("substitute")))
    return c._("the teacher is changed")


def _staff_lesson(c: _Ctx, d: dict[str, Any]) -> str:
    """A teacher's own day changed: a lesson they stand in for, lose, or that moves."""
    facts = {
        "cls": _e(d.get("class")),
        "day": c.day(d.get("day")),
        "slot": d.get("slot"),
        "subject": _e(d.get("subject")),
        "teacher": _e(d.get("teacher")),
        "substitute": _e(d.get("substitute")),
    }
    change, you = d.get("change"), d.get("you")
    if change == "substitution" and you == "substitute":
        text = c._("🗓 You stand in for {teacher}: {cls}, {day}, lesson {slot}, {subject}.")
    elif change == "substitution" and you == "former":
        text = c._("🗓 You no longer stand in: {cls}, {day}, lesson {slot}, {subject}.")
    elif change == "substitution" and d.get("substitute"):
        text = c._("🗓 {substitute} takes your lesson: {cls}, {day}, lesson {slot}, {subject}.")
    elif change == "substitution":
        text = c._("🗓 You teach your lesson yourself again: {cls}, {day}, lesson {slot}.")
    elif change == "cancellation":
        text = c._("🗓 Cancelled: {cls}, {day}, lesson {slot}, {subject}.")
    elif change == "restored":
        text = c._("🗓 Will take place after all: {cls}, {day}, lesson {slot}, {subject}.")
    elif change == "moved":
        text = c._(
            "🗓 Moved: {cls}, {subject}, from {day}, lesson {slot} to {to_day}, lesson {to_slot}."
        )
        facts.update(to_day=c.day(d.get("to_day")), to_slot=d.get("to_slot"))
    else:
        text = c._("🗓 An extra lesson: {cls}, {day}, lesson {slot}, {subject}.")
    return text.format(**facts)


def _lesson_slot(c: _Ctx, d: dict[str, Any]) -> str:
    slot = d.get("slot")
    subject = _e(d.get("subject"))
    return c._("lesson {slot}, {subject}").format(slot=slot, subject=subject) if slot else subject


# --- one delivery: (text, buttons, attachment) ---------------------------------------------


def _single(c: _Ctx, item: Item) -> Rendered:
    d = item.data
    kind = item.kind
    if kind == "mark":
        text = c._("📘 New mark — {child}\n{subject}: <b>{value}</b> ({work}), {day}").format(
            child=_child(d),
            subject=_e(d.get("subject")),
            value=mark_value(c, d.get("value")),
            work=work_type(c, d),
            day=c.day(d.get("day")),
        )
        if d.get("comment"):
            text += "\n" + c._("Teacher's comment: {comment}").format(comment=_e(d["comment"]))
        return Rendered(text)
    if kind == "mark_corrected":
        return Rendered(
            c._("✏️ A mark was corrected — {child}").format(child=_child(d))
            + "\n"
            + _corrected_line(c, d)
            + "\n"
            + c._("Reason: {reason}").format(reason=_e(d.get("reason")))
        )
    if kind == "final":
        return Rendered(
            c._("🏁 {child}: {what} in {subject} — <b>{value}</b>").format(
                child=_child(d),
                what=final_what(c, d),
                subject=_e(d.get("subject")),
                value=mark_value(c, d.get("value")),
            ),
            _ack_buttons(c, [item]),
        )
    if kind == "final_ack_remind":
        return Rendered(_ack_remind(c, d), _ack_buttons(c, [item]))
    if kind == "absence":
        text = c._(
            "🚫 {child} was absent: {lesson}, {day}.\n"
            "If you know the reason, please tell the class teacher."
        ).format(child=_child(d), lesson=_lesson_slot(c, d), day=c.day(d.get("day")))
        return Rendered(text, _explain_buttons(c, [item]))
    if kind == "late":
        text = c._("⏰ {child} was late: {lesson}, {day}.").format(
            child=_child(d), lesson=_lesson_slot(c, d), day=c.day(d.get("day"))
        )
        if d.get("minutes"):
            text += " " + c.ngettext(
                "{n} minute late.", "{n} minutes late.", int(d["minutes"])
            ).format(n=d["minutes"])
        return Rendered(text)
    if kind == "reason":
        return Rendered(
            c._("✅ Reason recorded — {child}\nAbsence on {day} ({subject}): {reason}.").format(
                child=_child(d),
                day=c.day(d.get("day")),
                subject=_e(d.get("subject")),
                reason=reason_name(c, d.get("reason")),
            )
        )
    if kind == "homework":
        head = (
            c._("📚 Homework changed — {child}")
            if d.get("changed")
            else c._("📚 New homework — {child}")
        )
        text = (
            head.format(child=_child(d))
            + "\n"
            + c._("<b>{subject}</b>, for {due}:").format(
                subject=_e(d.get("subject")), due=c.day(d.get("due_on"))
            )
            + "\n"
            + _e(_clip(d.get("text", ""), 1500))
        )
        if d.get("files"):
            text += "\n" + c._("📎 With attachments: open /homework.")
        return Rendered(text)
    if kind == "lesson":
        text = c._("🗓 {child}: {day}, {lesson} — {change}.").format(
            child=_child(d),
            day=c.day(d.get("day")),
            lesson=_lesson_slot(c, d),
            change=change_name(c, d),
        )
        if d.get("note"):
            text += "\n" + c._("Reason: {reason}").format(reason=_e(d["note"]))
        return Rendered(text)
    if kind == "lesson_staff":
        return Rendered(_staff_lesson(c, d))
    if kind == "remark":
        head = (
            c._("👏 Praise for {child}")
            if d.get("remark_kind") == "praise"
            else c._("⚠️ A remark about {child}")
        )
        return Rendered(
            head.format(child=_child(d))
            + "\n"
            + c._("{subject}, {teacher}: {text}").format(
                subject=_e(d.get("subject")),
                teacher=_e(d.get("teacher")),
                text=_e(_clip(d.get("text", ""), 1000)),
            )
        )
    if kind in ("journal_remark", "journal_remark_fixed"):
        from notifications import journal_remarks  # it builds on this module's helpers

        return journal_remarks.render(c, kind, d)
    if kind == "broadcast":
        return _broadcast(c, item)
    if kind == "broadcast_progress":
        return Rendered(progress_text(c, d), progress_buttons(c, d.get("broadcast_id", 0)))
    if kind == "letter":
        return _letter(c, item)
    if kind == "evening":
        return Rendered(_evening(c, d))
    if kind == "summary":
        return Rendered(_summary(c, d))
    if kind == "remind":
        return Rendered(_remind(c, d))
    if kind == "finals_missing":
        return Rendered(_finals_missing(c, d))
    if kind == "reconcile":
        return Rendered(_reconcile(c, d))
    if kind == "failing":
        return Rendered(_failing(c, d))
    if kind == "printouts":
        return _printouts(c, d)
    from notifications import render_control  # it builds on this module's helpers

    if kind in render_control.KINDS:
        return render_control.render(c, item)
    return Rendered(c._("🔔 There is news in the diary: open /start."))


def _corrected_line(c: _Ctx, d: dict[str, Any]) -> str:
    if d.get("new") is None:
        return c._("{subject}, {day}: the mark {old} is removed").format(
            subject=_e(d.get("subject")),
            day=c.day(d.get("day")),
            old=mark_value(c, d.get("old")),
        )
    return c._("{subject}, {day}: {old} → <b>{new}</b>").format(
        subject=_e(d.get("subject")),
        day=c.day(d.get("day")),
        old=mark_value(c, d.get("old")),
        new=mark_value(c, d.get("new")),
    )


def _explain_buttons(c: _Ctx, items: Sequence[Item]) -> Buttons:
    rows = []
    for item in items:
        attendance = item.data.get("attendance_id")
        if item.kind != "absence" or not attendance:
            continue
        label = c._("✍️ Explain the absence")
        if len(items) > 1:
            label += f" · {c.day(item.data.get('day'), weekday=False)}"
        rows.append((Button(label, b.explain(attendance)),))
        if len(rows) == MAX_EXPLAIN_BUTTONS:
            break
    return tuple(rows)


def _ack_buttons(c: _Ctx, items: Sequence[Item]) -> Buttons:
    """«Ознакомлен(а)» under a guardian's period marks (003 reg.3 §6): one per child and
    period, however many of the period's marks the message carries."""
    wanted: dict[tuple[int, int], str] = {}
    for item in items:
        d = item.data
        if item.role != "guardian" or not item.student_id or not d.get("period_id"):
            continue
        if item.kind == "final_ack_remind" or (item.kind == "final" and d.get("kind") == "period"):
            wanted.setdefault((item.student_id, int(d["period_id"])), str(d.get("student") or ""))
    label = c._("✅ I have seen the marks")
    return tuple(
        (Button(label if len(wanted) == 1 else f"{label} · {name}", b.final_ack(*key)),)
        for key, name in list(wanted.items())[:MAX_EXPLAIN_BUTTONS]
    )


def _ack_remind(c: _Ctx, d: dict[str, Any]) -> str:
    return c._(
        "🏁 {child}: the marks for the {period} are in the diary (/finals). Please confirm "
        "that you have seen them."
    ).format(child=_child(d), period=period_name(c, d.get("period_kind"), d.get("period_number")))


def _attachment(d: dict[str, Any]) -> Attachment | None:
    for kind, ref, name in d.get("attachments") or ():
        if kind in ("photo", "document") and ref:
            return Attachment(kind, ref, name)
    return None


def _broadcast(c: _Ctx, item: Item) -> Rendered:
    d = item.data
    head = c._("📢 {class_name}: a message from the class teacher {author}").format(
        class_name=_e(d.get("class")), author=_e(d.get("author"))
    )
    names = d.get("student_names") or []
    if item.role == "guardian" and names:
        head += "\n" + c._("For the parents of {names}").format(
            names=", ".join(_e(n) for n in names)
        )
    attachment = _attachment(d)
    limit = CAPTION_LIMIT if attachment else MESSAGE_LIMIT
    body = _e(d.get("text", ""))
    text = f"{head}\n\n{body}" if body else head
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    row = [Button(c._("✓ Read"), b.read(item.id))]
    if item.role == "guardian" and item.broadcast_id and item.student_id:
        row.append(Button(c._("↩️ Reply"), b.reply(item.broadcast_id, item.student_id)))
    return Rendered(text, (tuple(row),), attachment)


def progress_text(c: _Ctx, d: dict[str, Any]) -> str:
    lines = [
        c._("📢 Broadcast to {class_name}").format(class_name=_e(d.get("class"))),
        c._("Delivered: {sent} of {total}").format(sent=d.get("sent", 0), total=d.get("total", 0)),
        c._("Waiting: {pending}").format(pending=d.get("pending", 0)),
        c._("Not delivered: {failed}").format(failed=d.get("failed", 0)),
        c._("Not linked to the bot yet: {not_linked}").format(not_linked=d.get("not_linked", 0)),
        c._("Read: {read}").format(read=d.get("read", 0)),
    ]
    return "\n".join(lines)


def progress_buttons(c: _Ctx, broadcast_id: int) -> Buttons:
    return (
        (
            Button(c._("🔄 Refresh"), b.progress(broadcast_id, "r")),
            Button(c._("👀 Who has not read"), b.progress(broadcast_id, "u")),
        ),
    )


def _letter(c: _Ctx, item: Item) -> Rendered:
    d = item.data
    to_staff = item.role == "staff"
    if d.get("from_role") == "student":
        head = c._("✉️ {child} — the student writes").format(child=_child(d))
    elif to_staff:
        head = c._("✉️ {child} — a parent writes: {name}").format(
            name=_e(d.get("from_name")), child=_child(d)
        )
    elif d.get("from_class_teacher", True):  # before #14 only the class teacher wrote
        head = c._("✉️ {child} — the class teacher writes: {name}").format(
            name=_e(d.get("from_name")), child=_child(d)
        )
    else:
        head = c._("✉️ {child} — a letter from the school: {name}").format(
            name=_e(d.get("from_name")), child=_child(d)
        )
    if d.get("to_office"):
        head += "\n" + c._("To the school administration.")
    absence = d.get("absence")
    if absence:
        head += "\n" + c._("About the absence: {lesson}, {day}.").format(
            lesson=_lesson_slot(c, absence), day=c.day(absence.get("day"))
        )
    if d.get("broadcast"):
        head += "\n" + c._("An answer to your broadcast.")
    attachment = _attachment(d)
    limit = CAPTION_LIMIT if attachment else MESSAGE_LIMIT
    text = f"{head}\n\n{_e(d.get('text', ''))}".rstrip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    rows: list[tuple[Button, ...]] = [(Button(c._("↩️ Answer"), b.answer(d.get("letter_id", 0))),)]
    if to_staff and absence and absence.get("attendance_id"):
        att = absence["attendance_id"]
        # one a row: «У — по уважительной причине» does not fit a third of a phone's width
        rows += [
            (Button(f"{terms.reason_letter(c._, x)} — {terms.reason(c._, x)}", b.reason(att, x)),)
            for x in terms.REASONS
        ]
    return Rendered(text, tuple(rows), attachment)


def _evening(c: _Ctx, d: dict[str, Any]) -> str:
    lines = [
        c._("🌆 {day} — {child}").format(day=c.day(d.get("day")), child=_child(d)),
    ]
    homework = d.get("homework") or []
    if homework:
        lines.append("<b>" + c._("Homework") + "</b>")
        lines += [f"• <b>{_e(s)}</b>: {_e(_clip(t, 400))}" for s, t in homework]
    changes = d.get("changes") or []
    if changes:
        lines.append("<b>" + c._("Changes in the timetable") + "</b>")
        for slot, subject, change, substitute in changes:
            info = {"slot": slot, "subject": subject, "change": change, "substitute": substitute}
            lines.append(f"• {_lesson_slot(c, info)} — {change_name(c, info)}")
    if not homework and not changes:
        lines.append(c._("No homework is recorded for this day."))
    return "\n".join(lines)


def _summary(c: _Ctx, d: dict[str, Any]) -> str:
    lines = [
        c._("📊 Two weeks of {child}: {start} – {end}").format(
            child=_child(d),
            start=c.day(d.get("start"), weekday=False),
            end=c.day(d.get("end"), weekday=False),
        )
    ]
    subjects = d.get("subjects") or []
    if subjects:
        for subject, values, average in subjects:
            marks = " ".join(mark_value(c, v) for v in values)
            avg = f" ({c.number(average)})" if average is not None else ""
            lines.append(f"• {_e(subject)}: {marks}{avg}")
    else:
        lines.append(c._("No marks in these two weeks."))
    absent = d.get("absent", 0)
    if absent:
        lines.append(
            c._("Lessons missed: {absent} ({reasons}).").format(
                absent=absent, reasons=terms.reason_counts(c._, _reasons(d))
            )
        )
    else:
        lines.append(c._("No lessons missed."))
    lines.append(c._("Late: {late}.").format(late=d.get("late", 0)))
    return "\n".join(lines)


def _reasons(d: dict[str, Any]) -> dict[str | None, int]:
    """A summary's absences by reason; one written before ``reasons`` travelled counted the
    unexcused and those with none yet together, as «without a good reason»."""
    found = d.get("reasons")
    if isinstance(found, dict):
        return {(k or None): int(v) for k, v in found.items()}
    return {terms.UNEXCUSED: int(d.get("unexcused", 0))}


REMINDER_WHAT = {
    "topic": N_("the lesson record and the roll call are not filled in"),
    "homework": N_("no homework is set"),
    "marks": N_("no marks are given"),
}


def _remind(c: _Ctx, d: dict[str, Any]) -> str:
    lines = [c._("📝 Please fill in the journal:")]
    for kind, class_name, subject, day, slot in d.get("items") or []:
        lines.append(
            "• "
            + c._("{day}, lesson {slot}, {class_name} {subject}: {what}").format(
                day=c.day(day, weekday=False),
                slot=slot,
                class_name=_e(class_name),
                subject=_e(subject),
                what=c._(REMINDER_WHAT.get(kind, REMINDER_WHAT["topic"])),
            )
        )
    return "\n".join(lines)


def _finals_missing(c: _Ctx, d: dict[str, Any]) -> str:
    lines = [
        c._("🏁 Period marks are still missing; they can be set until {deadline}:").format(
            deadline=c.day(d.get("deadline"))
        )
    ]
    for class_name, subject, missing, total in d.get("items") or []:
        lines.append(
            "• "
            + c._("{class_name} {subject}: {missing} of {total}").format(
                class_name=_e(class_name), subject=_e(subject), missing=missing, total=total
            )
        )
    return "\n".join(lines)


def _reconcile(c: _Ctx, d: dict[str, Any]) -> str:
    lines = [
        c._("📋 Weekly check, {class_name}: absences with no reason given yet").format(
            class_name=_e(d.get("class"))
        )
    ]
    for student, day, subject in d.get("items") or []:
        lines.append(f"• {_e(student)}: {c.day(day, weekday=False)}, {_e(subject)}")
    lines.append(c._("Please record the reasons in the journal."))
    return "\n".join(lines)


def _failing(c: _Ctx, d: dict[str, Any]) -> str:
    lines = [
        c._("📉 Weekly list, {class_name}: failing marks this week").format(
            class_name=_e(d.get("class"))
        )
    ]
    for student, day, subject, value in d.get("items") or []:
        lines.append(
            f"• {_e(student)}: <b>{mark_value(c, value)}</b>, {_e(subject)}, "
            f"{c.day(day, weekday=False)}"
        )
    return "\n".join(lines)


def _printouts(c: _Ctx, d: dict[str, Any]) -> Rendered:
    """Rule 8 on paper: the class teacher prints the diaries of those who refuse the bot."""
    n = int(d.get("students") or 0)
    text = c.ngettext(
        "🖨 Paper diaries, {class_name}, {start} – {end}: {n} student",
        "🖨 Paper diaries, {class_name}, {start} – {end}: {n} students",
        n,
    ).format(
        class_name=_e(d.get("class")),
        start=c.day(d.get("start"), weekday=False),
        end=c.day(d.get("end"), weekday=False),
        n=n,
    )
    text += "\n" + c._("Their parents get the diary on paper. Print it and hand it over to sign.")
    label = c._("🖨 Download the PDF")
    return Rendered(text, ((Button(label, b.printouts(int(d.get("class_id") or 0))),),))


# --- several deliveries as one message -----------------------------------------------------


def _line(c: _Ctx, item: Item) -> str:
    d = item.data
    kind = item.kind
    if kind == "mark":
        return c._("{subject}: <b>{value}</b> ({work}), {day}").format(
            subject=_e(d.get("subject")),
            value=mark_value(c, d.get("value")),
            work=work_type(c, d),
            day=c.day(d.get("day"), weekday=False),
        )
    if kind == "mark_corrected":
        line = c._("corrected: {line}").format(line=_corrected_line(c, d))
        if d.get("reason"):  # the reason the teacher wrote for the parents
            line += ", " + c._("reason: {reason}").format(reason=_e(_clip(d["reason"])))
        return line
    if kind == "final":
        return c._("{subject}: {what} — <b>{value}</b>").format(
            subject=_e(d.get("subject")), what=final_what(c, d), value=mark_value(c, d.get("value"))
        )
    if kind == "absence":
        return c._("absent: {lesson}, {day}").format(
            lesson=_lesson_slot(c, d), day=c.day(d.get("day"), weekday=False)
        )
    if kind == "late":
        return c._("late: {lesson}, {day}").format(
            lesson=_lesson_slot(c, d), day=c.day(d.get("day"), weekday=False)
        )
    if kind == "reason":
        return c._("absence on {day}: {reason}").format(
            day=c.day(d.get("day"), weekday=False), reason=reason_name(c, d.get("reason"))
        )
    if kind == "homework":
        return c._("homework {subject} for {due}: {text}").format(
            subject=_e(d.get("subject")),
            due=c.day(d.get("due_on"), weekday=False),
            text=_e(_clip(d.get("text", ""))),
        )
    if kind == "lesson":
        return f"{c.day(d.get('day'))}, {_lesson_slot(c, d)} — {change_name(c, d)}"
    if kind == "remark":
        label = terms.remark_kind(c._, d.get("remark_kind"))
        return f"{label}, {_e(d.get('subject'))}: {_e(_clip(d.get('text', '')))}"
    return _single(c, item).text


def _fits(lines: list[str], c: _Ctx) -> str:
    text = "\n".join(lines)
    if len(text) <= MESSAGE_LIMIT:
        return text
    kept: list[str] = []
    size = 0
    for i, line in enumerate(lines):
        if size + len(line) + 1 > MESSAGE_LIMIT - 80:
            kept.append(c._("… and {n} more: open /start.").format(n=len(lines) - i))
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


def render(items: Sequence[Item], locale: str, group_key: str = "") -> Rendered:
    """One message for these deliveries of one account (one group, or a quiet-hours digest)."""
    c = context(locale)
    if not items:
        raise ValueError("nothing to render")
    if len(items) == 1:
        return _single(c, items[0])
    children = {i.data.get("student") for i in items if i.data.get("student")}
    one_child = len(children) == 1
    first = items[0].data
    kinds = {i.kind for i in items}
    if group_key == "quiet":
        head = c._("🌙 While the quiet hours were on:")
    elif kinds <= {"mark", "mark_corrected"} and one_child:
        head = c._("📘 New marks — {child}").format(child=_child(first))
    elif one_child:
        head = c._("🔔 News — {child}").format(child=_child(first))
    else:
        head = c._("🔔 News in the diary:")
    lines = [head]
    rest: list[str] = []
    for item in items:
        if item.kind in (
            "evening",
            "summary",
            "remind",
            "finals_missing",
            "final_ack_remind",
            "reconcile",
            "failing",
            "letter",
            "journal_remark",
            "journal_remark_fixed",
        ):
            rest.append(_single(c, item).text)
            continue
        prefix = (
            "" if one_child or not item.data.get("student") else f"{_e(item.data['student'])}: "
        )
        lines.append(f"• {prefix}{_line(c, item)}")
    text = _fits([*rest, *(lines if len(lines) > 1 else [])], c) if rest else _fits(lines, c)
    return Rendered(text, _explain_buttons(c, items) + _ack_buttons(c, items))
