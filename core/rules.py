"""The regulations' timing rules, as pure functions that raise typed errors (DESIGN.md §Rules).

Use cases call these with facts loaded from storage and the injected clock's time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol

from core.errors import (
    FinalWindowClosed,
    FirstGradeNoHomework,
    FirstGradeNoMarks,
    HomeworkWindowClosed,
    LessonCancelled,
    LessonInFuture,
    LessonNotStarted,
    MarkDeadlinePassed,
    NoPeriod,
    NotLessonDay,
    PeriodClosed,
    PeriodNotOver,
    ReasonRequired,
    RemarkDueRefused,
    RemarkTextRefused,
    SubstitutionTooLate,
    ValidationFailed,
)
from core.model import AbsenceReason, Lesson, LessonStatus, MarkValue, Period, School

# 003 reg.2 §2.1.2: homework no later than 2 hours after the class's last lesson.
HOMEWORK_GRACE = timedelta(hours=2)
# 003 reg.2 §2.1.4: oral marks within a day (в течение суток) ...
ORAL_MARK_DAYS = 1
# ... written works within 5 days for grades 2-9, 7 days for grades 10-11.
WRITTEN_MARK_DAYS_JUNIOR = 5
WRITTEN_MARK_DAYS_SENIOR = 7
# 001 §8.6: mistakes are fixed within 7 days by their author.
CORRECTION_DAYS = 7
# When a class has no bell times: homework until the end of the day.
END_OF_DAY = time(23, 59, 59)
# 000 §3.6; 004 §5.5: grade 1 has no marks and no homework, attendance only.
FIRST_GRADED = 2
# A reason is kept in the audit log; this is how long it may be.
MAX_REASON = 500
# 003 reg.2 §2.1.4: a mark is for work done in the lesson, and none is back-dated, so a pupil
# absent from it gets only «н/а» or «осв» there (a work written later is marked at its lesson).
MARKS_WHEN_ABSENT = frozenset({MarkValue.NOT_ASSESSED, MarkValue.EXEMPT})
# 001 §8.6: remarks from the deputy's analysis of the journals are fixed within seven days;
# 003 reg.2 §2.1.7: by the date the deputy sets. A period's journal is archived once it is
# over, so a remark is fixed at most this long after the period it is about.
REMARK_FIX_DAYS = 7
REMARK_AFTER_PERIOD = timedelta(days=7)
REMARK_TEXT = 1000  # characters of a remark on the journal


class Span(Protocol):
    """A study period as any layer holds it (the entity, or a read model)."""

    @property
    def starts_on(self) -> date: ...

    @property
    def ends_on(self) -> date: ...

    @property
    def closed(self) -> bool: ...


class Work(Protocol):
    """A work type as any layer holds it: what its deadline depends on."""

    @property
    def written(self) -> bool: ...


class Days(Protocol):
    """A holiday as any layer holds it."""

    @property
    def starts_on(self) -> date: ...

    @property
    def ends_on(self) -> date: ...


def graded(grade: int) -> bool:
    """Marks and homework from grade 2; grade 1 is attendance only (000 §3.6; 004 §5.5)."""
    return grade >= FIRST_GRADED


def is_school_day(
    day: date, periods: Iterable[Span], holidays: Iterable[Days], week_days: int
) -> bool:
    """A day with lessons: in a study period, not a holiday or day off, Monday to Friday (or to
    Saturday in a six-day week)."""
    if day.weekday() >= week_days:
        return False
    if not any(p.starts_on <= day <= p.ends_on for p in periods):
        return False
    return not any(h.starts_on <= day <= h.ends_on for h in holidays)


def period_for(day: date, periods: Iterable[Period]) -> Period:
    for period in periods:
        if period.contains(day):
            return period
    raise NoPeriod(day)


def ensure_open(day: date, periods: Iterable[Period]) -> Period:
    """A closed period can no longer be edited (000 §4.6)."""
    period = period_for(day, periods)
    if period.closed:
        raise PeriodClosed(period.id, day)
    return period


def ensure_not_cancelled(lesson: Lesson) -> None:
    if lesson.status == LessonStatus.CANCELLED:
        raise LessonCancelled(lesson.id or 0)


def ensure_lesson_day(lesson: Lesson, today: date) -> None:
    """Lesson record and absences on the lesson day (000 §3.9; 003 reg.2 §2.1.1)."""
    if lesson.day != today:
        raise NotLessonDay(lesson.day, today)


def lesson_started(day: date, starts_at: time | None, now: datetime) -> bool:
    """A lesson has begun once its bell has rung; with no bell times, from its day's start.
    ``now`` is in the school's time zone."""
    if day != now.date():
        return day < now.date()
    return starts_at is None or starts_at <= now.time()


