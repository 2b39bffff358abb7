"""The teacher's read side on the fake store: my day, a lesson's card, the lesson a text
command means, names against a list, period-mark proposals and a class's absences."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from core import model as m
from core.calendar import Calendars
from core.commands import ClassRef, NameQuery, parse_mark
from core.diary import DiaryService
from core.errors import (
    AccessDenied,
    ClassAmbiguous,
    FinalWindowClosed,
    LessonNotStarted,
    NoLessonWithClass,
    PrivateChatRequired,
    StudentNotInLesson,
    UnknownClass,
    UnknownWorkType,
    ValidationFailed,
)
from core.journal import JournalService
from core.teacher import Purpose, TeacherService
from tests.core.conftest import TODAY, TZ, SmallSchool


@pytest.fixture
def teacher(small: SmallSchool) -> TeacherService:
    diary = DiaryService(small.store.uow, small.clock, Calendars(ttl=0))
    return TeacherService(small.store.uow, small.clock, diary)


@pytest.fixture
def journal(small: SmallSchool) -> JournalService:
    return JournalService(small.store.uow, small.clock)


def at(hour: int, minute: int = 0, day: date = TODAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


async def test_my_day_lists_my_lessons_with_names_times_and_counts(small, teacher, journal):
    s = small
    me = s.viewer(s.teacher)
    await journal.mark_absent(me, s.lesson_today.id, [s.ivanov.id])
    day = await teacher.my_day(me)
    assert [(x.slot, x.class_name, x.subject_name) for x in day.lessons] == [
        (1, "1А", "Литературное чтение"),
        (2, "7А", "Математика"),
        (3, "10А", "Математика"),
    ]
    maths = day.lessons[1]
    assert (maths.starts_at, maths.ends_at) == (time(9, 25), time(10, 10))
    assert maths.roll is not None and (maths.roll.students, maths.roll.absent) == (2, 1)
    assert not maths.substitute and day.holiday is None
    english = (await teacher.my_day(s.viewer(s.english_teacher))).lessons
    assert [(x.subgroup_name, x.roll.students) for x in english] == [("Английский, гр. 1", 1)]


async def test_substitutions_move_the_lesson_to_the_substitute(small, teacher):
    s = small
    async with s.store.uow() as uow:
        (await uow.lessons.get(s.lesson_today.id)).substitute_id = s.other_teacher.id
        await uow.commit()
    mine = await teacher.my_day(s.viewer(s.other_teacher))
    assert [(x.id, x.substitute) for x in mine.lessons] == [(s.lesson_today.id, True)]
    assert s.lesson_today.id not in {
        x.id for x in (await teacher.my_day(s.viewer(s.teacher))).lessons
    }
    card = await teacher.card(s.viewer(s.other_teacher), s.lesson_today.id)
    assert card.writable and card.substitute_name == "Волков И.И."
    assert card.teacher_name == "Смирнова А.П."
    # the timetable's teacher still reads the card but no longer writes to it
    original = await teacher.card(s.viewer(s.teacher), s.lesson_today.id)
    assert not original.writable and not original.roll_call_open


async def test_my_day_is_for_staff_in_private(small, teacher):
    s = small
    with pytest.raises(AccessDenied):
        await teacher.my_day(s.viewer(s.mother))
    with pytest.raises(PrivateChatRequired):
        await teacher.my_day(s.viewer(s.teacher, private=False))
    holiday = await teacher.my_day(s.viewer(s.teacher), date(2026, 11, 2))
    assert holiday.holiday == "Осенние каникулы" and holiday.lessons == ()


async def test_card_shows_list_attendance_marks_and_what_may_be_done(small, teacher, journal):
    s = small
    me = s.viewer(s.teacher)
    await journal.toggle_attendance(me, s.lesson_today.id, s.petrova.id)
    await journal.give_mark(
        me, s.lesson_today.id, s.ivanov.id, m.MarkValue.FIVE, s.oral.id, "у доски"
    )
    card = await teacher.card(me, s.lesson_today.id)
    assert [x.student.short_name for x in card.lines] == ["Иванов П.", "Петрова А."]
    assert [x.student.short_name for x in card.absent] == ["Петрова А."]
    (mark,) = card.line(s.ivanov.id).marks
    assert (mark.value, mark.work_type_short, mark.comment, mark.correctable) == (
        m.MarkValue.FIVE,
        "У",
        "у доски",
        True,
    )
    assert card.roll_call_open and card.marks_open and card.topic_open and card.remarks_open
    assert [w.short for w in card.work_types] == ["У", "КР", "Д"]
    assert card.final_period is None  # the window of the second quarter opens on 14 December

    tomorrow = await teacher.card(me, s.lesson_tomorrow.id)
    assert tomorrow.topic_open and tomorrow.homework_open
    assert not (tomorrow.roll_call_open or tomorrow.marks_open or tomorrow.remarks_open)
    closed = await teacher.card(me, s.lesson_q1.id)
    assert closed.period_closed and not (closed.marks_open or closed.topic_open)
    first = await teacher.card(me, s.lesson_1a_today.id)
    assert first.roll_call_open and not first.marks_open and not first.homework_open


async def test_card_from_a_fresh_roll_call_is_the_same_card(small, teacher, journal):
    s = small
    me = s.viewer(s.teacher)
    roll = await journal.toggle_attendance(me, s.lesson_today.id, s.ivanov.id)
    assert await teacher.card(me, s.lesson_today.id, roll) == await teacher.card(
        me, s.lesson_today.id
    )
    # a roll call of another lesson is not taken for this one
    other = await teacher.card(me, s.lesson_yesterday.id, roll)
    assert other.lesson.id == s.lesson_yesterday.id and other.absent == ()


async def test_card_access(small, teacher):
    s = small
    with pytest.raises(AccessDenied):
        await teacher.card(s.viewer(s.other_teacher), s.lesson_today.id)
    with pytest.raises(AccessDenied):
        await teacher.card(s.viewer(s.ivanov), s.lesson_today.id)
    by_class_teacher = await teacher.card(s.viewer(s.class_teacher), s.lesson_today.id)
    assert not by_class_teacher.writable and len(by_class_teacher.lines) == 2
    english = await teacher.card(s.viewer(s.english_teacher), s.english_today.id)
    assert [x.student.last_name for x in english.lines] == ["Иванов"]


async def test_marks_of_others_or_past_the_window_are_not_correctable(small, teacher, journal):
    s = small
    me = s.viewer(s.teacher)
    await journal.give_mark(me, s.lesson_today.id, s.ivanov.id, m.MarkValue.FOUR, s.oral.id)
    s.clock.set(at(10, 0, TODAY + timedelta(days=8)))
    card = await teacher.card(me, s.lesson_today.id)
    assert not card.line(s.ivanov.id).marks[0].correctable
    deputy = await teacher.card(s.viewer(s.deputy), s.lesson_today.id)
    assert deputy.line(s.ivanov.id).marks[0].correctable


async def test_attendance_command_takes_the_current_lesson_never_one_not_begun(small, teacher):
    s = small
    me = s.viewer(s.teacher)
    (lesson,) = await teacher.command_lessons(me, ClassRef(7, "А"), Purpose.ATTENDANCE)
    assert lesson.id == s.lesson_today.id  # 10:00, lesson 2 is on
    (lesson,) = await teacher.command_lessons(me, ClassRef(7, None), Purpose.ATTENDANCE)
    assert lesson.id == s.lesson_today.id  # the only 7th class
    with pytest.raises(LessonNotStarted) as refused:  # lesson 3 begins at 10:25
        await teacher.command_lessons(me, ClassRef(10, "А"), Purpose.ATTENDANCE)
    assert refused.value.facts["starts_at"] == time(10, 25)
    s.clock.set(at(12, 0))
    (lesson,) = await teacher.command_lessons(me, ClassRef(7, "А"), Purpose.ATTENDANCE)
    assert lesson.id == s.lesson_today.id  # lesson 2 is over: still the latest begun today
    s.clock.set(at(10, 0))
    with pytest.raises(UnknownClass):
        await teacher.command_lessons(me, ClassRef(8, "А"), Purpose.ATTENDANCE)
    with pytest.raises(NoLessonWithClass):
        await teacher.command_lessons(
            s.viewer(s.english_teacher), ClassRef(10, "А"), Purpose.ATTENDANCE
        )
    s.clock.set(at(10, 0, TODAY + timedelta(days=2)))  # Friday: no maths in 7А
    with pytest.raises(NoLessonWithClass):
        await teacher.command_lessons(me, ClassRef(7, "А"), Purpose.ATTENDANCE)


async def test_marks_command_takes_the_latest_begun_lesson_and_asks_between_subjects(
    small, teacher
):
    s = small
    me = s.viewer(s.teacher)
    s.clock.set(at(9, 0))  # before today's lesson 2: yesterday's is the latest begun
    (lesson,) = await teacher.command_lessons(me, ClassRef(7, "А"), Purpose.MARKS)
    assert lesson.id == s.lesson_yesterday.id
    s.clock.set(at(11, 0))
    (lesson,) = await teacher.command_lessons(me, ClassRef(7, "А"), Purpose.MARKS)
    assert lesson.id == s.lesson_today.id
    async with s.store.uow() as uow:
        reading = await uow.lessons.add(m.Lesson(s.c7.id, TODAY, 3, s.reading.id, s.teacher.id))
        double = await uow.lessons.add(m.Lesson(s.c7.id, TODAY, 1, s.maths.id, s.teacher.id))
        await uow.commit()
    found = await teacher.command_lessons(me, ClassRef(7, "А"), Purpose.MARKS)
    assert [x.id for x in found] == [s.lesson_today.id, reading.id]  # maths: the later one
    assert double.id not in {x.id for x in found}


async def test_a_grade_alone_is_asked_back_when_it_has_several_classes(small, teacher):
    s = small
    async with s.store.uow() as uow:
        c7b = await uow.classes.add(m.ClassGroup(s.year.id, 7, "Б"))
        await uow.commit()
    me = s.viewer(s.teacher)
    # only one of them is mine today: that one
    (lesson,) = await teacher.command_lessons(me, ClassRef(7, None), Purpose.ATTENDANCE)
    assert lesson.class_name == "7А"
    async with s.store.uow() as uow:
        await uow.lessons.add(m.Lesson(c7b.id, TODAY, 5, s.maths.id, s.teacher.id))
        await uow.commit()
    with pytest.raises(ClassAmbiguous) as refused:
        await teacher.command_lessons(me, ClassRef(7, None), Purpose.ATTENDANCE)
    assert refused.value.facts["classes"] == "7А, 7Б"


async def test_names_are_matched_without_guessing(small, teacher):
    s = small
    async with s.store.uow() as uow:
        alex = await uow.students.add(m.Student("Иванов", "Алексей", s.c7.id))
        yolkin = await uow.students.add(m.Student("Ёлкин", "Борис", s.c7.id))
        await uow.commit()
    me = s.viewer(s.teacher)
    queries = [
        NameQuery("иванов"),
        NameQuery("Иванов", "п"),
        NameQuery("ИВАНОВ", "А"),
        NameQuery("Елкин"),
        NameQuery("Петров"),
        NameQuery("петрова"),
    ]
    found = await teacher.resolve_students(me, s.lesson_today.id, queries)
    assert [tuple(c.id for c in x.candidates) for x in found] == [
        (alex.id, s.ivanov.id),  # ambiguous: asked back
        (s.ivanov.id,),
        (alex.id,),
        (yolkin.id,),
        (),  # unknown
        (s.petrova.id,),
    ]
    english = await teacher.resolve_students(
        s.viewer(s.english_teacher), s.english_today.id, [NameQuery("Петрова")]
    )
    assert english[0].candidates == ()  # not in the subgroup
    with pytest.raises(AccessDenied):
        await teacher.resolve_students(s.viewer(s.other_teacher), s.lesson_today.id, queries)


async def test_mark_plan_matches_the_work_type_and_the_names(small, teacher):
    s = small
    me = s.viewer(s.teacher)
    command = parse_mark("7А кр Иванов 5 Петрова н/а")
    plan = await teacher.plan_marks(me, s.lesson_today.id, command)
    assert plan.work_type.id == s.test.id and plan.work_type.weight == 2
    assert [x.student.id for x in plan.matches] == [s.ivanov.id, s.petrova.id]
    assert plan.values == (m.MarkValue.FIVE, m.MarkValue.NOT_ASSESSED)
    with pytest.raises(UnknownWorkType) as refused:
        await teacher.plan_marks(me, s.lesson_today.id, parse_mark("7А ЛР Иванов 5"))
    assert refused.value.facts["known"] == "У, КР, Д"


async def test_give_marks_writes_all_or_none(small, journal):
    s = small
    me = s.viewer(s.teacher)
    with pytest.raises(StudentNotInLesson):
        await journal.give_marks(
            me,
            s.lesson_today.id,
            s.test.id,
            [(s.ivanov.id, m.MarkValue.FIVE), (s.senior.id, m.MarkValue.FOUR)],
        )
    async with s.store.uow() as uow:
        assert await uow.marks.for_lesson(s.lesson_today.id) == []
    marks = await journal.give_marks(
        me,
        s.lesson_today.id,
        s.test.id,
        [(s.ivanov.id, m.MarkValue.FIVE), (s.petrova.id, m.MarkValue.FOUR)],
    )
    assert [(x.student_id, x.value) for x in marks] == [
        (s.ivanov.id, m.MarkValue.FIVE),
        (s.petrova.id, m.MarkValue.FOUR),
    ]
    assert [e.name for e in s.store.outbox[-2:]] == ["mark.given", "mark.given"]


async def test_period_sheet_only_inside_the_window(small, teacher, journal):
    s = small
    me = s.viewer(s.teacher)
    with pytest.raises(FinalWindowClosed) as refused:
        await teacher.period_sheet(me, s.lesson_today.id)
    assert refused.value.facts == {"opens_on": date(2026, 12, 14), "closes_on": date(2026, 12, 30)}
    for value in ("5", "4", "5"):
        await journal.give_mark(me, s.lesson_today.id, s.ivanov.id, m.MarkValue(value), s.oral.id)
    s.clock.set(at(10, 0, date(2026, 12, 21)))
    sheet = await teacher.period_sheet(me, s.lesson_today.id)
    assert sheet.period.id == s.q2.id and sheet.closes_on == date(2026, 12, 30)
    rows = {r.student.id: r for r in sheet.rows}
    assert rows[s.ivanov.id].forecast.mark == 5
    assert rows[s.petrova.id].forecast.mark is None  # too few marks: the teacher decides
    with pytest.raises(AccessDenied):
        await teacher.period_sheet(s.viewer(s.english_teacher), s.lesson_today.id)
    card = await teacher.card(me, s.lesson_today.id)
    assert card.final_period is not None and card.final_period.id == s.q2.id


async def test_class_absences_for_the_class_teacher(small, teacher, journal):
    s = small
    me = s.viewer(s.teacher)
    await journal.mark_absent(me, s.lesson_today.id, [s.petrova.id])
    await journal.set_attendance(me, s.lesson_today.id, s.ivanov.id, m.AttendanceKind.LATE, 5)
    ct = s.viewer(s.class_teacher)
    week = await teacher.class_absences(ct, s.c7.id, TODAY - timedelta(days=2), TODAY)
    assert week.class_name == "7А"
    assert [(x.student.last_name, x.kind, x.slot, x.subject_name) for x in week.items] == [
        ("Иванов", m.AttendanceKind.LATE, 2, "Математика"),
        ("Петрова", m.AttendanceKind.ABSENT, 2, "Математика"),
    ]
    assert [x.student.last_name for x in week.unexplained] == ["Петрова"]
    await journal.set_absence_reason(ct, week.unexplained[0].id, m.AbsenceReason.SICK)
    again = await teacher.class_absences(ct, s.c7.id, TODAY, TODAY)
    assert again.unexplained == () and again.items[1].reason == m.AbsenceReason.SICK
    assert [c.name for c in await teacher.my_classes(ct)] == ["7А"]
    with pytest.raises(AccessDenied):
        await teacher.class_absences(me, s.c7.id, TODAY, TODAY)
    with pytest.raises(ValidationFailed):
        await teacher.class_absences(ct, s.c7.id, TODAY, TODAY - timedelta(days=1))
    with pytest.raises(ValidationFailed):
        await teacher.class_absences(ct, s.c7.id, TODAY - timedelta(days=40), TODAY)
