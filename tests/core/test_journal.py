"""JournalService against the fake unit of work and the small school (conftest.py)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from core import model as m
from core.access import SYSTEM, Viewer
from core.errors import (
    AbsentNoMark,
    AccessDenied,
    AlreadySuperseded,
    CorrectionWindowPassed,
    DomainError,
    FinalWindowClosed,
    FirstGradeNoHomework,
    FirstGradeNoMarks,
    HomeworkWindowClosed,
    LessonCancelled,
    LessonInFuture,
    LessonNotStarted,
    MarkDeadlinePassed,
    NotAbsent,
    NotFound,
    NotLessonDay,
    PeriodClosed,
    PrivateChatRequired,
    ReasonRequired,
    StudentNotInLesson,
    ValidationFailed,
)
from core.events import (
    AbsenceReasonSet,
    AttendanceRecorded,
    FinalMarkSet,
    HomeworkSet,
    MarkCorrected,
    MarkGiven,
    RemarkAdded,
)
from core.journal import JournalService
from core.model import AbsenceReason, AttendanceKind, FinalKind, MarkValue, RemarkKind
from tests.core.conftest import NOW, TODAY, TZ, SmallSchool
from tests.core.fakes import FakeStore

A = AttendanceKind.ABSENT
L = AttendanceKind.LATE


# --- helpers --------------------------------------------------------------------------------


def state(store: FakeStore) -> tuple[dict[str, Any], int]:
    tables = {name: {i: asdict(e) for i, e in rows.items()} for name, rows in store.tables.items()}
    return tables, len(store.outbox)


async def refused(store: FakeStore, error: type[DomainError], awaitable) -> DomainError:
    """The call raises exactly ``error`` and leaves every table and the outbox as they were."""
    before = state(store)
    with pytest.raises(DomainError) as info:
        await awaitable
    assert type(info.value) is error, info.value
    assert state(store) == before
    return info.value


def rows(store: FakeStore, table: str) -> list[Any]:
    return list(store.tables.get(table, {}).values())


def row(store: FakeStore, table: str, entity_id: int) -> Any:
    # Objects held by the test go stale after a rollback; the store holds the live ones.
    return store.tables[table][entity_id]


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def close_q2(s: SmallSchool) -> None:
    row(s.store, "periods", s.q2.id).closed_at = NOW - timedelta(hours=1)


async def add_record(
    s: SmallSchool, lesson: m.Lesson, student: m.Student, kind=A, reason=None
) -> m.AttendanceRecord:
    async with s.store.uow() as uow:
        rec = await uow.attendance.add(
            m.AttendanceRecord(
                lesson.id,
                student.id,
                lesson.subject_id,
                lesson.day,
                kind,
                s.teacher.id,
                at(lesson.day, 9),
                reason=reason,
            )
        )
        await uow.commit()
    return rec


async def add_mark(s: SmallSchool, lesson: m.Lesson, student: m.Student, value="4") -> m.Mark:
    async with s.store.uow() as uow:
        mark = await uow.marks.add(
            m.Mark(
                lesson.id,
                student.id,
                lesson.subject_id,
                lesson.day,
                MarkValue(value),
                s.oral.id,
                lesson.teacher_id,
                at(lesson.day, 11),
            )
        )
        await uow.commit()
    return mark


@pytest.fixture
def journal(small: SmallSchool) -> JournalService:
    return JournalService(small.store.uow, small.clock)


@pytest.fixture
def teacher(small: SmallSchool) -> Viewer:
    return small.viewer(small.teacher)


def outsiders(s: SmallSchool) -> dict[str, tuple[Viewer, type[DomainError]]]:
    """Everyone who must not write to the maths lesson of 7А, and the error they get."""
    return {
        "other_teacher": (s.viewer(s.other_teacher), AccessDenied),
        "class_teacher": (s.viewer(s.class_teacher), AccessDenied),
        "english_teacher": (s.viewer(s.english_teacher), AccessDenied),
        "deputy": (s.viewer(s.deputy), AccessDenied),
        "guardian": (s.viewer(s.mother), AccessDenied),
        "student": (s.viewer(s.ivanov), AccessDenied),
        "anonymous": (Viewer(), AccessDenied),
        "group_chat": (s.viewer(s.teacher, private=False), PrivateChatRequired),
    }


WHO = ["other_teacher", "class_teacher", "english_teacher", "deputy", "guardian", "student",
       "anonymous", "group_chat"]  # fmt: skip


# --- roll call and attendance -----------------------------------------------------------------


async def test_roll_call_lists_the_class_with_records(small, journal, teacher):
    await add_record(small, small.lesson_today, small.petrova)
    roll = await journal.roll_call(teacher, small.lesson_today.id)
    assert [x.student.id for x in roll.lines] == [small.ivanov.id, small.petrova.id]
    assert [x.kind for x in roll.lines] == [None, A]
    assert roll.absent == 1 and roll.late == 0


async def test_roll_call_of_a_subgroup_lists_its_members_only(small, journal):
    roll = await journal.roll_call(small.viewer(small.english_teacher), small.english_today.id)
    assert [x.student.id for x in roll.lines] == [small.ivanov.id]


async def test_roll_call_skips_students_not_enrolled_that_day(small, journal, teacher):
    row(small.store, "students", small.petrova.id).left_on = TODAY - timedelta(days=1)
    roll = await journal.roll_call(teacher, small.lesson_today.id)
    assert [x.student.id for x in roll.lines] == [small.ivanov.id]


@pytest.mark.parametrize("who", ["teacher", "class_teacher", "deputy", "admin"])
async def test_roll_call_readers(small, journal, who):
    roll = await journal.roll_call(small.viewer(getattr(small, who)), small.lesson_today.id)
    assert len(roll.lines) == 2


@pytest.mark.parametrize("who", ["other_teacher", "english_teacher"])
async def test_roll_call_refused_to_other_staff(small, journal, who):
    with pytest.raises(AccessDenied):
        await journal.roll_call(small.viewer(getattr(small, who)), small.lesson_today.id)


async def test_roll_call_refused_to_families_anonymous_and_group_chats(small, journal):
    for viewer in (small.viewer(small.mother), small.viewer(small.ivanov), Viewer()):
        with pytest.raises(AccessDenied):
            await journal.roll_call(viewer, small.lesson_today.id)
    with pytest.raises(PrivateChatRequired):
        await journal.roll_call(small.viewer(small.teacher, private=False), small.lesson_today.id)


async def test_unknown_lesson_is_not_found(small, journal, teacher):
    await refused(small.store, NotFound, journal.set_attendance(teacher, 9999, small.ivanov.id, A))


async def test_set_attendance_on_the_lesson_day(small, journal, teacher):
    roll = await journal.set_attendance(teacher, small.lesson_today.id, small.ivanov.id, A)
    assert roll.lines[0].kind == A
    (rec,) = rows(small.store, "attendance")
    assert (rec.student_id, rec.kind, rec.day, rec.recorded_by) == (
        small.ivanov.id,
        A,
        TODAY,
        small.teacher.id,
    )
    assert rec.recorded_at == NOW
    assert small.store.outbox == [
        AttendanceRecorded(small.lesson_today.id, small.ivanov.id, small.maths.id, "absent", None)
    ]


async def test_set_attendance_twice_emits_once(small, journal, teacher):
    await journal.set_attendance(teacher, small.lesson_today.id, small.ivanov.id, A)
    await journal.set_attendance(teacher, small.lesson_today.id, small.ivanov.id, A)
    await journal.set_attendance(teacher, small.lesson_today.id, small.petrova.id, None)
    assert len(small.store.events(AttendanceRecorded)) == 1
    assert len(rows(small.store, "attendance")) == 1


async def test_late_with_minutes_and_back_to_present(small, journal, teacher):
    lesson_id = small.lesson_today.id
    await journal.set_attendance(teacher, lesson_id, small.ivanov.id, L, minutes_late=10)
    assert rows(small.store, "attendance")[0].minutes_late == 10
    roll = await journal.set_attendance(teacher, lesson_id, small.ivanov.id, None)
    assert roll.lines[0].record is None
    assert rows(small.store, "attendance") == []
    # the removal leaves a trace in the audit log
    (entry,) = rows(small.store, "audit")
    assert (entry.before, entry.after) == ("late:10", "present")
    assert [e.kind for e in small.store.events(AttendanceRecorded)] == ["late", None]


@pytest.mark.parametrize(("kind", "minutes"), [(A, 5), (L, 0), (L, 1000)])
async def test_minutes_late_validated(small, journal, teacher, kind, minutes):
    await refused(
        small.store,
        ValidationFailed,
        journal.set_attendance(teacher, small.lesson_today.id, small.ivanov.id, kind, minutes),
    )


async def test_attendance_refused_on_another_day(small, journal, teacher):
    for lesson in (small.lesson_yesterday, small.lesson_tomorrow):
        await refused(
            small.store,
            NotLessonDay,
            journal.set_attendance(teacher, lesson.id, small.ivanov.id, A),
        )


async def test_attendance_refused_for_a_cancelled_lesson(small, journal, teacher):
    row(small.store, "lessons", small.lesson_today.id).status = m.LessonStatus.CANCELLED
    await refused(
        small.store,
        LessonCancelled,
        journal.set_attendance(teacher, small.lesson_today.id, small.ivanov.id, A),
    )


async def test_attendance_refused_in_a_closed_period(small, journal, teacher):
    close_q2(small)
    await refused(
        small.store,
        PeriodClosed,
        journal.toggle_attendance(teacher, small.lesson_today.id, small.ivanov.id),
    )


async def test_attendance_refused_for_a_student_outside_the_lesson(small, journal, teacher):
    await refused(
        small.store,
        StudentNotInLesson,
        journal.set_attendance(teacher, small.lesson_today.id, small.first_grader.id, A),
    )
    row(small.store, "students", small.petrova.id).arrived_on = TODAY + timedelta(days=1)
    await refused(
        small.store,
        StudentNotInLesson,
        journal.set_attendance(teacher, small.lesson_today.id, small.petrova.id, A),
    )


async def test_subgroup_lesson_refuses_a_student_outside_the_subgroup(small, journal):
    small.clock.set(small.clock.now().replace(hour=11, minute=30))  # lesson 4 has begun
    eng = small.viewer(small.english_teacher)
    await refused(
        small.store,
        StudentNotInLesson,
        journal.set_attendance(eng, small.english_today.id, small.petrova.id, A),
    )
    await refused(
        small.store,
        StudentNotInLesson,
        journal.set_attendance(eng, small.english_today.id, small.petrova.id, None),
    )
    await journal.set_attendance(eng, small.english_today.id, small.ivanov.id, A)
    assert len(rows(small.store, "attendance")) == 1


@pytest.mark.parametrize("who", WHO)
async def test_attendance_refused_to_everyone_but_the_lessons_teacher(small, journal, who):
    viewer, error = outsiders(small)[who]
    await refused(
        small.store,
        error,
        journal.set_attendance(viewer, small.lesson_today.id, small.ivanov.id, A),
    )


async def test_substitute_takes_the_roll_and_the_teacher_does_not(small, journal, teacher):
    row(small.store, "lessons", small.lesson_today.id).substitute_id = small.other_teacher.id
    await refused(
        small.store,
        AccessDenied,
        journal.set_attendance(teacher, small.lesson_today.id, small.ivanov.id, A),
    )
    sub = small.viewer(small.other_teacher)
    await journal.set_attendance(sub, small.lesson_today.id, small.ivanov.id, A)
    assert rows(small.store, "attendance")[0].recorded_by == small.other_teacher.id


async def test_toggle_cycles_present_absent_late_present(small, journal, teacher):
    kinds = []
    for _ in range(3):
        roll = await journal.toggle_attendance(teacher, small.lesson_today.id, small.ivanov.id)
        kinds.append(roll.lines[0].kind)
    assert kinds == [A, L, None]
    assert [e.kind for e in small.store.events(AttendanceRecorded)] == ["absent", "late", None]


async def test_late_clears_an_absence_reason(small, journal, teacher):
    await add_record(small, small.lesson_today, small.ivanov, A, AbsenceReason.SICK)
    await journal.toggle_attendance(teacher, small.lesson_today.id, small.ivanov.id)
    rec = rows(small.store, "attendance")[0]
    assert (rec.kind, rec.reason) == (L, None)


async def test_all_present_removes_every_record(small, journal, teacher):
    await journal.mark_absent(teacher, small.lesson_today.id, [small.ivanov.id, small.petrova.id])
    roll = await journal.all_present(teacher, small.lesson_today.id)
    assert roll.absent == 0 and rows(small.store, "attendance") == []
    assert [e.kind for e in small.store.events(AttendanceRecorded)] == [
        "absent",
        "absent",
        None,
        None,
    ]


async def test_all_present_refused_on_another_day(small, journal, teacher):
    await add_record(small, small.lesson_yesterday, small.ivanov)
    await refused(
        small.store, NotLessonDay, journal.all_present(teacher, small.lesson_yesterday.id)
    )


async def test_all_present_clears_a_record_of_a_student_who_moved(small, journal, teacher):
    await add_record(small, small.lesson_today, small.petrova)
    row(small.store, "students", small.petrova.id).class_id = small.c10.id
    roll = await journal.all_present(teacher, small.lesson_today.id)
    assert roll.absent == 0 and rows(small.store, "attendance") == []


async def test_mark_absent_several(small, journal, teacher):
    ids = [small.ivanov.id, small.petrova.id, small.ivanov.id]
    roll = await journal.mark_absent(teacher, small.lesson_today.id, ids)
    assert roll.absent == 2
    assert len(small.store.events(AttendanceRecorded)) == 2


async def test_mark_absent_rolls_back_a_partial_write(small, journal, teacher):
    ids = [small.petrova.id, small.first_grader.id]  # the first is written, the second fails
    await refused(
        small.store, StudentNotInLesson, journal.mark_absent(teacher, small.lesson_today.id, ids)
    )
    assert rows(small.store, "attendance") == []


async def test_system_may_take_the_roll(small, journal):
    await journal.set_attendance(SYSTEM, small.lesson_today.id, small.ivanov.id, A)
    assert rows(small.store, "attendance")[0].recorded_by == small.teacher.id


# --- absence reasons ----------------------------------------------------------------------------


async def test_class_teacher_sets_a_reason_for_a_past_day(small, journal):
    rec = await add_record(small, small.lesson_yesterday, small.ivanov)
    ct = small.viewer(small.class_teacher)
    out = await journal.set_absence_reason(ct, rec.id, AbsenceReason.SICK)
    assert (out.reason, out.reason_set_by, out.reason_set_at) == (
        AbsenceReason.SICK,
        small.class_teacher.id,
        NOW,
    )
    assert small.store.outbox == [AbsenceReasonSet(rec.id, small.ivanov.id, "sick")]
    assert rows(small.store, "audit") == []  # a first reason is no change of history


async def test_changing_a_reason_is_audited(small, journal):
    rec = await add_record(small, small.lesson_yesterday, small.ivanov, reason=AbsenceReason.SICK)
    ct = small.viewer(small.class_teacher)
    await journal.set_absence_reason(ct, rec.id, AbsenceReason.UNEXCUSED)
    await journal.set_absence_reason(ct, rec.id, AbsenceReason.UNEXCUSED)  # no change
    (entry,) = rows(small.store, "audit")
    assert (entry.action, entry.before, entry.after, entry.student_id) == (
        "attendance.reason",
        "sick",
        "unexcused",
        small.ivanov.id,
    )
    assert len(small.store.events(AbsenceReasonSet)) == 1


@pytest.mark.parametrize("who", ["deputy", "admin"])
async def test_administration_sets_reasons(small, journal, who):
    rec = await add_record(small, small.lesson_today, small.ivanov)
    await journal.set_absence_reason(
        small.viewer(getattr(small, who)), rec.id, AbsenceReason.EXCUSED
    )
    assert row(small.store, "attendance", rec.id).reason == AbsenceReason.EXCUSED


@pytest.mark.parametrize("who", ["teacher", "other_teacher", "mother", "ivanov"])
async def test_reasons_refused_to_others(small, journal, who):
    rec = await add_record(small, small.lesson_today, small.ivanov)
    await refused(
        small.store,
        AccessDenied,
        journal.set_absence_reason(small.viewer(getattr(small, who)), rec.id, AbsenceReason.SICK),
    )


async def test_reason_refused_in_a_group_chat(small, journal):
    rec = await add_record(small, small.lesson_today, small.ivanov)
    viewer = small.viewer(small.class_teacher, private=False)
    await refused(
        small.store,
        PrivateChatRequired,
        journal.set_absence_reason(viewer, rec.id, AbsenceReason.SICK),
    )


async def test_reason_only_for_absences(small, journal):
    rec = await add_record(small, small.lesson_today, small.ivanov, kind=L)
    await refused(
        small.store,
        NotAbsent,
        journal.set_absence_reason(small.viewer(small.class_teacher), rec.id, AbsenceReason.SICK),
    )


async def test_reason_refused_in_a_closed_period(small, journal):
    rec = await add_record(small, small.lesson_q1, small.ivanov)
    await refused(
        small.store,
        PeriodClosed,
        journal.set_absence_reason(small.viewer(small.class_teacher), rec.id, AbsenceReason.SICK),
    )


async def test_day_reason_covers_every_absence_that_day(small, journal):
    async with small.store.uow() as uow:
        other = await uow.lessons.add(
            m.Lesson(small.c7.id, TODAY, 5, small.maths.id, small.teacher.id)
        )
        await uow.commit()
    await add_record(small, small.lesson_today, small.ivanov)
    await add_record(small, other, small.ivanov)
    await add_record(small, small.lesson_yesterday, small.ivanov)
    ct = small.viewer(small.class_teacher)
    assert await journal.set_day_reason(ct, small.ivanov.id, TODAY, AbsenceReason.SICK) == 2
    reasons = sorted((r.day, r.reason or "") for r in rows(small.store, "attendance"))
    assert reasons == [(TODAY - timedelta(days=1), ""), (TODAY, "sick"), (TODAY, "sick")]
    assert len(small.store.events(AbsenceReasonSet)) == 2
    assert await journal.set_day_reason(ct, small.ivanov.id, TODAY, AbsenceReason.SICK) == 0
    assert len(small.store.events(AbsenceReasonSet)) == 2


async def test_day_reason_without_absences_is_refused(small, journal):
    await add_record(small, small.lesson_today, small.ivanov, kind=L)
    ct = small.viewer(small.class_teacher)
    await refused(
        small.store,
        NotAbsent,
        journal.set_day_reason(ct, small.ivanov.id, TODAY, AbsenceReason.SICK),
    )


async def test_day_reason_refused_to_a_subject_teacher_and_in_a_closed_period(
    small, journal, teacher
):
    await add_record(small, small.lesson_q1, small.ivanov)
    await refused(
        small.store,
        AccessDenied,
        journal.set_day_reason(teacher, small.ivanov.id, TODAY, AbsenceReason.SICK),
    )
    await refused(
        small.store,
        PeriodClosed,
        journal.set_day_reason(
            small.viewer(small.class_teacher),
            small.ivanov.id,
            small.lesson_q1.day,
            AbsenceReason.SICK,
        ),
    )


async def test_unexplained_absences_for_the_weekly_check(small, journal):
    await add_record(small, small.lesson_yesterday, small.ivanov)
    await add_record(small, small.lesson_today, small.petrova, reason=AbsenceReason.SICK)
    await add_record(small, small.lesson_today, small.ivanov, kind=L)
    found = await journal.unexplained_absences(
        small.viewer(small.class_teacher), small.c7.id, TODAY - timedelta(days=7), TODAY
    )
    assert [(x.student.id, x.record.day) for x in found] == [
        (small.ivanov.id, TODAY - timedelta(days=1))
    ]


async def test_unexplained_absences_refused_to_a_subject_teacher(small, journal, teacher):
    with pytest.raises(AccessDenied):
        await journal.unexplained_absences(teacher, small.c7.id, TODAY, TODAY)


# --- topic --------------------------------------------------------------------------------


async def test_topic_on_the_day_and_in_advance(small, journal, teacher):
    await journal.set_topic(teacher, small.lesson_today.id, "  Дроби ")
    await journal.set_topic(teacher, small.lesson_tomorrow.id, "Проценты")
    assert row(small.store, "lessons", small.lesson_today.id).topic == "Дроби"
    assert row(small.store, "lessons", small.lesson_tomorrow.id).topic == "Проценты"


async def test_topic_refused_after_the_day(small, journal, teacher):
    await refused(
        small.store, NotLessonDay, journal.set_topic(teacher, small.lesson_yesterday.id, "x")
    )


async def test_topic_refused_in_a_closed_period(small, journal, teacher):
    close_q2(small)
    await refused(small.store, PeriodClosed, journal.set_topic(teacher, small.lesson_today.id, "x"))


async def test_topic_must_not_be_blank(small, journal, teacher):
    await refused(
        small.store, ValidationFailed, journal.set_topic(teacher, small.lesson_today.id, "  ")
    )


@pytest.mark.parametrize("who", WHO)
async def test_topic_refused_to_others(small, journal, who):
    viewer, error = outsiders(small)[who]
    await refused(small.store, error, journal.set_topic(viewer, small.lesson_today.id, "x"))


# --- homework ---------------------------------------------------------------------------------


async def test_homework_defaults_to_the_next_lesson_of_the_subject(small, journal, teacher):
    hw = await journal.set_homework(teacher, small.lesson_today.id, "№ 12, 15")
    assert (hw.due_on, hw.day, hw.class_id, hw.author_id, hw.created_at) == (
        small.lesson_tomorrow.day,
        TODAY,
        small.c7.id,
        small.teacher.id,
        NOW,
    )
    assert small.store.outbox == [
        HomeworkSet(
            hw.id,
            small.lesson_today.id,
            small.c7.id,
            None,
            small.maths.id,
            small.lesson_tomorrow.day.isoformat(),
            False,
        )
    ]


async def test_homework_in_advance_defaults_to_the_next_day(small, journal, teacher):
    hw = await journal.set_homework(teacher, small.lesson_tomorrow.id, "Повторить § 3")
    assert hw.due_on == small.lesson_tomorrow.day + timedelta(days=1)


async def test_homework_of_a_subgroup_looks_for_the_subgroups_next_lesson(small, journal):
    async with small.store.uow() as uow:
        await uow.lessons.add(  # the whole class's English lesson does not count
            m.Lesson(small.c7.id, TODAY + timedelta(days=1), 3, small.english.id, 0)
        )
        nxt = await uow.lessons.add(
            m.Lesson(
                small.c7.id,
                TODAY + timedelta(days=2),
                3,
                small.english.id,
                small.english_teacher.id,
                subgroup_id=small.eng_group.id,
            )
        )
        await uow.commit()
    eng = small.viewer(small.english_teacher)
    hw = await journal.set_homework(eng, small.english_today.id, "Words")
    assert (hw.due_on, hw.subgroup_id) == (nxt.day, small.eng_group.id)


async def test_homework_until_two_hours_after_the_last_lesson(small, journal, teacher):
    # 7А's last lesson today is the English subgroup's slot 4, ending 12:10
    small.clock.set(at(TODAY, 14, 10))
    await journal.set_homework(teacher, small.lesson_today.id, "ok")
    small.clock.set(at(TODAY, 14, 11))
    err = await refused(
        small.store,
        HomeworkWindowClosed,
        journal.set_homework(teacher, small.lesson_today.id, "late"),
    )
    assert err.facts["deadline"] == at(TODAY, 14, 10)


async def test_homework_window_ignores_cancelled_lessons(small, journal, teacher):
    row(small.store, "lessons", small.english_today.id).status = m.LessonStatus.CANCELLED
    small.clock.set(at(TODAY, 12, 11))  # slot 2 ends 10:10
    await refused(
        small.store,
        HomeworkWindowClosed,
        journal.set_homework(teacher, small.lesson_today.id, "late"),
    )


async def test_homework_without_bells_until_the_end_of_the_day(small, journal, teacher):
    small.store.tables["bells"].clear()
    small.clock.set(at(TODAY, 23, 30))
    await journal.set_homework(teacher, small.lesson_today.id, "ok")
    assert len(rows(small.store, "homework")) == 1


async def test_homework_refused_for_yesterday(small, journal, teacher):
    small.clock.set(at(TODAY, 8))
    await refused(
        small.store,
        HomeworkWindowClosed,
        journal.set_homework(teacher, small.lesson_yesterday.id, "x"),
    )


async def test_no_homework_in_grade_one(small, journal, teacher):
    await refused(
        small.store,
        FirstGradeNoHomework,
        journal.set_homework(teacher, small.lesson_1a_today.id, "x"),
    )


async def test_homework_refused_in_a_closed_period(small, journal, teacher):
    close_q2(small)
    await refused(
        small.store, PeriodClosed, journal.set_homework(teacher, small.lesson_tomorrow.id, "x")
    )


async def test_homework_replaces_the_lessons_homework(small, journal, teacher):
    first = await journal.set_homework(teacher, small.lesson_today.id, "№ 1")
    small.clock.set(NOW + timedelta(minutes=5))
    second = await journal.set_homework(
        teacher, small.lesson_today.id, "№ 2", due_on=TODAY + timedelta(days=3)
    )
    await journal.set_homework(
        teacher, small.lesson_today.id, "№ 2", due_on=TODAY + timedelta(days=3)
    )  # unchanged: no event
    (hw,) = rows(small.store, "homework")
    assert second.id == first.id == hw.id
    assert (hw.text, hw.due_on, hw.created_at, hw.updated_at) == (
        "№ 2",
        TODAY + timedelta(days=3),
        NOW,
        NOW + timedelta(minutes=5),
    )
    assert [e.changed for e in small.store.events(HomeworkSet)] == [False, True]


async def test_homework_due_before_the_lesson_is_refused(small, journal, teacher):
    await refused(
        small.store,
        ValidationFailed,
        journal.set_homework(teacher, small.lesson_today.id, "x", due_on=TODAY - timedelta(1)),
    )


async def test_homework_needs_text_or_a_file(small, journal, teacher):
    await refused(
        small.store, ValidationFailed, journal.set_homework(teacher, small.lesson_today.id, " ")
    )
    photo = m.Attachment("photo", "file-1")
    hw = await journal.set_homework(teacher, small.lesson_today.id, "", attachments=[photo])
    assert hw.attachments == [photo]


@pytest.mark.parametrize("who", WHO)
async def test_homework_refused_to_others(small, journal, who):
    viewer, error = outsiders(small)[who]
    await refused(small.store, error, journal.set_homework(viewer, small.lesson_today.id, "x"))


# --- marks --------------------------------------------------------------------------------


async def test_give_mark(small, journal, teacher):
    mark = await journal.give_mark(
        teacher, small.lesson_today.id, small.ivanov.id, MarkValue.FIVE, small.oral.id, " ok "
    )
    assert (mark.day, mark.created_at, mark.author_id, mark.comment, mark.subject_id) == (
        TODAY,
        NOW,
        small.teacher.id,
        "ok",
        small.maths.id,
    )
    assert small.store.outbox == [
        MarkGiven(
            mark.id, small.ivanov.id, small.maths.id, small.lesson_today.id, "5", small.oral.id
        )
    ]


async def test_attendance_marks_and_remarks_wait_for_the_lesson_to_begin(small, journal, teacher):
    s = small  # 10:00; 10А's lesson 3 begins at 10:25
    lesson, senior = s.lesson_10a_today.id, s.senior.id
    for call in (
        journal.set_attendance(teacher, lesson, senior, A),
        journal.give_mark(teacher, lesson, senior, MarkValue.FIVE, s.oral.id),
        journal.add_remark(teacher, lesson, senior, RemarkKind.PRAISE, "Молодец"),
    ):
        refused_with = await refused(s.store, LessonNotStarted, call)
        assert refused_with.facts == {"lesson_day": TODAY, "starts_at": time(10, 25)}
    s.clock.set(at(TODAY, 10, 25))  # the bell
    await journal.set_attendance(teacher, lesson, senior, L)
    await journal.give_mark(teacher, lesson, senior, MarkValue.FIVE, s.oral.id)


async def test_an_absent_student_gets_no_mark_but_na_or_exempt(small, journal, teacher):
    s = small
    await journal.set_attendance(teacher, s.lesson_today.id, s.ivanov.id, A)
    entries = [(s.petrova.id, MarkValue.FIVE), (s.ivanov.id, MarkValue.PASS)]
    error = await refused(
        s.store, AbsentNoMark, journal.give_marks(teacher, s.lesson_today.id, s.oral.id, entries)
    )
    assert error.facts == {"students": "Иванов П."}  # and Петрова's 5 is not written either
    for value in (MarkValue.NOT_ASSESSED, MarkValue.EXEMPT):
        await journal.give_mark(teacher, s.lesson_today.id, s.ivanov.id, value, s.oral.id)
    await journal.set_attendance(teacher, s.lesson_today.id, s.ivanov.id, L)  # came late
    await journal.give_mark(teacher, s.lesson_today.id, s.ivanov.id, MarkValue.FIVE, s.test.id)


async def test_oral_mark_the_next_day_but_not_later(small, journal, teacher):
    give = journal.give_mark
    lesson_id = small.lesson_yesterday.id
    await give(teacher, lesson_id, small.ivanov.id, MarkValue.FOUR, small.oral.id)
    small.clock.set(NOW + timedelta(days=1))
    err = await refused(
        small.store,
        MarkDeadlinePassed,
        give(teacher, lesson_id, small.ivanov.id, MarkValue.FOUR, small.oral.id),
    )
    assert err.facts["deadline"] == TODAY


@pytest.mark.parametrize(
    ("lesson", "student", "ok_days"),
    [("lesson_today", "ivanov", 5), ("lesson_10a_today", "senior", 7)],
)
async def test_written_work_deadlines_by_grade(small, journal, teacher, lesson, student, ok_days):
    lesson_id, student_id = getattr(small, lesson).id, getattr(small, student).id
    small.clock.set(NOW + timedelta(days=ok_days))
    await journal.give_mark(teacher, lesson_id, student_id, MarkValue.THREE, small.test.id)
    small.clock.set(NOW + timedelta(days=ok_days + 1))
    await refused(
        small.store,
        MarkDeadlinePassed,
        journal.give_mark(teacher, lesson_id, student_id, MarkValue.THREE, small.test.id),
    )
    assert len(rows(small.store, "marks")) == 1


async def test_no_mark_for_a_future_lesson(small, journal, teacher):
    await refused(
        small.store,
        LessonInFuture,
        journal.give_mark(
            teacher, small.lesson_tomorrow.id, small.ivanov.id, MarkValue.FIVE, small.oral.id
        ),
    )


async def test_no_marks_in_grade_one(small, journal, teacher):
    await refused(
        small.store,
        FirstGradeNoMarks,
        journal.give_mark(
            teacher, small.lesson_1a_today.id, small.first_grader.id, MarkValue.FIVE, small.oral.id
        ),
    )


async def test_marks_refused_in_a_closed_period(small, journal, teacher):
    close_q2(small)
    await refused(
        small.store,
        PeriodClosed,
        journal.give_mark(
            teacher, small.lesson_today.id, small.ivanov.id, MarkValue.FIVE, small.oral.id
        ),
    )


async def test_mark_needs_a_work_type_of_the_school(small, journal, teacher):
    async with small.store.uow() as uow:
        other = await uow.schools.add(m.School("Другая"))
        foreign = await uow.work_types.add(m.WorkType(other.id, "oral", "У", "Устный"))
        await uow.commit()
    for wt in (foreign.id, 9999):
        await refused(
            small.store,
            NotFound,
            journal.give_mark(teacher, small.lesson_today.id, small.ivanov.id, MarkValue.FIVE, wt),
        )


async def test_mark_refused_for_a_student_outside_the_subgroup(small, journal):
    small.clock.set(small.clock.now().replace(hour=11, minute=30))  # lesson 4 has begun
    eng = small.viewer(small.english_teacher)
    await refused(
        small.store,
        StudentNotInLesson,
        journal.give_mark(
            eng, small.english_today.id, small.petrova.id, MarkValue.FIVE, small.oral.id
        ),
    )


@pytest.mark.parametrize("who", WHO)
async def test_marks_refused_to_others(small, journal, who):
    viewer, error = outsiders(small)[who]
    await refused(
        small.store,
        error,
        journal.give_mark(
            viewer, small.lesson_today.id, small.ivanov.id, MarkValue.FIVE, small.oral.id
        ),
    )


# --- corrections ----------------------------------------------------------------------------


async def _given(small, journal, teacher, value=MarkValue.TWO) -> m.Mark:
    return await journal.give_mark(
        teacher, small.lesson_today.id, small.ivanov.id, value, small.oral.id, "у доски"
    )


async def test_author_corrects_within_seven_days_and_the_history_stays(small, journal, teacher):
    old = await _given(small, journal, teacher)
    small.clock.set(NOW + timedelta(days=7))
    new = await journal.correct_mark(teacher, old.id, MarkValue.FOUR, " опечатка ")
    assert new is not None
    stored_old = row(small.store, "marks", old.id)
    assert (stored_old.value, stored_old.superseded_at, stored_old.superseded_by) == (
        MarkValue.TWO,
        NOW + timedelta(days=7),
        new.id,
    )
    assert (new.value, new.day, new.lesson_id, new.work_type_id, new.comment, new.created_at) == (
        MarkValue.FOUR,
        TODAY,
        small.lesson_today.id,
        small.oral.id,
        "у доски",
        NOW + timedelta(days=7),
    )
    (entry,) = rows(small.store, "audit")
    assert (entry.action, entry.before, entry.after, entry.reason, entry.student_id) == (
        "mark.correct",
        "2",
        "4",
        "опечатка",
        small.ivanov.id,
    )
    assert entry.actor_id == small.teacher.id and entry.entity_id == old.id
    assert small.store.events(MarkCorrected) == [
        MarkCorrected(old.id, new.id, small.ivanov.id, small.maths.id, "2", "4", "опечатка")
    ]
    async with small.store.uow() as uow:
        assert [x.id for x in await uow.marks.for_lesson(small.lesson_today.id)] == [new.id]
        assert [x.id for x in await uow.marks.history(small.ivanov.id)] == [old.id, new.id]


async def test_author_cannot_correct_after_seven_days(small, journal, teacher):
    old = await _given(small, journal, teacher)
    small.clock.set(NOW + timedelta(days=8))
    err = await refused(
        small.store,
        CorrectionWindowPassed,
        journal.correct_mark(teacher, old.id, MarkValue.FOUR, "опечатка"),
    )
    assert err.facts["deadline"].date() == TODAY + timedelta(days=7)


@pytest.mark.parametrize("who", ["deputy", "admin"])
async def test_deputy_and_admin_correct_later(small, journal, teacher, who):
    old = await _given(small, journal, teacher)
    small.clock.set(NOW + timedelta(days=30))
    viewer = small.viewer(getattr(small, who))
    new = await journal.correct_mark(viewer, old.id, MarkValue.THREE, "жалоба родителей")
    assert new is not None and new.author_id == getattr(small, who).id
    assert rows(small.store, "audit")[0].actor_id == getattr(small, who).id


@pytest.mark.parametrize("who", ["other_teacher", "class_teacher", "guardian", "student"])
async def test_others_cannot_correct(small, journal, teacher, who):
    old = await _given(small, journal, teacher)
    viewer, _ = outsiders(small)[who]
    await refused(
        small.store, AccessDenied, journal.correct_mark(viewer, old.id, MarkValue.FIVE, "x")
    )


async def test_correction_needs_a_reason(small, journal, teacher):
    old = await _given(small, journal, teacher)
    await refused(
        small.store, ReasonRequired, journal.correct_mark(teacher, old.id, MarkValue.FIVE, "  ")
    )


async def test_correction_must_change_something(small, journal, teacher):
    old = await _given(small, journal, teacher)
    await refused(
        small.store, ValidationFailed, journal.correct_mark(teacher, old.id, MarkValue.TWO, "x")
    )


async def test_correction_removes_a_mark(small, journal, teacher):
    old = await _given(small, journal, teacher)
    assert await journal.correct_mark(teacher, old.id, None, "не тому ученику") is None
    stored = row(small.store, "marks", old.id)
    assert stored.superseded_at == NOW and stored.superseded_by is None
    assert len(rows(small.store, "marks")) == 1
    (event,) = small.store.events(MarkCorrected)
    assert (event.new_mark_id, event.new_value) == (None, None)
    assert rows(small.store, "audit")[0].after == ""


async def test_a_superseded_mark_cannot_be_corrected_again(small, journal, teacher):
    old = await _given(small, journal, teacher)
    await journal.correct_mark(teacher, old.id, MarkValue.THREE, "x")
    await refused(
        small.store,
        AlreadySuperseded,
        journal.correct_mark(small.viewer(small.admin), old.id, MarkValue.FOUR, "y"),
    )


async def test_correction_refused_in_a_closed_period(small, journal):
    mark = await add_mark(small, small.lesson_q1, small.ivanov)
    await refused(
        small.store,
        PeriodClosed,
        journal.correct_mark(small.viewer(small.admin), mark.id, MarkValue.FIVE, "x"),
    )


# --- final marks ------------------------------------------------------------------------------


async def test_period_mark_inside_the_window(small, journal, teacher):
    small.clock.set(at(date(2026, 12, 20)))
    final = await journal.set_final_mark(
        teacher, small.ivanov.id, small.maths.id, FinalKind.PERIOD, MarkValue.FOUR, small.q2.id
    )
    assert (final.year_id, final.period_id, final.author_id) == (
        small.year.id,
        small.q2.id,
        small.teacher.id,
    )
    assert small.store.outbox == [
        FinalMarkSet(final.id, small.ivanov.id, small.maths.id, "period", small.q2.id, "4")
    ]


@pytest.mark.parametrize("day", [date(2026, 12, 13), date(2026, 12, 31)])
async def test_period_mark_outside_the_window(small, journal, teacher, day):
    small.clock.set(at(day))
    err = await refused(
        small.store,
        FinalWindowClosed,
        journal.set_final_mark(
            teacher, small.ivanov.id, small.maths.id, FinalKind.PERIOD, MarkValue.FOUR, small.q2.id
        ),
    )
    assert (err.facts["opens_on"], err.facts["closes_on"]) == (
        date(2026, 12, 14),
        date(2026, 12, 30),
    )


async def test_period_mark_at_the_window_edges(small, journal, teacher):
    for day in (date(2026, 12, 14), date(2026, 12, 30)):
        small.clock.set(at(day))
        await journal.set_final_mark(
            teacher, small.ivanov.id, small.maths.id, FinalKind.PERIOD, MarkValue.FOUR, small.q2.id
        )
    assert len(small.store.events(FinalMarkSet)) == 1  # the same value again changes nothing


async def test_period_mark_refused_for_a_closed_period(small, journal, teacher):
    small.clock.set(at(date(2026, 10, 25)))
    await refused(
        small.store,
        PeriodClosed,
        journal.set_final_mark(
            teacher, small.ivanov.id, small.maths.id, FinalKind.PERIOD, MarkValue.FOUR, small.q1.id
        ),
    )


async def test_period_mark_needs_a_period(small, journal, teacher):
    await refused(
        small.store,
        ValidationFailed,
        journal.set_final_mark(
            teacher, small.ivanov.id, small.maths.id, FinalKind.PERIOD, MarkValue.FOUR
        ),
    )


async def test_proposed_period_marks_are_set_all_or_none(small, journal, teacher):
    """«Confirm the proposed marks»: one refused student (a first grader, not graded) leaves
    the others unset too; without him every mark is set in one go."""
    small.clock.set(at(date(2026, 12, 20)))
    args = (teacher, small.maths.id, FinalKind.PERIOD)
    values = [(small.ivanov.id, MarkValue.FOUR), (small.petrova.id, MarkValue.FIVE)]
    await refused(
        small.store,
        AccessDenied,
        journal.set_final_marks(
            *args, [*values, (small.first_grader.id, MarkValue.FIVE)], small.q2.id
        ),
    )
    done = await journal.set_final_marks(*args, values, small.q2.id)
    assert [(f.student_id, f.value) for f in done] == values
    assert len(small.store.events(FinalMarkSet)) == 2


async def test_replacing_a_final_mark_keeps_the_old_one(small, journal, teacher):
    small.clock.set(at(date(2026, 12, 20)))
    args = (teacher, small.ivanov.id, small.maths.id, FinalKind.PERIOD)
    first = await journal.set_final_mark(*args, MarkValue.THREE, small.q2.id)
    second = await journal.set_final_mark(*args, MarkValue.FOUR, small.q2.id, "пересдал тему")
    assert row(small.store, "finals", first.id).superseded_at == at(date(2026, 12, 20))
    assert second.superseded_at is None
    (entry,) = rows(small.store, "audit")
    assert (entry.action, entry.entity_id, entry.before, entry.after, entry.reason) == (
        "final.replace",
        first.id,
        "3",
        "4",
        "пересдал тему",
    )
    assert len(small.store.events(FinalMarkSet)) == 2


async def test_year_mark_uses_the_last_periods_window(small, journal, teacher):
    args = (teacher, small.ivanov.id, small.maths.id, FinalKind.YEAR, MarkValue.FIVE)
    small.clock.set(at(date(2027, 4, 1)))
    await refused(small.store, FinalWindowClosed, journal.set_final_mark(*args))
    small.clock.set(at(date(2027, 5, 20)))
    final = await journal.set_final_mark(*args)
    assert final.period_id is None


async def test_exam_mark_from_the_last_window_to_the_years_end(small, journal, teacher):
    args = (teacher, small.senior.id, small.maths.id, FinalKind.EXAM, MarkValue.FIVE)
    small.clock.set(at(date(2027, 5, 1)))
    await refused(small.store, FinalWindowClosed, journal.set_final_mark(*args))
    small.clock.set(at(date(2027, 6, 20)))
    await journal.set_final_mark(*args)
    assert len(rows(small.store, "finals")) == 1


async def test_no_final_marks_in_grade_one(small, journal, teacher):
    small.clock.set(at(date(2026, 12, 20)))
    await refused(
        small.store,
        FirstGradeNoMarks,
        journal.set_final_mark(
            teacher,
            small.first_grader.id,
            small.reading.id,
            FinalKind.PERIOD,
            MarkValue.FIVE,
            small.q2.id,
        ),
    )


@pytest.mark.parametrize("who", ["other_teacher", "class_teacher", "english_teacher", "deputy",
                                 "guardian", "student", "anonymous", "group_chat"])  # fmt: skip
async def test_final_marks_refused_to_others(small, journal, who):
    small.clock.set(at(date(2026, 12, 20)))
    viewer, error = outsiders(small)[who]
    await refused(
        small.store,
        error,
        journal.set_final_mark(
            viewer, small.petrova.id, small.maths.id, FinalKind.PERIOD, MarkValue.FOUR, small.q2.id
        ),
    )


async def test_subgroup_teacher_gives_finals_to_the_subgroup_only(small, journal):
    small.clock.set(at(date(2026, 12, 20)))
    eng = small.viewer(small.english_teacher)
    args = (small.english.id, FinalKind.PERIOD, MarkValue.FOUR, small.q2.id)
    await refused(small.store, AccessDenied, journal.set_final_mark(eng, small.petrova.id, *args))
    await journal.set_final_mark(eng, small.ivanov.id, *args)


async def test_system_sets_finals_in_the_teachers_name(small, journal):
    small.clock.set(at(date(2026, 12, 20)))
    final = await journal.set_final_mark(
        SYSTEM, small.ivanov.id, small.maths.id, FinalKind.PERIOD, MarkValue.FOUR, small.q2.id
    )
    assert final.author_id == small.teacher.id


# --- remarks --------------------------------------------------------------------------------


async def test_remark_and_praise(small, journal, teacher):
    remark = await journal.add_remark(
        teacher, small.lesson_yesterday.id, small.ivanov.id, RemarkKind.PRAISE, " Молодец "
    )
    assert (remark.text, remark.day, remark.author_id, remark.created_at) == (
        "Молодец",
        small.lesson_yesterday.day,
        small.teacher.id,
        NOW,
    )
    assert small.store.outbox == [RemarkAdded(remark.id, small.ivanov.id, "praise")]


async def test_remark_refusals(small, journal, teacher):
    add = journal.add_remark
    await refused(
        small.store,
        LessonInFuture,
        add(teacher, small.lesson_tomorrow.id, small.ivanov.id, RemarkKind.REMARK, "x"),
    )
    await refused(
        small.store,
        ValidationFailed,
        add(teacher, small.lesson_today.id, small.ivanov.id, RemarkKind.REMARK, " "),
    )
    await refused(
        small.store,
        StudentNotInLesson,
        add(teacher, small.lesson_today.id, small.senior.id, RemarkKind.REMARK, "x"),
    )


@pytest.mark.parametrize("who", WHO)
async def test_remarks_refused_to_others(small, journal, who):
    viewer, error = outsiders(small)[who]
    await refused(
        small.store,
        error,
        journal.add_remark(viewer, small.lesson_today.id, small.ivanov.id, RemarkKind.REMARK, "x"),
    )