def ensure_lesson_started(lesson: Lesson, starts_at: time | None, now: datetime) -> None:
    """Absences, marks and remarks by the fact: for a lesson that has begun, never ahead
    (000 §3.9; 003 reg.2 §2.1.1, §2.1.4)."""
    if lesson.day > now.date():
        raise LessonInFuture(lesson.day)
    if not lesson_started(lesson.day, starts_at, now):
        assert starts_at is not None
        raise LessonNotStarted(lesson.day, starts_at)


def mark_needs_presence(value: MarkValue) -> bool:
    """Whether the mark is for work done in the lesson (every mark but «н/а» and «осв»)."""
    return value not in MARKS_WHEN_ABSENT


def ensure_topic_time(lesson: Lesson, today: date) -> None:
    """A topic on the lesson day, or planned ahead; never after the day."""
    if lesson.day < today:
        raise NotLessonDay(lesson.day, today)


def homework_deadline(lesson_day: date, last_lesson_end: time | None, tz: tzinfo) -> datetime:
    end = last_lesson_end or END_OF_DAY
    deadline = datetime.combine(lesson_day, end, tzinfo=tz)
    return deadline + HOMEWORK_GRACE if last_lesson_end is not None else deadline


def ensure_homework_allowed(
    grade: int, lesson: Lesson, now: datetime, last_lesson_end: time | None
) -> None:
    """Homework on the lesson day, at most 2 h after the class's last lesson, or in advance
    (000 §3.10; 003 reg.2 §2.1.2-2.1.3). None in grade 1 (000 §3.6; 004 §5.5)."""
    if not graded(grade):
        raise FirstGradeNoHomework()
    today = now.date()
    if lesson.day > today:
        return
    deadline = homework_deadline(lesson.day, last_lesson_end, now.tzinfo)  # type: ignore[arg-type]
    if lesson.day < today or now > deadline:
        raise HomeworkWindowClosed(deadline)


def mark_deadline(lesson_day: date, grade: int, work_type: Work) -> date:
    if not work_type.written:
        days = ORAL_MARK_DAYS
    elif grade >= 10:
        days = WRITTEN_MARK_DAYS_SENIOR
    else:
        days = WRITTEN_MARK_DAYS_JUNIOR
    return lesson_day + timedelta(days=days)


def ensure_graded(grade: int) -> None:
    if not graded(grade):
        raise FirstGradeNoMarks()


def ensure_mark_allowed(grade: int, lesson: Lesson, work_type: Work, today: date) -> None:
    """Grade 1 gets no marks; no mark ahead of its lesson; oral within a day, written within
    5 days (grades 2-9) or 7 days (10-11); after that only a correction (003 reg.2 §2.1.4)."""
    ensure_graded(grade)
    if lesson.day > today:
        raise LessonInFuture(lesson.day)
    deadline = mark_deadline(lesson.day, grade, work_type)
    if today > deadline:
        raise MarkDeadlinePassed(lesson.day, deadline)


def correction_deadline(created_at: datetime, tz: tzinfo) -> date:
    """The last day the author may fix a mark, counted in the school's time zone."""
    return created_at.astimezone(tz).date() + timedelta(days=CORRECTION_DAYS)


def final_window(ends_on: date, open_days: int, grace_days: int) -> tuple[date, date]:
    """Period marks from ``open_days`` before the period's last day to ``grace_days`` after it
    (003 §4.4; 004 §5.8: at most 2 days after)."""
    return ends_on - timedelta(days=open_days), ends_on + timedelta(days=grace_days)


def school_final_window(period: Span, school: School) -> tuple[date, date]:
    return final_window(
        period.ends_on, school.final_window_open_days, school.final_window_grace_days
    )


def ensure_final_window(period: Period, school: School, today: date) -> None:
    """Period marks by the last day of the period, at most 2 days after (003 §4.4; 004 §5.8)."""
    if period.closed:
        raise PeriodClosed(period.id)
    opens, closes = school_final_window(period, school)
    if not opens <= today <= closes:
        raise FinalWindowClosed(opens, closes)


def ensure_substitution_time(lesson: Lesson, today: date, written: bool) -> None:
    """Rule 1: a substitute is recorded before the lesson, or on its day before anything is
    written in it (000 §3.9; 003 reg.2 §2.1.1)."""
    if lesson.day > today or (lesson.day == today and not written):
        return
    raise SubstitutionTooLate(lesson.day)


def ensure_closable(period: Span, today: date) -> None:
    """Rule 10: a period is closed on its last day or after it, never before."""
    if today < period.ends_on:
        raise PeriodNotOver(period.ends_on)


def closes_by_itself(period: Period, school: School, today: date) -> bool:
    """Rule 6: once its window for period marks is over, a period closes; one the admin has
    reopened stays open until the admin closes it again."""
    _, closes = school_final_window(period, school)
    return not period.closed and period.reopened_at is None and today > closes


def remark_due_window(today: date, period_ends_on: date | None) -> tuple[date, date]:
    """When a remark on the journal may be due: from today to a week after the end of the
    period it is about (a week from today when that period is over or there is none)."""
    end = period_ends_on if period_ends_on is not None and period_ends_on > today else today
    return today, end + REMARK_AFTER_PERIOD


def ensure_remark_due(due_on: date, today: date, period_ends_on: date | None) -> None:
    earliest, latest = remark_due_window(today, period_ends_on)
    if not earliest <= due_on <= latest:
        raise RemarkDueRefused(earliest, latest)


def clean_remark_text(text: str) -> str:
    text = text.strip()
    if not text or len(text) > REMARK_TEXT:
        raise RemarkTextRefused(REMARK_TEXT)
    return text


def clean_reason(reason: str, required: bool = True) -> str:
    """A reason as the audit log keeps it: trimmed, not too long and, where the regulations ask
    for one (001 §8.6: a correction says why), not empty."""
    reason = reason.strip()
    if required and not reason:
        raise ReasonRequired()
    if len(reason) > MAX_REASON:
        raise ValidationFailed("reason", "too_long")
    return reason


# Rule 12: the year's summary sheet of marks is kept 25 years (003 §5.9); the journals' copies
# of each period (000 §4.6) for 5. Nothing in the archive goes before its date.
ARCHIVE_KEEP_YEARS = {"summary": 25, "journal": 5}


def archive_keep_until(kind: str, written_on: date) -> date:
    """The first day an archive file of ``kind`` written on ``written_on`` may be removed."""
    years = written_on.year + ARCHIVE_KEEP_YEARS[kind]
    if (written_on.month, written_on.day) == (2, 29):
        return date(years, 3, 1)
    return written_on.replace(year=years)


# Rule 8 (000 §4.4: the class teacher «оповещает родителей ... неуспевающих обучающихся,
# пропускающих занятия по неуважительной причине»; 000 §7.2; 003 reg.2 §2.2.2): parents are
# told of failing marks and of unexcused absences, whatever they chose in /settings.
FAILING_VALUES = frozenset(v.value for v in MarkValue if v.failing)
# The pushes about a mark, and the payload keys that hold it: a correction from a failing mark
# (the family was told of it) or to one.
_MARK_PUSHES = {"mark": ("value",), "final": ("value",), "mark_corrected": ("old", "new")}


def required_push(kind: str, payload: Mapping[str, Any]) -> bool:
    """Whether a guardian must get this push even with its kind switched off: a failing mark
    (1, 2, «незачёт», «н/а»: ordinary, corrected to or from one, or a period mark) or an
    absence the class teacher recorded as unexcused (Н). An absence with no reason yet is not
    one: the class teacher sets the reason daily (003 reg.2 §2.2.1), and then this rule
    applies. Quiet hours still hold these pushes back until the morning."""
    if kind == "reason":
        return payload.get("reason") == AbsenceReason.UNEXCUSED.value
    return any(payload.get(key) in FAILING_VALUES for key in _MARK_PUSHES.get(kind, ()))
